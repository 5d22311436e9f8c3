"""`tracker check` end to end on the demo history: every planted case of CASES.md, and a
captcha page between two versions concludes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tracker.cli import cli

DOC = "example-labs-scaling-policy"

# (version of the newer snapshot, commitment) -> (outcome, moved, dimensions); CASES.md
EXPECTED = {
    ("1.1", "eval-domains"): ("strengthened", False, ["scope"]),  # case 6
    ("1.1", "capability-reports"): ("weakened", False, ["threshold"]),  # case 3
    ("1.1", "staff-reporting-channel"): ("retained", True, []),  # case 10
    ("1.1", "weight-security"): ("retained", False, []),  # case 11
    ("2.0", "pause-training"): ("removed", False, []),  # case 1
    ("2.0", "external-testing"): ("weakened", False, ["obligation"]),  # case 2
    ("2.0", "eval-before-training"): ("weakened", False, ["threshold"]),  # case 4
    ("2.0", "deployment-gate"): ("weakened", False, ["consequence"]),  # case 5
    ("2.0", "next-level-evals"): ("removed", False, []),  # case 9
    ("2.1", "external-audit"): ("removed", False, []),  # case 8
    ("2.1", "weight-security"): ("relocated", False, []),  # case 14
    ("2.2", "incident-notification"): ("strengthened", False, ["threshold"]),  # case 7
    ("2.2", "safety-board-review"): ("weakened", False, ["actor"]),  # case 15
    ("1.1", None): ("added", False, []),  # case 16: an untracked commitment-like sentence
}


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", str(root)])
    assert result.exit_code == 0, result.output
    return root


def findings(root: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["--root", str(root), "check", "--json", DOC])
    assert result.exit_code == 0, result.output
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def test_every_planted_case(demo_root: Path) -> None:
    got = {}
    for f in findings(demo_root):
        got[(f["to"]["version"], f["commitment"])] = (f["outcome"], f["moved"], f["dimensions"])
    for key, expected in EXPECTED.items():
        assert got.get(key) == expected, key
    changed = {k for k, v in got.items() if v[0] != "retained" or v[1]}
    assert changed == {k for k, v in EXPECTED.items() if v[0] != "retained" or v[1]}


def test_findings_carry_their_evidence(demo_root: Path) -> None:
    by_key = {(f["to"]["version"], f["commitment"]): f for f in findings(demo_root)}
    removal = by_key[("2.0", "pause-training")]
    evidence = removal["evidence"]
    assert evidence["before"].startswith("If a model reaches CL-3 before")
    assert evidence["closest"] and evidence["score"] < 77
    assert len(removal["from"]["sha256"]) == 64 and removal["from"]["version"] == "1.1"
    weakened = by_key[("2.0", "external-testing")]["evidence"]
    assert weakened["movements"] == [
        {"dimension": "obligation", "direction": "weakened", "before": "will", "after": "may"}
    ]
    assert "~~will~~ **may**" in weakened["word_diff"]
    relocated = by_key[("2.1", "weight-security")]["evidence"]
    assert relocated["relocated_to"]["document"] == "example-labs-security-standard"


def test_every_commitment_checked_in_every_pair_until_removed(demo_root: Path) -> None:
    pairs: dict[str, list[str]] = {}
    for f in findings(demo_root):
        pairs.setdefault(f["commitment"], []).append(f["to"]["version"])
    assert pairs["staff-reporting-channel"] == ["1.1", "2.0", "2.1", "2.2"]
    assert pairs["pause-training"] == ["1.1", "2.0"]  # checked, removed, then no longer


def test_a_captcha_between_versions_concludes_nothing(demo_root: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "ws"
    shutil.copytree(demo_root, root)
    captcha = tmp_path / "captcha.html"
    captcha.write_text(
        "<html><head><title>Just a moment...</title></head><body><main>"
        "<p>Checking your browser. Please verify you are human.</p></main></body></html>"
    )
    result = CliRunner().invoke(
        cli, ["--root", str(root), "import", DOC, str(captcha), "--date", "2024-08-01"]
    )
    assert result.exit_code == 0 and "SUSPECT" in result.output
    got = findings(root)
    at_captcha = [f for f in got if f["to"]["date"] == "2024-08-01"]
    assert at_captcha and {f["outcome"] for f in at_captcha} == {"unverifiable"}
    removed_at_captcha = [f for f in at_captcha if f["outcome"] == "removed"]
    assert removed_at_captcha == []
    # the next good version is compared with the last good one, so v2.0's changes still show
    after = {(f["commitment"], f["outcome"]) for f in got if f["to"]["version"] == "2.0"}
    assert ("pause-training", "removed") in after
    assert ("external-testing", "weakened") in after


def test_a_removed_clause_does_not_pass_for_its_similar_sibling(tmp_path: Path) -> None:
    """Two clauses of one template; one is removed. The other must not be taken for it."""
    root = tmp_path
    (root / "commitments" / "x").mkdir(parents=True)
    a = "We will publish every model evaluation report within 30 days of each deployment."
    b = "We will publish every model security review report within 60 days of each deployment."
    (root / "commitments" / "x" / "doc.yaml").write_text(
        "schema_version: 1\ndocument:\n  id: twins\n  company: Twin Co\n  title: Policy\n"
        "  url: https://example.org/policy\ncommitments:\n"
        f"  - id: eval-reports\n    title: Evaluation reports\n    quote: {a}\n"
        "    stated: 2024-01-01\n"
        f"  - id: security-reports\n    title: Security reports\n    quote: {b}\n"
        "    stated: 2024-01-01\n"
    )
    filler = "This policy explains how the company handles its most capable models. " * 6
    v1, v2 = tmp_path / "v1.md", tmp_path / "v2.md"
    v1.write_text(f"# Policy\n\n{filler}\n\n{a}\n\n{b}\n")
    v2.write_text(f"# Policy\n\n{filler}\n\n{b}\n")
    for path, day in ((v1, "2024-01-01"), (v2, "2024-02-01"), (v2, "2024-03-01")):
        CliRunner().invoke(cli, ["--root", str(root), "import", "twins", str(path), "--date", day])
    result = CliRunner().invoke(cli, ["--root", str(root), "check", "--json"])
    got = [(f["commitment"], f["outcome"]) for f in json.loads(result.stdout) if f["commitment"]]
    assert got == [("eval-reports", "removed"), ("security-reports", "retained")]
    removal = next(f for f in json.loads(result.stdout) if f["commitment"] == "eval-reports")
    assert removal["evidence"]["closest_counterpart_of"] == "security-reports"


def test_a_quote_found_nowhere_is_reported_not_silently_skipped(tmp_path: Path) -> None:
    root = tmp_path
    (root / "commitments" / "x").mkdir(parents=True)
    (root / "commitments" / "x" / "doc.yaml").write_text(
        "schema_version: 1\ndocument:\n  id: typo\n  company: Typo Co\n  title: Policy\n"
        "  url: https://example.org/policy\ncommitments:\n"
        "  - id: misquoted\n    title: A misquoted commitment\n"
        "    quote: We shall colonise the moon before any other developer does so.\n"
        "    stated: 2024-01-01\n"
    )
    text = "# Policy\n\n" + "We will review every model before we deploy it to anyone. " * 8
    for day, extra in (("2024-01-01", ""), ("2024-02-01", " Also this."), ("2024-03-01", " More.")):
        page = tmp_path / f"{day}.md"
        page.write_text(text + extra + "\n")
        CliRunner().invoke(cli, ["--root", str(root), "import", "typo", str(page), "--date", day])
    result = CliRunner().invoke(cli, ["--root", str(root), "check"])
    assert result.exit_code == 0, result.output
    assert "warning: typo: misquoted: its quote is in no snapshot since it was stated" in (
        result.stderr
    )
