"""Turn fetched bytes (HTML, PDF, text) into normalized markdown-ish text with sections, and
judge whether the result looks like the document or like something broken."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

import feedparser
import pypdfium2
import pypdfium2.raw as pdfium_c
import trafilatura
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from tracker.models import DocumentFormat, Health, HealthStatus
from tracker.textnorm import clean, plain_fragment

# Bump when extraction output changes, so `tracker fetch --reextract` knows what is stale.
EXTRACTOR_VERSION = "1"

MIN_CHARS = 200
SHRINK_LIMIT = 0.5  # text shorter than half of the last good snapshot is suspect


class ExtractionError(Exception):
    """The bytes could not be turned into text (corrupt, encrypted, image-only, no match)."""


@dataclass(frozen=True, slots=True)
class Extraction:
    text: str
    format: DocumentFormat
    extractor: str
    title: str | None = None


# --- formats -----------------------------------------------------------------------------


def sniff(body: bytes, content_type: str | None, url: str = "") -> str:
    """The media type to extract as: magic bytes first, then the declared type, then the URL."""
    head = body[:1024].lstrip()
    declared = (content_type or "").split(";")[0].strip().lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    lowered = head.lower()
    if re.search(rb"<rss[\s>]|<rdf:rdf[\s>]", lowered):
        return "application/rss+xml"
    if re.search(rb"<feed[\s>]", lowered) and b"<html" not in lowered:
        return "application/atom+xml"
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in lowered:
        return "text/html"
    if declared in EXTRACTORS:
        return declared
    if url.lower().endswith(".pdf") or declared == "application/pdf":
        return "application/pdf"
    if url.lower().endswith((".md", ".markdown")):
        return "text/markdown"
    return "text/plain"


def extract(body: bytes, media_type: str, *, select: str | None = None) -> Extraction:
    try:
        extractor = EXTRACTORS[media_type]
    except KeyError:
        supported = ", ".join(sorted(EXTRACTORS))
        raise ExtractionError(
            f"unsupported media type {media_type!r}; supported: {supported}"
        ) from None
    return extractor(body, select)


def _decode(body: bytes) -> str:
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return body.decode("latin-1")


def extract_text(body: bytes, select: str | None = None) -> Extraction:
    return Extraction(clean(_decode(body)), DocumentFormat.TEXT, "text")


# --- HTML --------------------------------------------------------------------------------

_DROP_TAGS = ["script", "style", "noscript", "nav", "footer", "header", "form", "button", "svg"]
_BLOCK_HEADINGS = {"h1": "#", "h2": "##", "h3": "###", "h4": "####", "h5": "#####", "h6": "######"}


def _inline_text(node: LexborNode) -> str:
    parts: list[str] = []
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            parts.append(child.text_content or "")
        elif child.tag == "sup":
            parts.append(f"[^{(child.text() or '').strip()}]")
        elif child.tag == "br":
            parts.append(" ")
        else:
            parts.append(_inline_text(child))
    return " ".join("".join(parts).split())


def _node_markdown(node: LexborNode, out: list[str]) -> None:
    for child in node.iter(include_text=False):
        tag = child.tag
        if tag in _BLOCK_HEADINGS:
            out.append(f"{_BLOCK_HEADINGS[tag]} {_inline_text(child)}")
        elif tag in ("p", "blockquote", "pre", "dt", "dd", "caption", "figcaption"):
            text = _inline_text(child)
            if text:
                out.append(text)
        elif tag == "li":
            nested = [c for c in child.iter(include_text=False) if c.tag in ("ul", "ol")]
            for sub in nested:
                sub.decompose()
            out.append(f"- {_inline_text(child)}")
            for sub in nested:
                _node_markdown(sub, out)
        elif tag == "tr":
            cells = [_inline_text(c) for c in child.iter(include_text=False)]
            out.append("| " + " | ".join(cells) + " |")
        elif tag in ("div", "section", "article", "main", "ul", "ol", "table", "tbody", "thead"):
            has_blocks = any(
                c.tag not in ("-text", "a", "span", "em", "strong", "b", "i", "sup")
                for c in child.iter(include_text=False)
            )
            if has_blocks:
                _node_markdown(child, out)
            else:
                text = _inline_text(child)
                if text:
                    out.append(text)


def extract_html(body: bytes, select: str | None = None) -> Extraction:
    html = _decode(body)
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text().strip() if title_node is not None else None
    if select:
        try:
            matches = tree.css(select)
        except SelectolaxError as exc:
            raise ExtractionError(f"invalid CSS selector {select!r}") from exc
        if not matches:
            raise ExtractionError(f"the selector {select!r} matched nothing on the page")
        out: list[str] = []
        for match in matches:
            for bad in match.css(",".join(_DROP_TAGS)):
                bad.decompose()
            _node_markdown(match, out)
        return Extraction(clean("\n\n".join(out)), DocumentFormat.HTML, "html-select", title)
    text = trafilatura.extract(
        html,
        output_format="markdown",
        favor_recall=True,
        include_comments=False,
        include_tables=True,
        include_links=False,
        with_metadata=False,
    )
    text = re.sub(r"<sup>(\w{1,3})</sup>", r"[^\1]", text or "")
    return Extraction(clean(text), DocumentFormat.HTML, "trafilatura", title)


# --- PDF ---------------------------------------------------------------------------------

_HYPHEN_MARKS = ("\ufffe", "\x02")
_COMPOUND_PREFIXES = frozenset(
    (
        "pre",
        "post",
        "non",
        "co",
        "re",
        "multi",
        "anti",
        "self",
        "well",
        "cross",
        "long",
        "short",
        "high",
        "low",
        "third",
        "sub",
        "semi",
        "inter",
        "intra",
        "over",
        "under",
        "mid",
        "full",
        "half",
        "open",
        "real",
        "near",
        "large",
        "small",
        "cyber",
        "state",
        "end",
        "year",
        "case",
        "need",
        "follow",
        "built",
        "risk",
        "know",
        "red",
    )
)


@dataclass(slots=True)
class _PdfLine:
    text: str
    size: float  # dominant font size of the line's visible characters
    small: list[tuple[int, int]]  # spans of characters set much smaller than the line
    bottom: float | None = None  # baseline of the first character, for paragraph gaps
    last_bottom: float | None = None  # of the last (differs when pdfium joined a hyphen break)


def _page_lines(page: pypdfium2.PdfPage) -> list[_PdfLine]:
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range(0, count) if count else ""
        sizes = [pdfium_c.FPDFText_GetFontSize(textpage.raw, i) for i in range(len(text))]
        boxes: dict[int, tuple[float, float]] = {}
        start = 0
        for end in [i for i, ch in enumerate(text) if ch == "\n"] + [len(text)]:
            visible = [i for i in range(start, end) if not text[i].isspace() and sizes[i] > 1.5]
            if visible:
                first = float(textpage.get_charbox(visible[0])[1])
                last = float(textpage.get_charbox(visible[-1])[1])
                boxes[start] = (first, last)
            start = end + 1
    finally:
        textpage.close()
    lines: list[_PdfLine] = []
    start = 0
    for end in [i for i, ch in enumerate(text) if ch == "\n"] + [len(text)]:
        chars = text[start:end].rstrip("\r")
        line_sizes = sizes[start : start + len(chars)]
        visible = [
            s for ch, s in zip(chars, line_sizes, strict=True) if not ch.isspace() and s > 1.5
        ]
        if visible:
            dominant = Counter(round(s, 1) for s in visible).most_common(1)[0][0]
            small = []
            i = 0
            while i < len(chars):
                if chars[i].isalnum() and 1.5 < line_sizes[i] < dominant * 0.75:
                    j = i
                    while j < len(chars) and chars[j].isalnum() and line_sizes[j] < dominant * 0.75:
                        j += 1
                    small.append((i, j))
                    i = j
                else:
                    i += 1
            first_last = boxes.get(start)
            lines.append(
                _PdfLine(
                    chars,
                    dominant,
                    small,
                    first_last[0] if first_last else None,
                    first_last[1] if first_last else None,
                )
            )
        start = end + 1
    return lines


def _join_marked_hyphens(text: str, vocabulary: set[str]) -> str:
    """pdfium joins a line broken after a hyphen and leaves a mark where the hyphen was."""
    return re.sub(
        r"([\w']*)[\ufffe\x02]\s*([\w']*)",
        lambda m: _dehyphenate(m.group(1), m.group(2), vocabulary),
        text,
    )


def _mark_footnotes(line: _PdfLine) -> str:
    text = line.text
    for begin, end in reversed(line.small):
        if begin > 0 and not text[begin - 1].isspace():  # glued to a word: a marker
            text = f"{text[:begin]}[^{text[begin:end]}]{text[end:]}"
    return text


def _repeated_edges(pages: list[list[_PdfLine]]) -> set[str]:
    """Lines at the top or bottom of pages that repeat on at least half of them (digits
    normalized): running headers, footers and page numbers."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {_digitless(line.text) for line in lines[:3] + lines[-3:]}
        counts.update(edge)
    return {key for key, n in counts.items() if n >= max(2, len(pages) / 2)}


