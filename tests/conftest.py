"""Shared fixtures: paths to test data and the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
DATA = TESTS / "data"
REPO = TESTS.parent
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def shared_corpus() -> Path:
    assert SHARED_CORPUS.is_dir(), f"the shared corpus is expected at {SHARED_CORPUS}"
    return SHARED_CORPUS
