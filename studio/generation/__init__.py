"""Text-to-video and image-to-video: options, the adapter contract, the memory estimate, the
generate pipeline and stories.

- :mod:`~studio.generation.options`: :class:`GenerateOptions` resolved into a :class:`GenerationRequest`;
- :mod:`~studio.generation.contract`: :class:`TextToVideoModel` and the :class:`GeneratedVideo` result;
- :mod:`~studio.generation.memory`: will it fit? checked before any weights load;
- :mod:`~studio.generation.generate`: :func:`generate_video`, a prompt in, an MP4 out;
- :mod:`~studio.generation.story`: a script of shots in, one narrated film out (the one part
  of generation that uses :mod:`studio.speech`: narration and subtitles).
"""

from studio.generation.contract import GeneratedVideo, TextToVideoModel
from studio.generation.generate import check_image, generate_video, library_versions, save_picture, sidecar_path
from studio.generation.memory import GenerationMemory, MemoryEstimate, available_mb, check_fits, default_dtype
from studio.generation.options import (
    MAX_DURATION_S,
    MAX_SEED,
    GenerateOptions,
    GenerationRequest,
    parse_lora,
    resolve_request,
)
from studio.generation.story import (
    SUBTITLE_MODES,
    TRANSITIONS,
    Shot,
    Story,
    StoryFilm,
    StoryShot,
    check_story,
    make_story,
    parse_story,
    read_story,
    story_outputs,
)

__all__ = [
    "MAX_DURATION_S",
    "MAX_SEED",
    "SUBTITLE_MODES",
    "TRANSITIONS",
    "GenerateOptions",
    "GeneratedVideo",
    "GenerationMemory",
    "GenerationRequest",
    "MemoryEstimate",
    "Shot",
    "Story",
    "StoryFilm",
    "StoryShot",
    "TextToVideoModel",
    "available_mb",
    "check_fits",
    "check_image",
    "check_story",
    "default_dtype",
    "generate_video",
    "library_versions",
    "make_story",
    "parse_lora",
    "parse_story",
    "read_story",
    "resolve_request",
    "save_picture",
    "sidecar_path",
    "story_outputs",
]
