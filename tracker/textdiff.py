"""Word and paragraph diffs shared by the stages: classify quotes them, report renders them."""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass

from rapidfuzz import fuzz

from tracker.models import SectionChange
from tracker.textnorm import for_matching

Op = tuple[str, str]  # ("equal" | "delete" | "insert", words)


def word_ops(before: str, after: str) -> list[Op]:
    """The word-level edit script from `before` to `after`."""
    a, b = before.split(), after.split()
    out: list[Op] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("delete", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("insert", " ".join(b[j1:j2])))
    return out


def word_diff(before: str, after: str) -> str:
    """~~removed~~ **added**, word by word."""
    marks = {"equal": "{}", "delete": "~~{}~~", "insert": "**{}**"}
    return " ".join(marks[tag].format(words) for tag, words in word_ops(before, after))


@dataclass(frozen=True, slots=True)
class Block:
    section: str
    text: str  # a paragraph, or the heading itself when `heading`
    heading: bool = False


def blocks(text: str) -> list[Block]:
    """Paragraphs with the heading they sit under; headings are blocks of their own."""
    out: list[Block] = []
    section = ""
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith("#") and "\n" not in chunk:
            section = chunk.lstrip("#").strip()
            out.append(Block(section, section, heading=True))
            continue
        items = chunk.split("\n") if chunk.startswith(("- ", "* ")) else [chunk]
        out += [Block(section, " ".join(item.split())) for item in items if item.strip()]
    return out


SAME_PARAGRAPH = 50.0  # two paragraphs this similar (0-100) are one paragraph, edited


def _pair(olds: list[Block], news: list[Block]) -> list[tuple[Block | None, Block | None]]:
    """Pair the paragraphs of a changed run by similarity, most similar first, keeping their
    order; a paragraph with no similar one is deleted or inserted whole."""
    keys_old = [for_matching(b.text) for b in olds]
    keys_new = [for_matching(b.text) for b in news]
    scored = sorted(
        (
            (fuzz.ratio(ko, kn), i, k)
            for i, ko in enumerate(keys_old)
            for k, kn in enumerate(keys_new)
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    pairs: list[tuple[int, int]] = []
    for score, i, k in scored:
        if score < SAME_PARAGRAPH:
            break
        if any(i == pi or k == pk or (i < pi) != (k < pk) for pi, pk in pairs):
            continue
        pairs.append((i, k))
    pairs.sort()
    out: list[tuple[Block | None, Block | None]] = []
    i = k = 0
    for pi, pk in [*pairs, (len(olds), len(news))]:
        out += [(old, None) for old in olds[i:pi]]
        out += [(None, new) for new in news[k:pk]]
        if pi < len(olds) and pk < len(news):
            out.append((olds[pi], news[pk]))
        i, k = pi + 1, pk + 1
    return out


@dataclass(frozen=True, slots=True)
class Hunk:
    """One aligned piece of a document diff: a section's paragraph, equal or changed."""

    section: str
    ops: tuple[Op, ...]
    heading: bool = False

    @property
    def changed(self) -> bool:
        return any(tag != "equal" for tag, _ in self.ops)


def document_diff(before: str, after: str, *, deadline: float = 10.0) -> list[Hunk]:
    """Two-level diff: paragraphs aligned first, then words inside changed paragraphs (a flat
    word diff of a whole policy takes a minute; this takes a tenth of a second). Past the
    deadline (seconds), changed paragraphs are shown whole, deleted then inserted."""
    started = time.monotonic()
    a, b = blocks(before), blocks(after)
    keys_a = [for_matching(x.text) for x in a]
    keys_b = [for_matching(x.text) for x in b]
    out: list[Hunk] = []
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [Hunk(x.section, (("equal", x.text),), x.heading) for x in b[j1:j2]]
            continue
        for old, new in _pair(a[i1:i2], b[j1:j2]):
            if old is None and new is not None:
                out.append(Hunk(new.section, (("insert", new.text),), new.heading))
            elif new is None and old is not None:
                out.append(Hunk(old.section, (("delete", old.text),), old.heading))
            elif old is not None and new is not None:
                if time.monotonic() - started > deadline:
                    ops: tuple[Op, ...] = (("delete", old.text), ("insert", new.text))
                else:
                    ops = tuple(word_ops(old.text, new.text))
                out.append(Hunk(new.section, ops, new.heading))
    return out


def section_changes(hunks: list[Hunk]) -> list[SectionChange]:
    """Per section (in document order): added, removed, changed or unchanged, and word counts."""
    order: list[str] = []
    added: dict[str, int] = {}
    removed: dict[str, int] = {}
    kept: dict[str, int] = {}
    for hunk in hunks:
        if hunk.section not in order:
            order.append(hunk.section)
        for tag, words in hunk.ops:
            n = len(words.split())
            bucket = {"equal": kept, "insert": added, "delete": removed}[tag]
            bucket[hunk.section] = bucket.get(hunk.section, 0) + n
    out = []
    for section in order:
        plus, minus, same = added.get(section, 0), removed.get(section, 0), kept.get(section, 0)
        if not plus and not minus:
            change = "unchanged"
        elif not same and not minus:
            change = "added"
        elif not same and not plus:
            change = "removed"
        else:
            change = "changed"
        out.append(
            SectionChange(
                section=section or "(before the first heading)",
                change=change,
                words_added=plus,
                words_removed=minus,
            )
        )
    return out
