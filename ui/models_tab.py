"""The Models tab: what is registered and installed, the offline install, load and unload; and
the ``/models`` and ``/loaded_models`` endpoints."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui.named_api import typed_api
from ui.polling import POLL_S, every
from ui.service import StudioService, readable_errors

__all__ = ["models_tab"]


def models_tab(service: StudioService) -> None:
    headers = ["name", "task", "license", "non_commercial", "size_mb", "installed", "offline", "install", "problem"]

    def table() -> list[list[Any]]:
        return [[row[h] for h in headers] for row in service.models()]

    broken = [problem.message for problem in service.cache.registry.problems]
    gr.Markdown(
        "\n".join(f"- **{message}**" for message in broken),
        visible=bool(broken),
        elem_id="models-problems",
    )
    registry = gr.Dataframe(table(), headers=headers, label="Registered models", interactive=False)
    with gr.Row():
        install = gr.Button("Install the offline defaults")
        name = gr.Dropdown(service.cache.registry.names(), label="Model", scale=2)
        load = gr.Button("Load")
        unload = gr.Button("Unload")
    installing = gr.JSON(label="Install job", visible=True)
    resident = gr.JSON(label="Loaded in the cache")

    @readable_errors
    def install_offline_defaults() -> dict[str, Any]:
        """Queue a job that installs every model that needs no network."""
        return service.submit("install", {"offline_defaults": True}, {})

    @readable_errors
    def load_model(name: str) -> list[dict[str, Any]]:
        """Load a model into the cache; returns what is loaded."""
        return service.load(name)

    @readable_errors
    def unload_model(name: str) -> list[dict[str, Any]]:
        """Unload a model from the cache; returns what is loaded."""
        return service.unload(name)

    def loaded_models() -> list[dict[str, Any]]:
        """What the model cache holds: name, device, memory, idle seconds.

        Returns:
            One row per loaded model: name, device, memory, idle seconds
        """
        return service.cache.resident()

    @readable_errors
    def models() -> list[dict[str, Any]]:
        """Every registered model: task, licence, size, installed, offline, and what is wrong
        (broken weights; plug-ins that failed to load are listed too, with task "").

        Returns:
            One row per model: name, task, license, non_commercial, size_mb, installed, offline, install, problem
        """
        return service.models()

    typed_api(models, "models", returns="Models")
    install.click(
        install_offline_defaults,
        None,
        installing,
        api_name="install_offline_defaults",
    )
    load.click(
        load_model,
        name,
        resident,
        api_name="load_model",
        concurrency_id="device",
        concurrency_limit=1,
    )
    unload.click(unload_model, name, resident, api_name="unload_model")
    typed_api(loaded_models, "loaded_models", returns="Loaded in the cache")

    def refresh() -> tuple[list[list[Any]], list[dict[str, Any]]]:
        return table(), service.cache.resident()

    every(5 * POLL_S, refresh, None, [registry, resident], "models_table")
