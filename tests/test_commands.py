"""The commands around the check: status, stats, suggest, diff, add, accept, --fail-on."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import DOC, invoke
from tracker.cli import cli


def test_status_gives_each_commitment_its_current_outcome(workspace: Path) -> None:
    data = json.loads(invoke(workspace, "status", "--json", DOC))
    rows = {r["commitment"]: r for r in data["commitments"]}
    assert rows["pause-training"]["outcome"] == "removed"
    assert rows["pause-training"]["version"] == "2.0"
    assert rows["external-testing"]["outcome"] == "weakened"  # a change stays the state
    assert rows["staff-reporting-channel"]["outcome"] == "retained"
    assert data["needing_attention"] == []


def test_stats_counts_per_revision_and_pooled(workspace: Path) -> None:
    rows = json.loads(invoke(workspace, "stats", "--json", DOC))
    by_version = {r["version"]: r for r in rows if r["document"] == DOC}
    v20 = by_version["2.0"]
    assert v20["material_changes"] == 5
    assert v20["outcomes"] == {"removed": 2, "weakened": 3}
    assert v20["announcements"] == {"silent": 4, "acknowledged-late": 1}
    assert v20["srr_strict"] == 1.0
    v11 = by_version["1.1"]
    assert v11["announcements"] == {"announced": 2, "silent": 1}
    assert v11["srr_strict"] == round(1 / 3, 3)
    pooled = rows[-1]
    assert pooled["document"] == "*" and pooled["material_changes"] == 12


def test_suggest_lists_untracked_commitment_like_sentences(workspace: Path) -> None:
    found = json.loads(invoke(workspace, "suggest", "--json", DOC))
    sentences = [s["sentence"] for s in found]
    assert any(s.startswith("Every employee receives training") for s in sentences)
    assert not any("We will not deploy a model that reaches CL-3" in s for s in sentences)
    assert [s["strength"] for s in found] == sorted((s["strength"] for s in found), reverse=True)


def test_diff_by_version_labels(workspace: Path) -> None:
    out = invoke(workspace, "diff", DOC, "--from", "1.1", "--to", "2.0", "--markdown")
    assert "We <del>will</del> <ins>may</ins> give the National AI Safety Institute" in out
    assert "## 4. Safeguards and Consequences" in out
    gfm = invoke(
        workspace, "diff", DOC, "--from", "1.1", "--to", "2.0", "--markdown", "--style", "gfm"
    )
    assert "We ~~will~~ **may** give the National AI Safety Institute" in gfm
    result = CliRunner().invoke(cli, ["--root", str(workspace), "diff", DOC, "--from", "9.9"])
    assert result.exit_code == 1 and "no snapshot '9.9'" in result.output


def test_add_keeps_the_file_and_locates_the_quote(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    record = root / "commitments/example-labs/scaling-policy.yaml"
    before = record.read_text()
    result = CliRunner().invoke(
        cli,
        ["--root", str(root), "add", DOC, "--title", "Train every employee on the policy",
         "--quote", "Every employee receives training on this policy when they join and once a "
         "year after that.", "--keywords", "training,employee"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "added train-every-employee-on-the-policy" in result.stdout
    assert "found in snapshot" in result.stderr and "7. Internal Controls" in result.stderr
    after = record.read_text()
    assert after.startswith(before.rstrip("\n"))  # comments and layout of the rest kept
    assert ("stated: 2025-06-30" in after and "keywords: [training, employee]" in after) or (
        "- training" in after
    )
    invoke(root, "validate")
    missing = CliRunner().invoke(
        cli,
        ["--root", str(root), "add", DOC, "--title", "Something else",
         "--quote", "We will colonise the moon before any other developer does."],
    )  # fmt: skip
    assert missing.exit_code == 0
    assert "NOT found" in missing.stderr and "closest passage scores" in missing.stderr


def test_accept_records_the_current_wording(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    result = CliRunner().invoke(cli, ["--root", str(root), "accept", DOC, "incident-notification"])
    assert result.exit_code == 0, result.output
    assert "accepted since 2025-06-30" in result.stdout and "24 hours" in result.stdout
    record = (root / "commitments/example-labs/scaling-policy.yaml").read_text()
    assert "since: 2025-06-30" in record and "reworded without change of substance" in record
    again = CliRunner().invoke(cli, ["--root", str(root), "accept", DOC, "incident-notification"])
    assert again.exit_code == 1 and "already the accepted one" in again.output
    gone = CliRunner().invoke(cli, ["--root", str(root), "accept", DOC, "pause-training"])
    assert gone.exit_code == 1 and "no counterpart" in gone.output


def test_fail_on_exits_3_only_for_new_findings(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    shutil.rmtree(root / "reports")
    first = CliRunner().invoke(cli, ["--root", str(root), "check", "--fail-on", "silent"])
    assert first.exit_code == 3, first.output
    assert "match --fail-on silent" in first.stderr
    second = CliRunner().invoke(cli, ["--root", str(root), "check", "--fail-on", "silent"])
    assert second.exit_code == 0, second.output  # nothing new since the last check


def test_an_unchanged_document_is_not_checked_again(workspace: Path, tmp_path: Path) -> None:
    from tracker.pipeline import load
    from tracker.pipeline.reporting import input_key

    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    records = load(root, today=date(2026, 1, 1))
    key = input_key(root, records, DOC)
    assert (root / "reports" / DOC / "checks.key").read_text().strip() == key
    checks = root / "reports" / DOC / "checks.json"
    stamp = checks.stat().st_mtime_ns
    invoke(root, "check")
    assert checks.stat().st_mtime_ns == stamp  # reused, not recomputed nor rewritten
    record = root / "commitments/example-labs/scaling-policy.yaml"
    record.write_text(record.read_text().replace("keywords: [pause,", "keywords: [pausing,"))
    records = load(root, today=date(2026, 1, 1))
    assert input_key(root, records, DOC) != key  # an edited record is checked again
