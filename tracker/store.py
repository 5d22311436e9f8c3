"""The snapshot store: append-only folders, written atomically, never rewritten.

snapshots/<doc-id>/<YYYYMMDDTHHMMSSZ>/raw.<ext>, text.md, meta.json; plus one mutable
snapshots/<doc-id>/state.json holding fetch state (validators, consecutive failures).
A snapshot folder is built under a temporary name and renamed into place after every file is
fsynced, so a reader sees it complete or not at all; temporary folders left by a killed run
are ignored (and swept by the next write).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tracker.models import Extractor, Health, HealthStatus, SnapshotMeta

SNAPSHOTS_DIR = "snapshots"
TMP_PREFIX = ".tmp-"
RAW_EXTENSIONS = {
    "application/pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "txt",
    "text/markdown": "md",
    "application/rss+xml": "xml",
    "application/atom+xml": "xml",
}


class StoreError(Exception):
    """A snapshot folder that cannot be read or a write that cannot be made."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_key(text: str) -> str:
    """What "the same text" means for de-duplication: words in order, whitespace ignored, so a
    re-flowed PDF whose paragraphs break differently is not a new version."""
    return sha256(" ".join(text.split()).encode("utf-8"))


def account_document_id(url: str) -> str:
    """Where a page or post of a provider's account is stored when no record tracks it."""
    return "account-" + sha256(url.encode("utf-8"))[:16]


