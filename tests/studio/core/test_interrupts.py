"""A signal that lands inside an extension module's import surfaces as that module's ImportError;
the command still ends as interrupted (143 for SIGTERM), not as an unexpected error (70)."""

from __future__ import annotations

import argparse
import importlib
import os
import signal

import pytest

cli_main = importlib.import_module("studio.cli.main")  # the module (studio.cli.main is also its function)


def _parser_running(handler: object) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio")
    parser.set_defaults(handler=handler, command="x")
    return parser


def test_an_import_broken_by_sigterm_exits_as_interrupted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def importing(args: argparse.Namespace) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)  # delivered here, as in a C extension's module init
            signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a bytecode boundary: the handler runs
        except KeyboardInterrupt:
            raise ImportError("initialization failed") from None  # what a Cython module raises
        return 0

    monkeypatch.setattr(cli_main, "build_parser", lambda: _parser_running(importing))
    assert cli_main.main([]) == 143
    assert capsys.readouterr().err == "error: interrupted (SIGTERM); no partial output was left\n"


def test_an_unexpected_error_without_a_signal_is_still_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(args: argparse.Namespace) -> int:
        raise ImportError("initialization failed")

    monkeypatch.setattr(cli_main, "build_parser", lambda: _parser_running(failing))
    assert cli_main.main([]) == 70
    assert "unexpected ImportError" in capsys.readouterr().err
