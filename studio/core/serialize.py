"""One way between result dataclasses and JSON-safe data, for every result type.

:func:`to_data` turns a dataclass (nested ones, tuples, dicts, exact ``Fraction`` rates,
numpy numbers and arrays) into plain JSON values; :func:`from_data` rebuilds it from its
type hints, ignoring keys it does not know, so JSON written by a newer version (with more
fields, or a larger ``schema_version``) still loads. A ``Fraction`` is written ``"n/d"``.
"""

from __future__ import annotations

import types
from dataclasses import fields, is_dataclass
from fractions import Fraction
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import numpy as np

__all__ = ["SCHEMA_VERSION", "JsonResult", "fraction_from_str", "fraction_to_str", "from_data", "to_data"]

SCHEMA_VERSION = 1  # raised when a field changes meaning; new fields alone do not need it

T = TypeVar("T")


def fraction_to_str(value: Fraction) -> str:
    """``Fraction(30000, 1001)`` -> ``"30000/1001"`` (JSON-safe and exact)."""
    return f"{value.numerator}/{value.denominator}"


def fraction_from_str(text: str) -> Fraction:
    """Inverse of :func:`fraction_to_str`; also accepts ``"25"``."""
    return Fraction(text)


class JsonResult:
    """Base of the result dataclasses: ``to_dict()`` / ``from_dict()`` the one generic way.
    A subclass adds computed keys (a transcript's ``text``) with ``json_extras()``; they are
    written for readers and ignored on load."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_data(self)
        return data

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R:
        return from_data(cls, data)

    def json_extras(self) -> dict[str, Any]:
        return {}


R = TypeVar("R", bound=JsonResult)


def to_data(value: Any) -> Any:
    """``value`` as JSON-safe data: dataclasses become dicts of their fields (and extras)."""
    if is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_data(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, JsonResult):
            data.update(to_data(value.json_extras()))
        return data
    if isinstance(value, Fraction):
        return fraction_to_str(value)
    if isinstance(value, (list, tuple)):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_data(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def from_data(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a ``cls`` dataclass from :func:`to_data` output; unknown keys are ignored and
    missing ones take the field's default."""
    hints = _hints(cls)  # type: ignore[arg-type]  # a class is hashable
    values = {f.name: _convert(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}  # type: ignore[arg-type]
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if hint is Fraction:
        return fraction_from_str(str(value))
    if isinstance(hint, type) and is_dataclass(hint):
        return from_data(hint, value)
    if origin is tuple:
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], item) for item in value)
        return tuple(_convert(arg, item) for arg, item in zip(args, value, strict=False))
    if origin is dict:
        _, item_hint = get_args(hint)
        return {key: _convert(item_hint, item) for key, item in value.items()}
    return value
