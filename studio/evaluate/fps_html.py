"""FPS reports as one self-contained HTML page: per file its verdict, measures, problems with
their times and a frame-interval histogram (a PNG made with matplotlib, embedded)."""

from __future__ import annotations

import html

from studio.evaluate.fps_consistency import FpsReport
from studio.evaluate.report_plots import embedded_png, html_page, new_figure, png_bytes

__all__ = ["fps_reports_html", "interval_histogram_png"]


def interval_histogram_png(report: FpsReport) -> bytes:
    """Frame intervals (ms) as bars, the period and its rounding band marked."""
    figure = new_figure()
    axes = figure.add_subplot()
    values = [float(ms) for ms in report.interval_histogram]
    counts = list(report.interval_histogram.values())
    width = max(0.1, min(1.0, (max(values) - min(values)) / 60 if len(values) > 1 else 1.0))
    axes.bar(values, counts, width=width, color="#4c72b0")
    jitter = report.jitter_s * 1000
    if report.field_period_s:  # a field cadence: each of its frame lengths is on the grid
        for number, fields in enumerate(sorted(set(report.field_pattern))):
            middle = fields * report.field_period_s * 1000
            axes.axvspan(middle - jitter, middle + jitter, color="#2ca02c", alpha=0.15,
                         label="fields of the cadence ± rounding" if number == 0 else None)  # fmt: skip
    else:
        period = report.period_s * 1000
        axes.axvspan(period - jitter, period + jitter, color="#2ca02c", alpha=0.15, label="period ± rounding")
    for value, count in zip(values, counts, strict=True):  # counts written out: one bin may hold nearly all
        axes.annotate(str(count), (value, count), ha="center", va="bottom", fontsize=7)
    axes.set_xlabel("interval between frames (ms)")
    axes.set_ylabel("frames")
    axes.legend(fontsize=8, frameon=False)
    return png_bytes(figure)


def _times(values: tuple[float, ...], count: int | None) -> str:
    if not count:
        return "none" if count == 0 else "not checked"
    shown = ", ".join(f"{t:.3f}" for t in values[:20])
    return f"{count}: at {shown}" + (" …" if count > 20 else "") + " s"


def _section(report: FpsReport) -> str:
    e = html.escape
    rows = [
        ("declared", f"r_frame_rate {report.r_frame_rate}, avg_frame_rate {report.avg_frame_rate}, "
                     f"time base {report.time_base}"),
        ("measured", f"{report.measured_fps:.3f} fps average; period {report.period_s * 1000:.3f} ms; intervals "
                     f"{report.min_interval_s * 1000:.2f}-{report.max_interval_s * 1000:.2f} ms"),
        ("variable frame rate", f"{report.vfr_share:.2%} of intervals off the period by more than "
                                f"{report.jitter_s * 1000:.2f} ms"),
        ("frames", f"{report.frames} ({report.expected_frames:.1f} expected from duration × rate; header "
                   f"{report.header_frames or 'none'})"),
        ("dropped frames (after)", _times(report.dropped_after_s, report.dropped_frames)),
        ("duplicated frames", _times(report.duplicated_at_s, report.duplicated_frames)
         + (f"; {report.duplicate_cadence}" if report.duplicate_cadence else "")),
        ("repeated fields", _times(report.repeated_fields_at_s, report.repeated_fields)),
        ("pulldown", report.pulldown or "none found"),
        ("audio", "none" if report.audio_offset_s is None else
         f"starts {report.audio_offset_s * 1000:+.0f} ms, ends {report.audio_drift_s or 0.0:+.3f} s from the video"),
    ]  # fmt: skip
    table = "".join(f"<tr><th>{e(name)}</th><td>{e(value)}</td></tr>" for name, value in rows)
    failures = "".join(f"<li>{e(failure)}</li>" for failure in report.failures)
    return (f"<h2>{e(report.path)}: <span class='{report.verdict}'>{report.verdict}</span></h2>"
            + (f"<ul>{failures}</ul>" if failures else "") + f"<table>{table}</table>"
            + embedded_png(interval_histogram_png(report), "frame intervals"))  # fmt: skip


def fps_reports_html(reports: list[FpsReport]) -> str:
    """The page for ``reports``, tolerances stated once at the end (they are the same for all)."""
    tolerances = reports[0].tolerances.to_dict() if reports else {}
    stated = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in tolerances.items())
    body = "".join(_section(report) for report in reports)
    return html_page("FPS consistency", f"{body}<h2>Tolerances</h2><table>{stated}</table>")
