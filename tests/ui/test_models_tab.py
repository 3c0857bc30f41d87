"""The Models tab and the ``/models`` API say what is wrong: a plug-in that failed to load and
weights that are there but broken are shown, not hidden as "not installed"."""

from __future__ import annotations

import html
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core import Settings
from studio.registry import ENTRY_POINT_GROUP, ModelCache, Registry
from studio.service import JobRunner
from ui.app import build_demo
from ui.service import StudioService

PLUGIN = """
from studio.registry import ModelSpec

SPECS = [ModelSpec("echo", "embed", "x:Y", "home:echo", "MIT", "dev", 10, True)]
"""


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StudioService]:
    """A service over a real installed distribution with one good and one broken entry point."""
    site = tmp_path / "site"
    dist = site / "tab_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "tab_plugin.py").write_text(PLUGIN)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tab-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(f"""
        [{ENTRY_POINT_GROUP}]
        echo = tab_plugin:SPECS
        broken = tab_plugin_missing_module:SPECS
        """)
    )
    monkeypatch.syspath_prepend(str(site))
    settings = Settings(tmp_path, tmp_path / "models", tmp_path / "outputs", device="cpu")
    registry = Registry.from_entry_points()
    runner = JobRunner(settings.outputs_dir, {})
    yield StudioService(settings, ModelCache(registry, settings), runner)
    runner.close()
    sys.modules.pop("tab_plugin", None)


def test_a_broken_plugin_is_listed_by_the_models_api_and_tab(service: StudioService) -> None:
    rows = {row["name"]: row for row in service.models()}
    assert rows["echo"]["problem"] == "" and not rows["echo"]["installed"]
    broken = rows["broken"]
    assert broken["problem"] == (
        "the model plug-in tab_plugin_missing_module:SPECS failed to load: No module named 'tab_plugin_missing_module'"
    )
    assert not broken["installed"] and broken["task"] == ""

    demo = build_demo(service=service)
    [table] = [block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "models-table"]
    shown = str(table.value)
    assert "<th>Problem</th>" in shown and f"<td data-label='Problem'>{html.escape(broken['problem'])}</td>" in shown
    echo = shown[shown.index("<td data-label='Model'>echo</td>") :].split("</tr>")[0]
    assert "<td data-label='Problem'></td>" in echo  # nothing wrong with echo: an empty cell (a phone hides it)
    [note] = [block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "models-problems"]
    assert note.visible and note.value == f"- **{broken['problem']}**"  # above the table, not only in a cell
