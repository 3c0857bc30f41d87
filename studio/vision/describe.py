"""Grounded shot descriptions: one English sentence built only from what the studio's own models found.

:func:`grounded_description` turns a shot's tracks (what the detector followed, and how many at
once), the actions recognised for them, classifier tags (ImageNet), on-screen text and the
words spoken during the shot into e.g.::

    two people walking, a cup; ImageNet: espresso (0.96); speech: 'A cup of coffee sits on the table.'

Nothing is invented: every word comes from a model output or from the fixed phrasing here, so
the sentence can be trusted as far as the models can. Callers label it as grounded
(``Shot.description``), never as a neural caption (``Shot.caption``). The thresholds that
decide what is said are in :class:`DescriptionLimits`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from studio.core import Action, InputError, Label, Track, Word

__all__ = ["NOTHING_RECOGNISED", "DescriptionLimits", "SeenObject", "grounded_description", "objects_seen"]

NOTHING_RECOGNISED = "nothing recognised"  # the description of a shot in which no model found anything

_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_IRREGULAR_PLURALS = {
    "person": "people", "man": "men", "woman": "women", "child": "children", "mouse": "mice", "knife": "knives",
    "foot": "feet", "tooth": "teeth", "goose": "geese", "leaf": "leaves", "shelf": "shelves", "wolf": "wolves",
    "tv": "TVs",
}  # fmt: skip
_SAME_PLURALS = {"sheep", "deer", "fish", "skis", "scissors", "glasses", "people", "series", "species", "aircraft"}
_ARTICLES = ("a ", "an ", "the ")


@dataclass(frozen=True)
class DescriptionLimits:
    """What is worth saying. Tracks arrive already filtered (the analysis drops tracks shorter
    than ``AnalyzeOptions.min_track_samples`` as detector flicker), so objects have no threshold here."""

    max_objects: int = 5  # kinds of object named, the longest seen first; the rest are counted
    min_action_score: float = 0.3  # an action label under this is a guess, left out
    min_tag_score: float = 0.15  # ImageNet softmax spreads over 1000 classes: under 0.15 a tag is rarely right
    max_tags: int = 2  # tags named, best first
    max_speech_words: int = 30  # longer speech is cut with "…": the description is one line
    max_text_chars: int = 80  # on-screen text beyond this is cut with "…"

    def __post_init__(self) -> None:
        for name in ("max_objects", "max_tags", "max_speech_words", "max_text_chars"):
            if getattr(self, name) < 1:
                raise InputError(f"expected {name} >= 1, got {getattr(self, name)}")
        for name in ("min_action_score", "min_tag_score"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"expected {name} between 0 and 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class SeenObject:
    """One kind of object in a shot: ``count`` is the most tracks of it seen at one time (two
    people in frame together, not two tracks of one person who left and came back);
    ``samples`` how many analysed times it was seen at, which orders objects by how long they
    are on screen; ``score`` the best mean detection score of its tracks (it breaks ties);
    ``track_ids`` the tracks that showed it."""

    label: str
    count: int
    samples: int
    score: float
    track_ids: tuple[int, ...]


def objects_seen(tracks: Sequence[Track]) -> list[SeenObject]:
    """The kinds of object in ``tracks``, the longest seen first (then the most numerous, the
    surest, and by name)."""
    times_by_label: dict[str, Counter[float]] = defaultdict(Counter)
    ids_by_label: dict[str, list[int]] = defaultdict(list)
    score_by_label: dict[str, float] = defaultdict(float)
    for track in tracks:
        if not track.points:
            continue
        label = _bare(track.label)
        ids_by_label[label].append(track.id)
        times_by_label[label].update({round(point.time_s, 6) for point in track.points})
        mean_score = sum(point.score for point in track.points) / len(track.points)
        score_by_label[label] = max(score_by_label[label], mean_score)
    seen = [
        SeenObject(label, max(times.values()), len(times), score_by_label[label], tuple(ids_by_label[label]))
        for label, times in times_by_label.items()
    ]
    return sorted(seen, key=lambda s: (-s.samples, -s.count, -s.score, s.label))


def grounded_description(
    tracks: Sequence[Track] = (),
    actions: Sequence[Action] = (),
    tags: Sequence[Label] = (),
    screen_text: Sequence[str] = (),
    words: Sequence[Word] = (),
    *,
    tag_source: str = "ImageNet",
    limits: DescriptionLimits = DescriptionLimits(),
) -> str:
    """One line saying what the models found in a shot, or :data:`NOTHING_RECOGNISED`.

    Everything passed is taken to belong to the shot (the caller selects it). ``actions`` with
    a ``track_id`` describe that track (its best-scoring label above the threshold); those
    whose track is not among ``tracks`` are left out (another shot's); those without one are
    the whole clip's and get an ``action:`` clause. ``tag_source`` names the tags' label set.
    """
    clauses = [
        _objects_clause(objects_seen(tracks), _track_actions(actions, limits), limits),
        _clip_actions_clause(actions, limits),
        _tags_clause(tags, tag_source, limits),
        _quoted("on screen", " / ".join(dict.fromkeys(" ".join(t.split()) for t in screen_text if t.strip())),
                limits.max_text_chars),
        _speech_clause(words, limits),
    ]  # fmt: skip
    said = [clause for clause in clauses if clause]
    return "; ".join(said) if said else NOTHING_RECOGNISED


def _track_actions(actions: Sequence[Action], limits: DescriptionLimits) -> dict[int, str]:
    """Each track's action: the label with the most time (then the best score) above the threshold."""
    time_by_track: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    best_score: dict[tuple[int, str], float] = {}
    for action in actions:
        if action.track_id is None or action.score < limits.min_action_score:
            continue
        time_by_track[action.track_id][action.label] += max(0.0, action.end_s - action.start_s)
        key = (action.track_id, action.label)
        best_score[key] = max(best_score.get(key, 0.0), action.score)
    return {
        track_id: min(times, key=lambda label: (-times[label], -best_score[(track_id, label)], label))
        for track_id, times in time_by_track.items()
    }


def _objects_clause(seen: list[SeenObject], doing: dict[int, str], limits: DescriptionLimits) -> str:
    phrases = [_object_phrase(obj, [doing[i] for i in obj.track_ids if i in doing]) for obj in seen]
    named = phrases[: limits.max_objects]
    left = len(phrases) - len(named)
    if left:
        named.append(f"{_count_words(left)} more {'kind' if left == 1 else 'kinds'} of object")
    return ", ".join(named)


def _object_phrase(obj: SeenObject, actions: list[str]) -> str:
    """``a cup``, ``two people walking``, ``three people (two walking, one sitting)``."""
    noun = _counted(obj.count, obj.label)
    if not actions:
        return noun
    by_label = Counter(actions).most_common()
    if len(by_label) == 1 and by_label[0][1] >= obj.count:
        return f"{noun} {by_label[0][0]}"
    parts = [f"{_count_words(min(n, obj.count))} {label}" for label, n in by_label]
    return f"{noun} ({', '.join(parts)})"


def _clip_actions_clause(actions: Sequence[Action], limits: DescriptionLimits) -> str:
    best: dict[str, float] = {}
    for action in actions:
        if action.track_id is None and action.score >= limits.min_action_score:
            best[action.label] = max(best.get(action.label, 0.0), action.score)
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[: limits.max_tags]
    return "action: " + ", ".join(f"{label} ({score:.2f})" for label, score in ranked) if ranked else ""


def _tags_clause(tags: Sequence[Label], source: str, limits: DescriptionLimits) -> str:
    kept = sorted((t for t in tags if t.score >= limits.min_tag_score), key=lambda t: (-t.score, t.name))
    named = list(dict.fromkeys(t.name for t in kept))[: limits.max_tags]  # one name once, at its best score
    scores = {t.name: t.score for t in reversed(kept)}
    return f"{source}: " + ", ".join(f"{name} ({scores[name]:.2f})" for name in named) if named else ""


def _speech_clause(words: Sequence[Word], limits: DescriptionLimits) -> str:
    spoken = "".join(word.text for word in words).split()
    if not spoken:
        return ""
    text = " ".join(spoken[: limits.max_speech_words]) + ("…" if len(spoken) > limits.max_speech_words else "")
    return f"speech: '{text}'"


def _quoted(name: str, text: str, max_chars: int) -> str:
    if not text:
        return ""
    return f"{name}: '{text[:max_chars].rstrip()}{'…' if len(text) > max_chars else ''}'"


def _bare(label: str) -> str:
    """A label without a leading article (open-vocabulary queries read "a red car")."""
    text = " ".join(label.split())
    for article in _ARTICLES:
        if text.lower().startswith(article) and len(text) > len(article):
            return text[len(article) :]
    return text


def _count_words(number: int) -> str:
    return _NUMBER_WORDS[number] if 0 <= number < len(_NUMBER_WORDS) else str(number)


def _counted(count: int, label: str) -> str:
    """``a cup``, ``an apple``, ``two people``, ``12 wine glasses``."""
    if count == 1:
        return f"{_indefinite_article(label)} {label}"
    return f"{_count_words(count)} {_plural(label)}"


def _indefinite_article(noun: str) -> str:
    word = noun.lower()
    if word.startswith(("uni", "use", "eu", "one", "ur")):  # a unicycle, a European, a one-way sign
        return "a"
    if word.startswith(("hour", "honest", "heir")):
        return "an"
    return "an" if word[:1] in "aeiou" else "a"


def _plural(label: str) -> str:
    """The plural of a label's last word: ``wine glass`` -> ``wine glasses``, ``person`` -> ``people``."""
    head, _, last = label.rpartition(" ")
    lower = last.lower()
    if lower in _IRREGULAR_PLURALS:
        plural = _IRREGULAR_PLURALS[lower]
    elif lower in _SAME_PLURALS:
        plural = last
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        plural = last + "es"
    elif lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural
