"""Speech-recognition speed, memory and accuracy on this machine.

Speaks ~70 s of English with espeak-ng, then transcribes it with each backend on the same
offline weights, every run in a fresh process so peak memory is its own:

- faster-whisper (CTranslate2, int8 on CPU): whisper-base and whisper-tiny.en
- openai-whisper (PyTorch, fp32 on CPU): the same two checkpoints, converted

Prints a Markdown table: real-time factor (audio seconds per compute second, "x real
time"), model load time, peak resident memory, word error rate.

Run: ``python benchmarks/asr.py`` (after ``make setup``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please call Stella and ask her to bring these things from the store.",
    "The weather today is sunny with a light breeze from the west.",
    "My favourite colour is blue and I like to read books at night.",
    "We will meet at the train station at seven o'clock tomorrow morning.",
    "Fresh bread is baked every morning in the small village bakery.",
    "The children played football in the park until it was dark.",
    "She opened the window to let the cool evening air into the room.",
    "Our team finished the project two days before the deadline.",
    "The museum is closed on Mondays but open every other day.",
    "A good night of sleep helps you think clearly the next day.",
    "The river flows through the valley and into the sea.",
    "He forgot his umbrella and walked home in the rain.",
    "Many birds fly south when the winter begins.",
    "The library has thousands of books about history and science.",
    "Turn left at the second corner and the shop is on your right.",
)
RUNS = (
    ("faster-whisper", "whisper-base"),
    ("faster-whisper", "whisper-tiny.en"),
    ("openai-whisper", "whisper-base-openai"),
    ("openai-whisper", "whisper-tiny.en-openai"),
)


def make_recording(folder: Path) -> tuple[Path, float]:
    from studio.media import write_audio
    from studio.speech import speak

    pieces, rate = [], 22050
    for sentence in SENTENCES:
        samples, rate = speak(sentence)
        pieces += [samples, np.zeros(rate // 2, np.float32)]
    audio = np.concatenate(pieces)
    return write_audio(folder / "speech.wav", audio, rate), audio.size / rate


def worker(model: str, backend: str, audio_path: str) -> None:
    """One measured run; prints JSON on stdout."""
    from studio.pipelines.transcribe import transcribe
    from studio.registry import default_cache

    started = time.perf_counter()
    default_cache().get(model)  # load once, timed apart from decoding
    loaded = time.perf_counter()
    transcript = transcribe(audio_path, model=model, backend=backend)
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": loaded - started, "run_s": done - loaded, "peak_mb": peak_mb, "text": transcript.text}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("MODEL", "BACKEND", "AUDIO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    from evaluations.asr_wer import word_error_rate

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        audio, seconds = make_recording(Path(tmp))
        for backend, model in RUNS:
            cmd = [sys.executable, __file__, "--worker", model, backend, str(audio)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            wer = word_error_rate(" ".join(SENTENCES), result["text"]).wer
            rows.append((backend, model, seconds / result["run_s"], result["run_s"], result["load_s"],
                         result["peak_mb"], wer))  # fmt: skip

    print(f"Audio: {seconds:.1f} s of espeak-ng English, {len(SENTENCES)} sentences.\n")
    print("| backend | model | speed (x real time) | transcribe (s) | load (s) | peak memory (MB) | WER |")
    print("|---|---|---|---|---|---|---|")
    for backend, model, speed, run_s, load_s, peak, wer in rows:
        print(f"| {backend} | {model} | {speed:.1f}x | {run_s:.1f} | {load_s:.1f} | {peak:.0f} | {wer:.3f} |")
    speeds = {model: speed for _, model, speed, *_ in rows}
    base = speeds["whisper-base"] / speeds["whisper-base-openai"]
    tiny = speeds["whisper-tiny.en"] / speeds["whisper-tiny.en-openai"]
    print(
        f"\nfaster-whisper vs openai-whisper on the same weights: base {base:.1f}x faster, tiny.en {tiny:.1f}x faster"
    )


if __name__ == "__main__":
    main()
