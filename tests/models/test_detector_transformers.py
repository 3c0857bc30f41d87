"""The Hugging Face detector adapter, offline, on tiny random-weight models built from configs.

The same loading code serves RT-DETR, DETR and OWLv2 checkpoints from the Hub; here each
architecture is built small under a fixed seed, saved to a folder, and loaded through the
registry like any installed model.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tiny_hub
import torch

from models.detector_transformers import SPECS
from studio.core import InputError, Settings
from studio.registry import ModelCache, Registry
from studio.vision import Detections, DetectorModel, TextQueryDetector

LABELS = {0: "person", 1: "cup", 2: "cat"}


def _rtdetr(folder: Path) -> None:
    from transformers import RTDetrConfig, RTDetrForObjectDetection, RTDetrImageProcessor, RTDetrResNetConfig

    backbone = RTDetrResNetConfig(embeddings_size=8, hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                                  out_features=["stage2", "stage3", "stage4"])  # fmt: skip
    config = RTDetrConfig(
        backbone_config=backbone, encoder_hidden_dim=16, encoder_in_channels=[16, 24, 32], feat_strides=[8, 16, 32],
        d_model=16, encoder_ffn_dim=16, decoder_ffn_dim=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, num_queries=10, decoder_in_channels=[16, 16, 16],
        num_feature_levels=3, decoder_n_points=2, num_denoising=0, id2label=LABELS,
        label2id={v: k for k, v in LABELS.items()},
    )  # fmt: skip
    RTDetrForObjectDetection(config).save_pretrained(folder)
    RTDetrImageProcessor(size={"height": 64, "width": 64}).save_pretrained(folder)


def _detr(folder: Path) -> None:
    from transformers import DetrConfig, DetrForObjectDetection, DetrImageProcessor, ResNetConfig

    backbone = ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 1, 1], out_features=["stage4"]
    )
    config = DetrConfig(
        use_timm_backbone=False, backbone_config=backbone, use_pretrained_backbone=False, d_model=16,
        encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
        encoder_ffn_dim=16, decoder_ffn_dim=16, num_queries=10, id2label=LABELS,
        label2id={v: k for k, v in LABELS.items()},
    )  # fmt: skip
    DetrForObjectDetection(config).save_pretrained(folder)
    DetrImageProcessor(size={"shortest_edge": 64, "longest_edge": 96}).save_pretrained(folder)


def _owlv2(folder: Path) -> None:
    from transformers import Owlv2Config, Owlv2ForObjectDetection, Owlv2ImageProcessor, Owlv2Processor

    tokenizer = tiny_hub.letter_tokenizer(folder)
    vocab_size = len(tokenizer.get_vocab())  # "!" pads with id 0: OWL masks queries whose first id is 0
    config = Owlv2Config(
        text_config={"vocab_size": vocab_size, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 16},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )  # fmt: skip
    Owlv2ForObjectDetection(config).save_pretrained(folder)
    Owlv2Processor(
        image_processor=Owlv2ImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer
    ).save_pretrained(folder)


BUILDERS = {"rtdetr-r18": _rtdetr, "detr-resnet-50": _detr, "owlv2-base": _owlv2}


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    root = tmp_path_factory.mktemp("tiny-detectors")
    specs = []
    for spec in SPECS:
        torch.manual_seed(0)
        BUILDERS[spec.name](root / spec.name)
        specs.append(replace(spec, source=f"path:{root / spec.name}", requires=("torch", "transformers")))
    settings = Settings(root, root / "models", root / "outputs", device="cpu")
    return ModelCache(Registry(specs), settings)


IMAGE = (np.random.default_rng(0).random((120, 200, 3)) * 255).astype(np.uint8)


@pytest.mark.parametrize("name", ["rtdetr-r18", "detr-resnet-50"])
def test_closed_set_detectors_load_and_return_boxes_in_frame_pixels(tiny_cache: ModelCache, name: str) -> None:
    detector = tiny_cache.get(name, kind=DetectorModel)
    assert not isinstance(detector, TextQueryDetector)  # a closed set cannot be asked for text
    (found,) = detector.detect([IMAGE], min_score=0.0)
    assert isinstance(found, Detections) and len(found) == 10  # one per query of the tiny model
    assert set(found.labels) <= set(LABELS.values())
    assert (found.xyxy >= 0).all() and (found.xyxy[:, [0, 2]] <= 200).all() and (found.xyxy[:, [1, 3]] <= 120).all()
    again = detector.detect([IMAGE, IMAGE[:60]], min_score=0.0)
    assert len(again) == 2 and np.allclose(again[0].xyxy, found.xyxy, atol=1e-3)  # batched == single, deterministic


def test_open_vocabulary_detector_labels_boxes_with_the_queries(tiny_cache: ModelCache) -> None:
    detector = tiny_cache.get("owlv2-base", kind=TextQueryDetector)
    assert not isinstance(detector, DetectorModel)  # it is asked in words, never for a fixed label set
    (found,) = detector.detect_queries([IMAGE], ("a red car", "a cat"), min_score=0.0)
    assert len(found) > 0 and set(found.labels) <= {"a red car", "a cat"}
    assert (found.xyxy[:, [0, 2]] <= 200).all() and (found.xyxy[:, [1, 3]] <= 120).all()
    with pytest.raises(InputError, match=r"needs text queries, e\.g\. --query "):
        detector.detect_queries([IMAGE], ())


def test_hub_detectors_are_registered_but_not_offline(tiny_cache: ModelCache) -> None:
    assert {s.name for s in SPECS} == set(BUILDERS)
    assert all(not s.offline and s.source.startswith("hub:") and s.license == "Apache-2.0" for s in SPECS)


def test_analyze_runs_an_open_vocabulary_query_through_the_pipeline(tiny_cache: ModelCache, tmp_path: Path) -> None:
    from studio import media
    from studio.vision import AnalyzeOptions, analyze

    with media.VideoWriter(tmp_path / "clip.mp4", fps=10) as writer:
        for _ in range(10):
            writer.write(IMAGE)
    options = AnalyzeOptions(
        fps=5, tasks=("detect", "track"), detector="owlv2-base", queries=("a cat",), min_score=0.01
    )
    timeline = analyze(tmp_path / "clip.mp4", options, cache=tiny_cache)
    assert timeline.metadata["detector"]["name"] == "owlv2-base"
    assert timeline.sample_times_s == pytest.approx((0.0, 0.2, 0.4, 0.6, 0.8))  # 1 s of video at 5 FPS
    assert all(track.label == "a cat" for track in timeline.tracks)
