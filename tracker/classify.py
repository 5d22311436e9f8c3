"""Decide what happened to a commitment between two wordings: which materiality dimensions
moved, which way, and the words that moved them. Pure: strings in, a Change out. The word
lists live in tracker/data/lexicon.yaml."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Indel

from tracker.lexicon import lexicon, patterns
from tracker.models import Dimension, Direction, Movement, Outcome
from tracker.textnorm import for_matching


@dataclass(frozen=True, slots=True)
class Change:
    outcome: Outcome
    movements: tuple[Movement, ...]
    mixed: bool  # moved both ways: coded weakened, flagged MIX (codebook 11.3)
    reworded: bool  # the wording differs (after normalization)

    @property
    def dimensions(self) -> list[str]:
        return sorted({str(m.dimension) for m in self.movements})


def _phrase(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + re.escape(term.lower()) + r"(?![\w-])")


def _found(terms: list[str], text: str) -> list[str]:
    return [t for t in terms if _phrase(t).search(text)]


def classify(before: str, after: str) -> Change:
    """Compare a commitment's wording (`before`) with its counterpart (`after`)."""
    a, b = _plain(before), _plain(after)
    if for_matching(before) == for_matching(after):
        return Change(Outcome.RETAINED, (), False, False)
    moves: list[Movement] = []
    moves += _obligation(a, b)
    moves += _conditions(a, b)
    moves += _timing(a, b)
    moves += _numbers(a, b)
    moves += _actor(before, after, a, b)
    moves += _disclosure(a, b)
    moves += _scope(a, b)
    ups = [m for m in moves if m.direction is Direction.UP]
    downs = [m for m in moves if m.direction is Direction.DOWN]
    if downs:
        outcome = Outcome.WEAKENED
    elif ups:
        outcome = Outcome.STRENGTHENED
    else:
        outcome = Outcome.RETAINED
    return Change(outcome, tuple(moves), bool(ups and downs), True)


def _plain(text: str) -> str:
    text = for_matching(text)
    return re.sub(r"[^\w\s%$.,;-]", " ", text)


def _move(dimension: Dimension, direction: Direction, before: str, after: str) -> Movement:
    return Movement(dimension=dimension, direction=direction, before=before, after=after)


# --- dimensions ----------------------------------------------------------------------------


def _rung(text: str) -> tuple[int, str]:
    """The strongest modal of the main clause: the first modal phrase found, by position."""
    best: tuple[int, int, str] | None = None
    for level, terms in lexicon()["obligation"].items():
        for term in terms:
            match = _phrase(term).search(text)
            if match and (
                best is None
                or match.start() < best[0]
                or (match.start() == best[0] and len(term) > len(best[2]))
            ):
                best = (match.start(), int(level), term)
    if best is None:
        return 4, "(present tense)"  # a statement of practice: the top rung (codebook 11.1)
    return best[1], best[2]


def _obligation(a: str, b: str) -> list[Movement]:
    level_a, word_a = _rung(a)
    level_b, word_b = _rung(b)
    if level_a == level_b:
        return []
    direction = Direction.UP if level_b > level_a else Direction.DOWN
    return [_move(Dimension.OBLIGATION, direction, word_a, word_b)]


def _conditions(a: str, b: str) -> list[Movement]:
    terms = lexicon()["conditions"]
    added = [t for t in _found(terms, b) if t not in _found(terms, a)]
    removed = [t for t in _found(terms, a) if t not in _found(terms, b)]
    out = []
    if added:
        out.append(_move(Dimension.CONSEQUENCE, Direction.DOWN, "", _clause(b, added[0])))
    if removed and not added:
        out.append(_move(Dimension.CONSEQUENCE, Direction.UP, _clause(a, removed[0]), ""))
    return out


def _clause(text: str, term: str) -> str:
    match = _phrase(term).search(text)
    if match is None:
        return term
    return " ".join(text[match.start() :].split()[:14])


def _timing(a: str, b: str) -> list[Movement]:
    def stage(text: str) -> tuple[int, str] | None:
        for index, terms in enumerate(lexicon()["timing"]):
            for term in terms:
                if _phrase(term).search(text):
                    return index, term
        return None

    sa, sb = stage(a), stage(b)
    if sa is None or sb is None or sa[0] == sb[0]:
        return []
    direction = Direction.DOWN if sb[0] > sa[0] else Direction.UP
    return [_move(Dimension.THRESHOLD, direction, sa[1], sb[1])]


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(%|x\b|times\b|[a-z]+)?")


def _numbers(a: str, b: str) -> list[Movement]:
    words = lexicon()["number_words"]

    def quantities(text: str) -> dict[str, tuple[float, str]]:
        text = re.sub(r"\b(" + "|".join(words) + r")\b", lambda m: str(words[m.group(1)]), text)
        found: dict[str, tuple[float, str]] = {}
        for match in _NUMBER.finditer(text):
            unit = (match.group(2) or "").rstrip("s")
            context = " ".join(text[: match.start()].split()[-3:])
            found.setdefault(unit, (float(match.group(1)), f"{context} {match.group(0)}".strip()))
        return found

    qa, qb = quantities(a), quantities(b)
    out = []
    lex = lexicon()["numbers"]
    for unit, (value_a, words_a) in qa.items():
        if unit not in qb or not unit:
            continue
        value_b, words_b = qb[unit]
        if value_a == value_b:
            continue
        larger_stronger = any(_phrase(t).search(words_a) for t in lex["larger_is_stronger"])
        smaller_stronger = any(_phrase(t).search(words_a) for t in lex["smaller_is_stronger"])
        if not (larger_stronger or smaller_stronger):
            continue
        stronger = value_b > value_a if larger_stronger else value_b < value_a
        direction = Direction.UP if stronger else Direction.DOWN
        out.append(_move(Dimension.THRESHOLD, direction, words_a, words_b))
    return out


