"""Inputs are local files opened as files: no protocol, playlist or list of other files is
followed, and limits are checked from the header before anything is decoded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from evaluations.synthetic_media import read_counter, sine, write_counter_video
from studio import media
from studio.core import MediaError, MediaNotFound, RefusedMedia
from studio.media import MediaLimits, inputs

# Names FFmpeg's URL parser would read as a protocol, an option list or a remote file.
PROTOCOL_NAMES = [
    "file:clip.mp4",
    "concat:clip.mp4|other.mp4",
    "subfile,,start,0,end,100,,:clip.mp4",
    "http:clip.mp4",
    "take2:final.mp4",
    "pipe:0",
    "data:video-mp4,x.mp4",
    "a?b#c%20.mp4",
]


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """30 frames that show their own index; another clip of 90 frames sits beside it."""
    write_counter_video(tmp_path / "other.mp4", 30, frames=90)
    return write_counter_video(tmp_path / "clip.mp4", 30, frames=30, audio=sine(440, 1.0, 16000))


@pytest.mark.parametrize("name", PROTOCOL_NAMES)
def test_a_file_named_like_a_protocol_reads_itself(clip: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = clip.parent / name
    shutil.copy(clip, target)
    for path in (target, name):  # absolute, and relative to the working folder
        monkeypatch.chdir(clip.parent)
        info = media.probe(path)
        assert info.frame_count == 30 and info.path == str(path)
        frames = list(media.iter_frames(path))
        assert [read_counter(f.image) for f in frames] == list(range(30))
        assert media.read_audio(path).size == pytest.approx(16000, abs=1100)


PLAYLISTS = {
    "hls": "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\nother.ts\n#EXT-X-ENDLIST\n",
    "ffconcat": "ffconcat version 1.0\nfile other.mp4\n",
    "dash": '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"></MPD>\n',
    "sdp": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nm=video 5004 RTP/AVP 96\r\n",
}


@pytest.mark.parametrize("kind", list(PLAYLISTS))
@pytest.mark.parametrize("name", ["list.m3u8", "list.ffconcat", "renamed.mp4"])
def test_playlists_are_refused_whatever_their_name(clip: Path, kind: str, name: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip.parent / "other.mp4"), "-c", "copy",
                    str(clip.parent / "other.ts")], check=True)  # fmt: skip
    playlist = clip.parent / name
    playlist.write_text(PLAYLISTS[kind])
    for call in (media.probe, lambda p: list(media.iter_frames(p)), media.read_audio):
        with pytest.raises(RefusedMedia, match=r"playlist|list of other files|manifest|network streams") as caught:
            call(playlist)
        assert str(playlist) in str(caught.value)


def test_the_demuxer_allow_list_refuses_even_without_the_signature_check(
    clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root guard: FFmpeg may only choose demuxers that read nothing but the file."""
    listing = clip.parent / "list.mp4"
    listing.write_text(PLAYLISTS["ffconcat"])
    monkeypatch.setattr(inputs, "_sniffed_kind", lambda head: None)
    with pytest.raises(RefusedMedia, match="does not open"):
        media.probe(listing)
    allowed = set(inputs._allowed_demuxers().split(","))
    assert {"mov", "mp4", "matroska", "webm", "mpegts", "wav", "png_pipe"} <= allowed
    assert not {"hls", "concat", "dash", "imf", "image2", "lavfi", "rtsp", "sdp", "vobsub"} & allowed


def test_image_sequences_and_devices_are_refused(clip: Path) -> None:
    frame = clip.parent / "frame%03d.png"
    for index in range(3):
        write = clip.parent / f"frame{index:03d}.png"
        from PIL import Image

        Image.fromarray(np.full((32, 32, 3), index * 60, np.uint8)).save(write)
    frame.write_bytes((clip.parent / "frame000.png").read_bytes())
    info = media.probe(frame)  # the file itself, a single picture: never the numbered siblings
    assert info.frame_count == 1
    with pytest.raises(MediaNotFound, match="not a regular file"):
        media.probe("/dev/zero")


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.mp4"
    os.mkfifo(fifo)
    with pytest.raises(MediaNotFound, match="pipe, socket or device"):
        media.probe(fifo)


