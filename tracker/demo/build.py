"""Render the fictional Example Labs corpus (markdown sources) to the HTML pages, PDFs and feed
that the demo server replays.

The built files are committed, so `tracker demo` needs no PDF library; this module needs
reportlab (the `test` extra) and is run by hand after a source changes:

    python -m tracker.demo.build

A test rebuilds everything into a temporary folder and compares it byte for byte with the
committed files, so sources and built files cannot drift apart.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

CORPUS = Path(__file__).parent / "corpus"
SOURCE = CORPUS / "source"
BUILT = CORPUS / "built"


# --- the markdown subset our sources use -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # "h1", "h2", "p", "li"
    text: str


@dataclass(frozen=True, slots=True)
class Source:
    blocks: tuple[Block, ...]
    footnotes: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return next((b.text for b in self.blocks if b.kind in ("h1", "h2")), "Untitled")


def parse(text: str) -> Source:
    blocks: list[Block] = []
    footnotes: dict[str, str] = {}
    for chunk in re.split(r"\n\s*\n", text.strip()):
        by_line = chunk.startswith(("- ", "[^"))
        for line in chunk.splitlines() if by_line else [chunk.replace("\n", " ")]:
            if m := re.match(r"\[\^(\w+)\]:\s*(.*)", line):
                footnotes[m.group(1)] = m.group(2)
            elif line.startswith("## "):
                blocks.append(Block("h2", line[3:]))
            elif line.startswith("# "):
                blocks.append(Block("h1", line[2:]))
            elif line.startswith("- "):
                blocks.append(Block("li", line[2:]))
            else:
                blocks.append(Block("p", line))
    return Source(tuple(blocks), footnotes)


# --- HTML: a realistic page with navigation, a cookie banner and a footer ---------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} | Example Labs</title>
<script>window.analytics = {{track: function () {{}}}};</script>
<style>body {{ font-family: sans-serif; }} .cookie-banner {{ position: fixed; }}</style>
</head>
<body>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience.
Accept all cookies or manage your preferences.</p><button>Accept all</button></div>
<header><nav><a href="/">Example Labs</a> <a href="/research">Research</a>
<a href="/news">News</a> <a href="/careers">Careers</a> <a href="/policy-updates">Policy updates</a>
</nav></header>
<main>
<article>
{body}
</article>
</main>
<footer><p>&copy; Example Labs. All rights reserved.</p><p><a href="/privacy">Privacy</a>
<a href="/terms">Terms of service</a> <a href="/contact">Contact us</a></p></footer>
</body>
</html>
"""


def _inline_html(text: str, footnotes: dict[str, str]) -> str:
    escaped = html.escape(text, quote=False)
    return re.sub(
        r"\[\^(\w+)\]",
        lambda m: f'<sup id="ref-{m.group(1)}"><a href="#fn-{m.group(1)}">{m.group(1)}</a></sup>',
        escaped,
    )


def render_html(source: Source, *, extra: str = "") -> str:
    parts: list[str] = []
    in_list = False
    for block in source.blocks:
        if block.kind == "li" and not in_list:
            parts.append("<ul>")
            in_list = True
        elif block.kind != "li" and in_list:
            parts.append("</ul>")
            in_list = False
        tag = {"h1": "h1", "h2": "h2", "p": "p", "li": "li"}[block.kind]
        parts.append(f"<{tag}>{_inline_html(block.text, source.footnotes)}</{tag}>")
        if block.kind == "h1" and extra:
            parts.append(extra)
    if in_list:
        parts.append("</ul>")
    if source.footnotes:
        parts.append('<section class="footnotes"><h2>Notes</h2><ol>')
        for key, note in source.footnotes.items():
            parts.append(f'<li id="fn-{key}">{html.escape(note, quote=False)}</li>')
        parts.append("</ol></section>")
    return _PAGE.format(title=html.escape(source.title), body="\n".join(parts))


# --- PDF: our own small typesetter, so that line breaks, hyphens and pages are real ------

_LIGATURES = {"fi": "\ufb01", "fl": "\ufb02"}
_LAYOUTS = {"letter": ((612.0, 792.0), 10.5, 72.0), "a4": ((595.0, 842.0), 11.5, 80.0)}


@dataclass(slots=True)
class _Line:
    words: list[tuple[str, str | None]]  # (word, footnote key glued after it)
    size: float
    bold: bool
    gap_before: float


def _ligate(word: str) -> str:
    for plain, lig in _LIGATURES.items():
        word = word.replace(plain, lig)
    return word


