"""FPS consistency against files whose timing faults were planted here, with their exact truth.

Every clip is a moving pattern (a bright bar sweeping across), so consecutive frames differ
clearly unless a frame was repeated on purpose; timestamps are written exactly (``time_s`` on a
1/90000 or 1/30 time base)."""

from __future__ import annotations

import io
import json
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from studio import media
from studio.cli.main import main
from studio.core import InputError
from studio.demo import DemoMedia
from studio.evaluate import FpsTolerances, check_fps

SIZE = (160, 90)


def _picture(step: int) -> np.ndarray:
    """Frame content number ``step``: a bar 8 px wide at x = 4 * step (wrapping), on grey."""
    image = np.full((SIZE[1], SIZE[0], 3), 60, np.uint8)
    x = (4 * step) % (SIZE[0] - 8)
    image[:, x : x + 8] = (230, 200, 40)
    image[10:20, 10 + step % 50 : 20 + step % 50] = 255  # a second mover: no two steps alike
    return image


def _clip(path: Path, contents: list[int], times_s: list[float] | None = None, fps: int = 30,
          audio_s: float | None = None) -> Path:  # fmt: skip
    """Frames showing ``contents`` (a repeated number repeats its picture) at ``times_s``."""
    audio = None
    if audio_s is not None:
        audio = (0.1 * np.sin(2 * np.pi * 440 * np.arange(round(audio_s * 16000)) / 16000)).astype(np.float32)
    base = Fraction(1, 90000) if times_s is not None else None
    with media.VideoWriter(path, fps=fps, time_base=base, audio=audio) as writer:
        for number, content in enumerate(contents):
            writer.write(_picture(content), time_s=None if times_s is None else times_s[number])
    return path


def test_a_constant_rate_file_passes(tmp_path: Path) -> None:
    report = check_fps(_clip(tmp_path / "steady.mp4", list(range(90))))
    assert report.verdict == "pass", report.failures
    assert (report.frames, report.dropped_frames, report.duplicated_frames) == (90, 0, 0)
    assert report.vfr_share == 0.0 and not report.is_vfr
    assert report.period_s == pytest.approx(1 / 30, abs=1e-6) and report.declared_fps == pytest.approx(30)
    assert report.expected_frames == pytest.approx(90, abs=0.01)
    assert report.audio_offset_s is None and report.audio_drift_s is None


def test_a_single_frame_has_no_rate_to_pass(tmp_path: Path) -> None:
    report = check_fps(_clip(tmp_path / "still.mp4", [0]))
    assert report.frames == 1 and report.verdict == "fail"
    assert report.failures == ("only 1 frame: there is no frame interval to check the rate against",)


def test_the_demo_video_passes_with_its_sound_ending_on_its_last_frame(demo: DemoMedia) -> None:
    report = check_fps(demo.video)
    assert report.verdict == "pass", report.failures
    assert report.frames == demo.truth["frame_count"] and report.dropped_frames == 0
    assert report.audio_drift_s is not None and abs(report.audio_drift_s) < 0.03


def test_irregular_timestamps_are_vfr_with_their_share(tmp_path: Path) -> None:
    """Of 89 intervals, every fifth (17) is 1/20 s and the other 72 are 1/30 s: 17 of 89 off the period."""
    intervals = [1 / 20 if n % 5 == 4 else 1 / 30 for n in range(89)]
    times = [0.0, *np.cumsum(intervals).tolist()]
    report = check_fps(_clip(tmp_path / "vfr.mp4", list(range(90)), times))
    assert report.vfr_share == pytest.approx(17 / 89, abs=1e-6) and report.is_vfr
    assert report.period_s == pytest.approx(1 / 30, abs=1e-4)
    assert report.verdict == "fail" and any("off the" in failure for failure in report.failures)
    assert report.interval_histogram == {"33.3": 72, "50.0": 17}


def test_planted_drops_and_repeats_are_counted_with_their_times(tmp_path: Path) -> None:
    """30 fps slots with frames 30, 31 and 61 missing; frames 10 and 70 repeat the one before."""
    slots = [n for n in range(90) if n not in (30, 31, 61)]
    contents = [slot - 1 if slot in (10, 70) else slot for slot in slots]
    report = check_fps(_clip(tmp_path / "faults.mp4", contents, [n / 30 for n in slots]))
    assert report.dropped_frames == 3
    assert report.dropped_after_s == pytest.approx((29 / 30, 29 / 30, 60 / 30), abs=1e-4)
    assert report.duplicated_frames == 2
    assert report.duplicated_at_s == pytest.approx((10 / 30, 70 / 30), abs=1e-4)
    assert report.frames == 87 and report.verdict == "fail"
    assert report.vfr_share == 0.0  # gaps of whole periods are drops, not a variable rate
    assert "3 dropped frames (allowed 0)" in report.failures
    assert check_fps(tmp_path / "faults.mp4", pictures=False).duplicated_frames is None  # packets only


