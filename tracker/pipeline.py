"""The only module that sequences the stages: records, fetch, extract, store, check, report."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from tracker import classify, extract, locate, records
from tracker.classify import Outcome
from tracker.fetch import Fetcher, FetchFailure, follow_link
from tracker.models import (
    ChangelogSection,
    Document,
    DocumentFormat,
    Extractor,
    FetcherKind,
    Health,
    HealthStatus,
    RecordFile,
    SnapshotMeta,
)
from tracker.records import Records
from tracker.store import (
    RAW_EXTENSIONS,
    FetchState,
    Reextraction,
    Snapshot,
    Store,
    UrlState,
    content_key,
    sha256,
)

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).parent / "schema"
REPO_ROOT = Path(__file__).parent.parent


def load(root: Path, *, today: date) -> Records:
    """Load and validate every record; raises records.RecordsInvalid with every error."""
    return records.load_records(root, today=today)


def schemas() -> dict[str, str]:
    """File name -> JSON text of every schema the package publishes."""
    return {"record.schema.json": records.dump_schema(records.record_json_schema())}


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(schemas().items()):
        path = folder / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


# --- fetch, import ---------------------------------------------------------------------------


class FetchStatus(StrEnum):
    STORED = "stored"  # a new snapshot (its health says whether it can be trusted)
    UNCHANGED = "unchanged"  # fetched; same text as the latest snapshot; nothing written
    NOT_MODIFIED = "not-modified"  # 304: nothing downloaded, nothing extracted
    FAILED = "failed"  # nothing fetched (HTTP error, timeout, robots.txt, cap ...)


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    document: str
    status: FetchStatus
    message: str
    snapshot: str | None = None
    health: HealthStatus | None = None
    reasons: tuple[str, ...] = ()
    consecutive_failures: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "document": self.document,
            "status": str(self.status),
            "message": self.message,
            "snapshot": self.snapshot,
            "health": str(self.health) if self.health else None,
            "reasons": list(self.reasons),
            "consecutive_failures": self.consecutive_failures,
        }


ATTENTION_AFTER = 3


def fetch_documents(
    root: Path,
    records: Records,
    document_ids: Sequence[str] = (),
    *,
    fetcher: Fetcher,
) -> list[FetchOutcome]:
    """Fetch every (or the named) document; one document's failure never stops the others."""
    store = Store(root)
    wanted = list(document_ids) or sorted(records.documents)
    outcomes = []
    for doc_id in wanted:
        document = records.get(doc_id).document
        try:
            outcomes.append(_fetch_one(document, store, fetcher))
        except Exception as exc:  # a bug or a disk error in one document must not stop the rest
            log.exception("%s: fetch failed unexpectedly", doc_id)
            outcomes.append(FetchOutcome(doc_id, FetchStatus.FAILED, f"internal error: {exc}"))
    return outcomes


def _fetch_one(document: Document, store: Store, fetcher: Fetcher) -> FetchOutcome:
    state = store.state(document.id)
    state.last_attempt = fetcher.now()
    landing: str | None = None
    target = document.url
    if document.follow:
        page = fetcher.get(document.url)
        if isinstance(page, FetchFailure):
            return _failed(document.id, store, state, page)
        link = follow_link(page, document.follow)
        if isinstance(link, FetchFailure):
            return _failed(document.id, store, state, link)
        landing, target = document.url, link
    validators = state.urls.get(target, UrlState())
    result = fetcher.get(target, etag=validators.etag, last_modified=validators.last_modified)
    if isinstance(result, FetchFailure):
        return _failed(document.id, store, state, result)
    state.urls[target] = UrlState(
        etag=result.headers.get("etag") or validators.etag,
        last_modified=result.headers.get("last-modified") or validators.last_modified,
    )
    if result.not_modified:
        state.consecutive_failures = 0
        state.last_success = result.fetched_at
        state.last_error = None
        store.save_state(document.id, state)
        return FetchOutcome(document.id, FetchStatus.NOT_MODIFIED, f"{target}: 304 not modified")
    outcome = _store_content(
        document,
        store,
        raw=result.body,
        content_type=result.content_type,
        taken_at=result.fetched_at,
        fetcher_kind=FetcherKind.HTTP,
        url=target,
        landing_url=landing,
        final_url=result.final_url,
        http_status=result.status,
        headers=result.headers,
    )
    if outcome.health is HealthStatus.SUSPECT:
        state.consecutive_failures += 1
        state.last_error = "; ".join(outcome.reasons)
    else:
        state.consecutive_failures = 0
        state.last_error = None
        state.last_success = result.fetched_at
    store.save_state(document.id, state)
    return replace(outcome, consecutive_failures=state.consecutive_failures)


