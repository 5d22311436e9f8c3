"""Shared fixtures: paths to test data and the shared corpus."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tracker.models import Extractor, FetcherKind, Health, HealthStatus, SnapshotMeta
from tracker.store import Store, sha256

TESTS = Path(__file__).parent
DATA = TESTS / "data"
REPO = TESTS.parent
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


def make_meta(
    store: Store,
    doc: str,
    when: datetime,
    raw: bytes,
    text: str,
    *,
    media_type: str = "text/plain",
    extractor: Extractor | None = None,
) -> SnapshotMeta:
    """Metadata for a snapshot written straight to the store (no fetch, no extraction)."""
    extension = {"application/pdf": "pdf", "text/html": "html"}.get(media_type, "txt")
    return SnapshotMeta(
        id=store.unique_id(doc, when),
        document=doc,
        taken_at=when,
        fetcher=FetcherKind.IMPORT,
        media_type=media_type,
        raw_file=f"raw.{extension}",
        raw_sha256=sha256(raw),
        raw_bytes=len(raw),
        text_sha256=sha256(text.encode()),
        text_chars=len(text),
        extractor=extractor or Extractor(name="text", version="1"),
        health=Health(status=HealthStatus.OK),
    )


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def shared_corpus() -> Path:
    assert SHARED_CORPUS.is_dir(), f"the shared corpus is expected at {SHARED_CORPUS}"
    return SHARED_CORPUS
