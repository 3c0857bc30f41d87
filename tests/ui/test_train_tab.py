"""The Train tab's door for programs (``/train``) and its MCP tool, on a real in-process server:
a bad folder is refused at once with the studio's one line, a good one trains as a job.

The clips are moving textures (:mod:`studio.vision.training.synthetic`); the features are the
pixels' edge directions (:class:`~studio.vision.training.synthetic.OrientationEmbedder`), so the
job runs in seconds."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from gradio_client import Client

from studio.core import Settings
from studio.registry import LoadOptions, ModelCache, ModelSpec, Registry, load_model
from studio.vision.training import FEATURE_KINDS, TRAINING_TASKS
from studio.vision.training.synthetic import OrientationEmbedder, make_training_folder
from ui import agent_tools
from ui.launch import ServeOptions, launch
from ui.service import StudioService
from ui.train_tab import FEATURE_CHOICES, TASK_CHOICES, train_summary

EMBEDDER = ModelSpec(
    name="orientation-test", task="classify", adapter="studio.vision.training.synthetic:OrientationEmbedder",
    source="path:/", license="MIT", extra="understand", memory_mb=1, offline=True, capabilities=("embed",),
)  # fmt: skip


def _free_port() -> int:
    """A port the system hands out (never the 7860-7999 range other servers here use)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, root: Path) -> None:
        home = root / "home"
        settings = Settings(home=home, models_dir=home / "models", outputs_dir=root / "outputs", device="cpu")

        def loader(spec: ModelSpec, device: str, settings: Settings, options: LoadOptions) -> Any:
            return OrientationEmbedder() if spec.name == EMBEDDER.name else load_model(spec, device, settings, options)

        self.cache = ModelCache(Registry([EMBEDDER]), settings, loader=loader)
        self.service = StudioService.create(settings, cache=self.cache)
        self.demo, self.url = launch(ServeOptions(port=_free_port()), service=self.service, block=False)
        self.client = Client(self.url, verbose=False)

    def close(self) -> None:
        self.demo.close()
        self.service.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = Served(tmp_path_factory.mktemp("train-app"))
    yield running
    running.close()


def _wait(served: Served, job_id: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = served.client.predict(job_id, api_name="/job_status")
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_the_tabs_choices_are_the_trainers() -> None:
    assert tuple(FEATURE_CHOICES) == FEATURE_KINDS and tuple(TASK_CHOICES) == tuple(TRAINING_TASKS)
    assert get_args(agent_tools.TrainFeatures) == FEATURE_KINDS and get_args(agent_tools.TrainTask) == tuple(
        TASK_CHOICES
    )


def test_train_through_the_api_and_the_agent_tool(served: Served, tmp_path: Path) -> None:
    datasets = served.service.settings.datasets
    with pytest.raises(Exception, match=r"training folder .*nowhere does not exist") as refused:
        served.client.predict("nowhere", "mine", "frames", "action", "auto", 0, False, api_name="/train")
    assert "\n" not in str(refused.value).strip()
    make_training_folder(tmp_path / "outside", clips=2, seed=5)  # a real folder of clips, but not the server's
    (datasets / "escape").mkdir(parents=True)
    (datasets / "escape" / "link").symlink_to(tmp_path / "outside")
    for elsewhere in (str(tmp_path / "outside"), "../../outside", "escape/link", "/etc"):
        with pytest.raises(Exception, match=r"the server trains only on folders inside its datasets folder"):
            served.client.predict(elsewhere, "mine", "frames", "action", "auto", 0, False, api_name="/mcp_train")
    folder = datasets / "clips"
    make_training_folder(folder, clips=4, seed=5)
    (folder / "rings" / "broken.mp4").write_bytes(b"\x00not a video" * 50)
    with pytest.raises(Exception, match=r"cannot train on .*rings/broken\.mp4: "):  # the agent's door refuses alike
        served.client.predict(str(folder), "mine", "frames", "action", EMBEDDER.name, 4, False, api_name="/mcp_train")
    (folder / "rings" / "broken.mp4").unlink()
    job = served.client.predict("clips", "mine", "frames", "scene", EMBEDDER.name, 4, False, api_name="/train")
    ended = _wait(served, job["id"])
    assert ended["status"] == "done", ended["error"]
    summary = ended["summary"]
    assert summary["labels"] == ["checks", "rings", "stripes"] and summary["accuracy"] >= 0.9
    shown = train_summary(summary)
    assert "cross-validated accuracy" in shown and "| rings |" in shown and "--scenes mine" in shown
    assert served.cache.registry.get("mine").task == "classify"
    with pytest.raises(Exception, match="a trained model named 'mine' already exists"):
        served.client.predict(str(folder), "mine", "frames", "action", EMBEDDER.name, 4, False, api_name="/mcp_train")
    again = json.loads(served.client.predict(str(folder), "mine", "frames", "action", EMBEDDER.name, 4, True,
                                             api_name="/mcp_train"))  # fmt: skip
    assert again["kind"] == "train" and _wait(served, again["id"])["summary"]["task"] == "action"
