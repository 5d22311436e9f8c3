"""Text normalization shared by every stage: one canonical form for stored text and for matching."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
)
_PUNCT = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    }
)  # fmt: skip
_BULLET = re.compile(
    r"^\s*(?:[-*\u2022\u25cf\u25aa\u25e6\u2023\u2043\u25a0]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)])\s+"
)
_FOOTNOTE = re.compile(r"\[\^?\w{1,3}\]|<sup>\w{1,3}</sup>")
_SPACES = re.compile(r"[ \t]+")


def clean(text: str) -> str:
    """Canonical stored form: NFKC (ligatures), invisible marks dropped, typographic quotes and
    dashes made plain, spaces collapsed, line structure kept."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_PUNCT)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip() + "\n"


def plain_fragment(fragment: str | None) -> str:
    """An HTML fragment (a feed item's summary) as one line of plain text."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(fragment or "")).split())


@lru_cache(maxsize=20_000)
def for_matching(text: str) -> str:
    """The form quotes are compared in: clean, case-folded, footnote markers and bullets dropped,
    hyphens between letters removed (pre-deployment = predeployment), one line."""
    text = clean(text)
    text = _FOOTNOTE.sub("", text)
    text = "\n".join(_BULLET.sub("", line) for line in text.split("\n"))
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    text = text.casefold()
    text = re.sub(r"(?<=[a-z])-\s*(?=[a-z])", "", text)
    text = re.sub(r"(?<=[a-z])(\d{1,2})(?=[\s.,;:)])", "", text)  # glued footnote digits
    text = re.sub(r"[*_`]", "", text)
    text = re.sub(
        r"(?<!\S)[\u2022\u25cf\u25cb\u25a0\u25a1\u25aa\u25e6\u2023\u2043\uf0b7-](?!\S)", " ", text
    )
    return " ".join(text.split())
