"""Outputs never destroy inputs or each other, and appear only when complete."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from evaluations.synthetic_media import counter_frame, write_counter_video
from studio import media
from studio.core import InputError, OutputError, atomic_path, check_outputs, json_bytes, write_json, write_text


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name or p.name.startswith(".studio-write-test"))


def test_an_output_that_is_an_input_is_refused_however_it_is_spelled(tmp_path: Path) -> None:
    clip = write_counter_video(tmp_path / "x" / "a.mp4", 25, frames=5)
    (tmp_path / "y").mkdir()
    os.link(clip, tmp_path / "hard.mp4")
    (tmp_path / "soft.mp4").symlink_to(clip)
    before = clip.read_bytes()
    for alias in (clip, tmp_path / "y" / ".." / "x" / "a.mp4", f"{tmp_path}//x/./a.mp4", tmp_path / "hard.mp4",
                  tmp_path / "soft.mp4"):  # fmt: skip
        with pytest.raises(InputError, match="is the same file as input") as caught:
            check_outputs([clip], [tmp_path / "out.json", alias])
        assert str(alias) in str(caught.value) and str(clip) in str(caught.value)
    assert clip.read_bytes() == before


def test_two_outputs_of_one_run_may_not_collide(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="are the same file"):
        check_outputs([], [tmp_path / "t.json", tmp_path / "sub" / ".." / "t.json"])


def test_output_folders_are_checked_before_work(tmp_path: Path) -> None:
    check_outputs([], [tmp_path / "new" / "deeper" / "out.json"])  # may be created later...
    assert not (tmp_path / "new").exists()  # ...but not by the check: a failing job leaves no folders
    write_json(tmp_path / "new" / "deeper" / "out.json", {})
    assert (tmp_path / "new" / "deeper" / "out.json").is_file()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputError, match=r"cannot write in .*a-file.: .*a-file. is a file, not a folder"):
        check_outputs([], [tmp_path / "a-file" / "out.json"])
    with pytest.raises(OutputError, match=r"cannot write in .*deeper.: .*a-file. is a file, not a folder"):
        check_outputs([], [tmp_path / "a-file" / "deeper" / "out.json"])
    with pytest.raises(OutputError, match="is a folder"):
        check_outputs([], [tmp_path])
    with pytest.raises(OutputError, match="ends with '/'"):
        check_outputs([], [f"{tmp_path}/newdir/"])
    with pytest.raises(InputError, match="expected an output file name, got an empty one"):
        check_outputs([], [""])


def test_devices_fifos_and_link_loops_are_never_replaced(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.mp4")
    (tmp_path / "null").symlink_to("/dev/null")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    for target, reason in (("/dev/null", "device, pipe or socket"), (tmp_path / "fifo.mp4", "device, pipe or socket"),
                           (tmp_path / "null", "device, pipe or socket"), (tmp_path / "loop", "loops")):  # fmt: skip
        with pytest.raises(OutputError, match=reason):
            check_outputs([], [target])
        with pytest.raises(OutputError, match=reason):
            write_text(target, "x")
    assert (tmp_path / "null").is_symlink() and os.path.exists("/dev/null") and not Path("/dev/null").is_file()


def test_a_symlinked_output_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "keep.json").write_text("old")
    os.chmod(tmp_path / "real" / "keep.json", 0o640)
    (tmp_path / "link.json").symlink_to(tmp_path / "real" / "keep.json")
    write_json(tmp_path / "link.json", {"new": True})
    assert (tmp_path / "link.json").is_symlink()  # the link stays a link, as with open()
    assert json.loads((tmp_path / "real" / "keep.json").read_text()) == {"new": True}
    assert (tmp_path / "real" / "keep.json").stat().st_mode & 0o777 == 0o640  # and the file keeps its mode


def test_long_names_are_refused_before_work_and_near_limit_names_work(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"the file name is too long \(260 bytes; at most 255\)"):
        check_outputs([], [tmp_path / ("a" * 255 + ".json")])
    longest = tmp_path / ("é" * 125 + ".json")  # 255 bytes: its temporary name must still fit
    check_outputs([], [longest])
    write_json(longest, {"ok": 1})
    assert json.loads(longest.read_text()) == {"ok": 1} and _leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_previous_file_and_no_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "timeline.json"
    write_json(target, {"version": 1})

    def disk_full(self: Path, data: bytes) -> int:
        with self.open("wb") as handle:
            handle.write(data[:10])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(OutputError, match=r"timeline.json: could not be written \(no space left on the device\)"):
        write_json(target, {"version": 2, "big": list(range(1000))})
    assert json.loads(target.read_text()) == {"version": 1}
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("stop", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_block_removes_its_temporary_file(tmp_path: Path, stop: type[BaseException]) -> None:
    target = tmp_path / "out.srt"
    target.write_text("old subtitles")
    with pytest.raises(stop), atomic_path(target) as temporary:
        temporary.write_text("half of the new")
        assert temporary.parent == tmp_path and temporary.suffix == ".srt"
        raise stop()
    assert target.read_text() == "old subtitles" and _leftovers(tmp_path) == []


def test_files_get_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    write_text(tmp_path / "a.txt", "x")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask


def test_video_writer_discards_an_unfinished_file(tmp_path: Path) -> None:
    target = write_counter_video(tmp_path / "out.mp4", 25, frames=10)
    before = target.read_bytes()
    with pytest.raises(KeyboardInterrupt), media.VideoWriter(target, fps=25) as writer:
        for index in range(5):
            writer.write(counter_frame(index))
        raise KeyboardInterrupt
    assert target.read_bytes() == before and _leftovers(tmp_path) == []
    with pytest.raises(InputError, match=r"expected a name ending in \.mp4, \.m4v, \.mov, \.mkv"):
        media.VideoWriter(tmp_path / "out.avi", fps=25)


def test_concurrent_writers_leave_one_whole_video(tmp_path: Path) -> None:
    target = tmp_path / "same.mp4"
    errors: list[BaseException] = []

    def write(offset: int) -> None:
        try:
            with media.VideoWriter(target, fps=25) as writer:
                for index in range(40):
                    writer.write(counter_frame(offset + index))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(offset,)) for offset in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    info = media.probe(target)
    assert info.frame_count == 40 and not info.warnings
    from evaluations.synthetic_media import read_counter

    shown = [read_counter(f.image) for f in media.iter_frames(target)]
    assert shown in (list(range(40)), list(range(1000, 1040)))  # one writer's video, whole
    assert _leftovers(tmp_path) == []


def test_json_keeps_a_file_name_that_is_not_utf8() -> None:
    name = os.fsdecode(b"/videos/caf\xe9 \xff.mp4")
    data = json.loads(json_bytes({"path": name, "title": "café"}))
    assert os.fsencode(data["path"]) == b"/videos/caf\xe9 \xff.mp4" and data["title"] == "café"
    assert np.array_equal(np.frombuffer(json_bytes("é"), np.uint8), np.frombuffer(b'"\xc3\xa9"\n', np.uint8))


def test_an_interrupt_during_the_final_flush_leaves_no_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.txt"
    target.write_text("before")

    def interrupted(handle: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("studio.core.outputs.os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text(target, "after")
    assert target.read_text() == "before" and _leftovers(tmp_path) == []