def _split_word(word: str, room: float, width: Any) -> tuple[str, str] | None:
    """Break `word` so that its head plus a hyphen fits in `room` (an existing hyphen first)."""
    if "-" in word[:-1]:
        head = word[: word.index("-") + 1]
        if width(head) <= room:
            return head, word[len(head) :]
    if len(word) < 7 or not word.isalpha():
        return None
    for cut in range(len(word) - 3, 2, -1):
        vowel_then_consonant = word[cut - 1] in "aeiouy" and word[cut] not in "aeiouy"
        if vowel_then_consonant and width(word[:cut] + "-") <= room:
            return word[:cut] + "-", word[cut:]
    return None


def render_pdf(
    source: Source,
    *,
    layout: str,
    version: str,
    meta_title: str | None = None,
    header: str = "Example Labs \u2014 Frontier Scaling Policy",
) -> bytes:
    from io import BytesIO

    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    rl_config.invariant = 1  # no timestamps or random ids: the same input gives the same bytes
    for name, file in (("Vera", "Vera.ttf"), ("VeraBd", "VeraBd.ttf")):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, file))

    (page_w, page_h), size, margin = _LAYOUTS[layout]
    text_w = page_w - 2 * margin

    def width(word: str, font_size: float = size, bold: bool = False) -> float:
        return float(pdfmetrics.stringWidth(word, "VeraBd" if bold else "Vera", font_size))

    lines: list[_Line] = []
    for block in source.blocks:
        bold = block.kind in ("h1", "h2")
        font_size = {"h1": size * 1.6, "h2": size * 1.2}.get(block.kind, size)
        gap = {"h1": 0.0, "h2": size * 1.2, "li": size * 0.2}.get(block.kind, size * 0.6)
        raw = block.text if block.kind != "li" else "\u2022 " + block.text
        words: list[tuple[str, str | None]] = []
        for token in raw.split():
            m = re.fullmatch(r"(.*?)\[\^(\w+)\](.*)", token)
            if m:
                words.append((_ligate(m.group(1) + m.group(3)), m.group(2)))
            else:
                words.append((_ligate(token), None))
        current: list[tuple[str, str | None]] = []
        used = 0.0
        queue = list(words)
        while queue:
            word, note = queue.pop(0)
            w = width(word, font_size, bold) + (width(" ", font_size) if current else 0)
            if used + w <= text_w or (
                not current
                and _split_word(word, text_w, partial(width, font_size=font_size)) is None
            ):  # an unsplittable word wider than the line overflows it
                current.append((word, note))
                used += w
                continue
            room = text_w - used - width(" ", font_size)
            split = None if bold else _split_word(word, room, partial(width, font_size=font_size))
            if split:
                current.append((split[0], None))
                queue.insert(0, (split[1], note))
            else:
                queue.insert(0, (word, note))
            lines.append(_Line(current, font_size, bold, gap))
            gap = 0.0
            current, used = [], 0.0
        if current:
            lines.append(_Line(current, font_size, bold, gap))

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(page_w, page_h), pageCompression=1)
    pdf.setTitle(meta_title or f"{source.title} {version}")
    pdf.setAuthor("Example Labs")
    pdf.setCreator("commitment-tracker demo corpus")

    pages: list[list[tuple[_Line, float]]] = [[]]
    notes_on_page: list[list[str]] = [[]]
    y = page_h - margin - size * 2
    bottom = margin + size * 2
    for line in lines:
        leading = line.size * 1.45
        page_notes = notes_on_page[-1] + [n for _, n in line.words if n]
        need = line.gap_before + leading + len(page_notes) * size * 1.3
        if y - need < bottom and pages[-1]:
            pages.append([])
            notes_on_page.append([])
            y = page_h - margin - size * 2
        y -= line.gap_before + leading
        pages[-1].append((line, y))
        notes_on_page[-1].extend(n for _, n in line.words if n)

    for number, (page, notes) in enumerate(zip(pages, notes_on_page, strict=True), start=1):
        pdf.setFont("Vera", size * 0.8)
        pdf.drawString(margin, page_h - margin + size, header)
        pdf.drawRightString(page_w - margin, margin - size * 1.5, f"Page {number} of {len(pages)}")
        pdf.drawString(margin, margin - size * 1.5, f"Version {version.lstrip('v')}")
        for line, line_y in page:
            x = margin
            for word, note in line.words:
                pdf.setFont("VeraBd" if line.bold else "Vera", line.size)
                pdf.drawString(x, line_y, word)
                x += width(word, line.size, line.bold)
                if note:
                    pdf.setFont("Vera", line.size * 0.6)
                    pdf.drawString(x, line_y + line.size * 0.4, note)
                    x += width(note, line.size * 0.6)
                x += width(" ", line.size)
        if notes:
            note_y = bottom + len(notes) * size * 1.3
            pdf.line(margin, note_y + size * 0.2, margin + text_w / 3, note_y + size * 0.2)
            for key in notes:
                note_y -= size * 1.3
                pdf.setFont("Vera", size * 0.8)
                pdf.drawString(margin, note_y, f"{key} {_ligate(source.footnotes[key])}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# --- the site over time --------------------------------------------------------------------


def load_timeline(source: Path = SOURCE) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((source / "timeline.yaml").read_text("utf-8"))
    return data


def _post_date(source: Source) -> date:
    text = next(b.text for b in source.blocks if b.kind == "p")
    return datetime.strptime(text, "%B %d, %Y").date()


def _feed(site: str, posts: list[tuple[str, Source]]) -> str:
    items = []
    for slug, post in sorted(posts, key=lambda p: _post_date(p[1]), reverse=True):
        when = datetime.combine(_post_date(post), datetime.min.time(), tzinfo=UTC)
        summary = " ".join(b.text for b in post.blocks if b.kind == "p")
        items.append(
            "<item>"
            f"<title>{html.escape(post.title)}</title>"
            f"<link>{site}/news/{slug}</link>"
            f"<guid>{site}/news/{slug}</guid>"
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>{html.escape(summary)}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Example Labs News</title><link>{site}/news</link>"
        "<description>News from Example Labs</description>" + "".join(items) + "</channel></rss>\n"
    )


def _updates_page(entries: list[str]) -> str:
    body = (
        "<h1>Policy updates</h1>\n<p>This page records every change to the Example Labs "
        "Frontier Scaling Policy, newest first. Each version of the policy takes effect on the "
        "date shown, and earlier versions remain available on request. If you have questions "
        "about a change, contact our policy team.</p>\n"
        + "\n".join(f"<p>{html.escape(e, quote=False)}</p>" for e in entries)
    )
    return _PAGE.format(title="Policy updates", body=body)


def build(out: Path = BUILT, source_dir: Path = SOURCE) -> dict[str, bytes]:
    """Build every file of the site's history; return {relative path: bytes} (also written)."""
    timeline = load_timeline(source_dir)
    site = timeline["site"]
    files: dict[str, bytes] = {}
    posts: list[tuple[str, Source]] = []
    for state in timeline["states"]:
        day = str(state["date"])
        policy = state["policy"]
        text = parse((source_dir / policy["source"]).read_text("utf-8"))
        name = policy.get("build", policy["pdf"])
        pdf_url = f"/files/frontier-scaling-policy-{policy['pdf']}.pdf"
        files[f"scaling-policy/{name}.pdf"] = render_pdf(
            text,
            layout=policy["layout"],
            version=policy["pdf"],
            meta_title=policy.get("meta_title"),
        )
        link = f'<p><a class="download" href="{pdf_url}">Download the policy (PDF)</a></p>'
        files[f"scaling-policy/{policy['pdf']}.html"] = render_html(text, extra=link).encode()
        if "security_standard" in state:
            standard = parse((source_dir / state["security_standard"]).read_text("utf-8"))
            files["security-standard/v1.0.html"] = render_html(standard).encode()
        history = [b.text for b in text.blocks if b.kind == "li"]
        files[f"policy-updates/{day}.html"] = _updates_page(history).encode()
        for slug in state.get("posts", []):
            post = parse((source_dir / "news" / f"{slug}.md").read_text("utf-8"))
            posts.append((slug, post))
            files[f"news/{slug}.html"] = render_html(post).encode()
        files[f"news/feed-{day}.xml"] = _feed(site, posts).encode()
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def site_on(day: date, built: Path = BUILT, source_dir: Path = SOURCE) -> dict[str, Path]:
    """URL path -> built file, as the site stood on `day` (states before it accumulate)."""
    routes: dict[str, Path] = {}
    for state in load_timeline(source_dir)["states"]:
        when = state["date"]
        if when > day:
            break
        policy = state["policy"]
        pdf_url = f"/files/frontier-scaling-policy-{policy['pdf']}.pdf"
        routes["/scaling-policy"] = built / "scaling-policy" / f"{policy['pdf']}.html"
        routes[pdf_url] = built / "scaling-policy" / f"{policy.get('build', policy['pdf'])}.pdf"
        if "security_standard" in state:
            routes["/security-standard"] = built / "security-standard/v1.0.html"
        routes["/policy-updates"] = built / "policy-updates" / f"{when}.html"
        routes["/news/feed.xml"] = built / "news" / f"feed-{when}.xml"
        for slug in state.get("posts", []):
            routes[f"/news/{slug}"] = built / "news" / f"{slug}.html"
    return routes


def state_dates(source_dir: Path = SOURCE) -> list[date]:
    return [s["date"] for s in load_timeline(source_dir)["states"]]


def _iter_built(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*")) if p.is_file())


if __name__ == "__main__":
    written = build()
    for rel in sorted(written):
        print(rel, file=sys.stderr)
