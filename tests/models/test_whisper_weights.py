"""The CTranslate2 -> openai-whisper converter, on the real offline checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.whisper_weights import BASE_MODEL_BYTES, ctranslate2_to_openai, read_ctranslate2
from studio.registry import default_cache


def _weights(name: str) -> Path:
    path = default_cache().registry.get(name).weights_path(default_cache().settings)
    assert path is not None, f"{name} is not installed: run `make setup`"
    return path


def test_base_was_joined_from_its_two_packages_at_the_published_size() -> None:
    assert (_weights("whisper-base") / "model.bin").stat().st_size == BASE_MODEL_BYTES


@pytest.mark.parametrize(("name", "layers", "vocab"), [("whisper-tiny.en", 4, 51864), ("whisper-base", 6, 51865)])
def test_converted_checkpoint_loads_strictly_into_openai_whisper(name: str, layers: int, vocab: int) -> None:
    import torch
    from whisper.model import ModelDimensions, Whisper

    checkpoint = ctranslate2_to_openai(_weights(name))
    dims = checkpoint["dims"]
    assert (dims["n_audio_layer"], dims["n_text_layer"], dims["n_vocab"], dims["n_mels"]) == (layers, layers, vocab, 80)
    model = Whisper(ModelDimensions(**dims))
    state = {k: torch.from_numpy(v) for k, v in checkpoint["model_state_dict"].items()}
    model.load_state_dict(state, strict=True)  # every tensor present, none extra, shapes right
    assert len(checkpoint["alignment_heads"]) > 0


def test_fused_attention_is_split_exactly() -> None:
    variables = read_ctranslate2(_weights("whisper-tiny.en") / "model.bin")
    state = ctranslate2_to_openai(_weights("whisper-tiny.en"))["model_state_dict"]
    fused = variables["encoder/layer_0/self_attention/linear_0/weight"].astype(np.float32)
    width = fused.shape[1]
    assert np.array_equal(state["encoder.blocks.0.attn.query.weight"], fused[:width])
    assert np.array_equal(state["encoder.blocks.0.attn.key.weight"], fused[width : 2 * width])
    assert np.array_equal(state["encoder.blocks.0.attn.value.weight"], fused[2 * width :])
    assert "encoder.blocks.0.attn.key.bias" not in state
    key_bias = variables["encoder/layer_0/self_attention/linear_0/bias"][width : 2 * width]
    assert not np.any(key_bias)  # CTranslate2 stores zeros where Whisper has no key bias
