"""The one place a picture (a start image) is opened: a regular local file, under the media
limits, its size read from its header and held to ``MEDIA_STUDIO_MAX_PIXELS`` before a pixel
is decoded. Pillow's own decompression-bomb limit is not used: the studio's limit is the one
a user sets, and its refusal names it."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from studio.core import CorruptMedia, RefusedMedia
from studio.media.inputs import MediaLimits, open_local

__all__ = ["open_picture"]


def _identified(handle: Any) -> Any:
    """The picture in ``handle`` as Pillow identifies it (its header read, nothing decoded);
    ``None`` when no format Pillow reads matches. As :func:`PIL.Image.open`, without its bomb
    check (the caller checks the size against the studio's own limit)."""
    from PIL import Image

    prefix = handle.read(16)
    for loaded in (Image.preinit, Image.init):
        loaded()
        for name in list(Image.ID):
            factory, accept = Image.OPEN[name]
            matched = accept(prefix) if accept else True
            if not matched or isinstance(matched, str):  # a string: a warning that it is not this format
                continue
            try:
                handle.seek(0)
                return factory(handle, "")
            except (SyntaxError, IndexError, TypeError, ValueError, OSError, EOFError, ArithmeticError, struct.error):
                continue
    return None


@contextmanager
def open_picture(path: str | os.PathLike[str], limits: MediaLimits | None = None) -> Iterator[Any]:
    """An open PIL image of the picture at ``path``, refused (:class:`RefusedMedia`) when its
    header declares more pixels than ``limits`` allow; closed on exit."""
    limits = limits or MediaLimits.from_env()
    shown = os.fsdecode(path)
    handle = open_local(path, shown, limits.max_file_mb * 1024 * 1024,
                        f"{limits.max_file_mb} MB (MEDIA_STUDIO_MAX_FILE_MB)")  # fmt: skip
    try:
        picture = _identified(handle)
        if picture is None:
            raise CorruptMedia(shown, "not a picture (no format Pillow reads matches its first bytes)")
        try:
            width, height = picture.size
            if width * height > limits.max_pixels:
                raise RefusedMedia(shown, f"the picture is {width}×{height} = {width * height:,} pixels, over the "
                                          f"limit of {limits.max_pixels:,} (MEDIA_STUDIO_MAX_PIXELS)")  # fmt: skip
            yield picture
        finally:
            picture.close()
    finally:
        handle.close()