BOMB_PROBE = textwrap.dedent("""
    import resource, sys
    from studio import media
    from studio.core.errors import RefusedMedia
    try:
        media.probe(sys.argv[1])
    except RefusedMedia as exc:
        print("refused:", exc)
    print("peak_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
""")


@pytest.mark.parametrize("kind", ["png", "y4m"])
def test_a_pixel_bomb_is_refused_before_it_is_decoded(tmp_path: Path, kind: str) -> None:
    bomb = tmp_path / "holiday.mp4"  # 16000×16000 posing as a video
    if kind == "png":
        from PIL import Image

        Image.new("RGB", (16000, 16000)).save(bomb, format="PNG")  # 768 MB decoded, ~750 kB on disk
    else:
        bomb.write_bytes(b"YUV4MPEG2 W16000 H16000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(4096))
    assert bomb.stat().st_size < 2_000_000
    result = subprocess.run([sys.executable, "-c", BOMB_PROBE, str(bomb)], capture_output=True, text=True,
                            timeout=120, check=True)  # fmt: skip
    assert "refused:" in result.stdout and "MEDIA_STUDIO_MAX_PIXELS" in result.stdout, result.stdout
    peak_mb = float(result.stdout.split("peak_mb")[1])
    baseline = subprocess.run([sys.executable, "-c", "import resource, studio.media; "
                               "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    assert peak_mb < float(baseline.stdout) + 100, (peak_mb, baseline.stdout)


def test_limits_on_pixels_duration_and_size_come_from_settings(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RefusedMedia, match="192×48 = 9,216 pixels, over the limit of 9,000"):
        media.probe(clip, limits=MediaLimits(max_pixels=9000))
    with pytest.raises(RefusedMedia, match=r"declares 1\.0 s, over the limit of 0\.5 s .MEDIA_STUDIO_MAX_DURATION_S"):
        list(media.iter_frames(clip, limits=MediaLimits(max_duration_s=0.5)))
    monkeypatch.setenv("MEDIA_STUDIO_MAX_FILE_MB", "1")
    big = clip.parent / "big.mp4"
    with big.open("wb") as handle:
        handle.write(clip.read_bytes())
        handle.truncate(3 * 2**20)
    with pytest.raises(RefusedMedia, match=r"over the limit of 1 MB \(MEDIA_STUDIO_MAX_FILE_MB\)"):
        media.probe(big)
    monkeypatch.setenv("MEDIA_STUDIO_MAX_PIXELS", "10000")
    assert media.probe(clip).frame_count == 30  # within every limit


def test_errors_quote_the_path_exactly_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MediaError) as caught:
        media.probe("./nowhere//missing.mp4")
    assert "./nowhere//missing.mp4: no such file" in str(caught.value)


def test_a_frame_bigger_than_the_header_said_is_refused_while_decoding(tmp_path: Path) -> None:
    """The header check sees the first frame's size; the decoder refuses a later, bigger one."""
    import io

    from PIL import Image

    from studio.core import CorruptMedia

    def jpeg(width: int, height: int) -> bytes:
        data = io.BytesIO()
        Image.new("RGB", (width, height), (90, 120, 30)).save(data, format="JPEG")
        return data.getvalue()

    mixed = tmp_path / "mixed.mjpeg"
    mixed.write_bytes(jpeg(320, 240) * 5 + jpeg(1280, 960) + jpeg(320, 240) * 2)
    limits = MediaLimits(max_pixels=320 * 240)
    sizes = []
    with pytest.raises(CorruptMedia, match="over the pixel limit"):
        for frame in media.iter_frames(mixed, limits=limits):
            sizes.append(frame.image.shape)
    assert sizes == [(240, 320, 3)] * 5
    assert len(list(media.iter_frames(mixed))) == 8  # within the default limit it all decodes


def test_words_of_a_playlist_inside_media_metadata_do_not_refuse_it(clip: Path) -> None:
    tagged = clip.parent / "tagged.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-c", "copy", "-metadata",
                    "title=notes <MPD> and #EXTM3U draft", str(tagged)], check=True)  # fmt: skip
    assert media.probe(tagged).frame_count == 30


