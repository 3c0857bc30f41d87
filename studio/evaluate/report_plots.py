"""The reports' pictures (matplotlib, drawn off screen into PNG bytes) and their HTML page: one
style, each picture embedded, so a report is one file to send."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

__all__ = ["STYLE", "bars_png", "curves_png", "embedded_png", "html_page", "new_figure", "png_bytes"]

STYLE = """body{font-family:system-ui,sans-serif;margin:1em;max-width:72em}table{border-collapse:collapse;
display:block;overflow-x:auto}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.pass{color:#1a7f37}.fail{color:#cf222e}
img{max-width:100%}"""


def new_figure(width: float = 7, height: float = 2.6) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Any) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def curves_png(curves: dict[str, Sequence[float]], xlabel: str, ylabel: str) -> bytes:
    """One line per named series over its index (e.g. per frame pair)."""
    figure = new_figure()
    axes = figure.add_subplot()
    for name, values in curves.items():
        axes.plot(range(1, len(values) + 1), list(values), linewidth=1, label=name)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if len(curves) > 1:
        axes.legend(fontsize=8, frameon=False)
    return png_bytes(figure)


def bars_png(values: dict[str, float], ylabel: str, low: float | None = None, high: float | None = None) -> bytes:
    """One bar per name, each value written over it."""
    figure = new_figure()
    axes = figure.add_subplot()
    names, heights = list(values), [float(v) for v in values.values()]
    axes.bar(names, heights, color="#4c72b0")
    for number, height in enumerate(heights):
        axes.annotate(f"{height:.3g}", (number, height), ha="center", va="bottom", fontsize=8)
    if low is not None or high is not None:
        axes.set_ylim(low, high)
    axes.set_ylabel(ylabel)
    axes.tick_params(axis="x", labelsize=8)
    return png_bytes(figure)


def embedded_png(png: bytes, alt: str) -> str:
    return f"<p><img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'></p>"


def html_page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")  # fmt: skip