def test_24fps_content_repeated_to_30_shows_its_cadence(tmp_path: Path) -> None:
    """Every fourth content frame shown twice: 24 fps content at 30, one repeat in every 5."""
    contents = [n * 4 // 5 for n in range(150)]  # 0 1 2 3 3 4 5 6 7 7 ...
    report = check_fps(_clip(tmp_path / "pulldown.mp4", contents))
    assert report.duplicated_frames == 30
    assert report.duplicate_cadence == "1 repeat every 5 frames (24 fps content at 30)"
    assert report.verdict == "fail" and report.dropped_frames == 0 and report.vfr_share == 0.0


def test_audio_that_runs_past_the_picture_is_drift(tmp_path: Path) -> None:
    report = check_fps(_clip(tmp_path / "long-sound.mp4", list(range(60)), audio_s=2.5))
    assert report.audio_offset_s == pytest.approx(0.0, abs=0.005)  # the encoder's priming is not an offset
    assert report.audio_drift_s == pytest.approx(0.5, abs=0.07)  # 2.5 s of sound, 2 s of picture (AAC frames)
    assert report.verdict == "fail" and any("audio ends" in failure for failure in report.failures)
    lenient = check_fps(tmp_path / "long-sound.mp4", FpsTolerances(audio_drift_s=1.0))
    assert lenient.verdict == "pass", lenient.failures
    for wrong in ({"vfr_share": 2.0}, {"dropped_frames": float("nan")}, {"duplicated_share": "x"}):
        with pytest.raises(InputError):
            FpsTolerances(**wrong)


def test_the_command_writes_one_report_per_file_and_exits_1_on_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _clip(tmp_path / "good.mp4", list(range(30)))
    bad = _clip(tmp_path / "bad.mp4", [0, 1, 2, 3, 4, 5, 6, 7], [n / 30 for n in (0, 1, 2, 3, 6, 7, 8, 9)])
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    assert main(["eval", "fps", str(good), str(bad), "--output", str(out), "--html", str(page)]) == 1
    shown_page = page.read_text()
    assert shown_page.count("<img alt='frame intervals' src='data:image/png;base64,") == 2
    assert "<span class='fail'>fail</span>" in shown_page and "2: at 0.100, 0.100 s" in shown_page
    reports = json.loads(out.read_text())["reports"]
    assert [(r["path"], r["verdict"], r["dropped_frames"]) for r in reports] == [
        (str(good), "pass", 0),
        (str(bad), "fail", 2),
    ]
    shown = capsys.readouterr()
    assert "good.mp4: pass" in shown.err and "bad.mp4: fail: 2 dropped frames" in shown.err
    assert main(["eval", "fps", str(tmp_path / "nowhere.mp4")]) == 5  # MediaError's exit code, one line
    assert capsys.readouterr().err.count("\n") == 1
    (tmp_path / "empty.mp4").write_bytes(b"")  # one bad file among good ones: the others are still checked
    assert main(["eval", "fps", str(good), str(tmp_path / "empty.mp4"), str(good), "-o", str(out)]) == 5
    written = json.loads(out.read_text())
    assert [r["verdict"] for r in written["reports"]] == ["pass", "pass"]
    assert written["errors"][0]["path"] == str(tmp_path / "empty.mp4") and "empty" in written["errors"][0]["error"]
    assert capsys.readouterr().err.count("\n") == 3


def test_millisecond_timestamps_at_29_97_are_constant_rate(tmp_path: Path) -> None:
    """Matroska keeps milliseconds: 29.97 fps alternates 33 and 34 ms steps, which is rounding."""
    clip = tmp_path / "ntsc.mkv"
    with media.VideoWriter(clip, fps="30000/1001") as writer:
        for step in range(90):
            writer.write(_picture(step))
    report = check_fps(clip)
    assert set(report.interval_histogram) == {"33.0", "34.0"}
    assert report.period_s == pytest.approx(1001 / 30000, abs=2e-4)
    assert report.vfr_share == 0.0 and report.verdict == "pass", report.failures


def test_a_jittery_rate_keeps_its_period_and_a_time_base_is_no_declared_rate(tmp_path: Path) -> None:
    """30 fps give or take up to 8 ms at random, on a 1/90000 time base: the period is still
    about 33 ms, and FFmpeg's guess of 90000 fps (the time base) is not the header's rate."""
    rng = np.random.default_rng(4)
    times = np.arange(90) / 30 + np.concatenate([[0.0], rng.uniform(-0.008, 0.008, 89)])
    report = check_fps(_clip(tmp_path / "jitter.mp4", list(range(90)), sorted(times.tolist())))
    assert report.period_s == pytest.approx(1 / 30, abs=0.002)
    assert report.declared_fps is not None and report.declared_fps < 100
    assert report.is_vfr and report.verdict == "fail"


def test_a_file_cut_short_lists_fewer_frames_than_its_header(tmp_path: Path) -> None:
    whole = _clip(tmp_path / "whole.mp4", list(range(90)))  # faststart: the frame list comes first
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    report = check_fps(cut, pictures=False)
    assert report.header_frames == 90 and report.frames < 90
    assert f"{report.frames} frames where the header lists 90" in report.failures


PULLDOWN = [(1, 1), (0, 0), (0, 1), (1, 0)]  # (top field first, repeat first field): 3, 2, 3, 2 fields


def _soft_telecine(path: Path, frames: int, drop: int | None = None) -> Path:
    """23.976 fps MPEG-2 flagged as a DVD keeps film: the sequence says 29.97 fps interlaced,
    every other picture repeats a field (``repeat_first_field``), so frames last 3 and 2 fields
    (50.05 and 33.37 ms). Remuxed to ``path`` by FFmpeg (through PyAV), packet ``drop`` left out."""
    raw = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 40, (SIZE[1], SIZE[0], 1), dtype=np.uint8)  # real-sized frames
    with av.open(raw, "w", format="mpeg2video") as out:
        stream = out.add_stream("mpeg2video", rate=Fraction(24000, 1001))
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        stream.codec_context.gop_size, stream.codec_context.max_b_frames = 1, 0  # every picture stands alone
        stream.codec_context.bit_rate = 4_000_000
        for number in range(frames):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(_picture(number) + noise, format="rgb24")))
        out.mux(stream.encode())
    data, at, picture = bytearray(raw.getvalue()), 0, -1
    while (at := data.find(b"\x00\x00\x01", at) + 4) >= 4 and at + 5 <= len(data):
        code = data[at - 1]
        if code == 0xB3:  # sequence header: frame rate code 4, 29.97
            data[at + 3] = (data[at + 3] & 0xF0) | 4
        elif code == 0xB5 and data[at] >> 4 == 1:  # sequence extension: progressive_sequence off
            data[at + 1] &= ~0x08
        elif code == 0xB5 and data[at] >> 4 == 8:  # picture coding extension: TFF, RFF, progressive frame
            picture += 1
            first, repeat = PULLDOWN[picture % 4]
            data[at + 3] = (data[at + 3] & ~0x82) | (0x80 * first) | (0x02 * repeat)
            data[at + 4] |= 0x80
    elementary = io.BytesIO(bytes(data))
    with (
        av.open(elementary, format="mpeg2video", options={"fflags": "+genpts"}) as source,
        av.open(str(path), "w") as target,
    ):
        copied = target.add_stream_from_template(source.streams.video[0])
        for number, packet in enumerate(p for p in source.demux(source.streams.video[0]) if p.size):
            if number != drop:
                packet.stream = copied
                target.mux(packet)
    return path


