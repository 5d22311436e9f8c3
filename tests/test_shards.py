"""`--shard I/N`: N jobs of a CI matrix produce exactly the reports of one unsharded run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import invoke
from tracker.cli import cli
from tracker.pipeline import in_shard


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("count", [2, 3])
def test_shards_merge_into_the_unsharded_reports(
    workspace: Path, tmp_path: Path, count: int
) -> None:
    whole = tmp_path / "whole"
    shutil.copytree(workspace, whole)
    shutil.rmtree(whole / "reports")
    invoke(whole, "check")
    invoke(whole, "changelog")

    merged = tmp_path / "merged"
    shutil.copytree(workspace, merged)
    shutil.rmtree(merged / "reports")
    for index in range(1, count + 1):  # each job checks its shard in its own checkout
        job = tmp_path / f"job{index}"
        shutil.copytree(merged, job)
        result = CliRunner().invoke(
            cli, ["--root", str(job), "check", "--shard", f"{index}/{count}"]
        )
        assert result.exit_code == 0, result.output
        if (job / "reports").is_dir():
            shutil.copytree(job / "reports", merged / "reports", dirs_exist_ok=True)
    invoke(merged, "changelog")
    assert tree(merged / "reports") == tree(whole / "reports")


def test_every_document_is_in_exactly_one_shard() -> None:
    ids = [f"doc-{n}" for n in range(200)]
    for count in (1, 2, 5):
        owners = [[i for i in range(1, count + 1) if in_shard(d, (i, count))] for d in ids]
        assert all(len(o) == 1 for o in owners)
    sizes = [sum(in_shard(d, (i, 4)) for d in ids) for i in range(1, 5)]
    assert min(sizes) > 30  # a fair spread


def test_a_bad_shard_is_a_usage_error(workspace: Path) -> None:
    result = CliRunner().invoke(cli, ["--root", str(workspace), "check", "--shard", "3/2"])
    assert result.exit_code == 2 and "expected I/N" in result.output


def test_parallel_checks_write_the_same_reports(workspace: Path, tmp_path: Path) -> None:
    trees = []
    for jobs in ("1", "2"):
        root = tmp_path / f"jobs{jobs}"
        shutil.copytree(workspace, root)
        shutil.rmtree(root / "reports")
        invoke(root, "check", "--jobs", jobs)
        invoke(root, "changelog")
        trees.append(tree(root / "reports"))
    assert trees[0] == trees[1]
