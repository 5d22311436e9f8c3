"""Was a change announced? Read the provider's account of a revision (a changelog section, a
changelog page, feed posts) and decide whether it identifies a change and its direction. Pure:
texts in, verdicts out. The word lists live in tracker/data/lexicon.yaml (`announce`)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import feedparser

from tracker.lexicon import lexicon
from tracker.models import (
    AccountEntry,
    AccountMatch,
    AccountSource,
    LateAcknowledgement,
    Movement,
    Outcome,
    Verdict,
)
from tracker.textnorm import for_matching, plain_fragment

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"\b(?:(?P<m1>{_MONTHS})\.?\s+(?P<d1>\d{{1,2}}),?\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTHS})\.?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))\b",
    re.IGNORECASE,
)
_VERSION = re.compile(r"(?i)\b(?:version|v)\s?(\d+(?:\.\d+)*)\b")
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z\"'(])")
_WORD = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]|[0-9]+(?:\.[0-9]+)?")


# --- reading accounts --------------------------------------------------------------------------


def parse_date(text: str) -> date | None:
    """The first date written in `text` ("June 30, 2025", "30 June 2025", "2025-06-30")."""
    match = _DATE.search(text)
    if match is None:
        return None
    groups = match.groupdict()
    try:
        if groups["y3"]:
            return date(int(groups["y3"]), int(groups["m3"]), int(groups["d3"]))
        month_name = (groups["m1"] or groups["m2"]).lower()[:3]
        month = [m[:3] for m in _MONTHS.split("|")[:12]].index(month_name) + 1
        day = int(groups["d1"] or groups["d2"])
        return date(int(groups["y1"] or groups["y2"]), month, day)
    except ValueError:
        return None


def _entry(source: AccountSource, where: str, text: str, url: str | None) -> AccountEntry:
    text = text.strip()
    day = parse_date(text[:200])
    version = _VERSION.search(text[:200])
    return AccountEntry(
        source=source,
        where=where,
        date=day.isoformat() if day else None,
        version=version.group(1) if version else None,
        url=url,
        text=text,
    )


def _split_entries(lines: Sequence[str]) -> list[str]:
    """Entries of a changelog body: sub-headed blocks, bullets, or blocks that start with a
    date or a version; a block with neither belongs to the entry before it."""
    if any(_HEADING.match(line) for line in lines):
        out: list[list[str]] = []
        for line in lines:
            if _HEADING.match(line) or not out:
                out.append([])
            out[-1].append(_HEADING.sub(r"\2", line))
        return [" ".join(" ".join(e).split()) for e in out if " ".join(e).strip()]
    blocks: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if not line.strip() or _BULLET.match(line):
            if current:
                blocks.append(" ".join(current))
            current = [_BULLET.sub("", line)] if line.strip() else []
        else:
            current.append(line.strip())
    entries: list[str] = []
    for block in blocks:
        block = " ".join(block.split())
        head = block[:120]
        starts = parse_date(head) is not None or _VERSION.search(head) is not None
        if entries and not starts and not _looks_complete(block):
            entries[-1] += " " + block
        else:
            entries.append(block)
    return [e for e in entries if e]


def _looks_complete(block: str) -> bool:
    """A block that is a sentence of its own (a bullet such as "Added ...")."""
    return bool(re.match(r"[A-Z]", block)) and block.rstrip().endswith((".", ":", ")"))


def _entry_heading(text: str) -> bool:
    head = text[:80]
    return parse_date(head) is not None or _VERSION.search(head) is not None


def changelog_entries(text: str, heading: str, *, where: str) -> list[AccountEntry]:
    """The entries of the sections whose heading matches the regular expression `heading`."""
    pattern = re.compile(heading)
    out: list[AccountEntry] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = _HEADING.match(lines[i])
        if match and pattern.search(match.group(2)):
            level = len(match.group(1))
            body: list[str] = []
            i += 1
            while i < len(lines):
                sub = _HEADING.match(lines[i])
                # a heading as high as the section's ends it, unless it is a dated or versioned
                # entry heading (extractions often give every heading the same level)
                if sub and len(sub.group(1)) <= level and not _entry_heading(sub.group(2)):
                    break
                body.append(f"### {sub.group(2)}" if sub else lines[i])
                i += 1
            out += [
                _entry(AccountSource.CHANGELOG_SECTION, where, e, None)
                for e in _split_entries(body)
            ]
            continue
        i += 1
    return out


def page_entries(text: str, *, where: str, url: str | None) -> list[AccountEntry]:
    """The entries of a changelog page: the whole page, split like a changelog section."""
    lines = [line for line in text.split("\n") if not re.match(r"^#\s", line)]
    return [_entry(AccountSource.PAGE, where, e, url) for e in _split_entries(lines)]


def feed_items(raw: bytes, *, where: str) -> list[AccountEntry]:
    """The items of an RSS or Atom feed, with their dates, titles, links and summaries."""
    parsed = feedparser.parse(raw)
    out = []
    for item in parsed.entries:
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        day = datetime(*stamp[:3]).date() if stamp else None
        summary = plain_fragment(item.get("summary"))
        title = " ".join((item.get("title") or "").split()) or None
        out.append(
            AccountEntry(
                source=AccountSource.FEED,
                where=where,
                date=day.isoformat() if day else None,
                title=title,
                url=item.get("link") or None,
                text=" ".join(f"{title or ''}. {summary}".split()).strip(". "),
            )
        )
    return out


def new_entries(
    before: Sequence[AccountEntry], after: Sequence[AccountEntry]
) -> list[AccountEntry]:
    """The entries of `after` that `before` did not have (compared after normalization)."""
    known = {for_matching(e.text) for e in before}
    return [e for e in after if for_matching(e.text) not in known]


def window_of(
    day: str | None, starts: Sequence[date], ends: Sequence[date], grace: timedelta
) -> int | None:
    """The revision a dated post belongs to: the first whose newer snapshot's date plus the
    grace period reaches the post's date. A post within the grace period of the first snapshot
    is about the first version; an undated post or one after the last revision's grace period
    belongs to none."""
    if day is None or not starts:
        return None
    when = date.fromisoformat(day)
    if when <= starts[0] + grace:
        return None
    for index, end in enumerate(ends):
        if when <= end + grace:
            return index
    return None


# --- judging -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Account:
    """The provider's account of one revision: the entries new in its window."""

    entries: tuple[AccountEntry, ...]
    sources_checked: tuple[str, ...]
    version: str | None
    date: date


