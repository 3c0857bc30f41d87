"""Progress of a long command: a rich progress bar on a terminal, plain log lines elsewhere.

On a terminal the bar shows the stage, the share done, the rate (media seconds per second of
work, i.e. times real time, for analysis and transcription) and the time left. In a log (CI,
a pipe, ``nohup``) one line is written per tenth of the work, with the same numbers.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from studio.core import Progress

__all__ = ["command_progress"]

LOG_STEP = 0.1  # in a log, one line per this share of the work


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@contextmanager
def command_progress(what: str, total: float = 1.0, unit: str = "", stream: TextIO | None = None) -> Iterator[Progress]:
    """A ``progress(fraction, stage)`` callback for ``what``; ``total`` in ``unit`` (e.g. the
    media's seconds) turns fractions into a rate."""
    stream = stream or sys.stderr
    if stream.isatty():
        with _bar(what, total, unit, stream) as progress:
            yield progress
        return
    yield _log_lines(what, total, unit, stream)


@contextmanager
def _bar(what: str, total: float, unit: str, stream: TextIO) -> Iterator[Progress]:
    from rich.console import Console
    from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    rate = TextColumn("{task.fields[rate]}")
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(), rate,
               TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[stage]}"))  # fmt: skip
    started = time.monotonic()
    with Bar(*columns, console=Console(file=stream), transient=False) as bar:
        task = bar.add_task(what, total=total or 1.0, rate="", stage="")

        def progress(fraction: float, stage: str) -> None:
            done = max(0.0, min(1.0, fraction)) * (total or 1.0)
            bar.update(task, completed=done, stage=stage, rate=_rate(done, time.monotonic() - started, unit))

        yield progress


def _rate(done: float, elapsed: float, unit: str) -> str:
    if elapsed <= 0 or done <= 0 or not unit:
        return ""
    per_second = done / elapsed
    return f"{per_second:.1f}x real time" if unit == "s" else f"{per_second:.2f} {unit}/s"


def _log_lines(what: str, total: float, unit: str, stream: TextIO) -> Progress:
    started = time.monotonic()
    next_step = LOG_STEP  # no line at 0 %: a command that fails at once prints its error alone

    def progress(fraction: float, stage: str) -> None:
        nonlocal next_step
        fraction = max(0.0, min(1.0, fraction))
        if fraction < next_step:
            return
        next_step = (int(fraction / LOG_STEP) + 1) * LOG_STEP
        elapsed = time.monotonic() - started
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        rate = _rate(fraction * total, elapsed, unit)
        parts = [f"{what}: {fraction:4.0%}", stage, rate, f"ETA {_clock(left)}" if left is not None else ""]
        print(" · ".join(part for part in parts if part), file=stream, flush=True)

    return progress
