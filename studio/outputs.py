"""Every file the studio writes goes through here.

Two rules, the ones databases and editors follow:

- **Check before work.** :func:`check_outputs` refuses, before a job starts, an output that
  is the same file as an input or as another output (resolved paths and inodes, so
  ``./../x/a.mp4``, symlinks and hard links count), an output that is a folder, and a
  folder that cannot be written or created.
- **Write beside, then rename.** :func:`atomic_path` hands out a hidden temporary file in
  the target's folder; only when the block finishes is it flushed to disk and renamed over
  the target. On any exception (an error, a full disk, Ctrl-C, SIGTERM) the temporary file
  is removed and a previous file at the target is untouched. Two writers of one target
  each rename a complete file, so the last one wins whole: never a mix.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from studio.errors import InputError, OutputError

__all__ = [
    "PendingFile",
    "atomic_path",
    "check_outputs",
    "json_bytes",
    "os_reason",
    "write_bytes",
    "write_json",
    "write_text",
]

PathLike = str | os.PathLike[str]


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # files we create get the mode a plain open() would give them

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this file system or process limit",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "is a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENAMETOOLONG: "the file name is too long",
}


def os_reason(exc: BaseException) -> str:
    """A short, stable reason for an OS-level failure (``no space left on the device``)."""
    code = getattr(exc, "errno", None)
    if code in _REASONS:
        return _REASONS[code]
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip() or type(exc).__name__


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links: same device and inode
    except OSError:
        return False


def _check_folder(output: PathLike) -> None:
    """The output's folder exists (created if needed) and a file can be created in it."""
    folder = Path(output).parent
    if folder.exists() and not folder.is_dir():
        raise OutputError(output, f"cannot write in {str(folder)!r}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=".studio-write-test-", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(output, f"cannot write in {str(folder)!r} ({os_reason(exc)})") from None


def check_outputs(inputs: Iterable[PathLike | None], outputs: Sequence[PathLike | None]) -> None:
    """Refuse, before any work, outputs that would destroy an input or each other.

    Raises :class:`InputError` naming the two colliding paths, or :class:`OutputError` when
    an output is a folder or its folder cannot be written. ``None`` entries are skipped.
    """
    sources = [s for s in inputs if s is not None]
    targets = [t for t in outputs if t is not None]
    for i, target in enumerate(targets):
        path = Path(target)
        if path.is_dir():
            raise OutputError(target, "is a folder; name a file to write")
        for source in sources:
            if _same_file(path, Path(source)):
                raise InputError(f"output {str(target)!r} is the same file as input {str(source)!r}; "
                                 "writing it would destroy the input, choose another output name")  # fmt: skip
        for other in targets[:i]:
            if _same_file(path, Path(other)):
                raise InputError(
                    f"outputs {str(other)!r} and {str(target)!r} are the same file; give each its own name"
                )
    for target in targets:
        _check_folder(target)


class PendingFile:
    """A hidden temporary file beside ``target``: write to :attr:`temporary`, then
    :meth:`commit` (flush to disk, rename over the target) or :meth:`discard`.

    The temporary name keeps the target's extension, since muxers choose a format by it.
    """

    def __init__(self, target: PathLike) -> None:
        self.target = target
        final = Path(target)
        if final.is_dir():
            raise OutputError(target, "is a folder; name a file to write")
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(
                prefix=f".{final.name}.", suffix=f".partial{final.suffix}", dir=final.parent
            )
            os.close(handle)
            os.chmod(name, 0o666 & ~_UMASK)
        except OSError as exc:
            raise OutputError(target, f"cannot write here ({os_reason(exc)})") from None
        self.final = final
        self.temporary = Path(name)
        self.done = False

    def commit(self) -> Path:
        """Make the temporary file the target; a failure is :class:`OutputError`."""
        if self.done:
            return self.final
        try:
            _flush(self.temporary)
            os.replace(self.temporary, self.final)
        except OSError as exc:
            self.discard()
            raise OutputError(self.target, f"could not be written ({os_reason(exc)})") from None
        self.done = True
        _flush_folder(self.final.parent)
        return self.final

    def discard(self) -> None:
        """Remove the temporary file; the target (and any previous file there) is untouched."""
        self.done = True
        with suppress(OSError):
            self.temporary.unlink()


@contextmanager
def atomic_path(target: PathLike) -> Iterator[Path]:
    """A temporary path beside ``target`` that becomes ``target`` when the block ends.

    On success it is flushed to disk and renamed over the target; on any exception it is
    removed and the exception goes on. Failures of the flush or rename are
    :class:`OutputError`.
    """
    pending = PendingFile(target)
    try:
        yield pending.temporary
    except BaseException:
        pending.discard()
        raise
    pending.commit()


def _flush(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _flush_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: some file systems refuse)."""
    with suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def write_bytes(target: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; return the target as a Path."""
    with atomic_path(target) as temporary:
        try:
            temporary.write_bytes(data)
        except OSError as exc:
            raise OutputError(target, f"could not be written ({os_reason(exc)})") from None
    return Path(target)


def write_text(target: PathLike, text: str) -> Path:
    """UTF-8 text, atomically. Undecodable file names carried in ``text`` (lone surrogates
    from a non-UTF-8 name) are written as ``\\udcXX`` escapes rather than failing."""
    return write_bytes(target, text.encode("utf-8", errors="backslashreplace"))


def json_bytes(data: Any) -> bytes:
    """Indented UTF-8 JSON. A file name that is not valid UTF-8 survives: its undecodable
    bytes (lone surrogates) become ``\\udcXX`` escapes, which ``json.loads`` turns back
    into the same string, so ``os.fsencode`` gives back the original bytes."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8", errors="backslashreplace")


def write_json(target: PathLike, data: Any) -> Path:
    return write_bytes(target, json_bytes(data))
