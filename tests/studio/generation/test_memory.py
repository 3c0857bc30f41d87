"""The pre-flight memory estimate on a Wan 2.1 1.3B-shaped folder of safetensors headers only
(the released components' parameter counts, no tensor data): which phase peaks under each
offload, what is refused, and the settings the refusal names."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import pytest

from models.generate_diffusers import SPECS
from studio.core import InputError, OutOfMemory, Settings
from studio.generation import GenerateOptions, GenerationMemory, check_fits, resolve_request
from studio.registry import LoadOptions, ModelCache, Registry

EMBEDDING = 256384 * 4096  # UMT5-XXL's token embedding: the largest single tensor of Wan 2.1
# (component, tensors): parameter counts of the released Wan 2.1 T2V 1.3B, rounded
WAN = {
    "text_encoder": {"shared.weight": [256384, 4096], **{f"encoder.block.{i}": [192_937_984] for i in range(24)}},
    "transformer": {f"blocks.{i}": [47_266_667] for i in range(30)},
    "vae": {"decoder": [127_000_000]},
}


def _headers_only(folder: Path) -> Path:
    for part, tensors in WAN.items():
        (folder / part).mkdir(parents=True)
        header = json.dumps({name: {"dtype": "BF16", "shape": shape, "data_offsets": [0, 0]}
                             for name, shape in tensors.items()}).encode()  # fmt: skip
        (folder / part / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    (folder / "tokenizer").mkdir()
    return folder


@pytest.fixture
def wan(tmp_path: Path) -> tuple[ModelCache, GenerationMemory]:
    spec = next(spec for spec in SPECS if spec.name == "wan2.1-t2v-1.3b")
    spec = dataclasses.replace(spec, source=f"path:{_headers_only(tmp_path / 'wan')}")
    settings = Settings(tmp_path, tmp_path / "m", tmp_path / "o", device="cuda", generate_memory_mb=8000)
    return ModelCache(Registry([spec]), settings), GenerationMemory.of(spec, tmp_path / "wan")


def _request(**options: object):  # type: ignore[no-untyped-def]
    spec = next(spec for spec in SPECS if spec.name == "wan2.1-t2v-1.3b")
    return resolve_request("a cat", GenerateOptions(**options), spec.params, 1)  # type: ignore[arg-type]


def test_each_offload_peaks_where_its_largest_resident_set_is(wan: tuple[ModelCache, GenerationMemory]) -> None:
    _, memory = wan
    request = _request()  # 81 frames of 832x480: 21 x 30 x 52 latent tokens
    assert memory.tokens(request) == 32760
    none, model, sequential = (memory.estimate(request, LoadOptions(offload=o), "cuda") for o in
                               ("none", "model", "sequential"))  # fmt: skip
    assert none.phase == "denoising" and 13_000 < none.weights_mb < 14_000  # every component, 2 bytes each
    assert model.phase == "text encoding" and 10_000 < model.peak_mb < 11_000  # UMT5 alone on the GPU
    assert sequential.weights_mb == pytest.approx(EMBEDDING * 2 / 2**20)  # one tensor at a time
    assert none.peak_mb > model.peak_mb > sequential.peak_mb
    assert 1000 < none.working_mb < 1300  # 32760 tokens x (6 x 1536 + 8960) x 2 bytes
    on_cpu = memory.estimate(request, LoadOptions(offload="model"), "cpu")  # a CPU holds every weight anyway
    assert on_cpu.weights_mb == pytest.approx(2 * none.weights_mb)  # and in float32
    math = memory.estimate(request, LoadOptions(attention="_native_math"), "cuda")
    assert math.working_mb > 20 * none.working_mb  # the heads x tokens^2 score matrix


def test_a_request_that_cannot_fit_is_refused_naming_settings_that_would(
    wan: tuple[ModelCache, GenerationMemory],
) -> None:
    cache, _ = wan
    spec = cache.registry.get("wan2.1-t2v-1.3b")
    with pytest.raises(OutOfMemory) as refused:
        check_fits(spec, _request(), "cuda", None, cache)
    message = str(refused.value)
    assert "needs about 14.6 GB on cuda for 81 frames of 832x480 in bfloat16" in message
    assert "7.8 GB is available" in message and "\n" not in message
    assert "would fit: --offload sequential (about 3." in message and "--offload model (" not in message
    check_fits(spec, _request(), "cuda", LoadOptions(offload="sequential"), cache)  # fits: no error
    roomy = dataclasses.replace(cache.settings, generate_memory_mb=12_000)
    with pytest.raises(OutOfMemory, match=r"would fit: --offload model \(about 10\.\d GB\)"):
        check_fits(spec, _request(), "cuda", None, ModelCache(cache.registry, roomy))
    tight = ModelCache(cache.registry, dataclasses.replace(cache.settings, generate_memory_mb=2600))
    with pytest.raises(OutOfMemory) as smaller:  # sequential offload alone is not enough: fewer frames too
        check_fits(spec, _request(width=1280, height=720), "cuda", LoadOptions(offload="sequential"), tight)
    assert "--frames " in str(smaller.value) and "--width " in str(smaller.value)
    float32 = LoadOptions(dtype="float32")
    with pytest.raises(OutOfMemory, match="would fit: --dtype bfloat16 --offload sequential"):
        check_fits(spec, _request(), "cuda", float32, cache)
    assert cache.stats.loads == 0


def test_the_available_memory_comes_from_the_setting_when_given() -> None:
    settings = Settings.from_env({"MEDIA_STUDIO_HOME": "/tmp/x", "MEDIA_STUDIO_GENERATE_MEMORY_MB": "24000"})
    assert settings.generate_memory_mb == 24000
    assert Settings.from_env({"MEDIA_STUDIO_HOME": "/tmp/x"}).generate_memory_mb is None
    with pytest.raises(InputError, match="expected a positive generation memory in MB, got 0"):
        Settings.from_env({"MEDIA_STUDIO_HOME": "/tmp/x", "MEDIA_STUDIO_GENERATE_MEMORY_MB": "0"})
    with pytest.raises(InputError, match="MEDIA_STUDIO_GENERATE_MEMORY_MB: expected whole megabytes"):
        Settings.from_env({"MEDIA_STUDIO_HOME": "/tmp/x", "MEDIA_STUDIO_GENERATE_MEMORY_MB": "lots"})
