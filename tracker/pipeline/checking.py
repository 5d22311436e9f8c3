"""Sequencing of the check: snapshot pairs -> locate -> classify -> announce -> findings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rapidfuzz import fuzz, process

from tracker import announce, classify, locate, textdiff
from tracker.models import (
    AccountEntry,
    ChangelogSection,
    Commitment,
    Document,
    Evidence,
    FeedSource,
    Finding,
    Flag,
    Outcome,
    PageSource,
    Relocation,
    SnapshotRef,
    Verdict,
)
from tracker.records import Records
from tracker.store import Snapshot, Store, account_document_id
from tracker.textnorm import for_matching

log = logging.getLogger(__name__)

REWRITTEN_BELOW = 0.5  # word similarity of two versions under which removals need review
TRACKED_OVERLAP = 85.0  # a sentence this close to a tracked passage is not "untracked"


def archive_url(url: str | None, day: str) -> str | None:
    """The Wayback Machine's capture of `url` nearest `day` (it redirects to the closest)."""
    if not url or url.startswith(("http://127.", "http://localhost")):
        return None
    return f"https://web.archive.org/web/{day.replace('-', '')}/{url}"


def snapshot_ref(snap: Snapshot) -> SnapshotRef:
    day = snap.meta.taken_at.date().isoformat()
    return SnapshotRef(
        id=snap.id,
        date=day,
        version=snap.meta.version_given or snap.version_label,
        sha256=snap.meta.raw_sha256,
        text_sha256=snap.meta.text_sha256,
        url=snap.meta.url,
        archive_url=archive_url(snap.meta.url, day),
    )


@dataclass(frozen=True, slots=True)
class Window:
    """Two consecutive good snapshots (or a good one and a suspect one after it)."""

    before: Snapshot
    after: Snapshot

    @property
    def verifiable(self) -> bool:
        return self.after.ok


def windows(snaps: Sequence[Snapshot]) -> list[Window]:
    """Each snapshot paired with the last good one before it; suspect ones pair too, so
    they show as unverifiable, and the next good one is compared with the last good one."""
    out: list[Window] = []
    last_good: Snapshot | None = None
    for snap in snaps:
        if last_good is not None:
            out.append(Window(last_good, snap))
        if snap.ok:
            last_good = snap
    return out


def check_documents(
    root: Path, records: Records, document_ids: Sequence[str] = ()
) -> list[Finding]:
    """One finding per commitment per snapshot pair (retained ones too), one per untracked
    commitment-like sentence added or removed; each material one with its announcement."""
    store = Store(root)
    findings: list[Finding] = []
    for doc_id in list(document_ids) or sorted(records.documents):
        findings.extend(check_document(store, records, doc_id))
    return findings


def check_document(store: Store, records: Records, document_id: str) -> list[Finding]:
    record = records.get(document_id).record
    document = record.document
    pairs = windows(store.snapshots(document.id))
    exclude = changelog_patterns(document)
    per_window: list[list[Finding]] = []
    removed: set[str] = set()  # commitments gone from the document, watched for a return
    for window in pairs:
        if not window.verifiable:
            per_window.append(_unverifiable(document, record.commitments, window))
            continue
        found = _compare(store, document, record.commitments, window, exclude, removed)
        for f in found:
            if f.commitment and f.outcome in (Outcome.REMOVED, Outcome.RELOCATED):
                removed.add(f.commitment)
            elif f.commitment and Flag.RESTORED in f.flags:
                removed.discard(f.commitment)
        per_window.append(found)
    good = [(w, f) for w, f in zip(pairs, per_window, strict=True) if w.verifiable]
    accounts = gather_accounts(store, document, [w for w, _ in good])
    commitments = {c.id: c for c in record.commitments}
    judged: dict[int, list[Finding]] = {}
    for index, (window, found) in enumerate(good):
        background = window.before.text()
        judged[index] = [
            _announce(
                f, accounts, index, commitments.get(f.commitment or ""), commitments, background
            )
            for f in found
        ]
    out: list[Finding] = []
    good_index = 0
    for window, found in zip(pairs, per_window, strict=True):
        if window.verifiable:
            out.extend(judged[good_index])
            good_index += 1
        else:
            out.extend(found)
    return out


