"""Synthetic media with ground truth built in, shared by tests, benchmarks and evaluations.

Each frame of :func:`write_counter_video` shows its own index as a row of black/white
blocks (one bit each), big enough to survive H.264, so a decoded frame says which source
frame it is: timestamps can be checked against content, not only against themselves.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from studio.media import VideoWriter

BITS = 12  # up to 4095 frames
BLOCK = 16  # pixels per bit block


def counter_frame(index: int, width: int = 16 * BITS, height: int = 48) -> np.ndarray:
    image = np.full((height, width, 3), 64, dtype=np.uint8)
    for bit in range(BITS):
        if index >> bit & 1:
            image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 255
        else:
            image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 0
    image[BLOCK:, :, 0] = (index * 7) % 256  # colour changes too, so every frame differs
    return image


def read_counter(image: np.ndarray) -> int:
    """The index a decoded :func:`counter_frame` shows (any scale)."""
    height, width = image.shape[:2]
    scale_x, scale_y = width / (BITS * BLOCK), height / 48
    value = 0
    for bit in range(BITS):
        x0, x1 = int((bit * BLOCK + 4) * scale_x), int(((bit + 1) * BLOCK - 4) * scale_x)
        y0, y1 = int(4 * scale_y), int((BLOCK - 4) * scale_y)
        if image[y0:y1, x0:x1].mean() > 128:
            value |= 1 << bit
    return value


def write_counter_video(
    path: Path,
    fps: Fraction | int | str,
    frames: int,
    times_s: Sequence[float] | None = None,
    time_base: Fraction | None = None,
    audio: np.ndarray | None = None,
    audio_rate: int = 16_000,
    preset: str = "veryfast",  # x264's B-frames, as in most real files; "ultrafast" has none
) -> Path:
    with VideoWriter(path, fps=fps, time_base=time_base, audio=audio, audio_rate=audio_rate, preset=preset) as w:
        for index in range(frames):
            w.write(counter_frame(index), None if times_s is None else times_s[index])
    return path


def sine(frequency_hz: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * math.pi * frequency_hz * t)).astype(np.float32)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.argmax(spectrum) * rate / samples.size)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


ENGLISH = (
    "The quick brown fox jumps over the lazy dog.",
    "Please call Stella and ask her to bring these things from the store.",
    "The weather today is sunny with a light breeze from the west.",
    "My favourite colour is blue and I like to read books at night.",
    "We will meet at the train station at seven o'clock tomorrow morning.",
)
MORE_ENGLISH = (
    "Fresh bread is baked every morning in the small village bakery.",
    "The children played football in the park until it was dark.",
    "She opened the window to let the cool evening air into the room.",
    "Our team finished the project two days before the deadline.",
    "The museum is closed on Mondays but open every other day.",
)
# The speech benchmark's corpus: everyday sentences, numbers and names, read by two voices.
BENCH_ENGLISH = (
    ENGLISH
    + MORE_ENGLISH
    + (
        "A good night of sleep helps you think clearly the next day.",
        "The river flows through the valley and into the sea.",
        "He forgot his umbrella and walked home in the rain.",
        "Many birds fly south when the winter begins.",
        "The library has thousands of books about history and science.",
        "Turn left at the second corner and the shop is on your right.",
        "The doctor said that I should drink more water every day.",
        "Our flight leaves at half past nine, so we must be at the airport by eight.",
        "My brother bought a red bicycle with twenty one gears.",
        "The concert was cancelled because the singer had a cold.",
        "Please send the report to the manager before Friday afternoon.",
        "The old bridge was built more than two hundred years ago.",
        "I would like a cup of coffee with milk and no sugar.",
        "The kitchen smells of fresh garlic, onions and tomatoes.",
        "Thomas and Maria are planning a trip to the mountains in July.",
        "The price of the house went up by ten percent last year.",
        "Could you repeat the question a little more slowly, please?",
        "The garden is full of roses, tulips and tall green trees.",
        "Engineers tested the new engine for three weeks without a problem.",
        "After lunch we walked along the beach and collected shells.",
    )
)
SPANISH = "El gato duerme en la casa. Mañana vamos a la playa con mis amigos."
GERMAN = "Guten Morgen. Ich heiße Anna und ich wohne in Berlin. Ich lese gern Bücher und höre Musik."


def spoken_sentences(
    sentences: Sequence[str], voice: str = "en-us", pause_s: float = 0.8, lead_s: float = 0.5
) -> tuple[np.ndarray, int, list[dict]]:
    """espeak-ng speech of the sentences with pauses; truth = text with start/end seconds."""
    from studio.speech import speak

    rate = 22050
    pieces = [np.zeros(round(lead_s * rate), np.float32)]
    truth, at = [], lead_s
    for sentence in sentences:
        samples, rate = speak(sentence, voice=voice)
        loud = np.flatnonzero(np.abs(samples) > 0.02)
        samples = samples[loud[0] : loud[-1] + 1]
        truth.append({"text": sentence, "start_s": at, "end_s": at + samples.size / rate})
        pieces += [samples, np.zeros(round(pause_s * rate), np.float32)]
        at += samples.size / rate + pause_s
    return np.concatenate(pieces), rate, truth
