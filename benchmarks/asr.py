"""Speech-recognition speed and accuracy: the studio next to the plain libraries it wraps.

Speaks ~130 s of English with espeak-ng (two voices, ``BENCH_ENGLISH``), then transcribes
it with each contender on the same offline weights, each run in a fresh process, rounds
interleaved, medians reported:

- ``studio``: ``studio.speech.transcribe.transcribe`` with its defaults, on each backend;
- ``plain faster-whisper``: ``WhisperModel(...).transcribe(path)`` with the library's defaults;
- ``plain faster-whisper batched``: ``BatchedInferencePipeline(model).transcribe(path, batch_size=8)``;
- ``plain openai-whisper``: ``whisper.load_model(...).transcribe(path)``.

Prints a Markdown table: real-time factor (audio seconds per compute second), model load
time, peak resident memory, word error rate, and the speed ratio to the plain library.

Run: ``python benchmarks/asr.py [--rounds 3]`` (after ``make setup``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fresh import medians, peak_memory_mb, run_rounds

# (contender, model): studio rows use the spec's own backend
MODELS = {"base": ("whisper-base", "whisper-base-openai"), "tiny.en": ("whisper-tiny.en", "whisper-tiny.en-openai")}
CONTENDERS = [
    f"{kind}:{size}"
    for size in MODELS
    for kind in ("studio-faster", "faster", "faster-batched", "studio-openai", "openai")
]
LABELS = {
    "studio-faster": "studio (faster-whisper)",
    "faster": "plain faster-whisper",
    "faster-batched": "plain faster-whisper batched",
    "studio-openai": "studio (openai-whisper)",
    "openai": "plain openai-whisper",
}
PLAIN = {"studio-faster": "faster", "faster-batched": "faster", "studio-openai": "openai"}


def make_recording(folder: Path) -> tuple[Path, float]:
    import numpy as np

    from evaluations.synthetic_media import BENCH_ENGLISH, spoken_sentences
    from studio.media import write_audio

    half = len(BENCH_ENGLISH) // 2
    first, rate, _ = spoken_sentences(BENCH_ENGLISH[:half], voice="en-us")
    second, _, _ = spoken_sentences(BENCH_ENGLISH[half:], voice="en")
    audio = np.concatenate([first, second])
    return write_audio(folder / "speech.wav", audio, rate), audio.size / rate


def _weights(model: str) -> str:
    from studio.registry import default_cache

    cache = default_cache()
    path = cache.registry.get(model).weights_path(cache.settings)
    if path is None:
        raise SystemExit(f"{model} is not installed: run `make setup`")
    return str(path)


def worker(contender: str, audio_path: str) -> None:
    """One measured run; prints JSON on stdout."""
    kind, size = contender.split(":")
    faster_model, openai_model = MODELS[size]
    started = time.perf_counter()
    if kind.startswith("studio"):
        from studio.registry import default_cache
        from studio.speech import transcribe

        model = faster_model if kind == "studio-faster" else openai_model
        default_cache().get(model)  # load once, timed apart from decoding
        loaded = time.perf_counter()
        text = transcribe(audio_path, model=model).text
    elif kind.startswith("faster"):
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        plain = WhisperModel(_weights(faster_model), device="cpu", compute_type="int8")
        loaded = time.perf_counter()
        if kind == "faster-batched":
            segments, _ = BatchedInferencePipeline(plain).transcribe(audio_path, batch_size=8)
        else:
            segments, _ = plain.transcribe(audio_path)
        text = " ".join(segment.text for segment in segments)
    else:
        import whisper

        network = whisper.load_model(_weights(openai_model), device="cpu")
        loaded = time.perf_counter()
        text = network.transcribe(audio_path, fp16=False)["text"]
    done = time.perf_counter()
    print(json.dumps({"load_s": loaded - started, "run_s": done - loaded, "peak_mb": peak_memory_mb(), "text": text}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("CONTENDER", "AUDIO"), help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    from evaluations.asr_wer import word_error_rate
    from evaluations.synthetic_media import BENCH_ENGLISH

    with tempfile.TemporaryDirectory() as tmp:
        audio, seconds = make_recording(Path(tmp))
        results = run_rounds(__file__, CONTENDERS, [str(audio)], args.rounds)
    table = {name: medians(runs) for name, runs in results.items()}
    reference = " ".join(BENCH_ENGLISH)
    print(f"Audio: {seconds:.1f} s of espeak-ng English ({len(BENCH_ENGLISH)} sentences, two voices); "
          f"medians of {args.rounds} fresh-process rounds.\n")  # fmt: skip
    print("| contender | model | speed (x real time) | transcribe (s) | load (s) | peak memory (MB) | WER | vs plain |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in table.items():
        kind, size = name.split(":")
        wer = word_error_rate(reference, row["text"]).wer
        plain = PLAIN.get(kind)
        ratio = f"{table[f'{plain}:{size}']['run_s'] / row['run_s']:.2f}x" if plain else "1.00x"
        print(f"| {LABELS[kind]} | {size} | {seconds / row['run_s']:.1f}x | {row['run_s']:.1f} | {row['load_s']:.1f} "
              f"| {row['peak_mb']:.0f} | {wer:.3f} | {ratio} |")  # fmt: skip


if __name__ == "__main__":
    main()