def _failed(doc_id: str, store: Store, state: FetchState, failure: FetchFailure) -> FetchOutcome:
    state.consecutive_failures += 1
    state.last_error = str(failure)
    store.save_state(doc_id, state)
    return FetchOutcome(
        doc_id,
        FetchStatus.FAILED,
        str(failure),
        consecutive_failures=state.consecutive_failures,
    )


def _store_content(
    document: Document,
    store: Store,
    *,
    raw: bytes,
    content_type: str | None,
    taken_at: datetime,
    fetcher_kind: FetcherKind,
    url: str | None,
    landing_url: str | None = None,
    final_url: str | None = None,
    http_status: int | None = None,
    headers: dict[str, str] | None = None,
    imported_from: str | None = None,
    version_given: str | None = None,
) -> FetchOutcome:
    media_type = extract.sniff(raw, content_type, url or imported_from or "")
    previous_good = store.latest_good(document.id, before=taken_at)
    reading = extract.read(
        raw,
        media_type,
        select=document.select,
        previous_good_chars=len(previous_good.text()) if previous_good else None,
    )
    text, health = reading.text, reading.health
    expected = document.format
    if expected is not None and expected is not _FORMAT_OF.get(media_type):
        health = Health(
            status=HealthStatus.SUSPECT,
            reasons=[
                *health.reasons,
                f"expected {expected} but got {media_type} "
                f"(declared {content_type or 'no content type'}): an error or landing page?",
            ],
        )
    latest = store.latest(document.id, before=taken_at + timedelta(microseconds=1))
    if (
        latest is not None
        and latest.health.status is health.status
        and content_key(latest.text()) == content_key(text)
    ):
        return FetchOutcome(
            document.id,
            FetchStatus.UNCHANGED,
            f"same text as snapshot {latest.id}; nothing written",
            snapshot=latest.id,
            health=health.status,
        )
    extension = RAW_EXTENSIONS.get(media_type, "bin")
    meta = SnapshotMeta(
        id=store.unique_id(document.id, taken_at),
        document=document.id,
        taken_at=taken_at,
        url=url,
        landing_url=landing_url,
        final_url=final_url,
        http_status=http_status,
        headers=headers or {},
        fetcher=fetcher_kind,
        imported_from=imported_from,
        media_type=media_type,
        raw_file=f"raw.{extension}",
        raw_sha256=sha256(raw),
        raw_bytes=len(raw),
        text_sha256=sha256(text.encode("utf-8")),
        text_chars=len(text),
        extractor=Extractor(name=reading.extractor, version=extract.EXTRACTOR_VERSION),
        health=health,
        version_label=extract.version_label(text, document.version_pattern),
        version_given=version_given,
        title=reading.title,
    )
    snapshot = store.write(meta, raw, text)
    verdict = "ok" if health.status is HealthStatus.OK else "SUSPECT: " + "; ".join(health.reasons)
    return FetchOutcome(
        document.id,
        FetchStatus.STORED,
        f"stored snapshot {snapshot.id} ({len(text)} characters, {verdict})",
        snapshot=snapshot.id,
        health=health.status,
        reasons=tuple(health.reasons),
    )


_FORMAT_OF = {
    "application/pdf": DocumentFormat.PDF,
    "text/html": DocumentFormat.HTML,
    "application/xhtml+xml": DocumentFormat.HTML,
    "text/plain": DocumentFormat.TEXT,
    "text/markdown": DocumentFormat.TEXT,
}


def import_file(
    root: Path,
    records: Records,
    document_id: str,
    path: Path,
    *,
    taken_at: datetime,
    version: str | None = None,
    url: str | None = None,
) -> FetchOutcome:
    """Store a local file as a snapshot taken at `taken_at` (history one already has)."""
    document = records.get(document_id).document
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read: {exc.strerror}") from exc
    guessed = mimetypes.guess_type(path.name)[0]
    return _store_content(
        document,
        Store(root),
        raw=raw,
        content_type=guessed,
        taken_at=taken_at,
        fetcher_kind=FetcherKind.IMPORT,
        url=url,
        imported_from=path.name,
        version_given=version,
    )


