"""Extraction: the demo PDFs and pages come back as their source text; broken inputs give clear
errors; health catches challenge pages, app shells, login walls, empty and shrunken text."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein
from reportlab.pdfgen import canvas

from tracker import extract
from tracker.demo import build
from tracker.models import HealthStatus
from tracker.textnorm import clean, for_matching

BUILT = build.BUILT / "scaling-policy"
SOURCE = build.SOURCE / "scaling-policy"
VERSIONS = ["v1.0", "v1.1", "v2.0", "v2.1", "v2.2"]


@pytest.mark.parametrize("version", VERSIONS)
def test_pdf_extracts_to_its_source(version: str) -> None:
    result = extract.extract((BUILT / f"{version}.pdf").read_bytes(), "application/pdf")
    assert result.extractor == "pypdfium2"
    assert result.text == clean((SOURCE / f"{version}.md").read_text("utf-8"))


def test_reflowed_pdf_extracts_to_the_same_text() -> None:
    a = extract.extract((BUILT / "v1.0.pdf").read_bytes(), "application/pdf").text
    b = extract.extract((BUILT / "v1.0-reflow.pdf").read_bytes(), "application/pdf").text
    assert a == b


def test_pdf_cleanup_details() -> None:
    text = extract.extract((BUILT / "v1.0.pdf").read_bytes(), "application/pdf").text
    assert "Page 1 of" not in text and "Example Labs - Frontier" not in text  # header, footer
    assert "significant" in text and "\ufb01" not in text  # ligatures decomposed
    assert "capabilities" in text  # a syllable break joined
    assert "pre-deployment" in text and "well-resourced" in text  # compounds kept
    assert "effective compute[^1] of" in text  # footnote marker kept apart from the word
    assert "[^1]: Effective compute measures" in text
    assert "## 3. Evaluations" in text  # headings from font size


@pytest.mark.parametrize("version", VERSIONS)
def test_html_without_selector_drops_noise(version: str) -> None:
    result = extract.extract((BUILT / f"{version}.html").read_bytes(), "text/html")
    for noise in ("cookies", "Careers", "All rights reserved", "window.analytics"):
        assert noise not in result.text
    source = clean((SOURCE / f"{version}.md").read_text("utf-8"))
    body = source.split("\n\n[^1]:")[0]
    assert for_matching(body) in for_matching(result.text)


def test_html_with_selector() -> None:
    html = (BUILT / "v1.0.html").read_bytes()
    result = extract.extract_html(html, "main")
    assert result.extractor == "html-select"
    assert result.text.startswith("# Example Labs Frontier Scaling Policy\n")
    assert "## 3. Evaluations" in result.text
    assert "- Version 1.0 (January 15, 2024): Initial version." in result.text
    assert "Accept all" not in result.text
    with pytest.raises(extract.ExtractionError, match="'#policy' matched nothing"):
        extract.extract_html(html, "#policy")


def _pdf(draw: object = None, pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for _ in range(pages):
        if callable(draw):
            draw(pdf)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_encrypted_pdf_is_a_clear_error() -> None:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(BUILT / "v1.0.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(extract.ExtractionError, match="encrypted"):
        extract.extract(out.getvalue(), "application/pdf")


def test_corrupt_pdf_is_a_clear_error() -> None:
    with pytest.raises(extract.ExtractionError, match="cannot be read"):
        extract.extract(b"%PDF-1.7\n garbage", "application/pdf")


def test_image_only_pdf_is_a_clear_error() -> None:
    body = _pdf(lambda pdf: pdf.rect(100, 100, 300, 400, fill=1), pages=3)
    with pytest.raises(extract.ExtractionError, match="3 page\\(s\\) have no text layer"):
        extract.extract(body, "application/pdf")


def test_empty_pdf_is_a_clear_error() -> None:
    with pytest.raises(extract.ExtractionError, match="no text layer"):
        extract.extract(_pdf(), "application/pdf")


def test_sniff_trusts_bytes_over_headers() -> None:
    pdf = (BUILT / "v1.0.pdf").read_bytes()
    assert extract.sniff(pdf, "text/html", "https://x.org/a") == "application/pdf"
    assert extract.sniff(b"<!DOCTYPE html><p>x", "application/pdf", "a.pdf") == "text/html"
    assert extract.sniff(b"plain words", "text/plain", "a") == "text/plain"
    assert extract.sniff(b"# md", None, "https://x.org/a.md") == "text/markdown"


SHELL = b"""<html><head><title>Policy</title><script src="/app.js"></script></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>
</body></html>"""
LOGIN = b"""<html><head><title>Sign in</title></head><body><main><h1>Trust Center</h1>
<p>Please sign in to continue.</p><form><input type="password"></form></main></body></html>"""
SOFT_404 = b"""<html><head><title>Page not found</title></head><body><main><h1>404</h1>
<p>The page you are looking for does not exist.</p></main></body></html>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (SHELL, "page needs JavaScript"),
        (LOGIN, "login wall"),
        (SOFT_404, "looks like an error page"),
    ],
    ids=["javascript-shell", "login-wall", "soft-404"],
)
def test_health_flags_broken_pages(body: bytes, reason: str) -> None:
    try:
        result: extract.Extraction | None = extract.extract(body, "text/html")
        error = None
    except extract.ExtractionError as exc:
        result, error = None, str(exc)
    health = extract.assess(result, raw=body, error=error)
    assert health.status is HealthStatus.SUSPECT
    assert any(reason in r for r in health.reasons), health.reasons


