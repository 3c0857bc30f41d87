"""What a job's settings and id may hold: the service refuses exactly what the CLI refuses, in
the same words; ids cannot be guessed; no message repeats a huge input whole."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.cli import main
from studio.core import ECHO_CHARS, InputError, UnknownModel, one_line
from studio.core.errors import MESSAGE_CHARS
from studio.demo import DemoMedia
from studio.service import ID_RANDOM_BYTES, JobKind, JobOutcome, JobRunner, StudioJobs

BAD_LABELS = {
    "a NUL byte": ["person", "car\x00truck"],
    "500,000 labels": [f"label{i}" for i in range(500_000)],
    "a label of 10,000 characters": ["x" * 10_000],
}


@pytest.fixture
def runner(tmp_path: Path, fresh_registry: None) -> Iterator[JobRunner]:
    jobs = JobRunner(tmp_path / "jobs", StudioJobs().kinds()).start()
    yield jobs
    jobs.close()


def _cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


@pytest.mark.parametrize("case", list(BAD_LABELS))
def test_the_service_refuses_labels_as_the_cli_does(
    case: str, runner: JobRunner, demo: DemoMedia, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = BAD_LABELS[case]
    with pytest.raises(InputError) as refused:
        runner.submit("analyze", {"labels": labels}, {"video": demo.video})
    said = _cli_error(capsys, "analyze", str(demo.video), "--labels", ",".join(labels))
    assert str(refused.value) == said
    assert len(said) < 2 * ECHO_CHARS + 60  # names the problem, never repeats the input whole
    assert runner.store.rows() == []  # nothing was stored


def test_text_queries_are_checked_the_same_way(runner: JobRunner, demo: DemoMedia) -> None:
    with pytest.raises(InputError, match="queries without control characters"):
        runner.submit("analyze", {"queries": ["a red car\x07"]}, {"video": demo.video})
    with pytest.raises(InputError, match="at most 64 queries, got 65"):
        runner.submit("analyze", {"queries": [f"thing {i}" for i in range(65)]}, {"video": demo.video})


def test_job_ids_carry_96_random_bits(tmp_path: Path) -> None:
    assert ID_RANDOM_BYTES * 8 >= 96
    noop = JobKind("noop", lambda job: JobOutcome({}, {}), heavy=False)
    jobs = JobRunner(tmp_path / "ids", {"noop": noop}, max_queued=100, clock=lambda: 1_800_000_000.0)
    try:
        ids = {jobs.submit("noop", {}).id for _ in range(20)}
    finally:
        jobs.close()
    assert len(ids) == 20  # the same second, twenty different ids
    for job_id in ids:
        stamp, tail = job_id.rsplit("-", 1)
        assert re.fullmatch(r"\d{8}-\d{6}", stamp)
        assert re.fullmatch(r"[0-9a-f]{24}", tail)


def test_an_unknown_10_mb_job_id_is_not_repeated(runner: JobRunner) -> None:
    huge = "x" * 10_000_000
    for action in (runner.get, runner.cancel):
        with pytest.raises(InputError) as refused:
            action(huge)
        message = str(refused.value)
        assert len(message) < 2 * ECHO_CHARS + 100
        assert "10,000,000 long" in message


def test_a_10_mb_model_name_is_not_repeated(runner: JobRunner) -> None:
    with pytest.raises(UnknownModel) as refused:
        runner.submit("install", {"names": ["m" * 10_000_000]})
    said = str(refused.value)
    assert said.startswith("unknown model 'mmm") and "10,000,000 long" in said
    assert len(said) < 2 * ECHO_CHARS + 2000  # the known models are listed, the name is cut


def test_no_one_line_message_is_longer_than_the_cap() -> None:
    message = one_line("line one\n" + "word " * 1_000_000)
    assert len(message) < MESSAGE_CHARS + 40
    assert message.startswith("line one word word") and message.endswith("characters cut)")
