"""The shared corpus (real Anthropic RSP texts, read from ../shared/corpus, never copied): the
provider's two silent re-uploads change nothing material, with the real records."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO, invoke

DOC = "anthropic-responsible-scaling-policy"
VERSIONS = [  # file stem, date taken, version
    ("anthropic_rsp_v2.0_2024-10-15", "2024-10-15", "2.0"),
    ("anthropic_rsp_v2.0-reupload-20241101_2024-10-15", "2024-11-01", "2.0"),
    ("anthropic_rsp_v2.1_2025-03-31", "2025-03-31", "2.1"),
    ("anthropic_rsp_v2.1-reupload-20250402_2025-03-31", "2025-04-02", "2.1"),
]


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    corpus = REPO.parent / "shared" / "corpus" / "corpus" / "documents"
    assert corpus.is_dir(), f"the shared corpus is expected at {corpus}"
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(REPO / "commitments" / "anthropic", root / "commitments" / "anthropic")
    for stem, day, version in VERSIONS:
        out = invoke(root, "import", DOC, str(corpus / f"{stem}.txt"), "--date", day,
                     "--version", version)  # fmt: skip
        assert "stored snapshot" in out  # each re-upload differs by a few characters
    data: list[dict[str, object]] = json.loads(invoke(root, "check", "--json", "--no-write", DOC))
    return data


@pytest.mark.parametrize(
    ("before", "after"),
    [("2024-10-15", "2024-11-01"), ("2025-03-31", "2025-04-02")],
    ids=["v2.0-reupload", "v2.1-reupload"],
)
def test_a_silent_reupload_changes_nothing(
    findings: list[dict[str, object]], before: str, after: str
) -> None:
    pair = [
        f for f in findings
        if f["from"]["date"] == before and f["to"]["date"] == after  # type: ignore[index]
    ]  # fmt: skip
    assert pair, "the pair was checked"
    assert {f["outcome"] for f in pair} == {"retained"}
    assert all(f["commitment"] is not None for f in pair)  # no untracked change either
    assert not any(f["moved"] for f in pair)
