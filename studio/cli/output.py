"""What the commands print: JSON and text on standard output as bytes, aligned tables."""

from __future__ import annotations

import sys
from typing import Any

from studio.core import json_bytes

__all__ = ["emit", "print_json", "table"]


def emit(data: bytes) -> None:
    """Bytes to standard output after anything already printed (a file name that is not UTF-8 survives)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def print_json(data: Any) -> None:
    emit(json_bytes(data))


def table(rows: list[list[Any]], header: list[str]) -> str:
    """Columns padded to their widest cell, a rule under the header."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in [header, *rows]]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
