"""Extraction speed and fidelity per backend. Prints figures; not a test.

    python bench/extract.py [--corpus ../shared/corpus] [--repeat 3]

PDFs: the demo corpus PDFs plus the Anthropic RSP texts of the shared corpus typeset by the
demo typesetter (real policy text, running headers and footers, hyphenation, ligatures).
Backends: our pypdfium2 pipeline (clean-up included), raw pypdfium2 text, and pypdf.
Fidelity: word-level similarity of the matching form to the source text. HTML: trafilatura
vs a CSS selector on the demo pages. Every figure is measured in this process, so ratios
between backends hold on a noisy machine.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pypdf
import pypdfium2
from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker import extract
from tracker.demo import build
from tracker.textnorm import clean, for_matching


def pypdf_text(body: bytes) -> str:
    import io

    return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def pdfium_raw(body: bytes) -> str:
    pdf = pypdfium2.PdfDocument(body)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def ours(body: bytes) -> str:
    return extract.extract_pdf(body).text


BACKENDS: dict[str, Callable[[bytes], str]] = {
    "tracker (pypdfium2 + clean-up)": ours,
    "pypdfium2 raw text": pdfium_raw,
    "pypdf": pypdf_text,
}


def corpus_pdfs(corpus: Path | None) -> list[tuple[str, bytes, str]]:
    out = []
    for version in ["v1.0", "v1.1", "v2.0", "v2.1", "v2.2"]:
        body = (build.BUILT / f"scaling-policy/{version}.pdf").read_bytes()
        out.append(
            (
                f"demo {version}",
                body,
                clean((build.SOURCE / f"scaling-policy/{version}.md").read_text()),
            )
        )
    if corpus is not None:
        for path in sorted((corpus / "corpus/documents").glob("anthropic_rsp_v*.txt")):
            if "reupload" in path.name:
                continue
            text = re.sub(r"^\[\[page \d+\]\]$", "", path.read_text("utf-8"), flags=re.M)
            text = re.sub(r"^(## .*)$", r"\n\1\n", text, flags=re.M)
            source = build.parse(text)
            body = build.render_pdf(source, layout="letter", version="x", header="Policy")
            out.append((path.stem, body, "\n\n".join(b.text for b in source.blocks)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared/corpus"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = args.corpus if (args.corpus / "corpus/documents").is_dir() else None
    pdfs = corpus_pdfs(corpus)
    pages = sum(len(pypdfium2.PdfDocument(body)) for _, body, _ in pdfs)
    print(f"{len(pdfs)} PDFs, {pages} pages ({'with' if corpus else 'without'} the shared corpus)")
    print(f"{'backend':34} {'pages/s':>9} {'ms/page':>8} {'min sim':>8} {'mean sim':>9}")
    baseline = None
    for name, backend in BACKENDS.items():
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            texts = [backend(body) for _, body, _ in pdfs]
            best = min(best, time.perf_counter() - start)
        sims = [
            Levenshtein.normalized_similarity(for_matching(src).split(), for_matching(t).split())
            for (_, _, src), t in zip(pdfs, texts, strict=True)
        ]
        baseline = baseline or best
        ratio = best / baseline
        print(
            f"{name:34} {pages / best:9.0f} {1000 * best / pages:8.2f} "
            f"{min(sims):8.4f} {sum(sims) / len(sims):9.4f}   ({ratio:.2f}x the time of ours)"
        )
    print()
    print(f"{'HTML extractor':34} {'ms/page':>8} {'sim':>8}")
    for name, select in (("trafilatura (no selector)", None), ("CSS selector 'main'", "main")):
        bodies = [(build.BUILT / f"scaling-policy/{v}.html").read_bytes() for v in ["v1.0", "v2.2"]]
        sources = [
            clean((build.SOURCE / f"scaling-policy/{v}.md").read_text()).split("\n\n[^1]:")[0]
            for v in ["v1.0", "v2.2"]
        ]
        start = time.perf_counter()
        for _ in range(20):
            texts = [extract.extract_html(b, select).text for b in bodies]
        ms = 1000 * (time.perf_counter() - start) / (20 * len(bodies))
        sims = [
            Levenshtein.normalized_similarity(for_matching(s).split(), for_matching(t).split())
            for s, t in zip(sources, texts, strict=True)
        ]
        print(f"{name:34} {ms:8.2f} {min(sims):8.4f}")


if __name__ == "__main__":
    main()
