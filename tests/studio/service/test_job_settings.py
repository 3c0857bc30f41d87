"""Each job kind's settings, typed: the page's form and the agent's tools read to the same value,
the value a job stores comes back equal, survives a restart and runs, and bad values are refused
in the same words as before."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from studio.core import InputError, Settings, from_data, to_data
from studio.registry import ModelCache, ModelSpec, Registry
from studio.service import (
    AnalyzeSettings,
    GenerateSettings,
    InstallSettings,
    Job,
    JobRunner,
    LoadSettings,
    StorySettings,
    StudioJobs,
    TranscribeSettings,
)

SCRIPT = "seed: 7\nshots:\n  - prompt: a red car at night\n  - prompt: the car at the sea\n"
ZONES = ("door:0,0,100,0,100,100", "exit:0,0,10,0,10,10")

# kind -> (what the page's form sends, what ui/agent_tools.py sends, the typed value both mean).
# The page: ui/<kind>_tab.py's submit function (a NumberField sends a float, or with precision 0 an
# int; "auto" and "script" become None there). The agent: the MCP tool of the same name (defaults
# "auto", -1, 0; _chosen() makes "auto" None). Install and load have no tool: an API client's dict.
FACES: dict[str, tuple[dict[str, Any], dict[str, Any], Any]] = {
    "analyze": (
        {"tasks": ["detect", "track", "speech"], "fps": 3.0, "detector": None, "labels": "person, car",
         "queries": "", "zones": "\n".join(ZONES), "lines": "", "detect_every": 2},
        {"tasks": ["detect", "track", "speech"], "fps": 3, "detector": None, "labels": "person,car\n",
         "queries": "", "zones": f" {ZONES[0]}\n\n{ZONES[1]}\n", "lines": "", "detect_every": 2.0},
        AnalyzeSettings(tasks=("detect", "track", "speech"), fps=Fraction(3), labels=("person", "car"), zones=ZONES,
                        detect_every=2),
    ),
    "transcribe": (
        {"model": None, "backend": "faster-whisper", "language": "DE", "task": "translate", "vad": False,
         "word_cues": True},
        {"model": None, "backend": "faster-whisper", "language": "de", "task": "translate", "vad": False,
         "word_cues": True},
        TranscribeSettings(backend="faster-whisper", language="de", task="translate", vad=False, word_cues=True),
    ),
    "generate": (
        {"prompt": "a red car", "negative_prompt": "", "model": None, "seed": 7, "steps": 0, "guidance_scale": -1.0,
         "width": 64, "height": 0, "frames": 0, "fps": 0, "dtype": "float16", "offload": "model", "loras": "",
         "attention": None, "compile": False},
        {"prompt": "a red car", "negative_prompt": "", "model": None, "seed": 7, "steps": 0, "guidance_scale": -1,
         "width": 64, "height": 0, "frames": 0, "fps": 0, "dtype": "float16", "offload": "model"},
        GenerateSettings(prompt="a red car", seed=7, width=64, dtype="float16", offload="model"),
    ),
    "story": (
        {"script": SCRIPT, "model": None, "seed": -1, "subtitles": None, "transition": "crossfade", "dtype": None,
         "offload": "none"},
        {"script": SCRIPT, "model": None, "seed": -1, "dtype": None, "subtitles": None, "transition": "crossfade",
         "offload": "none"},
        StorySettings(script=SCRIPT, transition="crossfade"),
    ),
    "install": (
        {"names": "first,\nsecond"},  # an API client's text
        {"names": ["first", " second "]},  # and its list
        InstallSettings(names=("first", "second")),
    ),
    "load": (
        {"model": " m0 "},  # the Models tab's dropdown
        {"model": "m0"},
        LoadSettings("m0"),
    ),
}  # fmt: skip

PARSERS: dict[str, Any] = {"analyze": AnalyzeSettings, "transcribe": TranscribeSettings, "generate": GenerateSettings,
                           "story": StorySettings, "install": InstallSettings, "load": LoadSettings}  # fmt: skip

# the keys a job of each kind stores: what the UI's restore(job) and the Jobs tab read
STORED_KEYS = {
    "analyze": {"tasks", "fps", "detector", "labels", "queries", "zones", "lines", "detect_every", "min_score",
                "max_side", "annotate"},
    "transcribe": {"model", "backend", "language", "task", "vad", "word_cues", "beam_size"},
    "generate": {"prompt", "negative_prompt", "seed", "steps", "guidance_scale", "width", "height", "frames", "fps",
                 "loras", "dtype", "offload", "attention", "compile", "model", "score"},
    "story": {"script", "model", "seed", "subtitles", "transition", "input_names", "dtype", "offload", "attention",
              "compile", "score"},
    "install": {"names", "offline_defaults"},
    "load": {"model"},
}  # fmt: skip


@pytest.mark.parametrize("kind", list(FACES))
def test_the_page_and_the_agent_send_the_same_settings(kind: str) -> None:
    page, agent, meant = FACES[kind]
    parse = PARSERS[kind]
    assert parse.from_form(page) == meant
    assert parse.from_form(agent) == meant


@pytest.mark.parametrize("kind", list(FACES))
def test_stored_settings_come_back_equal(kind: str) -> None:
    """What a job stores is JSON with today's keys; a run reads it back equal, whatever the
    runner added beside it."""
    meant = FACES[kind][2]
    stored = json.loads(json.dumps(to_data(meant)))
    assert set(stored) == STORED_KEYS[kind]
    beside = {"inputs": {"video": "video.mp4"}, "input_names": {"video": "clip.mp4"}} if kind != "story" else {}
    back = from_data(type(meant), {**stored, **beside})
    assert back == meant
    assert to_data(back) == stored


def test_stored_values_keep_their_types() -> None:
    """Lists come back as tuples, the analysis rate as an exact Fraction, names as a dict."""
    exact = replace(FACES["analyze"][2], fps=Fraction(30000, 1001))
    analysis = from_data(AnalyzeSettings, json.loads(json.dumps(to_data(exact))))
    assert analysis.fps == Fraction(30000, 1001) and isinstance(analysis.fps, Fraction)
    assert isinstance(analysis.labels, tuple) and isinstance(analysis.zones, tuple)
    assert to_data(analysis)["fps"] == "30000/1001"
    story = StorySettings(script=SCRIPT, input_names={"image0": "start.png"})
    assert from_data(StorySettings, json.loads(json.dumps(to_data(story)))).input_names == {"image0": "start.png"}


def test_typed_settings_build_the_pipelines_options(tmp_path: Path) -> None:
    analysis = FACES["analyze"][2].analyze_options()
    assert analysis.tasks == ("detect", "track") and analysis.fps == 3 and analysis.detect_every == 2
    assert analysis.labels == ("person", "car") and sorted(analysis.zones) == ["door", "exit"]
    assert AnalyzeSettings().analyze_options().fps == 5  # None: the analysis's own default
    speech = FACES["transcribe"][2].transcribe_options()
    assert (speech.language, speech.task, speech.vad, speech.word_timestamps) == ("de", "translate", False, True)
    lora = tmp_path / "style.safetensors"
    lora.write_bytes(b"x")
    chosen = GenerateSettings.from_form({"prompt": "a cat", "loras": f"{lora}:0.5\n\n", "guidance_scale": 0})
    options = chosen.generate_options()
    assert options.loras == ((str(lora), 0.5),) and options.guidance_scale == 0.0 and options.seed is None
    assert chosen.loras == (f"{lora}:0.5",)  # stored as the lines the form showed
    assert FACES["generate"][2].load_options().offload == "model"
    story = FACES["story"][2].story({})
    assert story.seed == 7 and story.transition == "crossfade"  # the script's seed, the form's transition
    assert StorySettings.from_form({"script": SCRIPT, "seed": 0}).story({}).seed == 0


# -- stored jobs survive a restart, and run from their typed settings --------------------------
def _settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path, tmp_path / "models", tmp_path / "outputs", device="cpu", memory_budget_mb=1000)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A ``module:function`` installer that records the models it installs, in order."""
    names: list[str] = []

    def install(spec: ModelSpec, settings: Settings) -> Path:
        folder = settings.models_dir / spec.name
        folder.mkdir(parents=True)
        names.append(spec.name)
        return folder

    module = types.ModuleType("typed_settings_installers")
    module.install = install  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "typed_settings_installers", module)
    return names


