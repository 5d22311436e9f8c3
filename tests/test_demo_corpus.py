"""The fictional Example Labs corpus: built files are current and as realistic as CASES.md says."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pypdf
import pypdfium2
import pytest

from tracker.demo import build
from tracker.records import load_records

CORPUS = build.CORPUS


def test_built_files_match_sources(tmp_path: Path) -> None:
    rebuilt = build.build(out=tmp_path)
    committed = {
        str(p.relative_to(build.BUILT)): p.read_bytes()
        for p in build.BUILT.rglob("*")
        if p.is_file()
    }
    assert sorted(rebuilt) == sorted(committed), "run `python -m tracker.demo.build`"
    stale = [rel for rel, data in rebuilt.items() if committed[rel] != data]
    assert not stale, f"stale built files {stale}; run `python -m tracker.demo.build`"


def test_at_least_five_versions_as_html_and_pdf() -> None:
    pdfs = sorted(p.stem for p in (build.BUILT / "scaling-policy").glob("v*.pdf"))
    htmls = sorted(p.stem for p in (build.BUILT / "scaling-policy").glob("v*.html"))
    assert htmls == ["v1.0", "v1.1", "v2.0", "v2.1", "v2.2"]
    assert set(htmls) <= set(pdfs)


def _pdf_pages(path: Path) -> list[str]:
    pdf = pypdfium2.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


@pytest.mark.parametrize("name", ["v1.0", "v1.0-reflow", "v2.2"])
def test_pdfs_have_the_features_extraction_must_handle(name: str) -> None:
    path = build.BUILT / "scaling-policy" / f"{name}.pdf"
    pages = _pdf_pages(path)
    text = "\n".join(pages)
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert "Example Labs \u2014 Frontier Scaling Policy" in page  # running header
        assert f"Page {number} of {len(pages)}" in page  # footer with page number
    # pdfium decomposes ligatures itself; pypdf shows the glyphs really are ligatures
    raw = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert "\ufb01" in raw and "\ufb02" in raw
    assert "\ufffe" in text or "\x02" in text  # pdfium's mark for a line-end hyphen
    assert "compute1" in text  # a footnote marker glued to its word
    assert "1 Effective compute measures" in text  # the footnote itself


def test_reflow_changes_layout_not_words() -> None:
    def words(name: str) -> list[str]:
        text = "\n".join(_pdf_pages(build.BUILT / "scaling-policy" / f"{name}.pdf"))
        return text.replace("\ufffe\r\n", "").replace("\ufffe", "").split()

    original = _pdf_pages(build.BUILT / "scaling-policy" / "v1.0.pdf")
    reflowed = _pdf_pages(build.BUILT / "scaling-policy" / "v1.0-reflow.pdf")
    assert original != reflowed
    assert (build.BUILT / "scaling-policy/v2.1.pdf").read_bytes() != (
        build.BUILT / "scaling-policy/v2.1-reupload.pdf"
    ).read_bytes()
    assert _pdf_pages(build.BUILT / "scaling-policy/v2.1.pdf") == _pdf_pages(
        build.BUILT / "scaling-policy/v2.1-reupload.pdf"
    )
    assert len(words("v1.0")) > 500


def test_html_pages_carry_noise_around_main() -> None:
    page = (build.BUILT / "scaling-policy" / "v1.0.html").read_text("utf-8")
    for noise in ("cookie-banner", "<nav>", "<script>", "<footer>"):
        assert noise in page
    assert '<a class="download" href="/files/frontier-scaling-policy-v1.0.pdf">' in page


def test_site_history_replays_cases() -> None:
    early = build.site_on(date(2024, 1, 20))
    assert "/security-standard" not in early
    assert early["/files/frontier-scaling-policy-v1.0.pdf"].name == "v1.0.pdf"
    reflow = build.site_on(date(2024, 3, 1))
    assert reflow["/files/frontier-scaling-policy-v1.0.pdf"].name == "v1.0-reflow.pdf"
    late = build.site_on(date(2025, 7, 1))
    assert late["/files/frontier-scaling-policy-v2.2.pdf"].name == "v2.2.pdf"
    assert late["/security-standard"].name == "v1.0.html"
    feed = late["/news/feed.xml"].read_text("utf-8")
    assert feed.count("<item>") == 3
    assert build.site_on(date(2023, 1, 1)) == {}


def test_cases_quotes_exist_in_the_stated_version() -> None:
    records = load_records(CORPUS, today=date(2026, 1, 1))
    record = records.get("example-labs-scaling-policy").record
    v10 = (CORPUS / "source/scaling-policy/v1.0.md").read_text("utf-8")
    flat = " ".join(v10.replace("[^1]", "").replace("[^2]", "").split())
    for commitment in record.commitments:
        assert " ".join(commitment.quote.split()) in flat, commitment.id
    cases = (CORPUS / "CASES.md").read_text("utf-8")
    for commitment in record.commitments:
        assert f"`{commitment.id}`" in cases, f"{commitment.id} is in no planted case"
