"""The trained models as registry specs, read from ``<models home>/trained/*/model.json``.

:func:`trained_specs` is what the entry point ``media_studio.models`` names, so every trained model
is a model like any other (``studio models list``, ``studio analyze --actions NAME``). A folder
with a damaged ``model.json`` is left out with a warning: one bad folder must not hide the others.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from studio.core import InputError, ModelLoadError, Settings, echoed
from studio.registry import ModelSpec
from studio.vision.training.head import MODEL_FILE, TrainedHead

__all__ = ["TRAINED_FOLDER", "TRAINING_TASKS", "check_model_name", "spec_task", "trained_spec", "trained_specs"]

log = logging.getLogger(__name__)

TRAINED_FOLDER = "trained"  # under the models home
TRAINING_TASKS = {"action": "action", "scene": "classify"}  # what `--task` says -> the registry task
ADAPTER = "studio.vision.training.head:TrainedHead"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


def check_model_name(name: str) -> str:
    """``name`` if it makes a safe folder name (lower-case letters, digits, ``.``, ``_``, ``-``;
    a letter or digit first; at most 63), else an InputError saying what is allowed."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.endswith("."):  # fullmatch: no final \n
        raise InputError(
            f"expected a model name of lower-case letters, digits, '.', '_' or '-' (a letter or digit first, "
            f"at most 63), e.g. 'my-actions', got {echoed(name)}"
        )
    return name


def spec_task(task: str) -> str:
    """The registry task of a training ``task`` (``action`` or ``scene``)."""
    if task not in TRAINING_TASKS:
        raise InputError(f"expected task {' or '.join(TRAINING_TASKS)}, got {echoed(task)}")
    return TRAINING_TASKS[task]


def trained_spec(name: str, task: str, about: dict[str, Any]) -> ModelSpec:
    """The spec of the trained model ``name`` (registry ``task``), from its ``model.json`` data."""
    recipe = about.get("recipe", {})
    labels = ", ".join(str(label) for label in about.get("labels", []))
    return ModelSpec(
        name=name, task=task, adapter=ADAPTER, source=f"home:{TRAINED_FOLDER}/{name}", license="user-trained",
        extra="understand", memory_mb=1, offline=True, capabilities=("trained",),
        description=f"trained with `studio train` on {recipe.get('kind', '?')} features: {labels}",
        params={"features": recipe.get("kind"), "embedder": recipe.get("embedder"),
                "sample_fps": recipe.get("sample_fps"), "labels": list(about.get("labels", []))},
    )  # fmt: skip


def trained_specs(settings: Settings | None = None) -> list[ModelSpec]:
    """Every trained model in the models home (``settings``, or the environment's), by name."""
    root = (settings or Settings.from_env()).models_dir / TRAINED_FOLDER
    specs = []
    for folder in sorted(root.glob(f"*/{MODEL_FILE}")):
        if not folder.parent.name.startswith("."):  # a training's staging or replaced folder
            specs += _spec_of(folder.parent)
    return specs


def _spec_of(folder: Path) -> list[ModelSpec]:
    try:
        about = TrainedHead.read_about(folder)
        name = check_model_name(str(about["name"]))
        if name != folder.name:
            raise ModelLoadError(f"{folder / MODEL_FILE} names the model {name!r}, not its folder's name")
        return [trained_spec(name, str(about["task"]), about)]
    except (InputError, ModelLoadError) as exc:
        log.warning("skipping trained model %s: %s", folder, exc)
        return []
