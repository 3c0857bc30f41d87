"""Ctrl-C and SIGTERM end a command the same clean way.

Inside :func:`signals_as_interrupts` the first SIGINT or SIGTERM raises :class:`Interrupted`
(a ``KeyboardInterrupt``) in the main thread, so every ``with`` block and ``finally`` on the
way out runs: temporary output files are removed and previous outputs stay intact. Further
signals while that cleanup runs, and until the process exits, are noted and ignored, so
pressing Ctrl-C twice cannot cut the cleanup short or change the exit status. A service
manager's SIGTERM (``docker stop``, systemd) behaves exactly like Ctrl-C; the CLI exits 130
or 143 (128 + the signal number).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

__all__ = ["Interrupted", "Received", "signals_as_interrupts"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The process was asked to stop by ``signum``."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@dataclass
class Received:
    """The signal that stopped the block, if one did: an :class:`Interrupted` raised inside an
    extension module's import comes out as that module's ImportError, and this still knows."""

    signum: int | None = None

    @property
    def interrupted(self) -> Interrupted | None:
        return Interrupted(self.signum) if self.signum is not None else None


@contextmanager
def signals_as_interrupts() -> Iterator[Received]:
    """Turn SIGINT/SIGTERM into :class:`Interrupted` for the block (main thread only)."""
    received = Received()
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {number: signal.getsignal(number) for number in _SIGNALS}
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:  # already cleaning up: let it finish
            print(f"{signal.Signals(signum).name} again: still removing partial files", file=sys.stderr, flush=True)
            return
        stopping = True
        received.signum = signum
        raise Interrupted(signum)

    for number in _SIGNALS:
        signal.signal(number, on_signal)
    try:
        yield received
    finally:
        for number, handler in previous.items():
            # after an interrupt the process is ending: a late signal is ignored, through the
            # interpreter's own shutdown too (it resets Python-level handlers, not SIG_IGN)
            signal.signal(number, signal.SIG_IGN if stopping else handler)
