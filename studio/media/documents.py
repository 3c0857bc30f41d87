"""Files the studio reads that are not media (story scripts, sidecars, a story's seed file),
read under the same rules as media: a regular local file (:func:`check_local_file`: never a
FIFO, a device or a folder, refused from its ``stat`` before it is opened), of bounded size,
UTF-8 text; JSON parsed without unbounded recursion or unbounded numbers, and checked field
by field (:func:`expect_type`) so a wrong value is refused by its field's name.
"""

from __future__ import annotations

import json
import os
import reprlib
from dataclasses import dataclass
from typing import Any

from studio.core import InputError, MediaError
from studio.media.inputs import open_local

__all__ = ["LARGEST_NUMBER", "LargeNumber", "expect_type", "read_document", "read_json", "whole_number"]

LARGEST_NUMBER = 2**64 - 1  # past every seed, size and count a setting takes: beyond it a number is refused
_SHOWN = reprlib.Repr()  # a value shown in an error, small even when the value is huge
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict, _SHOWN.maxstring, _SHOWN.maxother = 2, 4, 4, 60, 60
_KINDS = {float: "a number", int: "a whole number", str: "text", bool: "true or false", list: "a list"}


@dataclass(frozen=True)
class LargeNumber:
    """A whole number in a document past :data:`LARGEST_NUMBER`, kept as its length (turning
    100,000 digits into an int is slow, and Python refuses it past 4,300); ``line`` is where
    it was written, when known."""

    digits: int
    line: int | None = None

    def __str__(self) -> str:
        return f"a number of {self.digits} digits"

    __repr__ = __str__

    @classmethod
    def of(cls, value: int, line: int | None = None) -> LargeNumber:
        """The length of ``value`` in decimal digits, without writing it out."""
        value = abs(value)
        digits = max(1, int(value.bit_length() * 0.30102999566398))
        while 10**digits <= value:
            digits += 1
        while digits > 1 and 10 ** (digits - 1) > value:
            digits -= 1
        return cls(digits, line)


def whole_number(text: str, base: int = 10, line: int | None = None) -> int | LargeNumber:
    """``text`` (digits in ``base``, optionally signed) as an int, or a :class:`LargeNumber`
    when it is past :data:`LARGEST_NUMBER` either way."""
    digits = text.lstrip("+-").lstrip("0")
    if base == 10 and len(digits) > len(str(LARGEST_NUMBER)):
        return LargeNumber(len(digits), line)
    value = int(text, base)
    return LargeNumber.of(value, line) if abs(value) > LARGEST_NUMBER else value


def expect_type(name: str, value: Any, kind: type, length: int | None = None) -> Any:
    """``value`` of field ``name`` if it is ``kind`` (an int is a number too, a bool is not),
    a list of ``length`` items where given; otherwise an :class:`InputError` naming the field
    and showing the value, briefly."""
    if not isinstance(value, LargeNumber):
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        fits = length is None or (isinstance(value, list) and len(value) == length)
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)) and fits:
            return value
    count = f" of {length}" if length is not None else ""
    raise InputError(f"field {name!r} must be {_KINDS[kind]}{count}, got {_SHOWN.repr(value)}")


def read_document(path: str | os.PathLike[str], *, max_bytes: int, what: str) -> str:
    """The UTF-8 text of the regular local file ``path``, at most ``max_bytes`` long (``what``
    names the document in the message: ``a story script is at most 1,000,000 bytes``).
    Every refusal is an :class:`InputError` that names the file as given."""
    shown = os.fsdecode(path)
    try:
        file = open_local(path, shown, max_bytes, f"{max_bytes:,} bytes")
    except MediaError as exc:
        if exc.reason.startswith("the file has"):  # the size, in this document's words
            raise InputError(f"{shown}: the file has {os.stat(path).st_size:,} bytes; {what} is at most "
                             f"{max_bytes:,} bytes") from None  # fmt: skip
        raise InputError(str(exc)) from None
    with file:
        try:
            data = file.read(max_bytes + 1)  # a file that grows while read is still bounded
        except OSError as exc:
            raise InputError(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise InputError(f"{shown}: the file has more than {max_bytes:,} bytes; {what} is at most {max_bytes:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{shown}: is not UTF-8 text") from None


def read_json(path: str | os.PathLike[str], *, max_bytes: int, what: str) -> Any:
    """The JSON document at ``path`` (read as :func:`read_document`); whole numbers past
    :data:`LARGEST_NUMBER` come back as :class:`LargeNumber`."""
    shown = os.fsdecode(path)
    text = read_document(path, max_bytes=max_bytes, what=what)
    try:
        return json.loads(text, parse_int=whole_number)
    except json.JSONDecodeError as exc:
        raise InputError(f"{shown}: is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{shown}: nests too deeply to be {what}") from None
