"""Records: the valid set loads; every kind of bad record gives its exact file:line error."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from tracker.cli import cli
from tracker.models import Category, RecordFile
from tracker.records import RecordsInvalid, load_records

DATA = Path(__file__).parent / "data" / "records"
GOOD = DATA / "good"
BAD = DATA / "bad"
CASES = YAML(typ="safe").load((BAD / "cases.yaml").read_text(encoding="utf-8"))


def test_good_records_load() -> None:
    records = load_records(GOOD, today=date(2026, 1, 1))
    docs = records.documents
    assert sorted(docs) == ["example-labs-scaling-policy", "example-labs-security-standard"]
    record = records.get("example-labs-scaling-policy").record
    commitment = record.commitments[0]
    assert commitment.category is Category.CONSEQUENCE
    assert commitment.stated == date(2023, 10, 15)
    assert commitment.wording_on(date(2024, 1, 1)).startswith("We will manage our plans")
    assert commitment.wording_on(date(2024, 10, 15)).startswith("We will plan for a pause")


def test_at_least_twenty_kinds_of_bad_record() -> None:
    assert len(CASES) >= 20
    on_disk = {p.stem for p in BAD.glob("*.yaml")} - {"cases"}
    assert on_disk == set(CASES), "every bad file has a case and every case a file"


@pytest.mark.parametrize("case", sorted(CASES), ids=sorted(CASES))
def test_bad_record(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = CASES[case]
    folder = tmp_path / "commitments" / "example-labs"
    folder.mkdir(parents=True)
    shutil.copy(GOOD / "commitments/example-labs/security-standard.yaml", folder)
    if spec.get("with_good"):
        shutil.copy(GOOD / "commitments/example-labs/scaling-policy.yaml", folder)
    shutil.copy(BAD / f"{case}.yaml", folder / f"{case}.yaml")
    monkeypatch.chdir(tmp_path)  # an executed `touch pwned` would land here

    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "validate"])

    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines() == spec["errors"]
    assert result.stderr.strip() == f"{len(spec['errors'])} error(s) in records"
    assert not (tmp_path / "pwned").exists()


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "commitments" / "example-labs"
    folder.mkdir(parents=True)
    shutil.copy(GOOD / "commitments/example-labs/security-standard.yaml", folder)
    for case in ("tabs", "unknown-field", "bad-regex", "future-date"):
        shutil.copy(BAD / f"{case}.yaml", folder / f"{case}.yaml")
    with pytest.raises(RecordsInvalid) as info:
        load_records(tmp_path, today=date(2026, 1, 1))
    files = {e.path.rsplit("/", 1)[-1] for e in info.value.errors}
    assert files == {"tabs.yaml", "unknown-field.yaml", "bad-regex.yaml", "future-date.yaml"}


def test_validate_json_output(tmp_path: Path) -> None:
    folder = tmp_path / "commitments" / "x"
    folder.mkdir(parents=True)
    shutil.copy(BAD / "missing-quote.yaml", folder / "a.yaml")
    shutil.copy(GOOD / "commitments/example-labs/security-standard.yaml", folder)
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "validate", "--json"])
    assert result.exit_code == 1
    assert '"field": "commitments[0].quote"' in result.stdout
    assert '"line": 19' in result.stdout


def test_valid_workspace_exits_zero() -> None:
    result = CliRunner().invoke(cli, ["--root", str(GOOD), "validate"])
    assert result.exit_code == 0
    assert result.stderr == "ok: 2 document(s), 1 commitment(s)\n"


def test_schema_version_error_names_supported_versions() -> None:
    with pytest.raises(ValueError, match="unsupported schema_version 7; supported: 1"):
        RecordFile.model_validate(
            {
                "schema_version": 7,
                "document": {"id": "a", "company": "A", "title": "T", "url": "https://a.org"},
            }
        )