def changelog_patterns(document: Document) -> list[str]:
    return [s.heading for s in document.announcements if isinstance(s, ChangelogSection)]


def _unverifiable(
    document: Document, commitments: Sequence[Commitment], window: Window
) -> list[Finding]:
    day = window.after.meta.taken_at.date()
    return [
        Finding(
            document=document.id,
            commitment=c.id,
            title=c.title,
            from_=snapshot_ref(window.before),
            to=snapshot_ref(window.after),
            outcome=Outcome.UNVERIFIABLE,
            evidence=Evidence(reasons=list(window.after.health.reasons)),
        )
        for c in commitments
        if c.stated <= day
    ]


def _compare(
    store: Store,
    document: Document,
    commitments: Sequence[Commitment],
    window: Window,
    exclude: Sequence[str],
    removed: AbstractSet[str] = frozenset(),
) -> list[Finding]:
    before_text, after_text = window.before.text(), window.after.text()
    similarity = classify.document_similarity(before_text, after_text)
    out: list[Finding] = []
    tracked: list[str] = []
    located: list[tuple[Commitment, locate.Match, locate.Match]] = []
    day = window.after.meta.taken_at.date()
    for commitment in commitments:
        if commitment.stated > day:
            continue
        wording = commitment.wording_on(day)
        was = locate.locate(wording, before_text, exclude=exclude)
        if not was.found:
            # not in the earlier version: not yet stated, or removed before; a removed
            # commitment that comes back is a finding of its own
            if commitment.id in removed:
                back = locate.locate(wording, after_text, exclude=exclude)
                if back.found:
                    out.append(_restored(document, commitment, window, back))
                    tracked.append(for_matching(back.passage))
            continue
        now = locate.locate(wording, after_text, exclude=exclude)
        tracked += [for_matching(wording), for_matching(was.passage), for_matching(now.passage)]
        located.append((commitment, was, now))
    # a commitment whose passage in the older version is another's counterpart was not there
    gone_before = {c.id for c, _, _, taken in _claimed([(c, n, w) for c, w, n in located]) if taken}
    for commitment, was, now, taken_by in _claimed(located):
        if commitment.id in gone_before:
            continue
        out.append(_judge(store, document, commitment, window, was, now, similarity, taken_by))
    out.extend(_untracked(document, window, before_text, after_text, exclude, tracked, similarity))
    return out


def _claimed(
    located: list[tuple[Commitment, locate.Match, locate.Match]],
) -> list[tuple[Commitment, locate.Match, locate.Match, str | None]]:
    """A passage is the counterpart of one commitment only: when two commitments' closest
    passages are the same, the one that matches it less well has lost its counterpart (a
    removed clause must not pass for a similar sibling clause that remains)."""
    best: dict[str, tuple[float, str]] = {}
    for commitment, _, now in located:
        if now.found:
            key = for_matching(now.passage)
            if now.score > best.get(key, (0.0, ""))[0]:
                best[key] = (now.score, commitment.id)
    out = []
    for commitment, was, now in located:
        holder = best.get(for_matching(now.passage))
        taken = holder[1] if now.found and holder and holder[0] > now.score else None
        out.append((commitment, was, now, taken))
    return out