@dataclass(frozen=True, slots=True)
class Subject:
    """A material change to be looked for in an account."""

    outcome: Outcome
    title: str
    keywords: tuple[str, ...]
    category: str | None
    before: str
    after: str
    movements: tuple[Movement, ...]
    rivals: tuple[str, ...] = field(default=())  # texts of the document's other commitments
    uncertain: bool = False  # a removal lead (document rewritten): the change may be a rewording
    background: str = ""  # the document's text before the change: how common each word is

    @property
    def text(self) -> str:
        return " ".join([self.title, *self.keywords, self.before])


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "s", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@cache
def stems(text: str) -> frozenset[str]:
    stop = set(lexicon()["announce"]["stopwords"])
    return frozenset(
        _stem(w) for w in _WORD.findall(for_matching(text)) if w not in stop and len(w) > 2
    )


def _phrase_in(phrase: str, text: str) -> bool:
    return (
        re.search(r"(?<![\w-])" + re.escape(for_matching(phrase)) + r"(?![\w-])", text) is not None
    )


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


@dataclass(frozen=True, slots=True)
class _Naming:
    score: float
    terms: tuple[str, ...]
    specific: bool  # names this commitment (not only its class)
    rare: tuple[str, ...] = ()  # the distinctive words it shares with the commitment


@dataclass(frozen=True, slots=True)
class _Index:
    """How rare each word is in the document (share of its paragraphs that use it), and the
    words of the subject and of its rivals (the document's other commitments)."""

    own: frozenset[str]
    rivals: tuple[frozenset[str], ...]
    share: dict[str, float]
    rare_below: float

    def weight(self, term: str) -> float:
        return -math.log(max(self.share.get(term, 0.0), 0.002))


# a word in fewer than 4% of the document's paragraphs (or in two of them) is distinctive
DISTINCTIVE_BELOW = 0.04
CLASS_LINE_WORDS = 30  # a sentence naming a class of commitments is a summary line, not prose


@cache
def _index(text: str, rivals: tuple[str, ...], background: str) -> _Index:
    paragraphs = [stems(p) for p in re.split(r"\n\s*\n", background) if p.strip()] or [frozenset()]
    counts: dict[str, int] = {}
    for para in paragraphs:
        for term in para:
            counts[term] = counts.get(term, 0) + 1
    share = {t: n / len(paragraphs) for t, n in counts.items()}
    rare_below = max(DISTINCTIVE_BELOW, 2.5 / len(paragraphs))
    return _Index(stems(text), tuple(stems(r) for r in rivals), share, rare_below)


