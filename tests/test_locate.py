"""Locate: each Example Labs commitment against each version (CASES.md), and the traps."""

from __future__ import annotations

from datetime import date

import pytest

from tracker import locate
from tracker.demo import build
from tracker.records import load_records
from tracker.textnorm import clean

CHANGELOG = r"(?i)version history|change ?log"
TEXTS = {
    v: clean((build.SOURCE / f"scaling-policy/{v}.md").read_text("utf-8"))
    for v in ["v1.0", "v1.1", "v2.0", "v2.1", "v2.2"]
}
RECORD = load_records(build.CORPUS, today=date(2026, 1, 1)).get("example-labs-scaling-policy")
QUOTES = {c.id: c.quote for c in RECORD.record.commitments}

# (commitment, version, found?) from CASES.md: removed ones must not be found, changed ones must
CASES = [
    ("pause-training", "v1.1", True),
    ("pause-training", "v2.0", False),  # case 1: silent removal
    ("next-level-evals", "v2.0", False),  # case 9
    ("next-level-evals", "v2.1", False),  # still gone, though the changelog quotes it
    ("external-audit", "v2.1", False),  # case 8: announced removal, quoted in the changelog
    ("external-testing", "v2.0", True),  # case 2: weakened, counterpart exists
    ("capability-reports", "v1.1", True),  # case 3
    ("eval-before-training", "v2.0", True),  # case 4
    ("deployment-gate", "v2.0", True),  # case 5
    ("eval-domains", "v1.1", True),  # case 6
    ("incident-notification", "v2.2", True),  # case 7
    ("staff-reporting-channel", "v1.1", True),  # case 10: moved
    ("weight-security", "v1.1", True),  # case 11: reworded
    ("weight-security", "v2.1", False),  # case 14: relocated out of this document
    ("safety-board-review", "v2.2", True),  # case 15
]


@pytest.mark.parametrize(
    ("commitment", "version", "found"), CASES, ids=[f"{c}@{v}" for c, v, _ in CASES]
)
def test_planted_cases(commitment: str, version: str, found: bool) -> None:
    match = locate.locate(QUOTES[commitment], TEXTS[version], exclude=CHANGELOG)
    assert match.found is found, match
    assert match.passage or not found


def test_every_quote_is_found_exactly_in_v1_0() -> None:
    for commitment, quote in QUOTES.items():
        match = locate.locate(quote, TEXTS["v1.0"], exclude=CHANGELOG)
        assert match.score == 100.0, commitment
        assert match.method in (locate.Method.EXACT, locate.Method.NORMALIZED)


def test_moved_section_is_reported() -> None:
    quote = QUOTES["staff-reporting-channel"]
    assert locate.locate(quote, TEXTS["v1.0"]).section == "6. Governance"
    assert locate.locate(quote, TEXTS["v1.1"]).section == "7. Internal Controls"


def test_without_excluding_the_changelog_a_removal_hides_in_it() -> None:
    """Why `exclude` exists: the v2.1 changelog quotes the removed commitment."""
    quote = QUOTES["external-audit"]
    assert locate.locate(quote, TEXTS["v2.1"]).found
    assert not locate.locate(quote, TEXTS["v2.1"], exclude=CHANGELOG).found


def test_closest_passage_is_kept_for_a_removal() -> None:
    match = locate.locate(QUOTES["pause-training"], TEXTS["v2.0"], exclude=CHANGELOG)
    assert not match.found and 0 < match.score < locate.NO_COUNTERPART
    assert match.passage  # the evidence: what came closest


def test_normalization_and_page_breaks() -> None:
    text = (
        "## 3. Evaluations\n\nWe will give the “Institute” access to each\n\n"
        "frontier model for pre-\ndeployment testing.\n"
    )
    match = locate.locate(
        'We will give the "Institute" access to each frontier model for predeployment testing.',
        text,
    )
    assert match.score == 100.0 and match.method is locate.Method.NORMALIZED
    assert match.section == "3. Evaluations"


def test_sentences_that_moved_apart_are_found_one_by_one() -> None:
    text = (
        "## A\n\nWe will publish a report every year. Other words follow here to pad it.\n\n"
        + "## B\n\n"
        + "Unrelated material about other matters entirely. " * 5
        + "\n\n"
        + "## C\n\nThe board reviews the report before publication.\n"
    )
    quote = "We will publish a report every year. The board reviews the report before publication."
    match = locate.locate(quote, text)
    assert match.found
    assert match.method is locate.Method.SENTENCES
    assert "[...]" in match.passage
