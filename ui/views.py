"""What the page shows of a job: a status line with a progress bar, and a finished job's
results laid out for its tab (annotated video, timeline picture, table; transcript, files)."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from studio.core import Timeline
from studio.service import Job
from studio.vision import shot_text
from ui.timeline_picture import draw_timeline

__all__ = [
    "TABLE_HEADERS",
    "analysis_rows",
    "analysis_view",
    "generation_scores_html",
    "job_inputs",
    "job_summary_html",
    "job_timeline",
    "poster_html",
    "refusal_html",
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


def refusal_html(what: str, message: str) -> str:
    """The status line when the server refused a submit: what was refused and its one line."""
    return (
        f"<div class='studio-status studio-refused' data-status='refused' role='alert'>"
        f"<b>{html.escape(what)}</b> refused: <span style='color:#b91c1c'>{html.escape(message)}</span></div>"
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
    """Shots (with what the strip says of each), tracks, actions and events as table rows."""
    if timeline is None:
        return []
    rows: list[list[Any]] = []
    for shot in timeline.shots:
        said = shot_text(shot).split(": ", 1)[1]
        rows.append(["shot", shot.index + 1, shot.transition, round(shot.start_s, 2), round(shot.end_s, 2), said])
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
    for action in timeline.actions:
        who = "" if action.track_id is None else action.track_id
        rows.append(["action", who, action.label, round(action.start_s, 2), round(action.end_s, 2),
                     f"{action.model} {action.score:.2f}"])  # fmt: skip
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
    """A generated video's job as the page shows it: the video, its scores, its sidecar, every file."""
    paths = job.output_paths()
    sidecar = json.loads(paths["sidecar"].read_text(encoding="utf-8")) if "sidecar" in paths else job.summary
    video = str(paths["video"]) if "video" in paths else None
    return (video, generation_scores_html(sidecar.get("evaluation")), sidecar, [str(p) for p in paths.values()])


SCORE_COLUMNS = {"quality.temporal_flickering": "flicker", "quality.motion_smoothness": "smoothness",
                 "quality.subject_consistency": "subject consistency", "quality.motion_px": "motion px",
                 "prompt.adherence": "prompt adherence", "prompt.found": "found"}  # fmt: skip


def _score(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4g}" if isinstance(value, float) else html.escape(str(value))


def _skipped(skipped: dict[str, str] | None) -> str:
    return "".join(f"<li>{html.escape(k)} skipped: {html.escape(v)}</li>" for k, v in (skipped or {}).items())


def generation_scores_html(evaluation: dict[str, Any] | None) -> str:
    """A sidecar's ``evaluation`` as the Generate and Story tabs show it beside the video: the
    quality and adherence scores (a story: the film's timing verdict and one row per shot), and
    what was skipped and why; empty when the video was not scored."""
    if not evaluation:
        return ""
    e = html.escape
    if "shots" in evaluation:  # a story
        film = evaluation.get("film") or {}
        scores = film.get("scores") or {}
        head = "".join(f"<th>{e(name)}</th>" for name in SCORE_COLUMNS.values())
        rows = "".join(
            f"<tr><td>{shot['index']}</td><td>{e(str(shot['prompt'])[:80])}</td>"
            + "".join(f"<td>{_score(shot['scores']['scores'].get(key))}</td>" for key in SCORE_COLUMNS)
            + "</tr>"
            for shot in evaluation["shots"]
        )
        skipped = _skipped(film.get("skipped")) + "".join(
            _skipped({f"shot {shot['index']} {k}": v for k, v in (shot["scores"].get("skipped") or {}).items()})
            for shot in evaluation["shots"]
        )
        return (f"<div class='studio-scores' data-verdict='{e(str(scores.get('verdict', '')))}'>"
                f"<p>Film timing: <b>{e(str(scores.get('fps.verdict', 'n/a')))}</b> (dropped "
                f"{_score(scores.get('fps.dropped_frames'))}, audio drift {_score(scores.get('fps.audio_drift_s'))} s)"
                f"</p><div style='overflow-x:auto'><table class='studio-settings'><tr><th>shot</th><th>prompt</th>"
                f"{head}</tr>{rows}</table></div>{f'<ul>{skipped}</ul>' if skipped else ''}</div>")  # fmt: skip
    scores = evaluation.get("scores") or {}
    rows = "".join(f"<tr><th>{e(label)}</th><td>{_score(scores.get(key))}</td></tr>"
                   for key, label in SCORE_COLUMNS.items() if key in scores)  # fmt: skip
    skipped = _skipped(evaluation.get("skipped"))
    return (f"<div class='studio-scores'><div style='overflow-x:auto'><table class='studio-settings'>{rows}</table>"
            f"</div>{f'<ul>{skipped}</ul>' if skipped else ''}</div>")  # fmt: skip


