"""The word lists of the engine (tracker/data/lexicon.yaml), loaded once and shared by stages."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

LEXICON_PATH = Path(__file__).parent / "data" / "lexicon.yaml"


@cache
def lexicon() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(LEXICON_PATH.read_text("utf-8"))
    return data


@cache
def patterns(key: str) -> tuple[re.Pattern[str], ...]:
    """The regular expressions listed under `commitment_like.<key>`, compiled."""
    return tuple(re.compile(p) for p in lexicon()["commitment_like"][key])