def _digitless(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split())).lower()


def _dehyphenate(head: str, tail: str, vocabulary: set[str]) -> str:
    """Join a word broken at a line end: keep the hyphen for real compounds."""
    head_word = re.findall(r"[\w']+$", head)
    tail_word = re.findall(r"^[\w']+", tail)
    if not head_word or not tail_word:
        return head + "-" + tail
    h, t = head_word[0], tail_word[0]
    if f"{h}-{t}".lower() in vocabulary or h.lower() in _COMPOUND_PREFIXES:
        return head + "-" + tail
    if f"{h}{t}".lower() in vocabulary:
        return head + tail
    if t[0].isupper() or t[0].isdigit() or h[-1].isdigit():
        return head + "-" + tail
    return head + tail


def _looks_like_list_item(text: str) -> bool:
    return bool(
        re.match(r"^\s*([\u2022\u25cf\u25aa\u25e6\-*]|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s)", text)
    )


def extract_pdf(body: bytes, select: str | None = None) -> Extraction:
    try:
        pdf = pypdfium2.PdfDocument(body)
    except pypdfium2.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ExtractionError("the PDF is encrypted (password required)") from exc
        raise ExtractionError(f"the PDF cannot be read: {message}") from exc
    try:
        if len(pdf) == 0:
            raise ExtractionError("the PDF has no pages")
        pages = [_page_lines(pdf[i]) for i in range(len(pdf))]
        title = (
            (pdf.get_metadata_dict().get("Title") or None)
            if hasattr(pdf, "get_metadata_dict")
            else None
        )
    finally:
        pdf.close()
    if not any(pages):
        raise ExtractionError(
            f"the PDF's {len(pages)} page(s) have no text layer (scanned images?); "
            "OCR is not supported"
        )
    return Extraction(_pdf_text(pages), DocumentFormat.PDF, "pypdfium2", title)