def _judge(
    store: Store,
    document: Document,
    commitment: Commitment,
    window: Window,
    was: locate.Match,
    now: locate.Match,
    similarity: float,
    taken_by: str | None = None,
) -> Finding:
    base = {
        "document": document.id,
        "commitment": commitment.id,
        "title": commitment.title,
        "from_": snapshot_ref(window.before),
        "to": snapshot_ref(window.after),
    }
    evidence = {
        "before": was.passage,
        "section_before": was.section,
        "score": round(now.score, 1),
        "method": str(now.method),
    }
    if now.found and taken_by is None:
        change = classify.classify(was.passage, now.passage)
        return Finding(
            **base,
            outcome=change.outcome,
            moved=_moved(was.section, now.section),
            dimensions=change.dimensions,
            flags=[Flag.MIX] if change.mixed else [],
            evidence=Evidence(
                **evidence,
                after=now.passage,
                section_after=now.section,
                movements=list(change.movements),
                word_diff=textdiff.word_diff(was.passage, now.passage),
            ),
        )
    for companion in document.companions:
        found = store.latest_good(companion, before=window.after.meta.taken_at + timedelta(days=1))
        if found is None:
            continue
        there = locate.locate(was.passage, found.text())
        if there.found:
            return Finding(
                **base,
                outcome=Outcome.RELOCATED,
                evidence=Evidence(
                    **evidence,
                    after=there.passage,
                    section_after=there.section,
                    relocated_to=Relocation(document=companion, snapshot=snapshot_ref(found)),
                ),
            )
    return Finding(
        **base,
        outcome=Outcome.REMOVED,
        flags=[Flag.REWRITTEN] if similarity < REWRITTEN_BELOW else [],
        evidence=Evidence(
            **evidence,
            closest=now.passage,
            closest_section=now.section,
            closest_counterpart_of=taken_by,
        ),
    )


def _restored(
    document: Document, commitment: Commitment, window: Window, back: locate.Match
) -> Finding:
    """A commitment removed in an earlier version that stands again in this one."""
    return Finding(
        document=document.id,
        commitment=commitment.id,
        title=commitment.title,
        from_=snapshot_ref(window.before),
        to=snapshot_ref(window.after),
        outcome=Outcome.ADDED,
        flags=[Flag.RESTORED],
        evidence=Evidence(
            after=back.passage,
            section_after=back.section,
            score=round(back.score, 1),
            method=str(back.method),
        ),
    )


def _moved(before: str | None, after: str | None) -> bool:
    """Under another heading; a renumbered heading ("6. Governance" -> "7. Governance") is
    not a move."""
    if before == after or before is None or after is None:
        return False
    strip = "".join(c for c in before if not c.isdigit() and c not in ".()").strip()
    return (
        strip.casefold()
        != "".join(c for c in after if not c.isdigit() and c not in ".()").strip().casefold()
    )


def _untracked(
    document: Document,
    window: Window,
    before_text: str,
    after_text: str,
    exclude: Sequence[str],
    tracked: Sequence[str],
    similarity: float,
) -> list[Finding]:
    """Commitment-like sentences gone from or new in the document that no record tracks."""
    old = locate.document_sentences(before_text, exclude=exclude)
    new = locate.document_sentences(after_text, exclude=exclude)

    tracked_norms = [t for t in tracked if t]

    def candidates(sentences: list[locate.Sentence]) -> list[locate.Sentence]:
        """The commitment-like sentences that no record's passage covers."""
        joined = " | ".join(tracked_norms)
        like = [
            s
            for s in sentences
            if classify.commitment_strength(s.text) > 0 and s.norm not in joined
        ]
        if not like or not tracked_norms:
            return like
        scores = process.cdist(
            [s.norm for s in like], tracked_norms, scorer=fuzz.partial_ratio,
            score_cutoff=TRACKED_OVERLAP,
        )  # fmt: skip
        return [s for s, row in zip(like, scores, strict=True) if not row.any()]

    out = []
    for outcome, ours, theirs in ((Outcome.REMOVED, old, new), (Outcome.ADDED, new, old)):
        for sentence, closest, score in locate.unmatched(candidates(ours), theirs):
            before, after = (
                (sentence, closest) if outcome is Outcome.REMOVED else (closest, sentence)
            )
            flags = (
                [Flag.REWRITTEN]
                if outcome is Outcome.REMOVED and similarity < REWRITTEN_BELOW
                else []
            )
            out.append(
                Finding(
                    document=document.id,
                    commitment=None,
                    from_=snapshot_ref(window.before),
                    to=snapshot_ref(window.after),
                    outcome=outcome,
                    flags=flags,
                    evidence=Evidence(
                        before=before.text if before else None,
                        section_before=before.section if before else None,
                        after=after.text if after else None,
                        section_after=after.section if after else None,
                        score=round(score, 1),
                        method="sentence",
                    ),
                )
            )
    return out


