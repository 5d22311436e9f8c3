"""Reports, changelog, status matrix, feed and timeline: golden files compared exactly, JSON
valid against the published schema, fetched text escaped. UPDATE_GOLDEN=1 rewrites the golden
files (review the diff)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema

from tests.conftest import DATA, REPO, invoke

GOLDEN = DATA / "golden"
DOC = "example-labs-scaling-policy"


def outputs(root: Path) -> dict[str, str]:
    base = root / "reports"
    return {
        str(p.relative_to(base)): p.read_text("utf-8")
        for p in sorted(base.rglob("*"))
        if p.is_file() and p.suffix in (".md", ".svg", ".xml")
    }


def test_golden_files(workspace: Path) -> None:
    got = outputs(workspace)
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, content in got.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(content, "utf-8")
    expected = {
        str(p.relative_to(GOLDEN)): p.read_text("utf-8")
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file()
    }
    assert sorted(got) == sorted(expected)
    for name, content in expected.items():
        assert got[name] == content, f"{name} differs from its golden file (UPDATE_GOLDEN=1)"


def test_reports_are_deterministic(workspace: Path, tmp_path: Path) -> None:
    first = outputs(workspace)
    again = tmp_path / "again"
    shutil.copytree(workspace, again)
    shutil.rmtree(again / "reports")
    invoke(again, "check")
    invoke(again, "changelog")
    assert outputs(again) == first
    jsons = sorted((workspace / "reports" / DOC).glob("20*.json"))
    assert [p.read_bytes() for p in jsons] == [
        (again / "reports" / DOC / p.name).read_bytes() for p in jsons
    ]


def test_report_json_validates_against_the_schema(workspace: Path) -> None:
    schema = json.loads((REPO / "tracker/schema/report.schema.json").read_text())
    reports = sorted((workspace / "reports" / DOC).glob("20*.json"))
    assert len(reports) == 4
    for path in reports:
        jsonschema.validate(json.loads(path.read_text()), schema)


def test_report_reads_like_the_design_says(workspace: Path) -> None:
    (report,) = (workspace / "reports" / DOC).glob("2024-10-01-*.md")
    text = report.read_text()
    assert (
        "- Silent removal: *Pause training when safeguards lag behind* "
        "(Example Labs Frontier Scaling Policy, v1.1 → v2.0)" in text
    )
    assert "We <del>will</del> <ins>may</ins> give" in text
    assert "obligation weakened: “will” → “may”" in text
    assert "| Before | 2024-06-03 | 1.1 | [https" in text
    assert "https://web.archive.org/web/20241001/https://example-labs.invalid/v2.0.pdf" in text
    assert "<details><summary>Full word diff of the document</summary>" in text
    assert "attributed to v2.1, not to v2.0 where the text changed" in text


HOSTILE = (
    "We will never @octocat share <script>alert(1)</script> weights [click](https://evil.example)"
    " ![pixel](https://evil.example/p.png) | col | # not a heading <img src=x onerror=y>."
)


def test_fetched_text_cannot_inject_markup(tmp_path: Path) -> None:
    root = tmp_path
    (root / "commitments" / "x").mkdir(parents=True)
    (root / "commitments" / "x" / "doc.yaml").write_text(
        "schema_version: 1\ndocument:\n  id: hostile\n  company: Hostile Co\n  title: Policy\n"
        "  url: https://example.org/policy\ncommitments: []\n"
    )
    body = (
        "# Policy\n\n"
        + "We will keep our promises to everyone who relies on our models. " * 8
        + "\n\n"
    )
    (tmp_path / "v1.md").write_text(body + HOSTILE + "\n")
    (tmp_path / "v2.md").write_text(body)
    invoke(root, "import", "hostile", str(tmp_path / "v1.md"), "--date", "2024-01-01")
    invoke(root, "import", "hostile", str(tmp_path / "v2.md"), "--date", "2024-02-01")
    invoke(root, "check")
    invoke(root, "changelog")
    (report,) = (root / "reports" / "hostile").glob("*.md")
    for text in (report.read_text(), (root / "reports/policy-changes.md").read_text()):
        assert "untracked" in text or "<del>" in text
        assert "<script" not in text and "<img" not in text
        assert "@octocat" not in text  # a zero-width space breaks the mention
        assert "](https://evil" not in text and "](http" not in text.split("## Snapshots")[0]
        assert "![pixel]" not in text
        assert "\n# not a heading" not in text
    assert "&lt;script&gt;" in report.read_text()
    assert "\\| col \\|" in report.read_text()
