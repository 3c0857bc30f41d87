from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from studio.core import Busy, InputError, ModelLoadError, ModelUnavailable, OutOfMemory, Settings, UnknownModel
from studio.registry import ENTRY_POINT_GROUP, LoadOptions, ModelCache, ModelSpec, Registry, load_model

PLUGIN = '''
from studio.registry import ModelSpec


class EchoAdapter:
    """A real adapter: reads its weights file and answers with what it says."""

    loads = 0

    def __init__(self, text, device):
        self.text, self.device = text, device

    @classmethod
    def load(cls, spec, weights, device, options):
        cls.loads += 1
        if spec.params.get("fail") == "oom":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if spec.params.get("fail") == "broken":
            raise ValueError("checkpoint has no layer 'encoder.0'")
        return cls((weights / "words.txt").read_text().strip(), device)

    def __call__(self, prompt):
        return f"{self.text}: {prompt}"


def _spec(name, **kw):
    base = dict(task="embed", adapter="fake_plugin:EchoAdapter", source=f"home:echo/{name}",
                license="MIT", extra="dev", memory_mb=100, offline=True)
    base.update(kw)
    return ModelSpec(name=name, **base)


SPECS = [_spec("echo-small", priority=1), _spec("echo-large", priority=5, memory_mb=400)]


def more_specs():
    return [_spec("echo-oom", params={"fail": "oom"}), _spec("echo-broken", params={"fail": "broken"}),
            _spec("echo-needs-extra", requires=("package_that_is_not_installed",), extra="asr")]
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real installed distribution that registers models through the entry-point group."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "fake_plugin.py").write_text(PLUGIN)
    dist = site / "fake_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(f"""
        [{ENTRY_POINT_GROUP}]
        echo = fake_plugin:SPECS
        echo_more = fake_plugin:more_specs
        broken = fake_plugin_missing_module:SPECS
        """)
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("fake_plugin", None)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    return Settings(home=home, models_dir=home / "models", outputs_dir=home / "outputs", device="cpu")


def install_echo(settings: Settings, name: str, words: str = "hello") -> None:
    folder = settings.models_dir / "echo" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "words.txt").write_text(words)


def test_entry_points_fill_the_registry_and_a_broken_plugin_is_reported(plugin: Path) -> None:
    registry = Registry.from_entry_points()

    assert {"echo-small", "echo-large", "echo-oom", "echo-broken"} <= set(registry.names())
    assert registry.get("echo-large").priority == 5
    [problem] = registry.problems
    assert problem.entry_point == "broken" and problem.target == "fake_plugin_missing_module:SPECS"
    assert problem.reason == "No module named 'fake_plugin_missing_module'"
    assert str(problem) == f"broken (fake_plugin_missing_module:SPECS): {problem.reason}"  # as the CLI prints it


def test_unknown_name_lists_the_known_ones_and_suggests(plugin: Path) -> None:
    registry = Registry.from_entry_points()
    with pytest.raises(UnknownModel) as caught:
        registry.get("echo-smal")
    message = str(caught.value)
    assert "Did you mean 'echo-small'?" in message
    assert "echo-large" in message and "echo-oom" in message
    assert caught.value.exit_code == 3


def test_spec_validation() -> None:
    with pytest.raises(InputError, match="expected task in"):
        ModelSpec("x", "dance", "m:C", "home:x", "MIT", "dev", 1, True)
    with pytest.raises(InputError, match="module:Class"):
        ModelSpec("x", "asr", "models.whisper", "home:x", "MIT", "dev", 1, True)
    with pytest.raises(InputError, match="model source like"):
        ModelSpec("x", "asr", "m:C", "ftp://x", "MIT", "dev", 1, True)


def test_load_through_the_adapter_and_typed_failures(plugin: Path, settings: Settings) -> None:
    registry = Registry.from_entry_points()
    with pytest.raises(ModelUnavailable, match="studio models install echo-small") as caught:
        load_model(registry.get("echo-small"), "cpu", settings)
    assert caught.value.exit_code == 4

    install_echo(settings, "echo-small", "bonjour")
    model = load_model(registry.get("echo-small"), "cpu", settings)
    assert model("world") == "bonjour: world"

    with pytest.raises(ModelUnavailable, match=r"package_that_is_not_installed.*media-studio\[asr\]"):
        load_model(registry.get("echo-needs-extra"), "cpu", settings)
    install_echo(settings, "echo-oom")
    with pytest.raises(OutOfMemory, match="ran out of memory"):
        load_model(registry.get("echo-oom"), "cpu", settings)
    install_echo(settings, "echo-broken")
    with pytest.raises(ModelLoadError, match=r"no layer 'encoder\.0'"):
        load_model(registry.get("echo-broken"), "cpu", settings)


def test_default_for_a_task_is_the_best_installed(plugin: Path, settings: Settings) -> None:
    registry = Registry(spec for spec in Registry.from_entry_points().specs() if not spec.params)
    with pytest.raises(ModelUnavailable, match="echo-large"):
        registry.default_for("embed", settings)
    install_echo(settings, "echo-small")
    assert registry.default_for("embed", settings).name == "echo-small"
    install_echo(settings, "echo-large")
    assert registry.default_for("embed", settings).name == "echo-large"


DEFAULT = LoadOptions()


class CountingLoader:
    def __init__(self, wait_for: dict[str, threading.Event] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.closed: list[str] = []
        self.saw_other_load: list[str] = []
        self._wait_for = wait_for or {}
        self._lock = threading.Lock()

    def __call__(self, spec: ModelSpec, device: str, settings: Settings, options: LoadOptions) -> Any:
        with self._lock:
            self.calls.append((spec.name, device))
        if self._wait_for:  # each load waits until the other name's load has started
            self._wait_for[spec.name].set()
            others = [event for name, event in self._wait_for.items() if name != spec.name]
            if all(event.wait(timeout=10) for event in others):
                self.saw_other_load.append(spec.name)
        loader = self

        class Model:
            name = spec.name

            def close(self) -> None:
                loader.closed.append(spec.name)

        return Model()


def _registry(*sizes: int) -> Registry:
    return Registry(
        ModelSpec(f"m{i}", "embed", "x:Y", f"home:m{i}", "MIT", "dev", size, True) for i, size in enumerate(sizes)
    )


def _settings(tmp_path: Path, budget_mb: int) -> Settings:
    return Settings(tmp_path, tmp_path / "m", tmp_path / "o", device="cpu", memory_budget_mb=budget_mb)


def test_cache_loads_once_per_name_and_device(tmp_path: Path) -> None:
    loader = CountingLoader()
    cache = ModelCache(_registry(100, 100), _settings(tmp_path, 1000), loader=loader)

    first = cache.get("m0")
    assert cache.get("m0") is first
    assert cache.get("m0", "cpu") is first
    other_device = cache.get("m0", "cuda:1")

    assert other_device is not first
    assert loader.calls == [("m0", "cpu"), ("m0", "cuda:1")]
    assert cache.stats.hits == 2 and cache.stats.loads == 2


def test_cache_evicts_least_recently_used_over_budget(tmp_path: Path) -> None:
    loader = CountingLoader()
    cache = ModelCache(_registry(400, 400, 400), _settings(tmp_path, 1000), loader=loader)
    cache.get("m0")
    cache.get("m1")
    cache.get("m0")  # m1 is now the least recently used
    cache.get("m2")  # 1200 MB > 1000 MB: m1 goes

    assert cache.loaded() == [("m0", "cpu", DEFAULT), ("m2", "cpu", DEFAULT)]
    assert loader.closed == ["m1"]
    assert cache.stats.evictions == 1 and cache.used_mb() == 800
    cache.get("m1")  # loads again
    assert loader.calls.count(("m1", "cpu")) == 2


def test_a_model_bigger_than_the_budget_loads_alone(tmp_path: Path) -> None:
    cache = ModelCache(_registry(300, 5000), _settings(tmp_path, 1000), loader=CountingLoader())
    cache.get("m0")
    cache.get("m1")
    assert cache.loaded() == [("m1", "cpu", DEFAULT)]


def test_concurrent_gets_load_once(tmp_path: Path) -> None:
    loader = CountingLoader(wait_for={"m0": threading.Event(), "m1": threading.Event()})
    cache = ModelCache(_registry(100, 100), _settings(tmp_path, 1000), loader=loader)
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def worker(name: str) -> None:
        barrier.wait()
        results.append(cache.get(name))

    threads = [threading.Thread(target=worker, args=(f"m{i % 2}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(loader.calls) == [("m0", "cpu"), ("m1", "cpu")]
    assert len({id(r) for r in results}) == 2
    assert sorted(loader.saw_other_load) == ["m0", "m1"]  # each load ran while the other was under way


def test_idle_models_are_unloaded(tmp_path: Path) -> None:
    now = [100.0]
    loader = CountingLoader()
    cache = ModelCache(_registry(100, 100), _settings(tmp_path, 1000), loader=loader, clock=lambda: now[0])
    cache.get("m0")
    now[0] += 30.0
    cache.get("m1")
    now[0] += 10.0
    assert cache.unload_idle(20.0) == [("m0", "cpu", DEFAULT)]  # idle 40 s; m1 only 10 s
    assert cache.loaded() == [("m1", "cpu", DEFAULT)] and loader.closed == ["m0"]
    now[0] += 5.0
    cache.get("m1")  # a use resets its idle time
    now[0] += 19.0
    assert cache.unload_idle(20.0) == [] and cache.loaded() == [("m1", "cpu", DEFAULT)]


def test_cache_raises_unknown_model(tmp_path: Path) -> None:
    cache = ModelCache(_registry(100), _settings(tmp_path, 1000), loader=CountingLoader())
    with pytest.raises(UnknownModel, match="Known models: m0"):
        cache.get("whisper-huge")


def test_load_options_are_part_of_the_cache_key(tmp_path: Path) -> None:
    loader = CountingLoader()
    cache = ModelCache(_registry(100), _settings(tmp_path, 1000), loader=loader)
    plain = cache.get("m0")
    half = cache.get("m0", options=LoadOptions(dtype="float16"))
    assert half is not plain and cache.get("m0", options=LoadOptions(dtype="float16")) is half
    assert cache.loaded() == [("m0", "cpu", DEFAULT), ("m0", "cpu", LoadOptions(dtype="float16"))]
    with pytest.raises(InputError, match="expected dtype one of float32, float16, bfloat16, int8, got 'fp8'"):
        LoadOptions(dtype="fp8")
    with pytest.raises(InputError, match="unknown capability 'fly'"):
        ModelSpec("x", "asr", "a:B", "home:x", "MIT", "asr", 1, True, capabilities=("fly",))


def test_every_registered_adapter_and_installer_imports() -> None:
    """Each spec's ``module:Class`` adapter has a ``load``; each installer string is a function."""
    import importlib

    from studio.registry import default_registry

    registry = default_registry()
    assert len(registry) >= 10 and not registry.problems
    for spec in registry.specs():
        module, _, name = spec.adapter.partition(":")
        adapter = getattr(importlib.import_module(module), name)
        assert callable(getattr(adapter, "load", None)), spec.name
        if spec.installer:
            module, _, name = spec.installer.partition(":")
            assert callable(getattr(importlib.import_module(module), name)), spec.name


def test_an_adapter_refuses_load_options_it_cannot_honour() -> None:
    from studio.registry import default_cache

    cache = default_cache()
    with pytest.raises(InputError, match="nanodet-coco loads as float32, not float16"):
        cache.get("nanodet-coco", "cpu", LoadOptions(dtype="float16"))
    with pytest.raises(InputError, match=r"whisper-tiny\.en has no CPU offload"):
        cache.get("whisper-tiny.en", "cpu", LoadOptions(offload="model"))
    fp32 = cache.get("whisper-tiny.en", "cpu", LoadOptions(dtype="float32"))
    assert fp32.model.model.compute_type == "float32"


def test_the_default_asr_model_is_one_that_can_serve_the_request(tmp_path: Path) -> None:
    from studio.speech import TranscribeOptions, resolve_asr_spec

    for name in ("english", "polyglot"):
        (tmp_path / name).mkdir()
    english = ModelSpec("english", "asr", "x:Y", f"path:{tmp_path / 'english'}", "MIT", "asr", 1, True, priority=10,
                        languages=("en",), params={"backend": "b"})  # fmt: skip
    polyglot = ModelSpec("polyglot", "asr", "x:Y", f"path:{tmp_path / 'polyglot'}", "MIT", "asr", 1, True, priority=1,
                         capabilities=("translate",), params={"backend": "b"})  # fmt: skip
    registry, settings = Registry([english, polyglot]), _settings(tmp_path, 1000)
    assert resolve_asr_spec(registry, settings, None, None).name == "english"  # the best installed
    for options in (TranscribeOptions(task="translate"), TranscribeOptions(language="de")):
        assert resolve_asr_spec(registry, settings, None, None, options).name == "polyglot"


def test_a_model_in_use_is_never_idle_and_idles_from_its_release(tmp_path: Path) -> None:
    now = [100.0]
    loader = CountingLoader()
    cache = ModelCache(_registry(100, 100), _settings(tmp_path, 1000), loader=loader, clock=lambda: now[0])
    with cache.in_use():
        cache.get("m0")
        now[0] += 1000.0  # a job longer than the idle limit
        assert cache.unload_idle(20.0) == [] and loader.closed == []
        assert cache.resident()[0]["in_use"] and cache.resident()[0]["idle_s"] == 0
        with pytest.raises(Busy, match="m0 is in use by a running job; unload it once the job has ended"):
            cache.unload("m0")
        assert cache.loaded() == [("m0", "cpu", DEFAULT)]
    now[0] += 19.0
    assert cache.unload_idle(20.0) == []  # idle for 19 s since the job let it go
    now[0] += 1.0
    assert cache.unload_idle(20.0) == [("m0", "cpu", DEFAULT)] and loader.closed == ["m0"]


def test_loading_beside_a_running_job_never_evicts_its_model(tmp_path: Path) -> None:
    loader = CountingLoader()
    cache = ModelCache(_registry(400, 400, 400), _settings(tmp_path, 500), loader=loader)
    holding, done = threading.Event(), threading.Event()

    def job() -> None:
        with cache.in_use():
            cache.get("m0")
            holding.set()
            assert done.wait(10)

    worker = threading.Thread(target=job)
    worker.start()
    try:
        assert holding.wait(10)
        cache.get("m1")  # the Models tab loads another model: over the budget, but m0 is in use
        assert cache.loaded() == [("m0", "cpu", DEFAULT), ("m1", "cpu", DEFAULT)] and loader.closed == []
    finally:
        done.set()
        worker.join(10)
    cache.get("m2")  # the job has ended: now the least recently used go
    assert loader.closed == ["m1", "m0"] and cache.loaded() == [("m2", "cpu", DEFAULT)]


def _hub_spec() -> ModelSpec:
    return ModelSpec("tiny", "embed", "x:Y", "hub:org/tiny", "MIT", "dev", 1, False)


def test_a_broken_hugging_face_cache_says_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    settings = _settings(tmp_path, 1000)
    spec = _hub_spec()
    assert spec.weights_path(settings) is None and spec.weights_problem(settings) == ""  # plainly not installed
    with pytest.raises(ModelUnavailable, match=r"its weights \(hub:org/tiny\) are not installed"):
        load_model(spec, "cpu", settings)

    storage = tmp_path / "hub" / "models--org--tiny"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (storage / "refs").mkdir(parents=True)
    (storage / "refs" / "main").write_text(commit)
    problem = spec.weights_problem(settings)
    assert problem == (
        f"the Hugging Face cache of org/tiny is broken: refs/main names commit {commit[:12]}, "
        f"which has no snapshot in {storage}"
    )
    assert not spec.is_installed(settings)
    with pytest.raises(ModelUnavailable, match="the Hugging Face cache of org/tiny is broken") as caught:
        load_model(spec, "cpu", settings)
    assert "not installed" not in str(caught.value)

    (storage / "refs" / "main").unlink()
    (storage / "refs" / "main").mkdir()  # a ref that cannot be read
    assert spec.weights_problem(settings).startswith("the Hugging Face cache of org/tiny cannot be read (")
    assert spec.weights_path(settings) is None and not spec.is_installed(settings)

    (storage / "refs" / "main").rmdir()
    (storage / "refs" / "main").write_text(commit)
    (storage / "snapshots" / commit).mkdir(parents=True)
    (storage / "snapshots" / commit / "config.json").write_text("{}")
    assert spec.weights_path(settings) == storage / "snapshots" / commit and spec.weights_problem(settings) == ""
