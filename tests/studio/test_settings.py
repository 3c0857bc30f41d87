from __future__ import annotations

from pathlib import Path

import pytest

from studio.errors import InputError
from studio.settings import Settings


def test_defaults_live_under_the_home_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"MEDIA_STUDIO_HOME": str(tmp_path)})
    assert settings.models_dir == tmp_path / "models"
    assert settings.outputs_dir == tmp_path / "outputs"
    assert settings.device == "auto" and settings.memory_budget_mb == 8192


def test_every_setting_comes_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "MEDIA_STUDIO_HOME": str(tmp_path),
        "MEDIA_STUDIO_MODELS": str(tmp_path / "weights"),
        "MEDIA_STUDIO_OUTPUTS": str(tmp_path / "jobs"),
        "MEDIA_STUDIO_DEVICE": "CUDA:1",
        "MEDIA_STUDIO_MEMORY_MB": "2048",
    })  # fmt: skip
    assert settings.models_dir == tmp_path / "weights"
    assert settings.outputs_dir == tmp_path / "jobs"
    assert settings.device == "cuda:1" and settings.resolve_device() == "cuda:1"
    assert settings.memory_budget_mb == 2048


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEDIA_STUDIO_DEVICE": "tpu"}, "expected device auto, cpu, cuda"),
        ({"MEDIA_STUDIO_MEMORY_MB": "lots"}, "expected whole megabytes"),
        ({"MEDIA_STUDIO_MEMORY_MB": "-5"}, "positive memory budget"),
    ],
)
def test_bad_values_are_input_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        Settings.from_env(env)


def test_auto_device_on_a_machine_without_cuda() -> None:
    torch = pytest.importorskip("torch")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert Settings.from_env({}).resolve_device() == expected