# --- announcements ---------------------------------------------------------------------------


def gather_accounts(
    store: Store, document: Document, good_windows: Sequence[Window]
) -> list[announce.Account]:
    """The provider's account of each revision, from every announcement source."""
    if not good_windows:
        return []
    starts = [w.before.meta.taken_at.date() for w in good_windows]
    ends = [w.after.meta.taken_at.date() for w in good_windows]
    per_window: list[list[AccountEntry]] = [[] for _ in good_windows]
    checked: list[list[str]] = [[] for _ in good_windows]
    for source in document.announcements:
        if isinstance(source, ChangelogSection):
            for i, window in enumerate(good_windows):
                checked[i].append(f"the document's own section matching /{source.heading}/")
                per_window[i] += announce.new_entries(
                    announce.changelog_entries(
                        window.before.text(), source.heading, where=document.id
                    ),
                    announce.changelog_entries(
                        window.after.text(), source.heading, where=document.id
                    ),
                )
        elif isinstance(source, PageSource):
            page_id = source.document or account_document_id(source.url or "")
            for i in range(len(good_windows)):
                checked[i].append(f"page {source.document or source.url}")
                per_window[i] += _page_gain(store, page_id, starts[i], ends[i], source)
        elif isinstance(source, FeedSource):
            items = _feed_items(store, source)
            grace = timedelta(days=source.grace_days)
            for i in range(len(good_windows)):
                checked[i].append(
                    f"feed {source.url} (posts dated within {source.grace_days} days)"
                )
            for item in items:
                index = announce.window_of(item.date, starts, ends, grace)
                if index is not None:
                    per_window[index].append(_with_post_text(store, item))
    return [
        announce.Account(
            entries=tuple(per_window[i]),
            sources_checked=tuple(checked[i]),
            version=good_windows[i].after.meta.version_given or good_windows[i].after.version_label,
            date=ends[i],
        )
        for i in range(len(good_windows))
    ]


def _page_gain(
    store: Store, page_id: str, start: date, end: date, source: PageSource
) -> list[AccountEntry]:
    """What the changelog page gained between the two snapshots of the policy."""
    where = source.document or source.url or page_id

    def state(day: date) -> list[AccountEntry]:
        snap = _latest_good_by(store, page_id, day)
        if snap is None:
            return []
        return announce.page_entries(snap.text(), where=where, url=snap.meta.url)

    return announce.new_entries(state(start), state(end))


def _latest_good_by(store: Store, document_id: str, day: date) -> Snapshot | None:
    good = [s for s in store.snapshots(document_id) if s.ok and s.meta.taken_at.date() <= day]
    return good[-1] if good else None


def _feed_items(store: Store, source: FeedSource) -> list[AccountEntry]:
    """Every item of every stored copy of the feed (a feed forgets old items)."""
    seen: dict[tuple[str | None, str | None], AccountEntry] = {}
    for snap in store.snapshots(account_document_id(source.url)):
        for item in announce.feed_items(snap.raw(), where=source.url):
            seen.setdefault((item.url, item.title), item)
    return sorted(seen.values(), key=lambda e: (e.date or "", e.title or ""))


def _with_post_text(store: Store, item: AccountEntry) -> AccountEntry:
    """The post's stored text when the fetch kept it, else the feed's summary."""
    if not item.url:
        return item
    snap = store.latest_good(account_document_id(item.url))
    if snap is None:
        return item
    return item.model_copy(update={"text": f"{item.title or ''}\n\n{snap.text()}".strip()})


