"""Stories: a YAML script of shots in, one narrated, subtitled film out.

- :mod:`~studio.generation.story.script`: the script (:func:`parse_story`, :func:`read_story`);
- :mod:`~studio.generation.story.plan`: everything decided and refused before any weights load;
- :mod:`~studio.generation.story.shots`: each shot made once and re-used while its key matches;
- :mod:`~studio.generation.story.join`: the shots joined with moviepy, narrated and subtitled;
- :mod:`~studio.generation.story.film`: :func:`make_story`, the whole film.
"""

from studio.generation.story.film import StoryFilm, StoryShot, make_story, story_outputs
from studio.generation.story.plan import check_story
from studio.generation.story.script import SUBTITLE_MODES, TRANSITIONS, Shot, Story, parse_story, read_story

__all__ = [
    "SUBTITLE_MODES",
    "TRANSITIONS",
    "Shot",
    "Story",
    "StoryFilm",
    "StoryShot",
    "check_story",
    "make_story",
    "parse_story",
    "read_story",
    "story_outputs",
]
