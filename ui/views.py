"""What the page shows of a job: a status line with a progress bar, and a finished job's
results laid out for its tab (annotated video, timeline picture, table; transcript, files)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from studio.core import Timeline
from studio.service import Job
from ui.timeline_picture import draw_timeline

__all__ = [
    "TABLE_HEADERS",
    "analysis_rows",
    "job_timeline",
    "status_html",
    "timeline_picture",
    "transcript_lines",
    "video_with_sidecar",
]

TABLE_HEADERS = ["what", "id", "label", "start s", "end s", "details"]


def status_html(job: Job | None) -> str:
    """One line: id, status, a progress bar, the stage or the error."""
    if job is None:
        return "<p class='studio-status'>No job yet.</p>"
    percent = round(100 * (1.0 if job.status == "done" else job.progress))
    detail = job.error if job.status == "failed" else job.stage
    colour = {"failed": "#b91c1c", "cancelled": "#92400e", "done": "#166534"}.get(job.status, "inherit")
    return (
        f"<div class='studio-status' data-status='{job.status}'>"
        f"<b>{html.escape(job.kind)}</b> job <code>{html.escape(job.id)}</code>: "
        f"<span style='color:{colour}'><b>{html.escape(job.status)}</b></span> "
        f"<progress value='{percent}' max='100' style='width:10em'></progress> {percent}% "
        f"<span>{html.escape(detail)}</span></div>"
    )


def job_timeline(job: Job) -> Timeline | None:
    """The timeline an analysis job wrote, or ``None`` when it has none."""
    path = job.output_paths().get("timeline")
    return None if path is None else Timeline.from_dict(json.loads(path.read_text(encoding="utf-8")))


def timeline_picture(job: Job, timeline: Timeline | None = None) -> str | None:
    """The job's timeline drawn as a PNG in its folder (drawn once; ``timeline`` when the
    caller has already read it)."""
    picture = Path(job.folder) / "timeline.png"
    if not picture.is_file():
        timeline = timeline or job_timeline(job)
        if timeline is None:
            return None
        draw_timeline(timeline, picture)
    return str(picture)


def analysis_rows(timeline: Timeline | None) -> list[list[Any]]:
    """Tracks and events as table rows."""
    if timeline is None:
        return []
    rows: list[list[Any]] = []
    for track in timeline.tracks:
        rows.append(
            [
                "track",
                track.id,
                track.label,
                round(track.first_s, 2),
                round(track.last_s, 2),
                f"{len(track.points)} boxes",
            ]
        )
    for event in timeline.events:
        where = f" in {event.region}" if event.region else ""
        rows.append(
            [
                "event",
                "" if event.track_id is None else event.track_id,
                event.kind + where,
                round(event.start_s, 2),
                round(event.end_s, 2),
                f"score {event.score:.2f}",
            ]
        )
    return rows


def transcript_lines(job: Job) -> str:
    paths = job.output_paths()
    if "srt" not in paths:
        return ""
    return paths["srt"].read_text(encoding="utf-8")


def video_with_sidecar(job: Job) -> tuple[Any, ...]:
    """A generated video's job as the page shows it: the video, its sidecar, every file."""
    paths = job.output_paths()
    sidecar = json.loads(paths["sidecar"].read_text(encoding="utf-8")) if "sidecar" in paths else job.summary
    return (str(paths["video"]) if "video" in paths else None, sidecar, [str(p) for p in paths.values()])