_NAMED = re.compile(
    r"\b(?:[A-Z][\w-]*\s+){1,4}(?:Board|Officer|Council|Committee|Institute|"
    r"Trust|Team|Office|Group|Panel)\b"
)


def _actor(raw_a: str, raw_b: str, a: str, b: str) -> list[Movement]:
    out = []
    lex = lexicon()["actor"]
    named_a = {m.group(0) for m in _NAMED.finditer(raw_a)}
    named_b = {m.group(0) for m in _NAMED.finditer(raw_b)}
    lost = sorted(named_a - named_b)
    generic = [t for t in _found(lex["generic"], b) if t not in _found(lex["generic"], a)]
    if lost and generic:
        out.append(_move(Dimension.ACTOR, Direction.DOWN, lost[0], generic[0]))
    third_a, third_b = set(_found(lex["third_party"], a)), set(_found(lex["third_party"], b))
    if third_a - third_b and not third_b - third_a and not (lost and generic):
        word = sorted(third_a - third_b)[0]
        out.append(_move(Dimension.ACTOR, Direction.DOWN, word, ""))
    elif third_b - third_a and not third_a - third_b:
        out.append(_move(Dimension.ACTOR, Direction.UP, "", sorted(third_b - third_a)[0]))
    return out


def _disclosure(a: str, b: str) -> list[Movement]:
    lex = lexicon()["disclosure"]
    pub_a, pub_b = set(_found(lex["public"], a)), set(_found(lex["public"], b))
    priv_a, priv_b = set(_found(lex["private"], a)), set(_found(lex["private"], b))
    if pub_a and not pub_b:
        return [_move(Dimension.DISCLOSURE, Direction.DOWN, sorted(pub_a)[0], "")]
    if priv_b - priv_a:
        return [_move(Dimension.DISCLOSURE, Direction.DOWN, "", sorted(priv_b - priv_a)[0])]
    if pub_b and not pub_a:
        return [_move(Dimension.DISCLOSURE, Direction.UP, "", sorted(pub_b)[0])]
    return []


def _enumeration(text: str) -> list[str]:
    """Items of a scope-defining enumeration (after cover/including/...), if any."""
    lex = lexicon()["scope"]
    for term in lex["defining"]:
        match = _phrase(term).search(text)
        if match is None or term in ("all", "every", "each", "any"):
            continue
        tail = text[match.end() :]
        if any(_phrase(t).search(tail[:40]) for t in lex["illustrative"]):
            return []
        tail = re.split(r"[.;]\s", tail)[0]
        items = re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", tail)
        return [i.strip() for i in items if i.strip()]
    return []


def _scope(a: str, b: str) -> list[Movement]:
    items_a, items_b = _enumeration(a), _enumeration(b)
    if len(items_a) >= 2 and len(items_b) >= 2 and len(items_a) != len(items_b):
        matcher = difflib.SequenceMatcher(None, items_a, items_b, autojunk=False)
        gone = [
            x
            for tag, i1, i2, _, _ in matcher.get_opcodes()
            if tag in ("delete", "replace")
            for x in items_a[i1:i2]
        ]
        new = [
            x
            for tag, _, _, j1, j2 in matcher.get_opcodes()
            if tag in ("insert", "replace")
            for x in items_b[j1:j2]
        ]
        if len(items_b) > len(items_a):
            return [_move(Dimension.SCOPE, Direction.UP, ", ".join(gone), ", ".join(new))]
        return [_move(Dimension.SCOPE, Direction.DOWN, ", ".join(gone), ", ".join(new))]
    lex = lexicon()["scope"]
    quantifiers = ("all", "every", "each", "any")
    lost = [q for q in quantifiers if _phrase(q).search(a) and not _phrase(q).search(b)]
    if lost and not [q for q in quantifiers if _phrase(q).search(b)] and lex:
        return [_move(Dimension.SCOPE, Direction.DOWN, lost[0], "")]
    return _coverage(a, b)


def _coverage(a: str, b: str) -> list[Movement]:
    """How much of a risk an obligation covers: "mitigate most insider risk" -> "mitigate
    basic insider risk" narrows it (lexicon: scope.coverage, broadest first)."""

    def rank(text: str) -> tuple[int, str] | None:
        found = []
        for level, terms in enumerate(lexicon()["scope"]["coverage"]):
            for term in terms:
                match = _phrase(term).search(text)
                if match:
                    found.append((match.start(), level, term))
        if not found:
            return None
        _, level, term = min(found)
        return level, term

    ra, rb = rank(a), rank(b)
    if ra is None or rb is None or ra[0] == rb[0]:
        return []
    direction = Direction.DOWN if rb[0] > ra[0] else Direction.UP
    return [_move(Dimension.SCOPE, direction, ra[1], rb[1])]


# --- whole-text comparisons ------------------------------------------------------------


def document_similarity(a: str, b: str) -> float:
    """Share of the words two versions have in common, in order (0-1)."""
    return float(Indel.normalized_similarity(for_matching(a).split(), for_matching(b).split()))


# --- commitment-like sentences ---------------------------------------------------------------


@lru_cache(maxsize=100_000)
def commitment_strength(sentence: str) -> int:
    """How much a sentence reads as a commitment: 2 (will, must, shall, commit to ...),
    1 (a statement of practice: "we conduct ..."), 0 (not one). Patterns: lexicon.yaml."""
    text = for_matching(sentence)
    if len(text.split()) < 6 or any(p.search(text) for p in patterns("not")):
        return 0
    if any(p.search(text) for p in patterns("strong")):
        return 2
    if any(p.search(text) for p in patterns("practice")):
        return 1
    return 0
