"""The service's overhead: the same work through ``gradio_client`` and straight from Python.

Two contenders, each round in fresh processes, rounds interleaved, medians over rounds:

- ``python``: the pipelines called in-process (models loaded and warmed first), and the job
  store read that ``/job_status`` does;
- ``api``: a fresh ``studio serve`` (its own process) driven by ``gradio_client`` from this
  worker: warm-up jobs first, then the same transcriptions and analyses as jobs (submit, then
  ``/job_result`` with ``wait_s``, which returns when the job ends), then one client and N
  concurrent clients calling the light ``/job_status`` endpoint, and N/2 transcription jobs at once.

Prints latency p50/p95 and throughput, and the API/Python ratio. Goals (issue 9): a light call
adds <= 100 ms p50; analyze and transcribe through the API within 10 % of Python.

Run: ``python benchmarks/serve.py [--rounds 3] [--clients 8]`` (after ``make setup``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.fresh import medians, run_rounds

REPEATS = 3  # timed runs of each heavy call per round (after one warm-up)
LIGHT_CALLS = 25  # per client
PORT = 7951


def _inputs(folder: Path) -> tuple[Path, Path, Path]:
    """Short speech (9 s), longer speech (22 s) and the demo video."""
    from evaluations.synthetic_media import ENGLISH, spoken_sentences
    from studio import media
    from studio.demo import make_demo_media

    short, long = folder / "speech-short.wav", folder / "speech-long.wav"
    if not long.is_file():
        for path, sentences in ((short, ENGLISH[:2]), (long, ENGLISH)):
            samples, rate, _ = spoken_sentences(sentences)
            media.write_audio(path, samples, rate)
    video = folder / "demo" / "demo.mp4"
    if not video.is_file():
        make_demo_media(folder / "demo")
    return short, long, video


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def worker_python(folder: Path, clients: int) -> dict[str, Any]:
    from studio.service import JobKind as Kind
    from studio.service import JobOutcome, JobRunner
    from studio.speech import transcribe
    from studio.vision import AnalyzeOptions, analyze

    short, long, video = _inputs(folder)
    options = AnalyzeOptions(fps=5, tasks=("detect", "track"))
    out = Path(tempfile.mkdtemp())
    transcribe(short)
    analyze(video, options, annotate_to=out / "warm.mp4")

    def timed(call: Any, *args: Any, **kwargs: Any) -> float:
        started = time.perf_counter()
        call(*args, **kwargs)
        return time.perf_counter() - started

    # the order the API worker uses: every short transcription, every long one, every analysis
    transcribe_s = [timed(transcribe, short) for _ in range(REPEATS)]
    long_s = [timed(transcribe, long) for _ in range(REPEATS)]
    analyze_s = [timed(analyze, video, options, annotate_to=out / f"a{index}.mp4") for index in range(REPEATS)]
    runner = JobRunner(out / "jobs", {"noop": Kind("noop", lambda job: JobOutcome({}))}).start()
    job = runner.wait(runner.submit("noop").id, 10)
    light = []
    for _ in range(LIGHT_CALLS):
        started = time.perf_counter()
        runner.get(job.id)
        light.append(time.perf_counter() - started)
    runner.close()
    return {
        "transcribe_s": statistics.median(transcribe_s),
        "transcribe_long_s": statistics.median(long_s),
        "analyze_s": statistics.median(analyze_s),
        "raw_p50_ms": 1000 * _percentile(light, 0.5),
        "light_p50_ms": 1000 * _percentile(light, 0.5),
        "light_p95_ms": 1000 * _percentile(light, 0.95),
    }


def _wait(client: Any, job_id: str) -> float:
    """Wait for the job with one call; returns how long it ran in the server."""
    status, _ = client.predict(job_id, 600, api_name="/job_result")  # returns when the job ends
    if status["status"] != "done":
        raise SystemExit(f"job {job_id} ended {status['status']}: {status['error']}")
    return float(status["run_s"])


def worker_api(folder: Path, clients: int) -> dict[str, Any]:
    from gradio_client import Client, handle_file

    short, long, video = _inputs(folder)
    home = Path(tempfile.mkdtemp())
    env = {**os.environ, "MEDIA_STUDIO_OUTPUTS": str(home), "GRADIO_ANALYTICS_ENABLED": "False"}
    cmd = [sys.executable, "-m", "studio.cli", "serve", "--port", str(PORT), "--max-queue", str(4 * clients)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = None
        deadline = time.monotonic() + 120
        while client is None:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            try:
                client = Client(f"http://127.0.0.1:{PORT}/", verbose=False)
            except Exception:
                time.sleep(0.3)

        ran: dict[str, list[float]] = {"short": [], "long": [], "video": []}

        def transcribe_job(c: Any, speech: Path = short) -> float:
            started = time.perf_counter()
            job = c.predict(
                handle_file(str(speech)),
                None,
                "auto",
                "auto",
                "auto",
                "transcribe",
                True,
                False,
                api_name="/transcribe",
            )
            ran["short" if speech == short else "long"].append(_wait(c, job["id"]))
            return time.perf_counter() - started

        def analyze_job(c: Any) -> float:
            started = time.perf_counter()
            job = c.predict(
                handle_file(str(video)), ["detect", "track"], 5, "auto", "", "", "", "", 1, api_name="/analyze"
            )
            ran["video"].append(_wait(c, job["id"]))
            return time.perf_counter() - started

        transcribe_job(client)
        analyze_job(client)
        for values in ran.values():
            values.clear()  # warm-up runs are not counted
        transcribe_s = [transcribe_job(client) for _ in range(REPEATS)]
        long_s = [transcribe_job(client, long) for _ in range(REPEATS)]
        analyze_s = [analyze_job(client) for _ in range(REPEATS)]
        server_s = {f"server_{name}_s": statistics.median(values) for name, values in ran.items()}
        job_id = client.predict(
            handle_file(str(short)), None, "auto", "auto", "auto", "transcribe", True, False, api_name="/transcribe"
        )["id"]
        _wait(client, job_id)  # a finished job: what clients poll most
        import httpx

        raw = []
        with httpx.Client() as http:
            for _ in range(LIGHT_CALLS):
                started = time.perf_counter()
                answer = http.post(f"http://127.0.0.1:{PORT}/gradio_api/run/job_status", json={"data": [job_id]})
                answer.raise_for_status()
                raw.append(time.perf_counter() - started)
        single = []
        for _ in range(LIGHT_CALLS):
            started = time.perf_counter()
            client.predict(job_id, api_name="/job_status")
            single.append(time.perf_counter() - started)
        light: list[float] = []
        lock = threading.Lock()
        pool = [Client(f"http://127.0.0.1:{PORT}/", verbose=False) for _ in range(clients)]

        def hammer(c: Any) -> None:
            for _ in range(LIGHT_CALLS):
                started = time.perf_counter()
                c.predict(job_id, api_name="/job_status")
                with lock:
                    light.append(time.perf_counter() - started)

        started = time.perf_counter()
        threads = [threading.Thread(target=hammer, args=(c,)) for c in pool]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        light_wall = time.perf_counter() - started
        together: list[float] = []

        def one(c: Any) -> None:
            took = transcribe_job(c)
            with lock:
                together.append(took)

        started = time.perf_counter()
        threads = [threading.Thread(target=one, args=(c,)) for c in pool[: max(1, clients // 2)]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        together_wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
    return {
        "transcribe_s": statistics.median(transcribe_s),
        "transcribe_long_s": statistics.median(long_s),
        "analyze_s": statistics.median(analyze_s),
        "raw_p50_ms": 1000 * _percentile(raw, 0.5),
        **server_s,
        "single_p50_ms": 1000 * _percentile(single, 0.5),
        "single_p95_ms": 1000 * _percentile(single, 0.95),
        "light_p50_ms": 1000 * _percentile(light, 0.5),
        "light_p95_ms": 1000 * _percentile(light, 0.95),
        "light_calls_per_s": len(light) / light_wall,
        "concurrent_jobs": len(together),
        "concurrent_p50_s": _percentile(together, 0.5),
        "concurrent_p95_s": _percentile(together, 0.95),
        "concurrent_jobs_per_min": 60 * len(together) / together_wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work = {"python": worker_python, "api": worker_api}[args.worker]
        print(json.dumps(work(Path(args.folder), args.clients)))
        return
    folder = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    _inputs(folder)
    runs = run_rounds(
        __file__, ["python", "api"], ["--folder", str(folder), "--clients", str(args.clients)], args.rounds
    )
    python, api = medians(runs["python"]), medians(runs["api"])
    print(
        f"\nService overhead, {args.rounds} rounds (fresh processes, interleaved), medians; "
        f"heavy calls: median of {REPEATS} warm runs per round\n"
    )
    print("| call | from Python | through the API | API / Python | the job in the server | client + HTTP |")
    print("|---|---|---|---|---|---|")
    for name, server, label in (
        ("transcribe_s", "server_short_s", "transcribe 9 s of speech (whisper-base)"),
        ("transcribe_long_s", "server_long_s", "transcribe 22 s of speech (whisper-base)"),
        ("analyze_s", "server_video_s", "analyze the 16 s demo (detect+track at 5 fps, annotated)"),
    ):
        print(
            f"| {label} | {python[name]:.2f} s | {api[name]:.2f} s | {api[name] / python[name]:.2f}x | "
            f"{api[server]:.2f} s | {api[name] - api[server]:.2f} s |"
        )
    print(
        f"| light call (/job_status), plain HTTP POST, p50 | {python['light_p50_ms']:.2f} ms | "
        f"{api['raw_p50_ms']:.1f} ms | +{api['raw_p50_ms'] - python['light_p50_ms']:.1f} ms | | |"
    )
    print(
        f"| light call (/job_status), gradio_client, p50 | {python['light_p50_ms']:.2f} ms | "
        f"{api['single_p50_ms']:.1f} ms (p95 {api['single_p95_ms']:.1f}) | "
        f"+{api['single_p50_ms'] - python['light_p50_ms']:.1f} ms | | |"
    )
    print(
        f"\nUnder load: {args.clients} clients x {LIGHT_CALLS} /job_status calls: p50 {api['light_p50_ms']:.1f} ms, "
        f"p95 {api['light_p95_ms']:.1f} ms, {api['light_calls_per_s']:.0f} calls/s. "
        f"{api['concurrent_jobs']:.0f} transcriptions at once: latency p50 {api['concurrent_p50_s']:.2f} s, "
        f"p95 {api['concurrent_p95_s']:.2f} s, {api['concurrent_jobs_per_min']:.1f} jobs/min "
        f"(one device slot: they run one after another)."
    )


if __name__ == "__main__":
    main()
