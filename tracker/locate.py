"""Find a commitment's quote in a snapshot's text: exactly, after normalization, or fuzzily,
and say under which section heading it sits. Pure: text in, match out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from tracker.textnorm import for_matching

# Below this score (0-100) a quote has no counterpart. The best score a removed quote reached
# in the measurements of DEPENDENCIES.md was 76.8; to be calibrated on the corpus.
NO_COUNTERPART = 77.0

_SENTENCE_END = re.compile(r"(?<=[.!?;:])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9\u2022-])")


class Method(StrEnum):
    EXACT = "exact"  # the quote, character for character
    NORMALIZED = "normalized"  # equal after normalization (case, quotes, hyphens, layout)
    FUZZY = "fuzzy"  # the closest passage, with its score
    SENTENCES = "sentences"  # each sentence found on its own (they moved apart)


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    section: str | None
    index: int


@dataclass(frozen=True, slots=True)
class Match:
    score: float  # 0-100
    method: Method
    passage: str  # the closest passage, in the snapshot's own words
    section: str | None
    paragraph: int  # index of the (first) paragraph of the passage

    @property
    def found(self) -> bool:
        return self.score >= NO_COUNTERPART


def paragraphs(text: str) -> list[Paragraph]:
    return list(_paragraphs(text))


@lru_cache(maxsize=16)
def _paragraphs(text: str) -> tuple[Paragraph, ...]:
    """Blocks of text with the heading they sit under (markdown `#` headings)."""
    out: list[Paragraph] = []
    section: str | None = None
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        if block.startswith("#") and "\n" not in block:
            section = block.lstrip("#").strip()
            continue
        for item in block.split("\n") if block.startswith("- ") else [block]:
            out.append(Paragraph(" ".join(item.split()), section, len(out)))
    return tuple(out)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\[\u2026\]|\.\.\.|\u2026)\s*")


def quote_parts(quote: str) -> list[str]:
    """The sentences of a quote; an elision ("...", "[...]") also separates parts, since the
    words around it need not be next to each other in the document."""
    out = []
    for chunk in _ELLIPSIS.split(quote):
        out.extend(sentences(chunk))
    return [p for p in out if len(for_matching(p)) >= 3]


def _outside(paras: list[Paragraph], exclude: str | Sequence[str]) -> list[Paragraph]:
    patterns = [re.compile(e) for e in ([exclude] if isinstance(exclude, str) else exclude)]
    if not patterns:
        return paras
    kept = [
        p for p in paras if p.section is None or not any(pat.search(p.section) for pat in patterns)
    ]
    return [Paragraph(p.text, p.section, i) for i, p in enumerate(kept)]


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    section: str | None
    norm: str  # for_matching(text)


def document_sentences(text: str, *, exclude: str | Sequence[str] = ()) -> list[Sentence]:
    """Every sentence of the document, with its section, outside the `exclude` sections."""
    out = []
    for para in _outside(paragraphs(text), exclude):
        for sentence in sentences(para.text):
            out.append(Sentence(sentence, para.section, for_matching(sentence)))
    return out


SAME_SENTENCE = 80.0  # a sentence scoring below this against every other has no counterpart


def unmatched(
    ours: Sequence[Sentence], theirs: Sequence[Sentence], *, threshold: float = SAME_SENTENCE
) -> list[tuple[Sentence, Sentence | None, float]]:
    """The sentences of `ours` with no counterpart in `theirs`: each with the closest one and
    its score. Exact equals are skipped first, then sentences whose words still stand in the
    other text in order (split by a page break or merged into a longer sentence); the rest
    are scored all at once."""
    present = {s.norm for s in theirs}
    whole = " ".join(s.norm for s in theirs)
    pending = [s for s in ours if s.norm not in present and s.norm not in whole]
    if not pending:
        return []
    if not theirs:
        return [(s, None, 0.0) for s in pending]
    scores = process.cdist(
        [s.norm for s in pending], [s.norm for s in theirs], scorer=fuzz.ratio, dtype=np.uint8
    )
    out: list[tuple[Sentence, Sentence | None, float]] = []
    for row, sentence in zip(scores, pending, strict=True):
        best = int(row.argmax())
        score = float(row[best])
        if score < threshold:
            out.append((sentence, theirs[best], score))
    return out


def locate(quote: str, text: str, *, exclude: str | Sequence[str] = ()) -> Match:
    """The best counterpart of `quote` in `text`, outside sections whose heading matches the
    regular expression(s) `exclude` (the changelog: an entry announcing a removal quotes the
    removed words, and must not count as the commitment still being there)."""
    paras = _outside(paragraphs(text), exclude)
    if not paras:
        return Match(0.0, Method.FUZZY, "", None, -1)
    para = next((p for p in paras if quote in p.text), None)
    if para is not None:
        return Match(100.0, Method.EXACT, quote, para.section, para.index)
    target = for_matching(quote)
    normalized = [for_matching(p.text) for p in paras]
    for para, norm in zip(paras, normalized, strict=True):
        if target and target in norm:
            return Match(
                100.0, Method.NORMALIZED, _passage(quote, para.text), para.section, para.index
            )
    # a quote split across a page break may span two paragraphs
    for i in range(len(paras) - 1):
        if target and target in f"{normalized[i]} {normalized[i + 1]}":
            joined = f"{paras[i].text} {paras[i + 1].text}"
            return Match(100.0, Method.NORMALIZED, _passage(quote, joined), paras[i].section, i)
    whole = _best_window(target, paras, normalized)
    parts = quote_parts(quote)
    if len(parts) > 1:
        pieces = [_best_window(for_matching(s), paras, normalized) for s in parts]
        weights = [len(s) for s in parts]
        combined = sum(m.score * w for m, w in zip(pieces, weights, strict=True)) / sum(weights)
        if combined > whole.score + 2:
            first = pieces[0]
            passage = " [...] ".join(dict.fromkeys(m.passage for m in pieces))
            return Match(combined, Method.SENTENCES, passage, first.section, first.paragraph)
    return whole


def _best_window(target: str, paras: list[Paragraph], normalized: list[str]) -> Match:
    """The best single paragraph; a window of two (a quote split by a page break) only wins
    when clearly better, so a tie never reports the previous paragraph's section."""
    best = Match(0.0, Method.FUZZY, "", None, -1)
    if not target:
        return best
    for i, para in enumerate(paras):
        score = _score(target, normalized[i], best.score)
        if score > best.score:
            best = Match(score, Method.FUZZY, _passage_fuzzy(target, para.text), para.section, i)
    for i in range(len(paras) - 1):
        joined = f"{normalized[i]} {normalized[i + 1]}"
        score = _score(target, joined, best.score + 1.0)
        if score > best.score + 1.0:
            original = f"{paras[i].text} {paras[i + 1].text}"
            best = Match(score, Method.FUZZY, _passage_fuzzy(target, original), paras[i].section, i)
    return best


def _score(target: str, text: str, cutoff: float) -> float:
    if len(text) >= len(target):
        return float(fuzz.partial_ratio(target, text, score_cutoff=cutoff))
    return float(fuzz.ratio(target, text, score_cutoff=cutoff))


def _passage(quote: str, paragraph: str) -> str:
    """The sentences of `paragraph` that hold the quote."""
    return _passage_fuzzy(for_matching(quote), paragraph)


def _passage_fuzzy(target: str, paragraph: str) -> str:
    """The run of consecutive sentences of `paragraph` closest to `target`."""
    parts = sentences(paragraph)
    if len(parts) <= 1:
        return paragraph
    want = max(1, len(sentences(target)))
    best, best_score = paragraph, -1.0
    for size in range(1, min(len(parts), want + 1) + 1):
        for start in range(len(parts) - size + 1):
            run = " ".join(parts[start : start + size])
            score = fuzz.ratio(target, for_matching(run))
            if score > best_score:
                best, best_score = run, score
    return best
