"""Recognition accuracy against hand counts: WER/CER of a known wrong hypothesis, mAP of perfect
and shifted boxes, MOTA and IDF1 of a planted ID switch and a missed box, shot-boundary F1; and
end to end, the studio's own tracker on a generated clip scored against the clip's true boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluations.synthetic_scenes import moving_objects_video
from studio.core import InputError
from studio.demo import DemoMedia
from studio.evaluate import (
    Boundary,
    evaluate_asr,
    prompt_adherence,
    score_detections,
    score_mot,
    score_shots,
    score_text,
    spoken_set,
    write_mot,
)
from studio.vision import AnalyzeOptions, Detections, analyze


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, by hand: the CER the test expects."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def test_wer_and_cer_of_a_known_wrong_hypothesis_equal_the_hand_count() -> None:
    score = score_text("The cat sat on the mat.", "cat sit on the mat today")
    # the first "the" (deletion), sat -> sit (substitution), "today" (insertion): 3 edits of 6 words
    assert (score.substitutions, score.deletions, score.insertions, score.reference_words) == (1, 1, 1, 6)
    assert score.wer == pytest.approx(3 / 6)
    ref, hyp = "the cat sat on the mat", "cat sit on the mat today"
    assert score.cer == pytest.approx(_edits(ref, hyp) / len(ref), abs=1e-6)
    assert score_text("Seven dogs.", "7 dogs").wer == 0  # Whisper's normaliser: formatting is not an error


def test_an_asr_model_over_a_spoken_set_scores_low_and_lists_what_it_could_not_pair(tmp_path: Path) -> None:
    folder = spoken_set(tmp_path / "set", sentences=["Please remember to bring your umbrella this afternoon."],
                        voices=["en-us", "en-gb"], speeds=[150])  # fmt: skip
    (folder / "stray.wav").write_bytes((folder / "en-us-150-0.wav").read_bytes())
    result = evaluate_asr(folder, model="whisper-tiny.en-openai", language="en")
    assert [item.audio for item in result.items] == ["en-gb-150-0.wav", "en-us-150-0.wav"]
    assert result.unpaired == ["stray.wav"] and result.reference_words == 16
    assert result.wer <= 0.25, [item.score.hypothesis for item in result.items]
    assert result.real_time_factor > 0 and result.audio_s > 4
    with pytest.raises(InputError, match="no audio file with a reference"):
        evaluate_asr(tmp_path, model="whisper-tiny.en-openai")


def _frame(boxes: list[list[float]], labels: tuple[str, ...], scores: list[float] | None = None) -> Detections:
    return Detections(np.asarray(boxes, np.float32).reshape(-1, 4),
                      np.asarray(scores or [1.0] * len(boxes), np.float32), labels)  # fmt: skip


def test_map_of_perfect_detections_is_one_and_falls_as_the_boxes_shift() -> None:
    truth = [_frame([[10, 10, 60, 60], [100, 40, 180, 120]], ("person", "cup")) for _ in range(5)]
    perfect = score_detections(truth, [_frame(f.xyxy.tolist(), f.labels, [0.9, 0.8]) for f in truth])
    assert (perfect.map50, perfect.map50_95, perfect.precision50, perfect.recall50) == (1.0, 1.0, 1.0, 1.0)
    assert perfect.ap50_per_label == {"cup": 1.0, "person": 1.0}
    scores = []
    for shift in (0, 4, 8, 16, 30):
        moved = [_frame((f.xyxy + shift).tolist(), f.labels, [0.9, 0.8]) for f in truth]
        scores.append(score_detections(truth, moved).map50_95)
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0 and scores[-1] == 0.0
    wrong_label = [_frame(f.xyxy.tolist(), ("cup", "person"), [0.9, 0.8]) for f in truth]
    assert score_detections(truth, wrong_label).map50 == 0.0
    assert score_detections(truth, wrong_label, class_agnostic=True).map50 == 1.0


def _mot(path: Path, rows: list[tuple[int, int, float, float]]) -> Path:
    path.write_text("".join(f"{frame},{ident},{x},{y},40,80,1,1,1\n" for frame, ident, x, y in rows))
    return path


def test_mota_and_idf1_of_a_planted_id_switch_and_a_miss_match_the_hand_count(tmp_path: Path) -> None:
    truth_rows = [(f, i, 20.0 + 5 * f + 200 * (i - 1), 50.0) for f in range(1, 11) for i in (1, 2)]
    truth = _mot(tmp_path / "gt.txt", truth_rows)
    # object 1 is followed as id 1 for frames 1-5, then as id 3; object 2's box is missed at frame 3
    found_rows = [(f, (1 if f <= 5 else 3) if i == 1 else 2, x, y) for f, i, x, y in truth_rows if (f, i) != (3, 2)]
    result = score_mot(truth, _mot(tmp_path / "ours.txt", found_rows))
    assert (result.frames, result.truth_ids, result.found_ids, result.id_switches) == (10, 2, 3, 1)
    assert result.mota == pytest.approx((19 - 0 - 1) / 20)  # (TP - FP - IDSW) / GT
    assert result.idf1 == pytest.approx(2 * 14 / (2 * 14 + 6 + 5))  # IDTP 5 + 9, IDFN 6, IDFP 5
    assert result.map50 < 1.0 and result.motp == pytest.approx(1.0)
    perfect = score_mot(truth, truth)
    assert (perfect.mota, perfect.hota, perfect.idf1, perfect.map50) == (1.0, 1.0, 1.0, 1.0)
    half = score_mot(truth, _mot(tmp_path / "odd.txt", [r for r in truth_rows if r[0] % 2]), frames={1, 3, 5, 7, 9})
    assert (half.frames, half.mota) == (5, 1.0)  # only the sampled frames are the analysis's to find
    (tmp_path / "junk.txt").write_text("not,a mot\nfile\n")
    with pytest.raises(InputError, match=r"junk\.txt"):
        score_mot(truth, tmp_path / "junk.txt")


def test_the_studio_tracker_on_a_generated_clip_scores_against_its_true_boxes(tmp_path: Path) -> None:
    clip = tmp_path / "walk.mp4"
    true_boxes = moving_objects_video(clip, [("astronaut", 230, lambda t: (150 + 90 * t, 180))], seconds=3.0, fps=10)
    truth = tmp_path / "gt.txt"
    truth.write_text("".join(f"{round(t * 10) + 1},1,{x0:.1f},{y0:.1f},{x1 - x0:.1f},{y1 - y0:.1f},1,1,1\n"
                             for t, (x0, y0, x1, y1) in true_boxes["astronaut"]))  # fmt: skip
    timeline = analyze(clip, AnalyzeOptions(fps=5, tasks=("detect", "track")))
    ours = write_mot(timeline, tmp_path / "ours.txt", label="person")
    frames = {round(t * 10) + 1 for t in timeline.sample_times_s}
    result = score_mot(truth, ours, frames=frames)
    assert result.frames == 15 and result.id_switches == 0 and result.found_ids == 1
    assert result.mota >= 0.9 and result.idf1 >= 0.9 and result.map50 >= 0.9, result


def test_shot_f1_counts_cuts_within_a_frame_and_gradual_transitions_by_overlap() -> None:
    truth = [Boundary("cut", 2.0, 2.0), Boundary("dissolve", 4.0, 4.5), Boundary("cut", 6.0, 6.0)]
    found = [Boundary("cut", 2.03, 2.03), Boundary("fade", 4.3, 4.6), Boundary("cut", 6.2, 6.2)]
    score = score_shots(truth, found, fps=25)
    assert (score.matched, score.right_kind) == (2, 1)  # 6.2 s is five frames from 6.0 s
    assert (score.precision, score.recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert score_shots([], [], fps=25).f1 == 1.0 and score_shots(truth, [], fps=25).f1 == 0.0


def test_the_commands_score_a_mot_file_and_refuse_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from studio.cli.main import main

    rows = [(f, 1, 20.0 + 5 * f, 50.0) for f in range(1, 6)]
    truth = _mot(tmp_path / "gt.txt", rows)
    out = tmp_path / "report.json"
    assert main(["eval", "tracking", str(truth), "--tracks", str(truth), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["mota"] == 1.0
    assert main(["eval", "tracking", str(truth)]) == 2
    assert main(["eval", "asr", str(tmp_path)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(errors) == 2 and "--tracks" in errors[0] and str(tmp_path) in errors[1]


def test_grounded_adherence_finds_the_demos_objects_and_misses_one_that_is_not_there(
    demo: DemoMedia, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from studio.cli.main import main

    prompt = 'An astronaut, then a cup of coffee, a cat, a bicycle and a sign reading "COFFEE BREAK"'
    out = tmp_path / "adherence.json"
    assert main(["eval", "prompt", str(demo.video), "-p", prompt, "-o", str(out)]) == 0
    report = json.loads(out.read_text())
    found = {m["label"]: m["found"] for m in report["mentions"]}
    assert found == {"person": True, "cup": True, "cat": True, "bicycle": False, "COFFEE BREAK": True}
    assert (report["checked"], report["found"], report["adherence"]) == (5, 4, 0.8)
    caption = demo.truth["captions"][0]  # read by PP-OCRv4 at 2 fps, inside the caption's own time
    [sign] = [m for m in report["mentions"] if m["kind"] == "text"]
    assert caption["start_s"] <= sign["first_s"] <= caption["start_s"] + 0.5
    assert caption["end_s"] - 0.5 - 1e-6 <= sign["last_s"] <= caption["end_s"] and report["models"]["ocr"] == "pp-ocrv4"
    shots = {shot["objects"][0]: (shot["start_s"], shot["end_s"]) for shot in demo.truth["shots"]}
    for mention in report["mentions"]:  # each found object is seen through most of its own shot
        if mention["found"] and mention["kind"] == "object":
            start, end = shots[mention["label"]]
            inside = [(a, b) for a, b in mention["spans"] if start - 0.2 <= a <= b <= end + 0.2]
            assert inside and max(b - a for a, b in inside) >= 1.0, mention
    assert "grounded adherence 0.80 (4 of 5)" in capsys.readouterr().err
    with pytest.raises(InputError, match="prompt"):
        prompt_adherence(demo.video, "  ")
