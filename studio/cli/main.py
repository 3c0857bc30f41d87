"""The ``studio`` parser and :func:`main`: every failure one line on stderr, with its exit code.

Every :class:`~studio.core.errors.StudioError` prints ``error: <message>`` on stderr and exits
with the error's ``exit_code``; anything unexpected exits 70 with one line too (set
``STUDIO_DEBUG=1`` to see the traceback); a usage mistake exits 2 with one line naming the
command's ``--help``. Ctrl-C and SIGTERM exit 130 and 143, leaving no partial file. Outputs are
checked before any work (never an input, never each other, in a writable folder) and written
atomically. Paths are kept as typed, so messages quote them exactly and names that are not
UTF-8 survive.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from studio.cli.evaluate import add_eval_commands
from studio.cli.generation import add_generation_commands
from studio.cli.media import add_media_commands
from studio.cli.models import add_model_commands
from studio.cli.serve import add_serve_command
from studio.cli.speech import add_speech_commands
from studio.cli.train import add_train_command
from studio.cli.vision import add_vision_commands
from studio.core import Interrupted, StudioError, one_line, signals_as_interrupts

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace], int]
USAGE_EXIT = 2  # argparse's own code for a usage mistake


def _version() -> str:
    try:
        return version("media-studio")
    except PackageNotFoundError:
        return "0+unknown"


def _error(message: str) -> None:
    print(f"error: {one_line(message)}", file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse with its usage mistakes on one line, like every other error (subcommands inherit it)."""

    def error(self, message: str) -> NoReturn:
        _error(f"{message} (see: {self.prog} --help)")
        sys.exit(USAGE_EXIT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="studio",
        description="Media Studio: video understanding, transcription and generation behind one registry.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_media_commands(commands)  # probe, demo-media
    add_model_commands(commands)
    add_speech_commands(commands)
    add_vision_commands(commands)
    add_train_command(commands)
    add_generation_commands(commands)
    add_eval_commands(commands)
    add_serve_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as its own bytes
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage mistakes: argparse's own exit codes
        return exc.code if isinstance(exc.code, int) else USAGE_EXIT
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0 if args.command is None else USAGE_EXIT
    with signals_as_interrupts() as received:
        try:
            return handler(args)
        except StudioError as exc:
            _error(str(exc))
            return exc.exit_code
        except Interrupted as exc:
            _error(f"interrupted ({exc.name}); no partial output was left")
            return exc.exit_code
        except KeyboardInterrupt:
            _error("interrupted; no partial output was left")
            return 130
        except Exception as exc:  # the last line of defence: one line, never a traceback
            stopped = received.interrupted  # a signal inside an extension's import: its ImportError
            if stopped is not None:
                _error(f"interrupted ({stopped.name}); no partial output was left")
                return stopped.exit_code
            if os.environ.get("STUDIO_DEBUG"):
                traceback.print_exc()
            _error(f"unexpected {type(exc).__name__}: {exc} (set STUDIO_DEBUG=1 for details)")
            return 70


if __name__ == "__main__":
    sys.exit(main())
