from __future__ import annotations

from pathlib import Path

import pytest

from studio.core import InputError, Settings


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


def test_auto_device_follows_what_torch_sees(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    settings = Settings.from_env({})
    for available, expected in ((True, "cuda"), (False, "cpu")):
        fake = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda available=available: available))
        monkeypatch.setitem(sys.modules, "torch", fake)
        assert settings.resolve_device() == expected
    assert Settings.from_env({"MEDIA_STUDIO_DEVICE": "cpu"}).resolve_device() == "cpu"


def test_limits_come_from_the_environment_and_are_checked() -> None:
    settings = Settings.from_env({"MEDIA_STUDIO_MAX_PIXELS": "1000", "MEDIA_STUDIO_MAX_DURATION_S": "2.5",
                                  "MEDIA_STUDIO_MAX_FILE_MB": "7"})  # fmt: skip
    assert (settings.max_pixels, settings.max_duration_s, settings.max_file_mb) == (1000, 2.5, 7)
    for env, message in (({"MEDIA_STUDIO_MAX_PIXELS": "99999999999999"}, "max pixels <= 2147483647"),
                         ({"MEDIA_STUDIO_MAX_DURATION_S": "nan"}, "expected a number"),
                         ({"MEDIA_STUDIO_MAX_FILE_MB": "0"}, "positive media limits")):  # fmt: skip
        with pytest.raises(InputError, match=message):
            Settings.from_env(env)
