"""Endpoints from plain functions, documented as well as the page's own: ``typed_api``.

``gr.api`` alone labels parameters and returns "1st", "2nd", ..., and under ``from __future__
import annotations`` it reads the return annotation as a string, so every return is typed
``Any``. :func:`typed_api` resolves the signature first, labels each parameter with its
description from the docstring (``Args:``; its name when there is none) and the return with
``returns``, and puts the docstring's ``Returns:`` text in the return's schema.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

import gradio as gr
from gradio.context import get_blocks_context
from gradio.utils import get_function_description, get_function_params

__all__ = ["typed_api"]


def typed_api(
    fn: Callable[..., Any],
    api_name: str,
    *,
    returns: str,
    queue: bool = False,
    api_visibility: Literal["public", "private", "undocumented"] = "public",
    concurrency_limit: int | Literal["default"] | None = None,
) -> None:
    """``fn`` as ``/<api_name>`` (unqueued unless ``queue``): typed parameters named and
    labelled from its signature and docstring, one return labelled ``returns``."""
    fn.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    _, described, returned = get_function_description(fn)
    dependency = gr.api(fn, api_name=api_name, queue=queue, api_visibility=api_visibility,
                        concurrency_limit=concurrency_limit)  # fmt: skip
    blocks = get_blocks_context()
    if blocks is None:  # gr.api raised already; kept for the type checker
        raise RuntimeError("typed_api() is called inside a gr.Blocks context")
    names = [name for name, *_ in get_function_params(fn)]  # without gr.Request and the like
    inputs = [blocks.blocks[_id] for _id in dependency["inputs"]]
    for name, component in zip(names, inputs, strict=False):
        component.label = described.get(name) or name  # type: ignore[attr-defined]
    for component in (blocks.blocks[_id] for _id in dependency["outputs"]):
        component.label = returns  # type: ignore[attr-defined]
        schema = dict(component._api_info)  # type: ignore[attr-defined]
        component._api_info = {**schema, "description": " ".join(returned) or returns}  # type: ignore[attr-defined]
