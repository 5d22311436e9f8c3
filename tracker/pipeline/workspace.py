"""The workspace: its records, and the JSON Schemas the package publishes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tracker import locate, records
from tracker.models import Report
from tracker.records import Records
from tracker.store import Store, atomic_write

SCHEMA_DIR = Path(__file__).parent.parent / "schema"


def load(root: Path, *, today: date) -> Records:
    """Load and validate every record; raises records.RecordsInvalid with every error."""
    return records.load_records(root, today=today)


def schemas() -> dict[str, str]:
    """File name -> JSON text of every schema the package publishes."""
    report = Report.model_json_schema(by_alias=True)
    report = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://commitment-tracker.invalid/schema/report.schema.json",
        **report,
    }
    return {
        "record.schema.json": records.dump_schema(records.record_json_schema()),
        "report.schema.json": records.dump_schema(report),
    }


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


# --- shards ---------------------------------------------------------------------------------


def in_shard(document_id: str, shard: tuple[int, int] | None) -> bool:
    """Whether a document belongs to shard I of N (1-based): a stable hash of its id, so each
    job of a CI matrix always gets the same documents, whatever else is tracked."""
    if shard is None:
        return True
    index, count = shard
    digest = int(hashlib.sha256(document_id.encode("utf-8")).hexdigest()[:8], 16)
    return digest % count == index - 1


def select(
    loaded: Records, document_ids: Sequence[str], shard: tuple[int, int] | None
) -> list[str]:
    """The documents a command works on: the named ones (or all), within the shard."""
    ids = list(document_ids) or sorted(loaded.documents)
    return [d for d in ids if in_shard(d, shard)]


# --- editing records ---------------------------------------------------------------------------


class EditFailed(Exception):
    """A record cannot be edited as asked."""


@dataclass(frozen=True, slots=True)
class Added:
    path: Path
    commitment_id: str
    match: locate.Match | None  # where the quote is in the latest good snapshot (None: none)
    snapshot: str | None


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words[:6]) or "commitment"


def add_commitment(
    root: Path,
    loaded: Records,
    document_id: str,
    *,
    title: str,
    quote: str,
    stated: date | None,
    keywords: Sequence[str] = (),
    category: str | None = None,
    commitment_id: str | None = None,
    today: date,
) -> Added:
    """Append a commitment to the document's record, after locating its quote in the latest
    good snapshot (so the maintainer learns at once whether the quote is found)."""
    item = loaded.get(document_id)
    existing = {c.id for c in item.record.commitments}
    cid = commitment_id or _slug(title)
    if cid in existing:
        if commitment_id:
            raise EditFailed(f"{item.path}: commitment {cid!r} already exists; choose another --id")
        n = 2
        while f"{cid}-{n}" in existing:
            n += 1
        cid = f"{cid}-{n}"
    snap = Store(root).latest_good(document_id)
    match = None
    if snap is not None:
        match = locate.locate(quote, snap.text())
    entry: dict[str, object] = {
        "id": cid,
        "title": title,
        "quote": " ".join(quote.split()),
        "stated": stated or (snap.meta.taken_at.date() if snap else today),
    }
    if snap is not None and snap.meta.url:
        entry["source"] = snap.meta.url
    if match is not None and match.found and match.section:
        entry["section"] = match.section
    if category:
        entry["category"] = category
    if keywords:
        entry["keywords"] = list(keywords)
    path = root / item.path
    before = path.read_bytes()
    records.append_commitment(path, entry)
    try:
        load(root, today=today)
    except records.RecordsInvalid as exc:
        atomic_write(path, before)  # leave the file as it was
        raise EditFailed("the new commitment is invalid:\n" + str(exc)) from exc
    return Added(item.path, cid, match, snap.id if snap else None)


def accept_revision(
    root: Path, loaded: Records, document_id: str, commitment_id: str, *, today: date, note: str
) -> tuple[Path, str, str]:
    """Record the current counterpart of a reworded commitment as an accepted revision, dated
    at the latest good snapshot; returns (record path, since, new wording)."""
    item = loaded.get(document_id)
    commitment = next((c for c in item.record.commitments if c.id == commitment_id), None)
    if commitment is None:
        known = ", ".join(c.id for c in item.record.commitments) or "none"
        raise EditFailed(f"{item.path}: no commitment {commitment_id!r}; known: {known}")
    snap = Store(root).latest_good(document_id)
    if snap is None:
        raise EditFailed(f"{document_id}: no good snapshot yet; run `tracker fetch` first")
    since = snap.meta.taken_at.date()
    match = locate.locate(commitment.wording_on(since), snap.text())
    if not match.found:
        raise EditFailed(
            f"{commitment_id}: no counterpart in snapshot {snap.id} (closest passage scores "
            f"{match.score:.0f}, below {locate.NO_COUNTERPART:.0f}); nothing to accept"
        )
    if " ".join(match.passage.split()) == " ".join(commitment.wording_on(since).split()):
        raise EditFailed(f"{commitment_id}: the current wording is already the accepted one")
    path = root / item.path
    before = path.read_bytes()
    records.append_revision(
        path, commitment_id, {"since": since, "quote": match.passage, "note": note}
    )
    try:
        load(root, today=today)
    except records.RecordsInvalid as exc:
        atomic_write(path, before)
        raise EditFailed("the revision is invalid:\n" + str(exc)) from exc
    return item.path, since.isoformat(), match.passage