def analysis_view(job: Job, video_id: str) -> tuple[Any, ...]:
    """An analysis job as the Analyze tab shows it: the annotated video, its poster (for the
    player ``#video_id``), the timeline picture, the table of tracks and events, every file."""
    paths, timeline = job.output_paths(), job_timeline(job)  # the timeline JSON read once
    return (
        str(paths["annotated"]) if "annotated" in paths else None,
        poster_html(paths.get("poster"), video_id),
        timeline_picture(job, timeline),
        analysis_rows(timeline),
        [str(p) for name, p in paths.items() if name != "poster"],
    )


def poster_html(poster: Path | None, video_id: str) -> str:
    """A marker the page's script (``ui.page_assets.HEAD``) reads to give the player
    ``#video_id`` its poster: the frame with boxes, not the first frame, which has none yet.
    The URL is relative, so it holds behind a proxy's path prefix too."""
    if poster is None:
        return ""
    url = "gradio_api/file=" + quote(str(poster))
    return f"<span class='studio-poster' data-for='{html.escape(video_id)}' data-src='{html.escape(url)}'></span>"


def job_inputs(job: Job) -> dict[str, str]:
    """The files a job was given (its own copies, in its folder), by what they are."""
    files = job.settings.get("inputs") or {}
    return {name: str(Path(job.folder) / "inputs" / file) for name, file in files.items()}


def local_time(seconds: float | None) -> str:
    """A Unix time as the server's local date and time, with its zone."""
    if seconds is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(seconds))


def duration(seconds: float | None) -> str:
    """Seconds as a person reads a duration: 0.4 s, 12.3 s, 4 min 05 s, 2 h 03 min."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def job_summary_html(job: Job) -> str:
    """A job re-opened: its status line, when it was made, how long it waited and ran, and the
    settings it was submitted with."""
    waited = (job.started_at or job.finished_at or time.time()) - job.created_at
    ran = (job.finished_at or time.time()) - job.started_at if job.started_at else None
    settings = {name: value for name, value in job.settings.items() if name not in ("inputs", "input_names")}
    names = job.settings.get("input_names") or {}
    if names:
        settings = {"files": [f"{what}: {name}" for what, name in names.items()], **settings}
    rows = "".join(
        f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(_shown(value))}</td></tr>"
        for name, value in settings.items()
        if value not in (None, "", [], {})
    )
    return (
        f"{status_html(job)}<p class='studio-times'>Submitted {html.escape(local_time(job.created_at))}"
        f" · waited {duration(max(waited, 0.0))}"
        + ("" if ran is None else f" · ran {duration(ran)}")
        + ("" if job.finished_at is None else f" · ended {html.escape(local_time(job.finished_at))}")
        + f"</p><table class='studio-settings'>{rows}</table>"
    )


def _shown(value: Any, limit: int = 300) -> str:
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(item) for item in value)
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = str(value).removesuffix("/1") if isinstance(value, str) and value[:1].isdigit() else str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