def test_health_ok_for_a_real_policy_and_shrink_is_relative() -> None:
    body = (BUILT / "v1.0.pdf").read_bytes()
    result = extract.extract(body, "application/pdf")
    assert extract.assess(result, raw=body).status is HealthStatus.OK
    grown = extract.assess(result, raw=body, previous_good_chars=len(result.text) // 3)
    assert grown.status is HealthStatus.OK
    shrunk = extract.assess(result, raw=body, previous_good_chars=len(result.text) * 3)
    assert shrunk.status is HealthStatus.SUSPECT


def test_version_label() -> None:
    assert extract.version_label("Version 2.1. Effective", r"Version (\d+(?:\.\d+)*)") == "2.1"
    assert extract.version_label("no label", r"Version (\d+)") is None
    assert extract.version_label("anything", None) is None


@given(st.text())
def test_clean_is_idempotent(text: str) -> None:
    assert clean(clean(text)) == clean(text)


@given(st.lists(st.sampled_from(["We", "will", "pre-deployment", "“quoted”", "a\u00ad", "ﬁnd"])))
def test_matching_form_ignores_layout(words: list[str]) -> None:
    flowing = " ".join(words)
    broken = "\n".join(words)
    assert for_matching(flowing) == for_matching(broken)
    assert for_matching(flowing.upper()) == for_matching(flowing)


def test_matching_form_equates_typography() -> None:
    assert for_matching("We will “pause” — now[^1].") == for_matching('we will "pause" - now.')
    assert for_matching("pre-deployment") == for_matching("predeployment")
    assert for_matching("• We maintain") == for_matching("We maintain")


def _corpus_source(text: str) -> build.Source:
    """A corpus text file as blocks: page markers dropped, each `## ` line its own heading."""
    text = re.sub(r"^\[\[page \d+\]\]$", "", text, flags=re.M)
    text = re.sub(r"^(## .*)$", r"\n\1\n", text, flags=re.M)
    return build.parse(text)


ROUND_TRIP_MIN_SIMILARITY = 0.998


@pytest.mark.parametrize(
    "name",
    [
        "anthropic_rsp_v1.0_2023-09-19.txt",
        "anthropic_rsp_v2.2_2025-05-14.txt",
        "anthropic_rsp_v3.4_2026-07-08.txt",
    ],
)
def test_corpus_text_survives_a_pdf_round_trip(shared_corpus: Path, name: str) -> None:
    """Real policy text typeset as a PDF (running header and footer, hyphenation, ligatures),
    then extracted, matches the source word for word at >= 99.8% (normalized Levenshtein over
    words of the matching form)."""
    source = _corpus_source((shared_corpus / "corpus/documents" / name).read_text("utf-8"))
    pdf = build.render_pdf(source, layout="letter", version="x", header="Responsible Scaling")
    extracted = extract.extract(pdf, "application/pdf").text
    expected = "\n\n".join(block.text for block in source.blocks)
    a, b = for_matching(expected).split(), for_matching(extracted).split()
    similarity = Levenshtein.normalized_similarity(a, b)
    assert similarity >= ROUND_TRIP_MIN_SIMILARITY, similarity
