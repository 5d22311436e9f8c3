"""`tracker import`: PDF, HTML and text files become snapshots at the given date."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import make_meta
from tracker.cli import cli
from tracker.demo import build
from tracker.models import Extractor
from tracker.store import Store

DOC = "example-labs-scaling-policy"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(build.CORPUS / "commitments", tmp_path / "commitments")
    return tmp_path


def run(root: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--root", str(root), "import", *args])


def test_import_pdf_html_and_text(root: Path, tmp_path: Path) -> None:
    text_file = tmp_path / "v2.2.md"
    shutil.copy(build.SOURCE / "scaling-policy/v2.2.md", text_file)
    cases = [
        (build.BUILT / "scaling-policy/v1.0.pdf", "2024-01-15", "application/pdf"),
        (build.BUILT / "scaling-policy/v1.1.html", "2024-06-03T09:30:00+02:00", "text/html"),
        (text_file, "2025-06-30", "text/markdown"),
    ]
    for path, when, _ in cases:
        result = run(root, DOC, str(path), "--date", when, "--url", "https://example.org/p")
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        assert "stored snapshot" in result.output  # type: ignore[attr-defined]
    snaps = Store(root).snapshots(DOC)
    assert [s.id for s in snaps] == ["20240115T000000Z", "20240603T073000Z", "20250630T000000Z"]
    assert [s.meta.media_type for s in snaps] == [c[2] for c in cases]
    assert [s.meta.version_label for s in snaps] == ["1.0", "1.1", "2.2"]
    assert all(s.meta.fetcher == "import" for s in snaps)
    assert snaps[0].meta.imported_from == "v1.0.pdf"


def test_import_same_text_writes_nothing(root: Path) -> None:
    assert run(root, DOC, str(build.BUILT / "scaling-policy/v1.0.pdf"), "--date", "2024-01-15")
    result = run(
        root,
        DOC,
        str(build.BUILT / "scaling-policy/v1.0-reflow.pdf"),
        "--date",
        "2024-03-01",
        "--json",
    )
    assert result.exit_code == 0  # type: ignore[attr-defined]
    (outcome,) = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert outcome["status"] == "unchanged"
    assert len(Store(root).snapshots(DOC)) == 1


def test_import_bad_date_is_a_usage_error(root: Path) -> None:
    result = run(root, DOC, str(build.BUILT / "scaling-policy/v1.0.pdf"), "--date", "15/01/2024")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "'15/01/2024' is not a date (2024-10-15)" in result.output  # type: ignore[attr-defined]


def test_import_unknown_document_names_the_known_ones(root: Path) -> None:
    result = run(root, "nope", str(build.BUILT / "scaling-policy/v1.0.pdf"), "--date", "2024-01-15")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "unknown document(s) nope; known: example-labs-policy-updates" in result.output  # type: ignore[attr-defined]


def test_import_with_invalid_records_stops_with_their_errors(root: Path) -> None:
    record = root / "commitments/example-labs/scaling-policy.yaml"
    record.write_text(
        record.read_text().replace("    quote: We will protect", "    qoute: We will protect")
    )
    result = run(root, DOC, str(build.BUILT / "scaling-policy/v1.0.pdf"), "--date", "2024-01-15")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "qoute: unknown field" in result.stderr  # type: ignore[attr-defined]
    assert not (root / "snapshots").exists()


def test_reextract_is_a_technical_upgrade_that_alters_nothing(root: Path) -> None:
    store = Store(root)
    raw = (build.BUILT / "scaling-policy/v1.0.pdf").read_bytes()
    old_text = "text from an older, cruder extractor\n"
    when = datetime(2024, 1, 15, tzinfo=UTC)
    old = Extractor(name="pypdfium2", version="0")
    meta = make_meta(store, DOC, when, raw, old_text, media_type="application/pdf", extractor=old)
    store.write(meta, raw, old_text)
    before = {p: p.read_bytes() for p in store.folder(DOC).rglob("*") if p.is_file()}

    result = CliRunner().invoke(cli, ["--root", str(root), "fetch", "--reextract"])

    assert result.exit_code == 0, result.output
    assert "20240115T000000Z: re-extracted with pypdfium2 1 (was 0)" in result.stdout
    (snap,) = store.snapshots(DOC)
    assert {p: p.read_bytes() for p in before} == before  # the original files are untouched
    assert (snap.folder / "text.md").read_text() == old_text
    assert "We will protect model weights" in snap.text()  # readers get the new extraction
    assert snap.version_label == "1.0" and snap.ok
    assert store.verify(DOC) == []
    again = CliRunner().invoke(cli, ["--root", str(root), "fetch", "--reextract"])
    assert again.stdout == "" and "0 snapshot(s) re-extracted" in again.stderr