def _png(path: Path, width: int, height: int) -> Path:
    """A whole 1-bit PNG of ``width``×``height``: a few kB on disk, ``width × height`` bytes decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer, row = zlib.compressobj(9), bytes(1 + (width + 7) // 8)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))  # fmt: skip
    return path


def test_documents_follow_the_media_rules_and_what_is_not_a_file_is_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.core import InputError

    fifo = tmp_path / "notes.json"
    os.mkfifo(fifo)
    opened: list[object] = []
    real_open = os.open

    def recording_open(path: object, *args: object, **kwargs: object) -> int:
        opened.append(path)
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", recording_open)
    refused = {
        fifo: "is a pipe, socket or device, not a regular file",
        Path("/dev/zero"): "is a pipe, socket or device, not a regular file",
        tmp_path: "is a folder, not a regular file",
        tmp_path / "missing.json": "no such file",
        Path("https://example.com/notes.json"): "no such file (a local file is needed; URLs are never fetched)",
    }
    for path, reason in refused.items():
        with pytest.raises(InputError) as caught:
            media.read_document(path, max_bytes=100, what="a note")
        assert str(caught.value) == f"{path}: {reason}"
    assert opened == []  # each was refused from its stat, before any open
    note = tmp_path / "note.txt"
    note.write_text("héllo")
    assert media.read_document(note, max_bytes=6, what="a note") == "héllo"
    assert opened == [note]
    with pytest.raises(InputError, match=r"^.*note\.txt: the file has 6 bytes; a note is at most 5 bytes$"):
        media.read_document(note, max_bytes=5, what="a note")
    note.write_bytes(b"\xffhello")
    with pytest.raises(InputError, match=r"note\.txt: is not UTF-8 text$"):
        media.read_document(note, max_bytes=100, what="a note")
    for path, reason in list(refused.items())[:3]:  # the same rules for files read as media
        with pytest.raises(MediaNotFound, match=f"^{path}: {reason}$"):
            media.check_local_file(path)


def test_a_picture_is_held_to_the_pixel_limit_from_its_header(tmp_path: Path) -> None:
    from PIL import Image

    from studio.core import CorruptMedia

    picture = tmp_path / "start.png"
    Image.fromarray(np.arange(64 * 48 * 3, dtype=np.uint8).reshape(48, 64, 3)).save(picture)
    with media.open_picture(picture, MediaLimits(max_pixels=64 * 48)) as opened:
        assert opened.size == (64, 48)
        assert np.array_equal(np.asarray(opened.convert("RGB")), np.asarray(Image.open(picture)))
    with pytest.raises(RefusedMedia) as caught:
        media.open_picture(picture, MediaLimits(max_pixels=3000)).__enter__()
    assert str(caught.value) == (f"{picture}: the picture is 64×48 = 3,072 pixels, over the limit of 3,000 "
                                 "(MEDIA_STUDIO_MAX_PIXELS)")  # fmt: skip
    bomb = _png(tmp_path / "bomb.png", 16000, 16000)  # past PIL's own bomb limit: the studio's words, not PIL's
    with pytest.raises(RefusedMedia, match=r"16000×16000 = 256,000,000 pixels, over the limit of 67,108,864"):
        media.open_picture(bomb).__enter__()
    wide = _png(tmp_path / "wide.png", 12000, 9000)  # past PIL's warning, within the studio's limit
    with media.open_picture(wide, MediaLimits(max_pixels=12000 * 9000)) as opened:
        assert opened.size == (12000, 9000)
    (tmp_path / "notes.png").write_text("not a picture at all")
    with pytest.raises(CorruptMedia, match=r"notes\.png: not a picture \(no format Pillow reads"):
        media.open_picture(tmp_path / "notes.png").__enter__()
    with pytest.raises(MediaNotFound, match="pipe, socket or device"):
        media.open_picture("/dev/zero").__enter__()