def _pdf_text(pages: list[list[_PdfLine]]) -> str:
    edges = _repeated_edges(pages)
    body_lines = [line for lines in pages for line in lines if _digitless(line.text) not in edges]
    if not body_lines:
        return ""
    body_size = Counter(round(line.size, 1) for line in body_lines).most_common(1)[0][0]
    lengths = [len(line.text) for line in body_lines if abs(line.size - body_size) < 0.2]
    full = median(lengths) if lengths else 80
    raw_words = re.findall(r"[\w'-]+", " ".join(line.text for line in body_lines).lower())
    vocabulary = {w.replace("\ufffe", "").replace("\x02", "") for w in raw_words}

    blocks: list[str] = []
    footnotes: list[str] = []
    current = ""
    pending_hyphen = False

    def flush() -> None:
        nonlocal current
        if current.strip():
            blocks.append(current.strip())
        current = ""

    pitches = [
        round(a.last_bottom - b.bottom, 1)
        for lines in pages
        for a, b in pairwise(lines)
        if a.last_bottom is not None
        and b.bottom is not None
        and abs(a.size - body_size) < 0.2
        and abs(b.size - body_size) < 0.2
        and a.last_bottom > b.bottom
    ]
    # the line pitch: a low percentile, since paragraph gaps can outnumber plain line steps
    pitch = sorted(pitches)[len(pitches) // 5] if pitches else None
    geometric = pitch is not None and any(p > pitch * 1.25 for p in pitches)

    last_line_short = False
    for lines in pages:
        kept = [line for line in lines if _digitless(line.text) not in edges]
        previous: _PdfLine | None = None
        first_text = kept[0].text.lstrip() if kept else ""
        sentence_ended = re.search(r"[.:;!?\"')]$", current) is not None
        if sentence_ended and (last_line_short or first_text[:1].isupper()):
            flush()  # the paragraph ended at the foot of the previous page
        for index, line in enumerate(kept):
            if (
                geometric
                and pitch is not None
                and previous is not None
                and previous.last_bottom is not None
                and line.bottom is not None
                and previous.last_bottom - line.bottom > pitch * 1.25
                and not pending_hyphen
                and abs(line.size - body_size) < 0.2
            ):
                flush()
            previous = line
            text = _join_marked_hyphens(_mark_footnotes(line), vocabulary)
            is_heading = line.size > body_size * 1.08 and len(text) < 120
            is_note = line.size < body_size * 0.9 and index >= len(kept) - 6
            if is_note and re.match(r"^\s*\d{1,3}\s", text):
                footnotes.append(re.sub(r"^\s*(\d{1,3})\s+", r"[^\1]: ", text))
                continue
            if is_note and footnotes and not is_heading:
                footnotes[-1] += " " + text.strip()
                continue
            if is_heading:
                flush()
                level = "#" if line.size > body_size * 1.4 else "##"
                if (
                    blocks
                    and blocks[-1].startswith(level + " ")
                    and not pending_hyphen
                    and (kept[index - 1].size == line.size if index else False)
                ):
                    blocks[-1] += " " + text.strip()  # a heading set on two lines
                else:
                    blocks.append(f"{level} {text.strip()}")
                continue
            if _looks_like_list_item(text) and current and not pending_hyphen:
                flush()
            stripped = text.strip()
            hyphen = stripped.endswith(_HYPHEN_MARKS) or (
                stripped.endswith("-") and len(stripped) > 1 and stripped[-2].isalpha()
            )
            if hyphen:
                stripped = stripped.rstrip("".join(_HYPHEN_MARKS)).removesuffix("-")
            if pending_hyphen:
                current = _dehyphenate(current, stripped, vocabulary)
            else:
                current = f"{current} {stripped}" if current else stripped
            pending_hyphen = hyphen
            short = len(text) < full * 0.8
            last_line_short = short and not hyphen
            if not geometric and not hyphen and short and re.search(r"[.:;!?\"')]$", stripped):
                flush()
    flush()
    out: list[str] = []
    for block in blocks:
        block = re.sub(r"^[\u2022\u25cf\u25aa\u25e6]\s*", "- ", block)
        if out and block.startswith("- ") and out[-1].split("\n")[-1].startswith("- "):
            out[-1] += "\n" + block  # consecutive list items form one list
        else:
            out.append(block)
    if footnotes:
        out.append("\n".join(footnotes))
    return clean("\n\n".join(out))


def extract_feed(body: bytes, select: str | None = None) -> Extraction:
    """An RSS or Atom feed as text: one section per item (title, date, link, summary)."""
    parsed = feedparser.parse(body)
    if parsed.get("bozo") and not parsed.entries:
        raise ExtractionError(f"not a readable feed: {parsed.get('bozo_exception')}")
    out = []
    for item in parsed.entries:
        summary = plain_fragment(item.get("summary"))
        lines = [f"## {item.get('title', '(untitled)')}"]
        lines += [v for v in (item.get("published") or item.get("updated"), item.get("link")) if v]
        out.append("\n\n".join([*lines, summary]))
    title = parsed.feed.get("title")
    return Extraction(clean("\n\n".join(out)), DocumentFormat.TEXT, "feedparser", title)


EXTRACTORS: dict[str, Callable[[bytes, str | None], Extraction]] = {
    "application/rss+xml": extract_feed,
    "application/atom+xml": extract_feed,
    "application/pdf": extract_pdf,
    "text/html": extract_html,
    "application/xhtml+xml": extract_html,
    "text/plain": extract_text,
    "text/markdown": extract_text,
}


# --- health ------------------------------------------------------------------------------

_CHALLENGE = re.compile(
    r"verify (that )?you are (a )?human|are you a robot|captcha|checking your browser|"
    r"just a moment\.\.\.|attention required|unusual traffic|access denied|"
    r"ddos protection|request blocked|security check to access",
    re.I,
)
_JAVASCRIPT = re.compile(
    r"(enable|turn on|activate) javascript|javascript (is )?(required|disabled)|"
    r"requires javascript|you need to enable javascript",
    re.I,
)
_LOGIN = re.compile(
    r"(sign|log) ?in to (continue|view|access)|please (sign|log) ?in|login required|"
    r"you must be logged in",
    re.I,
)
_SOFT_ERROR = re.compile(
    r"\b(404|page not found|not found|internal server error|error 5\d\d)\b", re.I
)


def assess(
    extraction: Extraction | None,
    *,
    raw: bytes,
    error: str | None = None,
    previous_good_chars: int | None = None,
) -> Health:
    """Class an extraction as ok or suspect, with every reason found."""
    reasons: list[str] = []
    if error is not None:
        reasons.append(f"extraction failed: {error}")
    text = extraction.text if extraction is not None else ""
    words = len(text.split())
    sample = text[:5000] + " " + (extraction.title or "" if extraction else "")
    short = len(text) < MIN_CHARS or words < 30
    if extraction is not None and extraction.format is DocumentFormat.HTML:
        head = raw[:20000].decode("utf-8", "replace")
        if not short:  # a rendered page keeps its <noscript> text; it says nothing then
            head = re.sub(r"(?is)<noscript\b.*?</noscript>", " ", head)
        sample += " " + re.sub(r"<[^>]+>", " ", head)
    if extraction is not None and short:
        reasons.append(f"near-empty text ({len(text.strip())} characters, {words} words)")
    if _CHALLENGE.search(sample) and (short or words < 300):
        reasons.append(f"challenge or captcha page ({_CHALLENGE.search(sample).group(0)!r})")  # type: ignore[union-attr]
    if _JAVASCRIPT.search(sample) and (short or words < 300):
        reasons.append("page needs JavaScript (an app shell without the document's text)")
    if _LOGIN.search(sample) and (short or words < 300):
        reasons.append("login wall")
    if (
        extraction is not None
        and words < 300
        and _SOFT_ERROR.search((extraction.title or "") + " " + text[:300])
    ):
        reasons.append("looks like an error page")
    if previous_good_chars and extraction is not None and not short:
        ratio = len(text) / previous_good_chars
        if ratio < SHRINK_LIMIT:
            reasons.append(
                f"text shrank from {previous_good_chars} to {len(text)} characters "
                f"({(1 - ratio):.0%} less) since the last good snapshot"
            )
    status = HealthStatus.SUSPECT if reasons else HealthStatus.OK
    return Health(status=status, reasons=reasons)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the extract stage makes of raw bytes; an extraction failure is a value here."""

    text: str
    health: Health
    extractor: str
    title: str | None


def read(
    raw: bytes,
    media_type: str,
    *,
    select: str | None = None,
    previous_good_chars: int | None = None,
) -> Reading:
    """Extract and judge in one step: the text (empty when extraction failed) and its health."""
    extraction = None
    error = None
    try:
        extraction = extract(raw, media_type, select=select)
    except ExtractionError as exc:
        error = str(exc)
    health = assess(extraction, raw=raw, error=error, previous_good_chars=previous_good_chars)
    if extraction is None:
        return Reading("", health, media_type, None)
    return Reading(extraction.text, health, extraction.extractor, extraction.title)


def version_label(text: str, pattern: str | None) -> str | None:
    if not pattern:
        return None
    match = re.search(pattern, text)
    if match is None:
        return None
    return match.group(1) if match.groups() else match.group(0)
