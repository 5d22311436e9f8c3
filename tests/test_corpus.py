"""The shared corpus (real Anthropic RSP texts, read from ../shared/corpus, never copied): the
provider's two silent re-uploads change nothing material, with the real records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_CORPUS, invoke

DOC = "anthropic-responsible-scaling-policy"
VERSIONS = [  # file stem, date taken, version
    ("anthropic_rsp_v2.0_2024-10-15", "2024-10-15", "2.0"),
    ("anthropic_rsp_v2.0-reupload-20241101_2024-10-15", "2024-11-01", "2.0"),
    ("anthropic_rsp_v2.1_2025-03-31", "2025-03-31", "2.1"),
    ("anthropic_rsp_v2.1-reupload-20250402_2025-03-31", "2025-04-02", "2.1"),
]


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    corpus = SHARED_CORPUS / "corpus" / "documents"
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


CHAIN = [  # version, date: v1.0 -> v2.0 -> v2.1 -> v2.2 with the provider's own accounts
    ("v1.0", "2023-09-19"),
    ("v2.0", "2024-10-15"),
    ("v2.1", "2025-03-31"),
    ("v2.2", "2025-05-14"),
]


def provider_text(account: Path) -> str:
    """The verbatim provider text of a revision-account file: its fenced blocks (the rest is
    the study's notes on where each block came from)."""
    blocks = account.read_text("utf-8").split("```")[1::2]
    return "\n\n".join(b.strip("\n") for b in blocks)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, object]]:
    corpus = SHARED_CORPUS / "corpus"
    root = tmp_path_factory.mktemp("chain")
    shutil.copytree(REPO / "commitments" / "anthropic", root / "commitments" / "anthropic")
    updates = root / "commitments" / "anthropic" / "rsp-updates.yaml"
    updates.write_text(updates.read_text().replace("  format: html\n", ""))  # imported as text
    for version, day in CHAIN:
        text = corpus / "documents" / f"anthropic_rsp_{version}_{day}.txt"
        invoke(root, "import", DOC, str(text), "--date", day, "--version", version.lstrip("v"))
        account = corpus / "changelogs" / f"anthropic_rsp_{version}_{day}_revision-account.md"
        page = root / f"account-{version}.md"
        page.write_text(provider_text(account))
        invoke(root, "import", "anthropic-rsp-updates", str(page), "--date", day)
    data = json.loads(invoke(root, "check", "--json", "--no-write", DOC))
    return {(f["to"]["version"], f["commitment"]): f for f in data if f["commitment"]}


def test_the_v2_0_rewrite_drops_the_pause_and_asl4_commitments_silently(
    chain: dict[tuple[str, str], dict[str, object]],
) -> None:
    plan = chain[("2.0", "plan-for-pause")]
    asl4 = chain[("2.0", "define-next-asl-evaluations")]
    for finding in (plan, asl4):
        assert finding["outcome"] in ("removed", "weakened")
    assert plan["announcement"] == "silent"
    # silent in v2.0; the v2.1 changelog acknowledged it, filed under v2.1
    assert asl4["announcement"] == "acknowledged-late"
    ack = asl4["acknowledged"]
    assert isinstance(ack, dict)
    assert ack["version"] == "2.1" and ack["delay_days"] == 167
    assert ack["attributed_correctly"] is False and ack["attributed_to"] == "2.1"
    assert "not to maintain a commitment to define ASL-N+1 evaluations" in ack["match"]["sentence"]


def test_the_v2_2_insider_threat_narrowing_is_weakened_and_announced(
    chain: dict[tuple[str, str], dict[str, object]],
) -> None:
    finding = chain[("2.2", "insider-risk-controls")]
    assert finding["outcome"] == "weakened" and finding["dimensions"] == ["scope"]
    assert finding["announcement"] == "announced"
    sentences = " ".join(m["sentence"] for m in finding["evidence"]["account"])  # type: ignore[index]
    assert "excludes both sophisticated insiders and state-compromised insiders" in sentences
