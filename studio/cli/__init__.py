"""The ``studio`` command: one module per command group, typed errors as one-line messages.

- :mod:`~studio.cli.main`: the parser, :func:`main` and the one-line error handling;
- one module per command group: :mod:`~studio.cli.media` (``probe``, ``demo-media``),
  :mod:`~studio.cli.models`, :mod:`~studio.cli.speech` (``transcribe``), :mod:`~studio.cli.vision`
  (``analyze``), :mod:`~studio.cli.generation` (``generate``, ``story``), :mod:`~studio.cli.serve`;
- :mod:`~studio.cli.output` (JSON, tables) and :mod:`~studio.cli.progress` (progress bars on a
  terminal, plain lines in a log).

The CLI is the composition root: ``studio serve`` (:mod:`~studio.cli.serve`) imports :mod:`ui`
inside its command function, the one place the studio reaches the UI (an import contract in ``pyproject.toml``).
"""

from studio.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