class ImportFailed(Exception):
    """The file to import cannot be read."""


def needing_attention(root: Path, records: Records) -> list[tuple[str, int, str | None]]:
    """(document, consecutive failures, last error) for documents failing too often."""
    store = Store(root)
    out = []
    for doc_id in sorted(records.documents):
        state = store.state(doc_id)
        if state.consecutive_failures >= ATTENTION_AFTER:
            out.append((doc_id, state.consecutive_failures, state.last_error))
    return out


def reextract(
    root: Path, records: Records, document_ids: Sequence[str] = (), *, now: datetime
) -> list[tuple[str, str, str]]:
    """Re-read the raw bytes of every snapshot made by an older extractor. A technical
    upgrade: stored beside the original, never reported as a change of the document.
    Returns (document, snapshot, what happened)."""
    store = Store(root)
    done = []
    for doc_id in list(document_ids) or sorted(records.documents):
        document = records.get(doc_id).document
        previous_chars: int | None = None
        for snap in store.snapshots(doc_id):
            if snap.extractor.version == extract.EXTRACTOR_VERSION:
                previous_chars = len(snap.text()) if snap.ok else previous_chars
                continue
            reading = extract.read(
                snap.raw(),
                snap.meta.media_type,
                select=document.select,
                previous_good_chars=previous_chars,
            )
            text, health = reading.text, reading.health
            record = Reextraction(
                extractor=Extractor(name=reading.extractor, version=extract.EXTRACTOR_VERSION),
                health=health,
                text_sha256=sha256(text.encode("utf-8")),
                text_chars=len(text),
                version_label=extract.version_label(text, document.version_pattern),
                made_at=now,
            )
            store.add_extraction(snap, record, text)
            if health.status is HealthStatus.OK:
                previous_chars = len(text)
            done.append(
                (
                    doc_id,
                    snap.id,
                    f"re-extracted with {record.extractor.name} "
                    f"{record.extractor.version} (was {snap.meta.extractor.version})",
                )
            )
    return done


# --- demo ---------------------------------------------------------------------------------------

DEMO_PLACEHOLDER = "https://example-labs.invalid"


def demo(workspace: Path, *, progress: Callable[[str], None]) -> list[tuple[date, FetchOutcome]]:
    """Build a workspace from the bundled fictional corpus, serve its site history on a local
    HTTP server, and fetch it day by day as the scheduled job would have."""
    from tracker.demo import build
    from tracker.demo.server import DemoSite

    if (workspace / "snapshots").exists():
        raise DemoExists(f"{workspace} already holds snapshots; pick an empty folder or remove it")
    results: list[tuple[date, FetchOutcome]] = []
    with DemoSite() as site:
        target = workspace / "commitments"
        for source in sorted((build.CORPUS / "commitments").rglob("*.yaml")):
            dest = target / source.relative_to(build.CORPUS / "commitments")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(
                source.read_text("utf-8").replace(DEMO_PLACEHOLDER, site.url), encoding="utf-8"
            )
        loaded = load(workspace, today=date.today())
        for day in build.state_dates():
            site.day = day
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            fetcher = Fetcher(min_interval=0.0, backoff=0.0, now=_fixed(noon))
            served = build.site_on(day)
            published = [
                doc.id
                for doc in loaded.documents.values()
                if doc.url.removeprefix(site.url) in served
            ]
            try:
                for outcome in fetch_documents(workspace, loaded, published, fetcher=fetcher):
                    results.append((day, outcome))
                    progress(f"{day} {outcome.document}: {outcome.status}: {outcome.message}")
            finally:
                fetcher.close()
    return results


def _fixed(when: datetime) -> Callable[[], datetime]:
    return lambda: when


class DemoExists(Exception):
    """The demo would write into a workspace that already has snapshots."""


# --- check ------------------------------------------------------------------------------------

REWRITTEN_BELOW = 0.5  # word similarity of two versions under which removals need review