def _announce(
    finding: Finding,
    accounts: Sequence[announce.Account],
    index: int,
    commitment: Commitment | None,
    commitments: dict[str, Commitment],
    background: str,
) -> Finding:
    if not finding.outcome.material:
        return finding
    rivals = tuple(
        " ".join([c.title, *c.keywords, c.quote])
        for c in commitments.values()
        if commitment is None or c.id != commitment.id
    )
    subject = announce.Subject(
        outcome=finding.outcome,
        title=finding.title or "",
        keywords=tuple(commitment.keywords) if commitment else (),
        category=str(commitment.category) if commitment and commitment.category else None,
        before=finding.evidence.before or "",
        after=finding.evidence.after or "",
        movements=tuple(finding.evidence.movements),
        rivals=rivals,
        uncertain=Flag.REWRITTEN in finding.flags,
        background=background,
    )
    account = accounts[index]
    verdict, matches = announce.judge(subject, account)
    update: dict[str, object] = {
        "announcement": verdict,
        "evidence": finding.evidence.model_copy(
            update={"account": matches, "sources_checked": list(account.sources_checked)}
        ),
    }
    if verdict in (Verdict.SILENT, Verdict.PARTIAL, Verdict.NO_ACCOUNT):
        late = announce.late(subject, accounts[index + 1 :], finding.to.version, account.date)
        if late is not None:
            update["announcement"] = Verdict.ACKNOWLEDGED_LATE
            update["acknowledged"] = late
    return finding.model_copy(update=update)


# --- suggest, diff -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    strength: int  # 2: will/must/shall/commit; 1: a statement of practice
    section: str | None
    sentence: str


def suggest(root: Path, records: Records, document_id: str) -> list[Suggestion]:
    """Commitment-like sentences of the latest good snapshot that no record tracks, strongest
    first, in document order."""
    record = records.get(document_id).record
    snap = Store(root).latest_good(document_id)
    if snap is None:
        return []
    day = snap.meta.taken_at.date()
    tracked = [for_matching(c.wording_on(day)) for c in record.commitments]
    out = []
    for sentence in locate.document_sentences(
        snap.text(), exclude=changelog_patterns(record.document)
    ):
        strength = classify.commitment_strength(sentence.text)
        if strength == 0:
            continue
        if any(fuzz.partial_ratio(sentence.norm, t) >= TRACKED_OVERLAP for t in tracked):
            continue
        out.append(Suggestion(strength, sentence.section, sentence.text))
    seen: set[str] = set()
    unique = []
    for s in out:
        if s.sentence not in seen:
            seen.add(s.sentence)
            unique.append(s)
    return sorted(unique, key=lambda s: -s.strength)


class SnapshotNotFound(Exception):
    """A snapshot named on the command line does not exist."""


def pick(store: Store, document_id: str, wanted: str | None, *, default: int) -> Snapshot:
    """A snapshot by id, id prefix, date or version label; by default the one at `default`."""
    snaps = store.snapshots(document_id)
    if not snaps:
        raise SnapshotNotFound(f"{document_id}: no snapshots yet; run `tracker fetch` first")
    if wanted is None:
        if len(snaps) < 2:
            raise SnapshotNotFound(f"{document_id}: only one snapshot; nothing to compare")
        return snaps[default]
    for snap in reversed(snaps):
        label = snap.meta.version_given or snap.version_label
        if wanted in (snap.id, label, f"v{label}") or snap.id.startswith(wanted):
            return snap
        if snap.meta.taken_at.date().isoformat() == wanted:
            return snap
    known = ", ".join(f"{s.id} ({s.version_label or s.meta.taken_at.date()})" for s in snaps)
    raise SnapshotNotFound(f"{document_id}: no snapshot {wanted!r}; known: {known}")


def diff_snapshots(
    root: Path, document_id: str, start: str | None, end: str | None, *, deadline: float = 10.0
) -> tuple[Snapshot, Snapshot, list[textdiff.Hunk]]:
    store = Store(root)
    before = pick(store, document_id, start, default=-2)
    after = pick(store, document_id, end, default=-1)
    return before, after, textdiff.document_diff(before.text(), after.text(), deadline=deadline)
