"""`tracker demo`: the whole offline run on the fictional corpus."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tracker.cli import cli
from tracker.store import Store


def test_demo_fetches_the_site_history(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["demo", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    outcomes = json.loads(result.stdout)["fetches"]
    assert {o["status"] for o in outcomes} <= {"stored", "unchanged"}
    store = Store(workspace)
    labels = [s.version_label for s in store.snapshots("example-labs-scaling-policy")]
    assert labels == ["1.0", "1.1", "2.0", "2.1", "2.2"]  # reflow and re-upload stored nothing
    assert all(s.ok for doc in store.documents() for s in store.snapshots(doc))
    (standard,) = store.snapshots("example-labs-security-standard")
    assert "We will protect model weights" in standard.text()
    assert "127.0.0.1" in (workspace / "commitments/example-labs/scaling-policy.yaml").read_text()
    validate = CliRunner().invoke(cli, ["--root", str(workspace), "validate"])
    assert validate.exit_code == 0


def test_demo_refuses_a_workspace_with_snapshots(tmp_path: Path) -> None:
    (tmp_path / "snapshots").mkdir()
    result = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "already holds snapshots" in result.output


# CASES.md: (version, commitment) -> (outcome, announcement) of every planted change
PLANTED = {
    ("1.1", "eval-domains"): ("strengthened", "announced"),  # case 6
    ("1.1", "capability-reports"): ("weakened", "announced"),  # case 3
    ("1.1", None): ("added", "silent"),  # case 16 (untracked; the account does not mention it)
    ("2.0", "pause-training"): ("removed", "silent"),  # case 1
    ("2.0", "external-testing"): ("weakened", "silent"),  # case 2
    ("2.0", "eval-before-training"): ("weakened", "silent"),  # case 4
    ("2.0", "deployment-gate"): ("weakened", "silent"),  # case 5
    ("2.0", "next-level-evals"): ("removed", "acknowledged-late"),  # case 9
    ("2.1", "external-audit"): ("removed", "announced"),  # case 8
    ("2.1", "weight-security"): ("relocated", "partial"),  # case 14
    ("2.2", "incident-notification"): ("strengthened", "partial"),  # case 7
    ("2.2", "safety-board-review"): ("weakened", "silent"),  # case 15
}


def test_demo_reports_exactly_the_planted_cases(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    result = CliRunner().invoke(cli, ["demo", str(workspace)])
    assert result.exit_code == 0, result.output
    reports = sorted((workspace / "reports/example-labs-scaling-policy").glob("*.json"))
    found = {}
    for path in reports:
        if path.name == "checks.json":
            continue
        data = json.loads(path.read_text())
        for f in data["findings"]:
            if f["outcome"] not in ("retained", "unverifiable"):
                found[(f["to"]["version"], f["commitment"])] = (f["outcome"], f["announcement"])
    assert found == PLANTED
    late = next(
        f
        for path in reports
        if path.name != "checks.json"
        for f in json.loads(path.read_text())["findings"]
        if f["commitment"] == "next-level-evals" and f["outcome"] == "removed"
    )
    ack = late["acknowledged"]
    assert ack["version"] == "2.1" and ack["attributed_to"] == "2.1"
    assert ack["attributed_correctly"] is False and ack["delay_days"] == 132
    assert "decided not to maintain" in ack["match"]["sentence"]
    changelog = (workspace / "reports/policy-changes.md").read_text()
    assert "Silent removal: *Pause training when safeguards lag behind*" in changelog
    assert (workspace / "reports/status.md").is_file() and (
        workspace / "reports/feed.xml"
    ).is_file()
    assert "Headline findings:" in result.output and (
        "- Silent removal: Pause training when safeguards lag behind "
        "(Example Labs Frontier Scaling Policy, v1.1 → v2.0)" in result.output
    )
