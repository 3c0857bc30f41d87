"""The service: durable jobs (:class:`JobRunner`), their SQLite store, and the kinds of job it runs.

- :mod:`~studio.service.jobs`: the runner (device slot, bounded queue, restart recovery, retention);
- :mod:`~studio.service.store`: the job store (SQLite, WAL);
- :mod:`~studio.service.kinds`: analyze, transcribe, generate, story, install, load, train and evaluate as jobs;
- :mod:`~studio.service.job_settings`: each kind's settings, typed (what a job stores and runs).
"""

from studio.service.job_settings import (
    SPEECH,
    AnalyzeSettings,
    EvaluateSettings,
    GenerateSettings,
    InstallSettings,
    LoadSettings,
    StorySettings,
    TranscribeSettings,
)
from studio.service.jobs import FINISHED, ID_RANDOM_BYTES, INTERRUPTED, Job, JobContext, JobKind, JobOutcome, JobRunner
from studio.service.kinds import GENERATE_TASK, SUBTITLE_FORMATS, StudioJobs, default_job_kinds
from studio.service.store import JobRow, JobStore

__all__ = [
    "FINISHED",
    "GENERATE_TASK",
    "ID_RANDOM_BYTES",
    "INTERRUPTED",
    "SPEECH",
    "SUBTITLE_FORMATS",
    "AnalyzeSettings",
    "EvaluateSettings",
    "GenerateSettings",
    "InstallSettings",
    "Job",
    "JobContext",
    "JobKind",
    "JobOutcome",
    "JobRow",
    "JobRunner",
    "JobStore",
    "LoadSettings",
    "StorySettings",
    "StudioJobs",
    "TranscribeSettings",
    "default_job_kinds",
]