def _queued_then_run_after_a_restart(tmp_path: Path, cache: ModelCache, kind: str, settings: dict[str, Any]) -> Job:
    """Submit to a runner that never starts (the job stays queued), then let a new runner over
    the same folder run it; the job as it ended, done."""
    stopped = JobRunner(tmp_path / "root", StudioJobs(_cache=cache).kinds())
    job = stopped.submit(kind, settings)
    stopped.close()
    runner = JobRunner(tmp_path / "root", StudioJobs(_cache=cache).kinds()).start()
    try:
        ended = runner.wait(job.id, 10)
    finally:
        runner.close()
    assert ended.status == "done", ended.error
    return ended


def test_a_queued_install_survives_a_restart_and_runs_from_its_typed_settings(
    tmp_path: Path, installed: list[str]
) -> None:
    installer = "typed_settings_installers:install"
    specs = [ModelSpec(name, "embed", "x:Y", f"home:{name}", "MIT", "dev", 10, True, installer=installer)
             for name in ("first", "second", "third")]  # fmt: skip
    cache = ModelCache(Registry(specs), _settings(tmp_path), loader=lambda *args: None)
    ended = _queued_then_run_after_a_restart(tmp_path, cache, "install", {"names": "second,\nfirst"})
    assert installed == ["second", "first"]  # the names as given, in order, and only those
    assert ended.summary["installed"].keys() == {"second", "first"}
    assert ended.settings == {"names": ["second", "first"], "offline_defaults": False, "inputs": {},
                              "input_names": {}}  # fmt: skip
    assert from_data(InstallSettings, ended.settings) == InstallSettings(names=("second", "first"))