@pytest.mark.parametrize("name", ["film.mpg", "film.mkv", "film.ts"])
def test_soft_telecine_is_a_3_2_cadence_not_a_variable_rate(tmp_path: Path, name: str) -> None:
    """A DVD's film: 3 and 2 fields in turn is a cadence, the 59.94 fields or 29.97 frames the
    header states are its rates, and it passes; frame 40 left out is one drop, after frame 39."""
    report = check_fps(_soft_telecine(tmp_path / name, 96))
    assert report.verdict == "pass", report.failures
    assert report.field_pattern == (3, 2) and report.pulldown is not None
    assert report.pulldown.startswith("3:2 pulldown by field-repeat flags (soft telecine)")
    assert "23.976 fps film shown at 29.97 fps" in report.pulldown
    assert report.field_period_s == pytest.approx(1001 / 60000, abs=2e-5)
    assert report.period_s == pytest.approx(1001 / 24000, abs=2e-5)
    assert (report.vfr_share, report.dropped_frames, report.duplicated_frames, report.repeated_fields) == (0, 0, 0, 0)
    assert report.expected_frames == pytest.approx(96, abs=1)
    cut = check_fps(_soft_telecine(tmp_path / f"cut-{name}", 96, drop=40), pictures=False)
    start = check_fps(tmp_path / f"cut-{name}", pictures=False)
    assert cut.field_pattern == (3, 2) and cut.dropped_frames == 1 and cut.vfr_share == 0
    times = media.scan_timing(tmp_path / f"cut-{name}").times_s
    assert cut.dropped_after_s == pytest.approx((times[39] - times[0],), abs=1e-3) and start.verdict == "fail"
    assert cut.failures == ("1 dropped frames (allowed 0)",)


