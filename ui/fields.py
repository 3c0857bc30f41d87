"""Form fields that refuse bad values with the studio's own one-line message, naming the field,
where Gradio's would say "could not preprocess input component at index 2"."""

from __future__ import annotations

import math
from typing import Any

import gradio as gr

__all__ = ["ChoicesField", "NumberField", "quoted"]

ECHO_CHARS = 60  # of a refused value, how much a message repeats


def quoted(value: Any) -> str:
    """``value`` as a message quotes it: repr'd, cut to ``ECHO_CHARS`` with its length said."""
    text = repr(value)
    return text if len(text) <= ECHO_CHARS else f"{text[:ECHO_CHARS]}… ({len(text)} characters)"


def NumberField(value: float | None = None, **options: Any) -> gr.Number:
    """``gr.Number`` (the same widget in the page) whose refusals name the field: "Analysis FPS:
    expected a number, got 'fast'", "…: expected at most 240, got 500". (Not a subclass: Gradio
    writes a ``.pyi`` stub beside the source of every component class, at import.)"""
    field = gr.Number(value, **options)
    field.preprocess = _checked(field)  # type: ignore[method-assign]
    return field


def _checked(field: gr.Number) -> Any:
    def preprocess(payload: Any) -> float | int | None:
        if payload is None or (isinstance(payload, str) and not payload.strip()):
            return None
        name = field.label or "a number field"
        if isinstance(payload, bool):
            raise gr.Error(f"{name}: expected a number, got {quoted(payload)}", print_exception=False)
        try:
            number = float(payload)
        except (TypeError, ValueError):
            raise gr.Error(f"{name}: expected a number, got {quoted(payload)}", print_exception=False) from None
        if not math.isfinite(number):
            raise gr.Error(f"{name}: expected a finite number, got {quoted(payload)}", print_exception=False)
        if field.minimum is not None and number < field.minimum:
            raise gr.Error(f"{name}: expected at least {field.minimum:g}, got {number:g}", print_exception=False)
        if field.maximum is not None and number > field.maximum:
            raise gr.Error(f"{name}: expected at most {field.maximum:g}, got {number:g}", print_exception=False)
        if field.precision == 0 and not number.is_integer():
            raise gr.Error(f"{name}: expected a whole number, got {number:g}", print_exception=False)
        return field.round_to_precision(number, field.precision)

    return preprocess


def ChoicesField(choices: Any, **options: Any) -> gr.CheckboxGroup:
    """``gr.CheckboxGroup`` whose refusals name the field and its choices: "Harnesses: 'speed' is
    not one of fps, quality"; nothing sent (``None``) is no box ticked, as the page sends ``[]``.
    (Not a subclass, for the reason :func:`NumberField` gives.)"""
    field = gr.CheckboxGroup(choices, **options)
    field.preprocess = _picked(field)  # type: ignore[method-assign]
    return field


def _picked(field: gr.CheckboxGroup) -> Any:
    original = field.preprocess

    def preprocess(payload: Any) -> Any:
        if payload is None:
            payload = []
        name = field.label or "a choice field"
        allowed = [value for _, value in field.choices]
        if not isinstance(payload, list | tuple):
            raise gr.Error(f"{name}: expected a list of choices, got {quoted(payload)}", print_exception=False)
        for value in payload:
            if value not in allowed:
                listing = ", ".join(str(choice) for choice in allowed)
                raise gr.Error(f"{name}: {quoted(value)} is not one of {listing}", print_exception=False)
        return original(list(payload))

    return preprocess
