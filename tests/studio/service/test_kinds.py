"""The service's own job kinds over a model cache we control: install honours cancel, and a
heavy job holds the models it uses until it ends."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

from studio.core import Settings
from studio.registry import LoadOptions, ModelCache, ModelSpec, Registry
from studio.service import JobContext, JobKind, JobOutcome, JobRunner, StudioJobs


def _settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path, tmp_path / "models", tmp_path / "outputs", device="cpu", memory_budget_mb=1000)


class Installers:
    """A real ``module:function`` installer: each call writes the model's folder; the first
    one waits until the test lets it finish."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.proceed = threading.Event()
        self.installed: list[str] = []

    def install(self, spec: ModelSpec, settings: Settings) -> Path:
        self.entered.set()
        assert self.proceed.wait(10)
        folder = settings.models_dir / spec.name
        folder.mkdir(parents=True)
        self.installed.append(spec.name)
        return folder


@pytest.fixture
def installers(monkeypatch: pytest.MonkeyPatch) -> Installers:
    made = Installers()
    module = types.ModuleType("fake_installers")
    module.install = made.install  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_installers", module)
    return made


def test_a_cancelled_install_ends_cancelled_and_installs_nothing_more(tmp_path: Path, installers: Installers) -> None:
    specs = [
        ModelSpec(name, "embed", "x:Y", f"home:{name}", "MIT", "dev", 10, True, installer="fake_installers:install")
        for name in ("first", "second")
    ]
    cache = ModelCache(Registry(specs), _settings(tmp_path), loader=lambda *args: None)
    runner = JobRunner(tmp_path / "root", StudioJobs(_cache=cache).kinds()).start()
    try:
        job = runner.submit("install", {"names": ["first", "second"]})
        assert installers.entered.wait(10)
        assert runner.cancel(job.id).stage == "cancelling"
        installers.proceed.set()
        ended = runner.wait(job.id, 10)
        assert ended.status == "cancelled" and ended.error == ""
        assert installers.installed == ["first"]  # the second never started
    finally:
        runner.close()


class Model:
    memory_mb = 100

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_heavy_job_holds_its_model_until_it_ends(tmp_path: Path) -> None:
    now = [100.0]
    spec = ModelSpec("m0", "embed", "x:Y", "home:m0", "MIT", "dev", 100, True)
    cache = ModelCache(Registry([spec]), _settings(tmp_path), loader=lambda *args: Model(), clock=lambda: now[0])
    entered, release = threading.Event(), threading.Event()
    used: list[Model] = []

    class Jobs(StudioJobs):
        def run_transcribe(self, job: JobContext) -> JobOutcome:  # as a pipeline does: get, then compute
            used.append(self.cache.get("m0"))
            entered.set()
            assert release.wait(10)
            return JobOutcome({})

    kind = Jobs(_cache=cache).kinds()["transcribe"]
    context = JobContext("job", {}, {}, tmp_path, lambda fraction, stage: None, threading.Event())
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(kind.run(context)))
    worker.start()
    assert entered.wait(10)
    now[0] += 3600.0  # a job far longer than the idle limit
    assert cache.unload_idle(600.0) == [] and not used[0].closed
    release.set()
    worker.join(10)
    assert results == [JobOutcome({})]
    now[0] += 599.0
    assert cache.unload_idle(600.0) == []  # idle counts from the job's end, not from its get
    now[0] += 1.0
    assert cache.unload_idle(600.0) == [("m0", "cpu", LoadOptions())] and used[0].closed


def test_a_load_from_the_models_tab_waits_for_the_device_slot(tmp_path: Path) -> None:
    """The Models tab's load is a job in the device slot: it never computes beside a running
    heavy job (and so never evicts what that job uses); it runs once the job ends."""
    from ui.service import StudioService

    running, release, loaded = threading.Event(), threading.Event(), threading.Event()
    beside: list[bool] = []

    def loader(*args: Any) -> Model:
        beside.append(running.is_set())
        loaded.set()
        return Model()

    spec = ModelSpec("m0", "embed", "x:Y", "home:m0", "MIT", "dev", 100, True)
    cache = ModelCache(Registry([spec]), _settings(tmp_path), loader=loader)

    def hold(job: JobContext) -> JobOutcome:  # a heavy job computing on the device
        running.set()
        assert release.wait(10)
        running.clear()
        return JobOutcome({})

    kinds = {"hold": JobKind("hold", hold), "load": StudioJobs(_cache=cache).kinds()["load"]}
    runner = JobRunner(tmp_path / "root", kinds, workers=2).start()
    service = StudioService(cache.settings, cache, runner)
    try:
        held = runner.submit("hold", {})
        assert runner.wait(held.id, 10, until=("running",)).status == "running" and running.wait(10)
        answers: list[Any] = []
        caller = threading.Thread(target=lambda: answers.append(service.load("m0")))
        caller.start()
        while not (loaded.is_set() or any(job.kind == "load" for job in runner.jobs())):
            loaded.wait(0.05)  # until the load is either queued (the fix) or running beside (the defect)
        release.set()
        caller.join(10)
        assert beside == [False]  # loaded after the heavy job, never beside it
        assert [row["name"] for row in answers[0]] == ["m0"]
        with pytest.raises(Exception, match="unknown model 'nope'"):
            service.load("nope")
        with pytest.raises(Exception, match="pick a model to load"):
            service.load("")
    finally:
        runner.close()
