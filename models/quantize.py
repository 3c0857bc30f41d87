"""Static int8 for CPU: ONNX Runtime QDQ quantization of a float32 detector graph, calibrated offline.

:func:`quantize_qdq` turns a float32 graph into a QDQ graph (QuantizeLinear /
DequantizeLinear pairs around the operators, which ONNX Runtime's CPU provider fuses into
integer kernels such as QLinearConv). The adapter that owns the graph passes its own input
preparation (``prepare``), so this helper imports no adapter: NanoDet's int8 build is
:func:`models.detector_nanodet.quantize_nanodet`, which on 2 cores of an AVX-512 VNNI CPU runs
a frame in about half the time of the float32 graph and keeps its F1 on the labelled scenes.

Activation ranges come from calibration frames made here, offline and always the same:
scikit-image's photographs (whole, mirrored and cropped at seeded places) and synthetic
scenes drawn with another seed and in other frame shapes than the evaluation scenes
(:func:`evaluations.synthetic_scenes.labelled_scenes` with its defaults), so accuracy
measured there is not flattered by calibrating on it. Each frame is prepared exactly as the
adapter prepares it for inference (``prepare``).

Before quantizing, every Pad is folded into the Conv or MaxPool after it (their own padding
fills with the same value: 0, and -inf before the stem's MaxPool). Left in, each Pad runs in
float32 between a DequantizeLinear and a QuantizeLinear, and the -inf one has no int8 range
at all: calibrated, it breaks the scales after it. The output heads (a convolution whose
output is split into class and box-bin logits, and everything after it) stay float32:
quantized, the scores are clipped at the calibration maximum and the box logits lose
resolution, for a few per cent of the time.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Prepare", "QuantSettings", "calibration_frames", "quantize_qdq", "vnni_cpu"]

Prepare = Callable[[np.ndarray], np.ndarray]  # an RGB frame -> the graph's 1×3×H×W float32 input

CALIBRATION_PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "clock", "coins", "immunohistochemistry")
CALIBRATION_SEED = 1  # the evaluation scenes use seed 0
CALIBRATION_SCENE_SIZES = ((480, 640), (640, 480), (800, 450))  # width, height; the evaluation scenes are 640×360
SCENES_PER_SIZE = 4  # with three views of each photo: 36 frames
CROP_RANGE = (0.55, 0.85)  # a crop keeps this fraction of each side, drawn per photo
CALIBRATION_STRIDE = 6  # frames whose activations are held at once (must divide the 36): about 0.75 GB, not 3
PERCENTILE = 99.999  # of each activation's values kept in range, the rest split between the two tails
HEAD_SPLIT = "Split"  # a head convolution's output is split into class and box logits
FOLDABLE = {"Conv": 0.0, "MaxPool": -np.inf}  # op -> the value its own padding fills with


def vnni_cpu(cpuinfo: str = "/proc/cpuinfo", machine: str | None = None) -> bool:
    """Whether int8 products run here without saturating: an x86 CPU with AVX-512 VNNI or
    AVX-VNNI (plain AVX2 sums pairs of u8×s8 products in 16 bits, which can saturate), or a CPU
    that is not x86 (ARM's dot products widen). An x86 CPU whose flags cannot be read counts as
    without."""
    import platform

    if (machine or platform.machine()).lower() not in ("x86_64", "amd64", "i386", "i686", "x86"):
        return True
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return "avx512_vnni" in flags or "avx_vnni" in flags


@dataclass(frozen=True)
class QuantSettings:
    """The choices :func:`quantize_qdq` makes; the defaults are the ones it uses."""

    method: str = "Percentile"  # activation ranges: Percentile (of the values, both tails), MinMax or Entropy
    percentile: float = PERCENTILE
    per_channel: bool = True  # one weight scale per output channel
    reduce_range: bool = False  # 7-bit weights: for CPUs without VNNI, where u8×s8 products can saturate
    activations: str = "QUInt8"  # QUInt8 or QInt8 activations (weights are QInt8); QInt8 runs slower than float32
    fold_pads: bool = True  # fold each Pad into the Conv or MaxPool after it
    keep_heads_float: bool = True  # leave the output heads in float32


def _photo(name: str) -> np.ndarray:
    import skimage.data

    image = np.asarray(getattr(skimage.data, name)())
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


def calibration_frames() -> Iterator[np.ndarray]:
    """The RGB calibration frames, always the same ones: each photo whole, mirrored and
    cropped at a seeded place, then the synthetic scenes of every calibration size."""
    from evaluations.synthetic_scenes import labelled_scenes

    rng = np.random.default_rng(CALIBRATION_SEED)
    for name in CALIBRATION_PHOTOS:
        photo = _photo(name)
        yield photo
        yield photo[:, ::-1]
        height, width = photo.shape[:2]
        crop_h, crop_w = (round(side * rng.uniform(*CROP_RANGE)) for side in (height, width))
        top, left = rng.integers(0, height - crop_h + 1), rng.integers(0, width - crop_w + 1)
        yield photo[top : top + crop_h, left : left + crop_w]
    for size in CALIBRATION_SCENE_SIZES:
        for scene in labelled_scenes(SCENES_PER_SIZE, size=size, seed=CALIBRATION_SEED):
            yield scene.image


def _consumers(model: Any) -> dict[str, list[Any]]:
    """Tensor name -> the nodes that read it."""
    consumers: dict[str, list[Any]] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    return consumers


def _fold_pads(model: Any) -> None:
    """Fold each constant, spatial-only Pad into the Convs or MaxPools reading it, in place,
    when their own padding fills with the same value: the graph computes the same."""
    from onnx import helper, numpy_helper

    constants = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    consumers = _consumers(model)
    for pad in [node for node in model.graph.node if node.op_type == "Pad"]:
        mode = next((a.s for a in pad.attribute if a.name == "mode"), b"constant")
        fill = float(constants[pad.input[2]]) if len(pad.input) > 2 and pad.input[2] else 0.0
        widths = constants.get(pad.input[1])
        users = consumers.get(pad.output[0], [])
        if mode != b"constant" or widths is None or not users:
            continue
        begin_end = widths.reshape(2, -1)  # begins for N, C, H, W, then ends
        if begin_end[:, :2].any() or (begin_end < 0).any():
            continue
        if any(FOLDABLE.get(user.op_type) != fill or user.input[0] != pad.output[0] for user in users) or any(
            a.name == "auto_pad" and a.s not in (b"", b"NOTSET") for user in users for a in user.attribute
        ):
            continue
        for user in users:
            own = next((a for a in user.attribute if a.name == "pads"), None)
            pads = begin_end[:, 2:].reshape(-1) + (np.asarray(own.ints) if own is not None else 0)
            if own is not None:
                user.attribute.remove(own)
            user.attribute.append(helper.make_attribute("pads", [int(v) for v in pads]))
            user.input[0] = pad.input[0]
        model.graph.node.remove(pad)
    used = {name for node in model.graph.node for name in node.input} | {out.name for out in model.graph.output}
    for init in [init for init in model.graph.initializer if init.name not in used]:
        model.graph.initializer.remove(init)


def _float_nodes(model: Any, keep_heads_float: bool) -> list[str]:
    """Nodes to leave unquantized: a Pad filling with -inf (when not folded), and with
    ``keep_heads_float`` each head convolution and every node after it."""
    from onnx import numpy_helper

    constants = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    consumers = _consumers(model)
    excluded, heads = [], []
    for node in model.graph.node:
        fill = constants.get(node.input[2]) if node.op_type == "Pad" and len(node.input) > 2 else None
        if fill is not None and not np.isfinite(fill).all():
            excluded.append(node.name)
        elif node.op_type == "Conv" and [user.op_type for user in consumers.get(node.output[0], [])] == [HEAD_SPLIT]:
            heads.append(node)
    while keep_heads_float and heads:
        node = heads.pop()
        excluded.append(node.name)
        heads.extend(user for name in node.output for user in consumers.get(name, []))
    return excluded


def quantize_qdq(fp32_path: Path, out_path: Path, prepare: Prepare, settings: QuantSettings | None = None) -> Path:
    """Write a static int8 (QDQ) copy of the float32 graph at ``fp32_path`` to ``out_path``;
    returns ``out_path``. ``prepare`` turns each calibration frame into the graph's input exactly
    as inference does.

    Offline and deterministic (the same bytes every run on one ONNX Runtime version), in
    seconds: Pads folded, per-channel int8 weights at full range, uint8 activations over
    the 99.999th percentile of :func:`calibration_frames`, output heads in float32 (the
    :class:`QuantSettings` defaults). The file is written in a temporary folder beside
    ``out_path`` and renamed into place, so a reader never sees half of it.

    Full-range weights suit CPUs with VNNI (AVX-512 VNNI, AVX-VNNI, :func:`vnni_cpu`); without
    it (plain AVX2), u8×s8 products can saturate. Measured on the labelled scenes, 2 cores of an
    AVX2-only AMD EPYC: float32 F1 0.898, full range 0.870, ``reduce_range`` 0.880 (and it cuts
    the demo's cat track short): neither keeps F1 within 0.02, so there the float32 graph is the
    default detector (:data:`models.detector_nanodet.INT8_PRIORITY`).
    """
    settings = settings or QuantSettings()
    fp32_path, out_path = Path(fp32_path), Path(out_path)
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Frames(CalibrationDataReader):
        """The calibration inputs, served a stride at a time (``set_range``)."""

        def __init__(self, input_name: str) -> None:
            self.input_name = input_name
            self.tensors = [prepare(frame) for frame in calibration_frames()]
            self.set_range(0, len(self.tensors))

        def __len__(self) -> int:
            return len(self.tensors)

        def set_range(self, start_index: int, end_index: int) -> None:
            self.queue = iter(self.tensors[start_index:end_index])

        def get_next(self) -> dict[str, np.ndarray] | None:
            tensor = next(self.queue, None)
            return None if tensor is None else {self.input_name: tensor}

    model = onnx.load(str(fp32_path))
    if settings.fold_pads:
        _fold_pads(model)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=f".{out_path.name}.") as work:
        prepared, partial = Path(work) / "float32.onnx", Path(work) / out_path.name
        onnx.save(model, str(prepared))
        with _quiet():
            quantize_static(
                prepared,
                partial,
                Frames(model.graph.input[0].name),
                quant_format=QuantFormat.QDQ,
                per_channel=settings.per_channel,
                reduce_range=settings.reduce_range,
                activation_type=QuantType[settings.activations],
                weight_type=QuantType.QInt8,
                nodes_to_exclude=_float_nodes(model, settings.keep_heads_float),
                calibrate_method=CalibrationMethod[settings.method],
                extra_options={
                    "CalibTensorRangeSymmetric": False,
                    "CalibPercentile": settings.percentile,
                    "CalibStridedMinMax": CALIBRATION_STRIDE,
                },
            )
        os.replace(partial, out_path)
    return out_path


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Hold back what the quantizer prints (calibration statistics, advice to pre-process,
    ONNX Runtime's notes on removed initializers): an install prints one line per model."""
    import onnxruntime

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    onnxruntime.set_default_logger_severity(3)  # errors only
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        root.setLevel(level)
        onnxruntime.set_default_logger_severity(2)  # ONNX Runtime's default: warnings
