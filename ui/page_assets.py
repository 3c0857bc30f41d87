"""What the page adds to Gradio's own look: a layout that holds at 390 px wide, the status
line kept steady while timers update it, and posters with boxes for annotated videos.

``launch(..., **PAGE)`` (Gradio 6 takes css and head at launch, not in ``gr.Blocks``)."""

from __future__ import annotations

from typing import Any

__all__ = ["CSS", "HEAD", "PAGE"]

CSS = """
.studio-intro p { margin: 0 0 .25em 0; }
.studio-status { min-height: 1.8em; line-height: 1.8em; overflow-wrap: anywhere; }
.studio-status progress { vertical-align: middle; max-width: 40vw; }
.studio-refused { padding: .3em .6em; border-left: 4px solid #b91c1c; background: #fef2f2; }
/* a timer's update must not dim or cover the status line (Gradio marks outputs "pending") */
.studio-status-box, .studio-status-box * { opacity: 1 !important; }
.studio-status-box [data-testid='status-tracker'] { display: none !important; }
.studio-times { margin: .2em 0; color: var(--body-text-color-subdued); }
.studio-settings { border-collapse: collapse; font-size: .9em; }
.studio-settings th, .studio-settings td { border: none !important; padding: .1em .8em .1em 0 !important; }
.studio-settings th { text-align: left; padding-right: 1em; font-weight: 600; vertical-align: top; }
.studio-settings td { overflow-wrap: anywhere; }
.studio-models { width: 100%; border-collapse: collapse; font-size: .9em; }
.studio-models th { text-align: left; border-bottom: 2px solid var(--border-color-primary); padding: .3em .5em; }
.studio-models td { border-bottom: 1px solid var(--border-color-primary); padding: .3em .5em; vertical-align: top;
                    overflow-wrap: anywhere; }
.studio-models td[data-label='Install'] { font-family: var(--font-mono); font-size: .9em; }
@media (max-width: 640px) {
  /* one card per model: each value under its column's name */
  .studio-models thead { display: none; }
  .studio-models tr { display: block; border-bottom: 2px solid var(--border-color-primary); padding: .4em 0; }
  .studio-models td { display: flex; gap: .6em; border: none; padding: .1em 0; }
  .studio-models td:empty { display: none; }  /* no "Problem" line where there is none */
  .studio-models td::before { content: attr(data-label); flex: 0 0 5.5em; font-weight: 600; }
  /* the timeline picture keeps readable lane labels: it scrolls sideways instead of shrinking */
  .studio-wide-picture .image-container, .studio-wide-picture .image-frame { overflow-x: auto !important; }
  .studio-wide-picture .image-container * { justify-content: flex-start !important; }
  .studio-wide-picture img { min-width: 760px !important; max-width: none !important; height: auto !important; }
  .studio-status { font-size: .95em; }

}
"""

# The annotated video shows its poster (the frame with the most boxes, poster.jpg in the job's
# folder; ``ui.views.poster_html`` leaves a marker naming the player and the file) until it
# plays; a player with no marker shows its first frame as usual.
HEAD = """
<script>
(() => {
  const apply = () => {
    document.querySelectorAll(".studio-poster[data-for]").forEach((marker) => {
      const video = document.querySelector("#" + marker.dataset.for + " video");
      const src = marker.dataset.src;
      if (video && video.getAttribute("poster") !== src) video.setAttribute("poster", src);
    });
  };
  new MutationObserver(apply).observe(document.documentElement,
    { subtree: true, childList: true, attributes: true, attributeFilter: ["src"] });
})();
</script>
"""

PAGE: dict[str, Any] = {"css": CSS, "head": HEAD}
