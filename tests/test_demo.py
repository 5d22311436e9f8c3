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
    outcomes = json.loads(result.stdout)
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
