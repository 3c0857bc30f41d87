"""``studio transcribe``: speech to subtitles, text or JSON with timestamps."""

from __future__ import annotations

import argparse
import sys

from studio.cli.output import emit
from studio.cli.progress import command_progress
from studio.core import check_outputs, write_text

__all__ = ["add_speech_commands", "cmd_transcribe"]


def cmd_transcribe(args: argparse.Namespace) -> int:
    from studio import media, speech
    from studio.speech import SubtitleStyle, TranscribeOptions, export

    options = TranscribeOptions(
        language=TranscribeOptions.parse_language(args.language),
        task=args.task,
        beam_size=args.beam_size,
        initial_prompt=args.initial_prompt,
        hotwords=args.hotwords,
        vad=not args.no_vad,
        batch_size=args.batch_size,
        word_timestamps=True if args.word_cues else args.words,
        per_segment_language=args.per_segment_language,
    )
    style = SubtitleStyle(max_chars=args.max_line_width, max_lines=args.max_line_count)
    check_outputs([args.file], [args.output])
    with command_progress("transcribe", media.audio_duration(args.file), "s") as progress:
        transcript = speech.transcribe(
            args.file, model=args.model, backend=args.backend, options=options, progress=progress
        )
    text = export(transcript, args.format, style, word_timing=args.word_cues)
    if args.output:
        write_text(args.output, text)
        print(f"{transcript.language} ({transcript.language_probability:.0%}), {len(transcript.segments)} segments "
              f"-> {args.output}", file=sys.stderr)  # fmt: skip
    else:
        emit(text.encode("utf-8", errors="backslashreplace"))
    for warning in transcript.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def add_speech_commands(commands: argparse._SubParsersAction) -> None:
    asr = commands.add_parser("transcribe", help="speech to text (or English translation) with timestamps")
    asr.add_argument("file", help="audio or video file")
    asr.add_argument("--format", choices=("srt", "vtt", "txt", "json"), default="srt")
    asr.add_argument("--output", "-o", help="write here instead of standard output")
    asr.add_argument("--language", default="auto", help="a Whisper language code (en, es, de, ...) or auto")
    asr.add_argument("--task", choices=("transcribe", "translate"), default="transcribe")
    asr.add_argument("--model", help="an asr model from `studio models list` (default: best installed)")
    asr.add_argument("--backend", help="run the model on this backend: faster-whisper (default) or openai-whisper")
    asr.add_argument("--beam-size", type=int, default=5)
    asr.add_argument("--batch-size", type=int,
                     help="faster-whisper: chunks decoded together (default 8); 1 decodes sequentially")  # fmt: skip
    asr.add_argument("--initial-prompt", help="text that primes spelling: names, jargon")
    asr.add_argument("--hotwords", help="words and names to favour, e.g. 'Siobhan Kowalczyk' (both backends)")
    asr.add_argument("--no-vad", action="store_true", help="keep silence and music (VAD is on by default)")
    asr.add_argument("--per-segment-language", action="store_true", help="detect the language of each segment")
    asr.add_argument("--words", action=argparse.BooleanOptionalAction,
                     help="time every word (default: where it costs no accuracy, i.e. batched decoding)")  # fmt: skip
    asr.add_argument("--word-cues", action="store_true", help="WebVTT with a timestamp on every word (implies --words)")
    asr.add_argument("--max-line-width", type=int, default=42)
    asr.add_argument("--max-line-count", type=int, default=2)
    asr.set_defaults(handler=cmd_transcribe)
