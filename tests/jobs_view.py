"""What the Jobs tab shows of a job, for the UI tests: its Open event called as the page calls it."""

from __future__ import annotations

from typing import Any

__all__ = ["opened_in_the_jobs_tab"]


def opened_in_the_jobs_tab(demo: Any, job_id: str) -> dict[str, Any]:
    """What the Jobs tab's Open shows for ``job_id``: each output component's value, by its element id."""
    opening = next(dep for dep in demo.fns.values() if getattr(dep.fn, "__name__", "") == "open_on_page")
    values = opening.fn(job_id)
    assert len(values) == len(opening.outputs)  # one value per component, or Gradio refuses them all
    return {block.elem_id: value for block, value in zip(opening.outputs, values, strict=True) if block.elem_id}
