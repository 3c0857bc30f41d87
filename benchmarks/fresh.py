"""Time contenders like a sceptic: each run in a fresh process, rounds interleaved, medians.

A benchmark script names its contenders; :func:`run_rounds` starts
``python SCRIPT --worker NAME ARGS...`` once per contender per round, in an order that
rotates every round (so no contender always runs on a warm disk cache or a cool CPU), and
reads the JSON object each worker prints last. :func:`medians` folds the rounds.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["medians", "peak_memory_mb", "run_rounds"]


def run_rounds(script: str, contenders: Sequence[str], args: Sequence[str], rounds: int) -> dict[str, list[dict]]:
    """Every contender once per round, each in its own process; their JSON results by name."""
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    for round_index in range(rounds):
        shift = round_index % len(contenders)
        for name in [*contenders[shift:], *contenders[:shift]]:
            cmd = [sys.executable, script, "--worker", name, *args]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"{name} failed ({out.returncode}):\n{out.stderr[-3000:]}")
            results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"round {round_index + 1}/{rounds} done", file=sys.stderr, flush=True)
    return results


def medians(runs: list[dict]) -> dict[str, Any]:
    """The median of every numeric field over the runs; other fields from the first run."""
    first = runs[0]
    return {
        key: statistics.median(run[key] for run in runs) if isinstance(value, int | float) else value
        for key, value in first.items()
    }


def peak_memory_mb() -> float:
    """This process's peak resident memory."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