def _hard_telecine(path: Path, film_frames: int, lossless: bool) -> Path:
    """24 fps film woven into 30 fps video, fields (top/bottom) A/A B/B B/C C/D D/D per four
    film frames: the top field repeats in the third frame of five, the bottom in the fifth."""
    woven = []
    for group in range(film_frames // 4):
        a, b, c, d = (_picture(4 * group + k) for k in range(4))
        for top, bottom in ((a, a), (b, b), (b, c), (c, d), (d, d)):
            frame = bottom.copy()
            frame[0::2] = top[0::2]
            woven.append(frame)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1" if lossless else "libx264", rate=30)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv444p" if lossless else "yuv420p"
        if not lossless:
            stream.options = {"crf": "18"}
        for frame in woven:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return path


@pytest.mark.parametrize("name,lossless", [("woven.mkv", True), ("woven.mp4", False)])
def test_hard_telecine_shows_each_field_repeating_once_in_five_frames(
    tmp_path: Path, name: str, lossless: bool
) -> None:
    """No whole frame repeats; the top field repeats in frames 2, 7, 12, … and the bottom in 4, 9, 14, …"""
    report = check_fps(_hard_telecine(tmp_path / name, 96, lossless))
    expected = sorted([5 * k + 2 for k in range(24)] + [5 * k + 4 for k in range(24)])
    assert report.frames == 120 and report.duplicated_frames == 0
    assert report.repeated_fields == 48
    assert report.repeated_fields_at_s == pytest.approx([n / 30 for n in expected], abs=1e-3)
    assert report.pulldown == (
        "3:2 pulldown in the pictures (hard telecine): each field repeats once every 5 frames, "
        "24.000 fps film in 30.000 fps video"
    )
    assert report.verdict == "pass", report.failures


def test_repeated_fields_match_ffmpegs_idet_on_ffmpegs_telecine(tmp_path: Path) -> None:
    """The peer on the peer's own weave: FFmpeg's telecine filter on its moving test pattern, then
    FFmpeg's idet counts the repeated top and bottom fields; ours counts the same."""
    woven = tmp_path / "telecined.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=24000/1001",
            "-frames:v",
            "144",
            "-vf",
            "telecine",
            "-c:v",
            "libx264",
            "-crf",
            "18",
            str(woven),
        ],
        check=True,
    )
    idet = subprocess.run(
        ["ffmpeg", "-v", "info", "-nostats", "-i", str(woven), "-vf", "idet", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    top, bottom = (
        int(n) for n in re.search(r"Repeated Fields: Neither:\s*\d+\s*Top:\s*(\d+)\s*Bottom:\s*(\d+)", idet).groups()
    )
    report = check_fps(woven)
    assert top > 0 and bottom > 0
    assert report.repeated_fields == top + bottom
    assert report.pulldown is not None and "23.976 fps film in 29.970 fps video" in report.pulldown


@pytest.mark.parametrize("every", [5, 6])
def test_regular_drops_are_drops_not_a_cadence(tmp_path: Path, every: int) -> None:
    """30 fps with every 5th (or 6th) frame missing reads as 4, 2, 2, 2 fields: no flag makes a
    4-field frame, so each gap is a drop, at its time."""
    slots = [s for s in range(30 * every) if s % every != every - 1][:-1]  # the last slot kept
    report = check_fps(_clip(tmp_path / "drops.mp4", slots, [s / 30 for s in slots]), pictures=False)
    assert report.pulldown is None and report.field_pattern == ()
    assert report.dropped_frames == 29 and report.vfr_share == 0 and report.verdict == "fail"
    assert report.dropped_after_s[:2] == pytest.approx([(every - 2) / 30, (2 * every - 2) / 30], abs=1e-4)


def test_soft_telecine_is_found_whatever_the_vfr_tolerance(tmp_path: Path) -> None:
    """A looser --vfr-share must not turn the cadence off (it would then read as a wrong rate)."""
    film = _soft_telecine(tmp_path / "film.mkv", 48)
    for share in (0.01, 0.5, 1.0):
        report = check_fps(film, FpsTolerances(vfr_share=share), pictures=False)
        assert report.field_pattern == (3, 2) and report.verdict == "pass", (share, report.failures)


def test_a_stream_that_changes_size_midway_compares_its_fields(tmp_path: Path) -> None:
    """Each field is averaged to the same 18 rows whatever the frame's height: 1280×720 then
    640×500 in one transport stream is checked, not a crash."""
    parts = []
    for name, (width, height) in (("a.ts", (1280, 720)), ("b.ts", (640, 500))):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=25",
                        "-frames:v", "25", "-c:v", "libx264", str(tmp_path / name)], check=True)  # fmt: skip
        parts.append((tmp_path / name).read_bytes())
    (tmp_path / "both.ts").write_bytes(b"".join(parts))
    report = check_fps(tmp_path / "both.ts")
    assert report.frames == 50 and report.duplicated_frames == 0 and report.repeated_fields == 0
