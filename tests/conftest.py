"""Shared fixtures: paths to test data and the shared corpus."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.models import Extractor, FetcherKind, Health, HealthStatus, SnapshotMeta
from tracker.store import Store, sha256

TESTS = Path(__file__).parent
DATA = TESTS / "data"
REPO = TESTS.parent
# the shared corpus beside the checkout (never copied into it); TRACKER_SHARED_CORPUS moves it
SHARED_CORPUS = Path(os.environ.get("TRACKER_SHARED_CORPUS", REPO.parent / "shared" / "corpus"))


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


DOC = "example-labs-scaling-policy"
VERSIONS = [("v1.0", "2024-01-15"), ("v1.1", "2024-06-03"), ("v2.0", "2024-10-01"),
            ("v2.1", "2025-02-10"), ("v2.2", "2025-06-30")]  # fmt: skip


def invoke(root: Path, *args: str) -> str:
    from tracker.cli import cli

    result = CliRunner().invoke(cli, ["--root", str(root), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace for report and command tests: the demo's history imported with fixed dates
    and URLs, so every output is fixed."""
    root = tmp_path_factory.mktemp("reports")
    from tracker.demo import build

    shutil.copytree(build.CORPUS / "commitments", root / "commitments")
    for path in (root / "commitments").rglob("*.yaml"):  # no feed: it would need fetching
        text = re.sub(r"    - kind: feed\n      url: .*\n", "", path.read_text())
        path.write_text(text)
    built = build.CORPUS / "built"
    for version, day in VERSIONS:
        invoke(
            root,
            "import",
            DOC,
            str(built / "scaling-policy" / f"{version}.pdf"),
            "--date",
            day,
            "--url",
            f"https://example-labs.invalid/{version}.pdf",
        )
        invoke(
            root,
            "import",
            "example-labs-policy-updates",
            str(built / "policy-updates" / f"{day}.html"),
            "--date",
            day,
            "--url",
            "https://example-labs.invalid/policy-updates",
        )
    invoke(
        root,
        "import",
        "example-labs-security-standard",
        str(built / "security-standard" / "v1.0.html"),
        "--date",
        "2025-02-10",
        "--url",
        "https://example-labs.invalid/security-standard",
    )
    invoke(root, "check")
    invoke(root, "changelog")
    return root
