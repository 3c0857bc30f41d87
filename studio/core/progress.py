"""How a long-running call reports progress and learns it should stop.

Every pipeline takes ``progress(fraction, message)`` and ``cancel`` (anything with
``is_set()``, e.g. :class:`threading.Event`); ``studio`` never imports a UI, and the UI adapts
its own progress bar to this callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from studio.core.errors import Cancelled

__all__ = ["CancelFlag", "Progress", "check_cancel"]

Progress = Callable[[float, str], None]


class CancelFlag(Protocol):
    """Anything with ``is_set()``, e.g. :class:`threading.Event`."""

    def is_set(self) -> bool: ...


def check_cancel(cancel: CancelFlag | None, what: str) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"{what} was cancelled")