def _naming(subject: Subject, sentence: str) -> _Naming:
    """How specifically `sentence` names the subject: words rare in the document weigh more,
    and a sentence that fits another commitment of the document better does not name this one."""
    norm = for_matching(sentence)
    words = stems(sentence)
    index = _index(subject.text, subject.rivals, subject.background)
    shared = sorted(index.own & words)
    # a keyword names the commitment when it is several words, or one word rare in the
    # document ("ASL-N+1"), but not one that names its whole class ("security")
    classes = {
        c.casefold() for c in lexicon()["announce"]["classes"].get(subject.category or "", [])
    }
    phrases = [
        k
        for k in subject.keywords
        if _phrase_in(k, norm)
        and (
            len(k.split()) > 1
            or (_keyword_share(index, k) < index.rare_below and k.casefold() not in classes)
        )
    ]
    own = sum(index.weight(t) for t in shared) + 4.0 * len(phrases)
    best_rival = max(
        (sum(index.weight(t) for t in rival & words) for rival in index.rivals), default=0.0
    )
    rare = [t for t in shared if index.share.get(t, 0.0) < index.rare_below]
    specific = (len(rare) >= 2 or bool(phrases)) and own >= 0.8 * best_rival
    return _Naming(own, (*phrases, *shared), specific, tuple(rare))


def _keyword_share(index: _Index, keyword: str) -> float:
    terms = stems(keyword)
    return max((index.share.get(t, 0.0) for t in terms), default=0.0)


def _class_words(subject: Subject, sentence: str) -> list[str]:
    """The class words of the subject's category in a sentence that says something changed
    ("Updated our threshold definitions"); a class word in passing names nothing."""
    norm = for_matching(sentence)
    lex = lexicon()["announce"]
    if len(norm.split()) > CLASS_LINE_WORDS:
        return []
    if not any(_phrase_in(w, norm) for w in (*lex["change_verbs"], *lex["neutral"])):
        return []
    return [w for w in lex["classes"].get(subject.category or "", []) if _phrase_in(w, norm)]


def _direction_words(subject: Subject, sentence: str) -> list[str]:
    """Words of `sentence` that say which way the subject changed: the outcome's verbs
    ("removed", "extended", "added") or the very words that moved ("90 days")."""
    norm = for_matching(sentence)
    lex = lexicon()["announce"]["direction"]
    keys = [str(subject.outcome)]
    if subject.uncertain:  # a removal lead in a rewritten document may be any kind of change
        keys = ["removed", "weakened"]
    found = [w for key in keys for w in lex.get(key, []) if _phrase_in(w, norm)]
    for movement in subject.movements:
        words = _WORD.findall(for_matching(movement.after))
        digits = [w for w in words if w[0].isdigit()]
        if (digits and all(_phrase_in(d, norm) for d in digits)) or (
            not digits and len(words) >= 2 and _phrase_in(movement.after, norm)
        ):
            found.append(movement.after)
    return sorted(set(found))


def judge(subject: Subject, account: Account) -> tuple[Verdict, list[AccountMatch]]:
    """announced (names the commitment and the direction), partial (names it or its class),
    silent (an account exists and identifies nothing), no-account (none was published)."""
    if not account.entries:
        return Verdict.NO_ACCOUNT, []
    announced: list[AccountMatch] = []
    partial: list[AccountMatch] = []
    for entry in account.entries:
        for sentence in _sentences(entry.text):
            naming = _naming(subject, sentence)
            if naming.specific:
                direction = _direction_words(subject, sentence)
                match = AccountMatch(
                    entry=entry,
                    sentence=sentence,
                    terms=list(naming.terms),
                    direction_words=direction,
                )
                (announced if direction else partial).append(match)
                continue
            classes = _class_words(subject, sentence)
            if classes and naming.rare:
                partial.append(
                    AccountMatch(entry=entry, sentence=sentence, terms=[*classes, *naming.rare])
                )
    if announced:
        return Verdict.ANNOUNCED, announced[:3]
    if partial:
        return Verdict.PARTIAL, partial[:3]
    return Verdict.SILENT, []


def late(
    subject: Subject,
    later: Sequence[Account],
    changed_in: str | None,
    changed_on: date,
) -> LateAcknowledgement | None:
    """The first later account that identifies the change (names it and its direction)."""
    for account in later:
        verdict, matches = judge(subject, account)
        if verdict is not Verdict.ANNOUNCED:
            continue
        match = matches[0]
        attributed_to = match.entry.version or account.version
        return LateAcknowledgement(
            version=account.version,
            date=(
                date.fromisoformat(match.entry.date) if match.entry.date else account.date
            ).isoformat(),
            delay_days=(account.date - changed_on).days,
            attributed_correctly=attributed_to is not None and attributed_to == changed_in,
            attributed_to=attributed_to,
            match=match,
        )
    return None