def snapshot_id(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class Reextraction(BaseModel):
    """A technical upgrade: the same raw bytes read again by a newer extractor. It sits in
    extractions/<version>/ beside the original text, which is never altered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    extractor: Extractor
    health: Health
    text_sha256: str
    text_chars: int
    version_label: str | None = None
    made_at: datetime


EXTRACTIONS_DIR = "extractions"


@dataclass(frozen=True, slots=True)
class Snapshot:
    meta: SnapshotMeta
    folder: Path

    @property
    def id(self) -> str:
        return self.meta.id

    def _latest_extraction(self) -> tuple[Path, Reextraction] | None:
        folder = self.folder / EXTRACTIONS_DIR
        if not folder.is_dir():
            return None
        found = []
        for child in folder.iterdir():
            if child.name.startswith(TMP_PREFIX) or not (child / "meta.json").is_file():
                continue
            found.append(
                (child, Reextraction.model_validate_json((child / "meta.json").read_bytes()))
            )
        if not found:
            return None
        return max(found, key=lambda item: (item[1].made_at, item[0].name))

    @property
    def health(self) -> Health:
        latest = self._latest_extraction()
        return latest[1].health if latest else self.meta.health

    @property
    def extractor(self) -> Extractor:
        latest = self._latest_extraction()
        return latest[1].extractor if latest else self.meta.extractor

    @property
    def version_label(self) -> str | None:
        latest = self._latest_extraction()
        return latest[1].version_label if latest else self.meta.version_label

    @property
    def ok(self) -> bool:
        return self.health.status is HealthStatus.OK

    def text(self) -> str:
        """The text of the newest extraction (the original unless re-extracted)."""
        latest = self._latest_extraction()
        folder = latest[0] if latest else self.folder
        return (folder / "text.md").read_text(encoding="utf-8")

    def raw(self) -> bytes:
        return (self.folder / self.meta.raw_file).read_bytes()


class UrlState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    etag: str | None = None
    last_modified: str | None = None


class FetchState(BaseModel):
    """Mutable, per document: what the next fetch needs and how the last ones went."""

    model_config = ConfigDict(extra="forbid")

    urls: dict[str, UrlState] = Field(default_factory=dict)
    consecutive_failures: int = 0
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}")
    _write_synced(tmp, data)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root / SNAPSHOTS_DIR

    def folder(self, document_id: str) -> Path:
        return self.root / document_id

    def listing(self, document_id: str) -> list[str]:
        """The snapshot folders of a document and their extractions, by name only: what a
        check depends on, read without opening a file (a stored snapshot never changes)."""
        out = []
        for child in self._folders(document_id):
            extra = child / EXTRACTIONS_DIR
            names = sorted(e.name for e in extra.iterdir()) if extra.is_dir() else []
            out.append("+".join([child.name, *names]))
        return out

    def _folders(self, document_id: str) -> list[Path]:
        """The complete snapshot folders of a document (not a write in progress), by name."""
        folder = self.folder(document_id)
        if not folder.is_dir():
            return []
        return [
            child
            for child in sorted(folder.iterdir())
            if child.is_dir() and not child.name.startswith(TMP_PREFIX)
        ]

    def snapshots(self, document_id: str) -> list[Snapshot]:
        """Every complete snapshot of a document, oldest first."""
        out = [self._load(child) for child in self._folders(document_id)]
        return sorted(out, key=lambda s: (s.meta.taken_at, s.id))

    def _load(self, folder: Path) -> Snapshot:
        meta_path = folder / "meta.json"
        try:
            meta = SnapshotMeta.model_validate_json(meta_path.read_bytes())
        except (OSError, ValidationError) as exc:
            raise StoreError(f"{meta_path}: unreadable snapshot metadata: {exc}") from exc
        return Snapshot(meta, folder)

    def latest(self, document_id: str, *, before: datetime | None = None) -> Snapshot | None:
        candidates = [
            s for s in self.snapshots(document_id) if before is None or s.meta.taken_at < before
        ]
        return candidates[-1] if candidates else None

    def latest_good(self, document_id: str, *, before: datetime | None = None) -> Snapshot | None:
        good = [
            s
            for s in self.snapshots(document_id)
            if s.ok and (before is None or s.meta.taken_at < before)
        ]
        return good[-1] if good else None

    def write(self, meta: SnapshotMeta, raw: bytes, text: str) -> Snapshot:
        """Store a new snapshot; the folder appears complete or not at all."""
        folder = self.folder(meta.document)
        folder.mkdir(parents=True, exist_ok=True)
        self._sweep(folder)
        final = _atomic_folder(
            folder / meta.id,
            {meta.raw_file: raw, "text.md": text.encode("utf-8"), "meta.json": _meta_json(meta)},
        )
        return Snapshot(meta, final)

    def add_extraction(self, snapshot: Snapshot, record: Reextraction, text: str) -> Path:
        """Store a re-extraction of `snapshot` atomically; the original files stay as they are."""
        parent = snapshot.folder / EXTRACTIONS_DIR
        parent.mkdir(exist_ok=True)
        data = json.dumps(record.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
        return _atomic_folder(
            parent / f"{record.extractor.name}-{record.extractor.version}",
            {"text.md": text.encode("utf-8"), "meta.json": data.encode("utf-8")},
        )

    def _sweep(self, folder: Path) -> None:
        """Remove temporary folders of runs that were killed (never a complete snapshot)."""
        for child in folder.iterdir():
            if child.name.startswith(TMP_PREFIX):
                pid = child.name.rsplit(".", 1)[-1]
                if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                    continue
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)

    def unique_id(self, document_id: str, when: datetime) -> str:
        base = snapshot_id(when)
        existing = {p.name for p in self.folder(document_id).glob(f"{base}*")}
        if base not in existing:
            return base
        n = 2
        while f"{base}-{n}" in existing:
            n += 1
        return f"{base}-{n}"

    def verify(self, document_id: str) -> list[str]:
        """Problems found re-hashing every stored file against its metadata."""
        problems = []
        for snap in self.snapshots(document_id):
            raw = snap.raw()
            if sha256(raw) != snap.meta.raw_sha256:
                problems.append(f"{snap.folder}: raw bytes do not match raw_sha256")
            original = (snap.folder / "text.md").read_bytes()
            if sha256(original) != snap.meta.text_sha256:
                problems.append(f"{snap.folder}: text.md does not match text_sha256")
        return problems

    # --- fetch state -------------------------------------------------------------------

    def state(self, document_id: str) -> FetchState:
        path = self.folder(document_id) / "state.json"
        if not path.exists():
            return FetchState()
        try:
            return FetchState.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise StoreError(f"{path}: unreadable fetch state: {exc}") from exc

    def save_state(self, document_id: str, state: FetchState) -> None:
        data = json.dumps(state.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
        atomic_write(self.folder(document_id) / "state.json", data.encode("utf-8"))

    def documents(self) -> Iterator[str]:
        if self.root.is_dir():
            for child in sorted(self.root.iterdir()):
                if child.is_dir() and not child.name.startswith(TMP_PREFIX):
                    yield child.name


def _atomic_folder(final: Path, files: dict[str, bytes]) -> Path:
    """Create `final` holding `files`, complete or not at all: built under a temporary name,
    every file fsynced, then renamed into place. An existing folder is never touched."""
    if final.exists():
        raise StoreError(f"{final} exists; stored folders are never rewritten")
    tmp = final.with_name(f"{TMP_PREFIX}{final.name}.{os.getpid()}")
    tmp.mkdir()
    try:
        for name, data in files.items():
            _write_synced(tmp / name, data)
        _fsync_dir(tmp)
        os.rename(tmp, final)
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _meta_json(meta: SnapshotMeta) -> bytes:
    data: dict[str, Any] = meta.model_dump(mode="json", exclude_none=True)
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
