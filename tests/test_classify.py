"""Classify: one case per rule of the lexicon (tests/data/classify_cases.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tracker.classify import Outcome, classify, commitment_strength, lexicon

CASES = YAML(typ="safe").load(
    (Path(__file__).parent / "data" / "classify_cases.yaml").read_text("utf-8")
)


@pytest.mark.parametrize("name", sorted(CASES), ids=sorted(CASES))
def test_case(name: str) -> None:
    case = CASES[name]
    change = classify(case["before"], case["after"])
    assert str(change.outcome) == case["outcome"], change
    assert change.dimensions == case["dimensions"], change
    assert change.mixed is bool(case.get("mix", False)), change


def test_every_movement_names_its_words() -> None:
    for case in CASES.values():
        for movement in classify(case["before"], case["after"]).movements:
            assert movement.before or movement.after, movement


def test_lexicon_has_the_codebook_scale() -> None:
    scale = lexicon()["obligation"]
    assert "will" in scale[4] and "must" in scale[4]
    assert "aim to" in scale[3] and "may" in scale[2] and "recommend" in scale[1]


def test_identical_text_is_retained_unreworded() -> None:
    change = classify("We will pause.", "We will pause.")
    assert change.outcome is Outcome.RETAINED and not change.reworded


LIKE = YAML(typ="safe").load(
    (Path(__file__).parent / "data" / "commitment_like_cases.yaml").read_text("utf-8")
)


@pytest.mark.parametrize("sentence", sorted(LIKE), ids=lambda s: s[:40])
def test_commitment_like(sentence: str) -> None:
    assert commitment_strength(sentence) == LIKE[sentence]
