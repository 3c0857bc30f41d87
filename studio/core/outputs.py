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
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from studio.core.errors import InputError, OutputError

__all__ = [
    "NAME_MAX",
    "PendingFile",
    "atomic_path",
    "check_outputs",
    "file_sha256",
    "json_bytes",
    "os_reason",
    "resolve_target",
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


NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links: same device and inode
    except OSError:
        return False


def resolve_target(target: PathLike) -> Path:
    """Where writing ``target`` really lands, or an error before any work.

    A symbolic link is written through, to the file it names (the link stays a link, as
    with a plain ``open()``). Refused: an empty name, a name ending in ``/``, a folder, a
    device, FIFO or socket (``-o /dev/null`` must never replace the device), a link that
    loops, an existing read-only file, a name longer than the file system allows.
    """
    text = os.fsdecode(target)
    if not text:
        raise InputError("expected an output file name, got an empty one")
    if text.endswith(("/", os.sep)):
        raise OutputError(target, "ends with '/': name a file to write, not a folder")
    path = Path(text)
    size = len(os.fsencode(path.name))
    if size > NAME_MAX:
        raise OutputError(target, f"the file name is too long ({size} bytes; at most {NAME_MAX})")
    if path.is_symlink():
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise OutputError(target, "is a symbolic link that loops") from None
        path = Path(os.path.realpath(path))
    try:
        info: os.stat_result | None = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        info = None  # a new file (a file in the way of its folder is reported with the folder)
    except OSError as exc:
        raise OutputError(target, f"cannot be written ({os_reason(exc)})") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(target, "is a folder; name a file to write")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(target, "is a device, pipe or socket, not a regular file; to print to the "
                                      "terminal, leave the output option out")  # fmt: skip
        if not os.access(path, os.W_OK):
            raise OutputError(target, "is read-only; it was left as it is")
    return path


def _check_folder(output: PathLike, path: Path) -> None:
    """The output's folder can be written, or created (it is not created here: a job that
    fails before writing leaves no empty folders)."""
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(output, f"cannot write in {str(folder)!r}: {str(existing)!r} is a file, not a folder")
    try:
        if existing == folder:
            handle, probe = tempfile.mkstemp(prefix=".studio-write-test-", dir=folder)
            os.close(handle)
            os.unlink(probe)
        elif not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "permission denied")
    except OSError as exc:
        raise OutputError(output, f"cannot write in {str(folder)!r} ({os_reason(exc)})") from None


def check_outputs(inputs: Iterable[PathLike | None], outputs: Sequence[PathLike | None]) -> None:
    """Refuse, before any work, outputs that would destroy an input or each other.

    Raises :class:`InputError` naming the two colliding paths, or :class:`OutputError` when
    an output is not a writable regular file name in a writable folder (see
    :func:`resolve_target`). ``None`` entries are skipped.
    """
    sources = [s for s in inputs if s is not None]
    targets = [t for t in outputs if t is not None]
    resolved = [resolve_target(t) for t in targets]
    for i, (target, path) in enumerate(zip(targets, resolved, strict=True)):
        for source in sources:
            if _same_file(path, Path(os.fsdecode(source))):
                raise InputError(f"output {os.fsdecode(target)!r} is the same file as input {os.fsdecode(source)!r}; "
                                 "writing it would destroy the input, choose another output name")  # fmt: skip
        for other, other_path in zip(targets[:i], resolved[:i], strict=True):
            if _same_file(path, other_path):
                raise InputError(f"outputs {os.fsdecode(other)!r} and {os.fsdecode(target)!r} are the same file; "
                                 "give each its own name")  # fmt: skip
    for target, path in zip(targets, resolved, strict=True):
        _check_folder(target, path)


def _temporary_prefix(name: str, suffix: str) -> str:
    """``.name.`` shortened so that ``.name.XXXXXXXX.partial.ext`` fits in one file name."""
    room = NAME_MAX - len(os.fsencode(suffix)) - 8 - 2  # mkstemp adds 8 characters
    return "." + os.fsdecode(os.fsencode(name)[: max(1, room)]) + "."


class PendingFile:
    """A hidden temporary file beside ``target``: write to :attr:`temporary`, then
    :meth:`commit` (flush to disk, rename over the target) or :meth:`discard`.

    The temporary name keeps the target's extension, since muxers choose a format by it.
    A file it replaces keeps its permission bits; a new one gets what ``open()`` would give.
    """

    def __init__(self, target: PathLike) -> None:
        self.target = target
        final = resolve_target(target)
        suffix = f".partial{final.suffix}"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=_temporary_prefix(final.name, suffix), suffix=suffix,
                                            dir=final.parent)  # fmt: skip
        except OSError as exc:
            raise OutputError(target, f"cannot write here ({os_reason(exc)})") from None
        try:
            os.close(handle)
            mode = final.stat().st_mode & 0o7777 if final.exists() else 0o666 & ~_UMASK
            os.chmod(name, mode)
        except BaseException:
            with suppress(OSError):
                os.unlink(name)
            raise
        self.final = final
        self.temporary = Path(name)
        self.done = False

    def commit(self) -> Path:
        """Make the temporary file the target; a failure is :class:`OutputError`."""
        if self.done:
            return self.final
        try:
            _fsync(self.temporary)
            os.replace(self.temporary, self.final)
        except OSError as exc:
            self.discard()
            raise OutputError(self.target, f"could not be written ({os_reason(exc)})") from None
        except BaseException:  # Ctrl-C or SIGTERM during the flush: the target stays as it was
            self.discard()
            raise
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


def _fsync(path: Path) -> None:
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _flush_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: some file systems refuse)."""
    with suppress(OSError):
        _fsync(folder)


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


def file_sha256(path: PathLike) -> str:
    """The SHA-256 of a file's bytes, read in 1 MB blocks: what a written file holds, checked."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