def _snapshot_ref(snap: Snapshot) -> dict[str, object]:
    return {
        "id": snap.id,
        "date": snap.meta.taken_at.date().isoformat(),
        "version": snap.version_label or snap.meta.version_given,
        "sha256": snap.meta.raw_sha256,
        "url": snap.meta.url,
    }


def check_documents(
    root: Path, records: Records, document_ids: Sequence[str] = ()
) -> list[dict[str, object]]:
    """One finding per commitment per snapshot pair (retained ones too), as JSON-ready dicts."""
    store = Store(root)
    findings: list[dict[str, object]] = []
    for doc_id in list(document_ids) or sorted(records.documents):
        findings.extend(_check_document(store, records, records.get(doc_id).record))
    return findings


def _changelog_pattern(document: Document) -> list[str]:
    return [s.heading for s in document.announcements if isinstance(s, ChangelogSection)]


def _check_document(store: Store, records: Records, record: RecordFile) -> list[dict[str, object]]:
    document = record.document
    exclude = _changelog_pattern(document)
    out: list[dict[str, object]] = []
    last_good: Snapshot | None = None
    for snap in store.snapshots(document.id):
        if last_good is None:
            last_good = snap if snap.ok else None
            continue
        if not snap.ok:
            for commitment in record.commitments:
                out.append(
                    _finding(document.id, commitment.id, last_good, snap, Outcome.UNVERIFIABLE)
                    | {"evidence": {"reasons": snap.health.reasons}}
                )
            continue
        before_text, after_text = last_good.text(), snap.text()
        similarity = classify.document_similarity(before_text, after_text)
        for commitment in record.commitments:
            if commitment.stated > snap.meta.taken_at.date():
                continue
            wording = commitment.wording_on(snap.meta.taken_at.date())
            was = locate.locate(wording, before_text, exclude=exclude)
            if not was.found:
                continue  # not in the earlier version (removed before, or not yet stated)
            now = locate.locate(wording, after_text, exclude=exclude)
            out.append(
                _judge(
                    store, records, document, commitment.id, last_good, snap, was, now, similarity
                )
            )
        last_good = snap
    return out


def _judge(
    store: Store,
    records: Records,
    document: Document,
    commitment_id: str,
    before: Snapshot,
    after: Snapshot,
    was: locate.Match,
    now: locate.Match,
    similarity: float,
) -> dict[str, object]:
    evidence: dict[str, object] = {
        "before": was.passage,
        "section_before": was.section,
        "score": round(now.score, 1),
    }
    if now.found:
        change = classify.classify(was.passage, now.passage)
        flags = ["MIX"] if change.mixed else []
        evidence |= {
            "after": now.passage,
            "section_after": now.section,
            "movements": [m.as_dict() for m in change.movements],
            "word_diff": classify.word_diff(was.passage, now.passage),
        }
        return _finding(
            document.id,
            commitment_id,
            before,
            after,
            change.outcome,
            moved=was.section != now.section,
            dimensions=change.dimensions,
            flags=flags,
        ) | {"evidence": evidence}
    for companion in document.companions:
        found = store.latest_good(companion, before=after.meta.taken_at + timedelta(days=1))
        if found is None:
            continue
        there = locate.locate(was.passage, found.text())
        if there.found:
            evidence |= {
                "after": there.passage,
                "section_after": there.section,
                "relocated_to": {"document": companion, **_snapshot_ref(found)},
            }
            return _finding(document.id, commitment_id, before, after, Outcome.RELOCATED) | {
                "evidence": evidence
            }
    evidence |= {"closest": now.passage, "closest_section": now.section}
    flags = []
    if similarity < REWRITTEN_BELOW:
        flags.append("document-rewritten-review-needed")
    return _finding(document.id, commitment_id, before, after, Outcome.REMOVED, flags=flags) | {
        "evidence": evidence
    }


def _finding(
    document: str,
    commitment: str | None,
    before: Snapshot,
    after: Snapshot,
    outcome: Outcome,
    *,
    moved: bool = False,
    dimensions: Sequence[str] = (),
    flags: Sequence[str] = (),
) -> dict[str, object]:
    return {
        "document": document,
        "commitment": commitment,
        "from": _snapshot_ref(before),
        "to": _snapshot_ref(after),
        "outcome": str(outcome),
        "moved": moved,
        "dimensions": list(dimensions),
        "flags": list(flags),
        "announcement": None,  # set by the announce stage
    }
