"""Tiny random-weight transformers models saved to local folders, for the hub adapters' tests:
built from configs with a fixed seed, so a test loads them with ``HF_HUB_OFFLINE=1`` through the
adapter's real ``from_pretrained`` path (``source="path:..."``), never from the Hub."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from studio.core import Settings
from studio.registry import ModelCache, ModelSpec, Registry

__all__ = ["clip", "dino", "letter_tokenizer", "tiny_cache", "xclip"]

LETTERS = "abcdefghijklmnopqrstuvwxyz"
TOWER = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2}


def letter_tokenizer(folder: Path, extra: Sequence[str] = ()) -> Any:
    """A CLIP tokenizer whose BPE knows single letters only (``!`` pads: id 0), saved in ``folder``;
    ``extra`` pieces come after the three special tokens."""
    from transformers import CLIPTokenizer

    vocab = {"!": 0, "<|startoftext|>": 1, "<|endoftext|>": 2}
    for piece in extra:
        vocab[piece] = len(vocab)
    for letter in LETTERS:
        vocab[letter] = len(vocab)
        vocab[letter + "</w>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), pad_token="!")


def tiny_cache(
    root: Path,
    specs: Sequence[ModelSpec],
    builders: Mapping[str, Callable[[Path], None]],
    params: Mapping[str, Any] | None = None,
    more: Callable[[list[ModelSpec]], list[ModelSpec]] | None = None,
) -> ModelCache:
    """A CPU cache over ``specs``, each pointed at its tiny model built by ``builders[name]`` under
    ``root`` (seed 0 each), with ``params`` added to its own; ``more`` adds specs made from those."""
    import torch

    built = []
    for spec in specs:
        torch.manual_seed(0)
        builders[spec.name](root / spec.name)
        built.append(replace(spec, source=f"path:{root / spec.name}", params={**spec.params, **(params or {})}))
    settings = Settings(root, root / "models", root / "outputs", device="cpu")
    return ModelCache(Registry([*built, *(more(built) if more else [])]), settings)


def clip(folder: Path) -> None:
    """A CLIP of 16-wide towers on 32 px pictures with a letter tokenizer, saved in ``folder``."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    tokenizer = letter_tokenizer(folder, extra=(".", ".</w>"))
    vocab_size = len(tokenizer.get_vocab())
    config = CLIPConfig(
        text_config={**TOWER, "vocab_size": vocab_size, "max_position_embeddings": 40, "pad_token_id": 0,
                     "bos_token_id": 1, "eos_token_id": 2},  # CLIP pools the text at its end token
        vision_config={**TOWER, "image_size": 32, "patch_size": 8}, projection_dim=12,
    )  # fmt: skip
    CLIPModel(config).save_pretrained(folder)
    pictures = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=pictures, tokenizer=tokenizer).save_pretrained(folder)


def xclip(folder: Path) -> None:
    """An X-CLIP of 16-wide towers reading 6 frames of 32 px, with a letter tokenizer, saved in ``folder``."""
    from transformers import VideoMAEImageProcessor, XCLIPConfig, XCLIPModel, XCLIPProcessor

    tokenizer = letter_tokenizer(folder)
    vocab_size = len(tokenizer.get_vocab())
    config = XCLIPConfig(
        text_config={"vocab_size": vocab_size, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 40},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 16, "num_frames": 6, "mit_hidden_size": 16,
                       "mit_intermediate_size": 32, "mit_num_attention_heads": 2},
        projection_dim=16, prompt_num_attention_heads=2,
    )  # fmt: skip
    XCLIPModel(config).save_pretrained(folder)
    processor = VideoMAEImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    XCLIPProcessor(image_processor=processor, tokenizer=tokenizer).save_pretrained(folder)


def dino(folder: Path) -> None:
    """A ViT of 16-wide layers on 32 px pictures in 8 px patches, without a pooler (as DINO's), saved in ``folder``."""
    from transformers import ViTConfig, ViTModel

    ViTModel(ViTConfig(**TOWER, image_size=32, patch_size=8), add_pooling_layer=False).save_pretrained(folder)