def test_a_queued_load_survives_a_restart_and_loads_the_name_it_stored(tmp_path: Path) -> None:
    loaded: list[str] = []

    def loader(spec: ModelSpec, *args: Any) -> object:
        loaded.append(spec.name)
        return types.SimpleNamespace(memory_mb=10, close=lambda: None)

    specs = [ModelSpec(name, "embed", "x:Y", f"home:{name}", "MIT", "dev", 10, True) for name in ("m0", "m1")]
    cache = ModelCache(Registry(specs), _settings(tmp_path), loader=loader)
    ended = _queued_then_run_after_a_restart(tmp_path, cache, "load", {"model": "  m1 "})
    assert loaded == ["m1"] and ended.summary == {"loaded": "m1"}
    assert from_data(LoadSettings, ended.settings) == LoadSettings("m1")


# -- refusals, in today's words, before anything is stored ---------------------------------------
REFUSED = [
    ("analyze", {"detect_every": 1.5}, "expected a whole number for detect_every, got 1.5"),
    ("analyze", {"min_score": 2}, "expected 0 < min_score (--min-score) < 1, got 2"),
    ("transcribe", {"beam_size": "many"}, "expected a whole number for beam_size, got 'many'"),
    ("transcribe", {"language": "Klingon"},
     "unsupported language code 'klingon'; expected one of Whisper's, e.g. en, es, de"),
    ("generate", {"prompt": "a cat", "steps": 2.5}, "expected a whole number for steps, got 2.5"),
    ("generate", {"prompt": "a cat", "offload": "disk"}, "expected offload one of none, model, sequential, got 'disk'"),
    ("story", {"script": SCRIPT, "seed": "x"}, "expected a whole number for seed, got 'x'"),
    ("install", {}, "name one or more models to install, or ask for the offline defaults"),
    ("install", {"names": " ,\n "}, "name one or more models to install, or ask for the offline defaults"),
    ("load", {"model": "  "}, "pick a model to load"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "settings", "message"), REFUSED, ids=[f"{k}-{m[:30]}" for k, _, m in REFUSED])
def test_bad_settings_are_refused_in_the_same_words(
    kind: str, settings: dict[str, Any], message: str, tmp_path: Path
) -> None:
    cache = ModelCache(Registry([]), _settings(tmp_path), loader=lambda *args: None)
    runner = JobRunner(tmp_path / "root", StudioJobs(_cache=cache).kinds())
    try:
        with pytest.raises(InputError) as refused:
            runner.submit(kind, settings)
        assert str(refused.value) == message
        assert runner.store.rows() == []  # nothing was stored
    finally:
        runner.close()
