"""The Hugging Face Space: install the offline default models on first start, then serve.

A Space runs ``app.py`` (README front matter); it listens on 0.0.0.0:7860 and keeps jobs
under ``MEDIA_STUDIO_HOME`` (``/data/media-studio`` when the Space has persistent storage).
"""

from __future__ import annotations

import os
from pathlib import Path

from studio.core import Settings
from studio.registry import default_registry, install_model
from ui.launch import ServeOptions, launch, parse_auth

__all__ = ["install_offline_defaults", "main"]


def install_offline_defaults(settings: Settings) -> list[str]:
    """Install every offline model that is not installed yet; returns their names."""
    missing = [spec for spec in default_registry().specs() if spec.offline and not spec.is_installed(settings)]
    for spec in missing:
        print(f"installing {spec.name} (first start of the Space)", flush=True)
        install_model(spec, settings)
    return [spec.name for spec in missing]


def main() -> None:
    if "MEDIA_STUDIO_HOME" not in os.environ and Path("/data").is_dir():  # a Space's persistent storage
        os.environ["MEDIA_STUDIO_HOME"] = "/data/media-studio"
    settings = Settings.from_env()
    install_offline_defaults(settings)
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    launch(ServeOptions(host="0.0.0.0", port=port, auth=parse_auth(None)), settings)
