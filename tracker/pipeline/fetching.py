"""Sequencing of fetch, import and re-extraction: records -> fetch -> extract -> store."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from tracker import announce, extract
from tracker.browser import BrowserFetcher
from tracker.browser import available as browser_available
from tracker.fetch import Fetcher, FetchFailure, FetchResult, follow_link
from tracker.models import (
    Document,
    DocumentFormat,
    Extractor,
    FeedSource,
    FetcherKind,
    FetchMode,
    Health,
    HealthStatus,
    PageSource,
    SnapshotMeta,
)
from tracker.records import Records
from tracker.store import (
    RAW_EXTENSIONS,
    FetchState,
    Reextraction,
    Store,
    UrlState,
    account_document_id,
    content_key,
    sha256,
)

log = logging.getLogger(__name__)

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
        outcomes.extend(_fetch_accounts(document, store, fetcher))
    return outcomes


MAX_POSTS_PER_RUN = 20


def _fetch_accounts(document: Document, store: Store, fetcher: Fetcher) -> list[FetchOutcome]:
    """The provider's account pages and feeds that no record tracks (feeds with the posts
    they link, so the evidence is kept), stored under account-<hash> documents."""
    out = []
    for source in document.announcements:
        if isinstance(source, PageSource) and source.url:
            out.append(_fetch_account(document, source.url, store, fetcher))
        elif isinstance(source, FeedSource):
            feed = _fetch_account(document, source.url, store, fetcher)
            out.append(feed)
            latest = store.latest(account_document_id(source.url))
            if latest is None or feed.status is FetchStatus.FAILED:
                continue
            items = announce.feed_items(latest.raw(), where=source.url)
            links = [i.url for i in items if i.url and i.url.startswith(("http://", "https://"))]
            pending = [u for u in links if store.latest(account_document_id(u)) is None]
            for link in pending[:MAX_POSTS_PER_RUN]:
                out.append(_fetch_account(document, link, store, fetcher))
    return out


def _fetch_account(document: Document, url: str, store: Store, fetcher: Fetcher) -> FetchOutcome:
    target = Document(
        id=account_document_id(url),
        company=document.company,
        title=f"Account of revisions: {url}",
        url=url,
    )
    try:
        return replace(_fetch_one(target, store, fetcher), document=f"{document.id} account {url}")
    except Exception as exc:  # one account source must not stop the run
        log.exception("%s: fetch failed unexpectedly", url)
        return FetchOutcome(target.id, FetchStatus.FAILED, f"internal error: {exc}")


def _fetch_one(
    document: Document, store: Store, fetcher: Fetcher, browser: BrowserFetcher | None = None
) -> FetchOutcome:
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
    kind = FetcherKind.HTTP
    notes: list[str] = []
    read: tuple[str, extract.Reading] | None = None
    if document.fetch is FetchMode.BROWSER:
        browser = browser or BrowserFetcher(fetcher)
        result = browser.get(target, wait_for=document.wait_for, remove=tuple(document.remove))
        kind = FetcherKind.BROWSER
    else:
        result = fetcher.get(target, etag=validators.etag, last_modified=validators.last_modified)
        if not isinstance(result, FetchFailure) and not result.not_modified:
            plain = _read(
                document, store, result.body, result.content_type, target, result.fetched_at
            )
            result, kind, notes = _browser_fallback(
                document, target, result, plain, fetcher, browser
            )
            if kind is FetcherKind.HTTP:
                read = plain  # the plain fetch is what is stored: it was read once already
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
        fetcher_kind=kind,
        url=target,
        landing_url=landing,
        final_url=result.final_url,
        http_status=result.status,
        headers=result.headers,
        read=read,
    )
    if notes:
        outcome = replace(outcome, message=f"{outcome.message}; " + "; ".join(notes))
    if outcome.health is HealthStatus.SUSPECT:
        state.consecutive_failures += 1
        state.last_error = "; ".join([*outcome.reasons, *notes])
    else:
        state.consecutive_failures = 0
        state.last_error = None
        state.last_success = result.fetched_at
    store.save_state(document.id, state)
    return replace(outcome, consecutive_failures=state.consecutive_failures)


# What a browser can fix: a page whose text is put there by scripts.
_NEEDS_SCRIPTS = ("page needs JavaScript", "near-empty text", "matched nothing on the page")


def _browser_fallback(
    document: Document,
    target: str,
    result: FetchResult,
    plain: tuple[str, extract.Reading],
    fetcher: Fetcher,
    browser: BrowserFetcher | None,
) -> tuple[FetchResult | FetchFailure, FetcherKind, list[str]]:
    """When the plain fetch reads as a JavaScript shell, try once with the browser."""
    media_type, reading = plain
    if media_type != "text/html":
        return result, FetcherKind.HTTP, []
    reasons = " ".join(reading.health.reasons)
    has_scripts = b"<script" in result.body.lower()
    if not any(r in reasons for r in _NEEDS_SCRIPTS) or not has_scripts:
        return result, FetcherKind.HTTP, []
    missing = browser_available()
    if missing is not None:
        log.warning("%s: %s", document.id, missing)
        return result, FetcherKind.HTTP, [f"a browser would be needed here: {missing}"]
    rendered = (browser or BrowserFetcher(fetcher)).get(
        target, wait_for=document.wait_for, remove=tuple(document.remove)
    )
    if isinstance(rendered, FetchFailure):
        return result, FetcherKind.HTTP, [f"the browser fallback failed: {rendered}"]
    return rendered, FetcherKind.BROWSER, ["fetched with the browser (the page needs JavaScript)"]


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


def _read(
    document: Document,
    store: Store,
    raw: bytes,
    content_type: str | None,
    url: str,
    taken_at: datetime,
) -> tuple[str, extract.Reading]:
    """The media type and the extract stage's reading of fetched bytes (text and health)."""
    media_type = extract.sniff(raw, content_type, url)
    previous_good = store.latest_good(document.id, before=taken_at)
    reading = extract.read(
        raw,
        media_type,
        select=document.select,
        previous_good_chars=len(previous_good.text()) if previous_good else None,
    )
    return media_type, reading


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
    read: tuple[str, extract.Reading] | None = None,
) -> FetchOutcome:
    media_type, reading = read or _read(
        document, store, raw, content_type, url or imported_from or "", taken_at
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


# --- backfill -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackfillOutcome:
    capture: str  # the archive URL
    taken_at: str
    outcome: FetchOutcome


def backfill(
    root: Path,
    records: Records,
    document_id: str,
    *,
    fetcher: Fetcher,
    wayback_url: str,
    start: date | None = None,
    end: date | None = None,
) -> list[BackfillOutcome]:
    """Store each distinct Wayback capture of the document's URL as a snapshot dated at its
    capture time, with the archive URL as provenance."""
    from tracker import backfill as wayback

    document = records.get(document_id).document
    store = Store(root)
    listing = fetcher.get(wayback.cdx_query(wayback_url, document.url, start, end))
    if isinstance(listing, FetchFailure):
        raise BackfillFailed(f"CDX API: {listing}")
    try:
        captures = wayback.distinct(wayback.parse_cdx(listing.body))
    except wayback.CdxError as exc:
        raise BackfillFailed(f"CDX API {listing.url}: {exc}") from exc
    out = []
    for capture in captures:
        archive = capture.archive_url(wayback_url)
        result = fetcher.get(capture.raw_url(wayback_url))
        if isinstance(result, FetchFailure):
            failed = FetchOutcome(document_id, FetchStatus.FAILED, str(result))
            out.append(BackfillOutcome(archive, capture.timestamp, failed))
            continue
        stored = _store_content(
            document,
            store,
            raw=result.body,
            content_type=result.content_type or capture.mimetype,
            taken_at=capture.taken_at,
            fetcher_kind=FetcherKind.WAYBACK,
            url=capture.original if capture.original.startswith("http") else document.url,
            final_url=archive,
            http_status=result.status,
            headers=result.headers,
        )
        out.append(BackfillOutcome(archive, capture.timestamp, stored))
    return out


class BackfillFailed(Exception):
    """The Wayback Machine's capture list could not be read."""
