"""Render findings for readers: a report per snapshot pair (markdown + JSON), the policy
changelog, the status matrix, an Atom feed and an SVG timeline. Pure: values in, text out.
Fetched text is data, never markup: everything quoted from a document is escaped."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape as html_escape
from xml.sax.saxutils import escape as xml_escape

from feedgen.feed import FeedGenerator

from tracker.models import (
    AccountMatch,
    Finding,
    Flag,
    Outcome,
    Report,
    SnapshotRef,
    Verdict,
)
from tracker.textdiff import Hunk, word_ops

# --- escaping ----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_SCHEME = re.compile(r"(?i)\b(https?|ftp|www)(:|\.)")


def text(value: str | None) -> str:
    """Fetched text made inert for GitHub markdown: no HTML, links, images, @mentions, table
    breaks or headings; one line."""
    if not value:
        return ""
    value = " ".join(value.split())
    value = html_escape(value, quote=False)  # no tag survives: & < > become entities
    value = _MD_SPECIAL.sub(r"\\\1", value)  # no emphasis, link, image, heading or table cell
    value = value.replace("@", "@\u200b")  # no @mention, no e-mail autolink
    return _SCHEME.sub(lambda m: m.group(1) + "\u200b" + m.group(2), value)  # no autolink


def quote_block(value: str | None) -> str:
    return "> " + (text(value) or "_(empty)_")


def link(label: str, url: str | None) -> str:
    """A link whose target is one of ours (a snapshot's URL, an archive link), label escaped."""
    if not url or not re.match(r"^https?://[^\s()<>]+$", url):
        return text(label)
    return f"[{text(label)}]({url})"


MARKS = {
    "html": ("<del>", "</del>", "<ins>", "</ins>"),  # GitHub keeps these tags
    "gfm": ("~~", "~~", "**", "**"),  # plain markdown; fails next to some punctuation on GitHub
}


def diff_markup(ops: Iterable[tuple[str, str]], style: str = "html") -> str:
    """A word diff in markdown: <del>removed</del> <ins>added</ins> by default (GitHub's
    sanitizer keeps them, and strike-through markers fail next to punctuation there), or
    ~~removed~~ **added** with style="gfm"."""
    open_del, close_del, open_ins, close_ins = MARKS[style]
    out = []
    for tag, words in ops:
        if tag == "equal":
            out.append(text(words))
        elif tag == "delete":
            out.append(f"{open_del}{text(words)}{close_del}")
        else:
            out.append(f"{open_ins}{text(words)}{close_ins}")
    return " ".join(out)


# --- vocabulary --------------------------------------------------------------------------------

HEADLINE = {
    Outcome.REMOVED: "removal",
    Outcome.WEAKENED: "weakening",
    Outcome.STRENGTHENED: "strengthening",
    Outcome.RELOCATED: "relocation",
    Outcome.ADDED: "addition",
    Outcome.RETAINED: "move",
}
VERDICT_WORD = {
    Verdict.ANNOUNCED: "Announced",
    Verdict.PARTIAL: "Partly announced",
    Verdict.SILENT: "Silent",
    Verdict.NO_ACCOUNT: "Unaccounted",
    Verdict.ACKNOWLEDGED_LATE: "Late-acknowledged",
}
VERDICT_MEANING = {
    Verdict.ANNOUNCED: "the provider's account identifies this change and its direction",
    Verdict.PARTIAL: "the account names the commitment or its class, not the direction",
    Verdict.SILENT: "an account of this revision exists and does not identify this change",
    Verdict.NO_ACCOUNT: "no account of this revision was published",
    Verdict.ACKNOWLEDGED_LATE: "silent in this revision; a later account identified it",
}
SEVERITY = {  # order of headlines: silent removals and weakenings first
    Outcome.REMOVED: 0,
    Outcome.WEAKENED: 1,
    Outcome.RELOCATED: 2,
    Outcome.STRENGTHENED: 3,
    Outcome.ADDED: 4,
    Outcome.RETAINED: 5,
    Outcome.UNVERIFIABLE: 6,
}
VERDICT_SEVERITY = {
    Verdict.SILENT: 0,
    Verdict.ACKNOWLEDGED_LATE: 1,
    Verdict.NO_ACCOUNT: 2,
    Verdict.PARTIAL: 3,
    Verdict.ANNOUNCED: 4,
    None: 5,
}


def version_of(ref: SnapshotRef) -> str:
    return f"v{ref.version}" if ref.version else ref.date


def subject_of(finding: Finding) -> str:
    if finding.commitment is None:
        sentence = finding.evidence.after or finding.evidence.before or ""
        return "untracked sentence: " + (sentence[:90] + ("..." if len(sentence) > 90 else ""))
    return finding.title or finding.commitment


def headline(finding: Finding, document_title: str) -> str:
    """'Silent removal: *Plan for a pause* (Example Labs Scaling Policy, v1.0 -> v2.0)'."""
    kind = HEADLINE[finding.outcome]
    if Flag.RESTORED in finding.flags:
        kind = "restoration of a removed commitment"
    if finding.outcome is Outcome.REMOVED and Flag.REWRITTEN in finding.flags:
        kind = "possible removal (document rewritten, review needed)"
    verdict = VERDICT_WORD.get(finding.announcement, "") if finding.announcement else ""
    lead = f"{verdict} {kind}".strip() if verdict else kind.capitalize()
    lead = lead[0].upper() + lead[1:]
    window = f"{version_of(finding.from_)} → {version_of(finding.to)}"
    return f"{lead}: *{text(subject_of(finding))}* ({text(document_title)}, {window})"


def sort_key(finding: Finding) -> tuple[int, int, str, str]:
    return (
        VERDICT_SEVERITY.get(finding.announcement, 5),
        SEVERITY[finding.outcome],
        finding.commitment or "~",
        finding.evidence.after or finding.evidence.before or "",
    )


def changes(findings: Iterable[Finding]) -> list[Finding]:
    """The findings a reader needs: material changes and moves, most severe first."""
    return sorted((f for f in findings if f.outcome.material or f.moved), key=sort_key)


# --- one report --------------------------------------------------------------------------------


def report_name(report: Report) -> str:
    return f"{report.to.date}-{report.to.sha256[:8]}"


def render_report(report: Report, hunks: Sequence[Hunk]) -> str:
    doc = report.document
    title = f"{doc.company} {doc.title}"
    found = changes(report.findings)
    tracked = [f for f in found if f.commitment is not None]
    untracked = [f for f in found if f.commitment is None]
    checked = sum(1 for f in report.findings if f.commitment is not None)
    lines = [
        f"# {text(title)}: {version_of(report.from_)} → {version_of(report.to)}",
        "",
        f"Compared {version_of(report.from_)} ({report.from_.date}) with "
        f"{version_of(report.to)} ({report.to.date}): {checked} tracked commitment(s) checked, "
        f"{len(tracked)} changed, {len(untracked)} untracked commitment-like sentence(s) "
        f"added or removed. The two versions share {report.similarity:.0%} of their words.",
        "",
    ]
    if found:
        lines += ["## Headlines", ""]
        lines += [f"- {headline(f, title)}" for f in found]
        lines += [""]
    if tracked:
        lines += [
            "## Summary",
            "",
            "| Commitment | Outcome | Dimensions | Announcement |",
            "|---|---|---|---|",
        ]
        for f in tracked:
            outcome = str(f.outcome) + (" (moved)" if f.moved else "")
            if f.flags:
                outcome += " " + " ".join(f"`{flag}`" for flag in f.flags)
            lines.append(
                f"| {text(subject_of(f))} (`{f.commitment}`) | {outcome} | "
                f"{', '.join(f.dimensions) or '–'} | {f.announcement or '–'} |"
            )
        lines += ["", "## Findings", ""]
        for f in tracked:
            lines += finding_section(f, title)
    if untracked:
        lines += [
            "## Untracked commitment-like sentences",
            "",
            "Sentences that read as commitments, which no record tracks, gone from or new in "
            "this version. `tracker suggest` lists the current ones to track.",
            "",
        ]
        for f in untracked:
            where = (
                f.evidence.section_after
                if f.outcome is Outcome.ADDED
                else f.evidence.section_before
            )
            sentence = f.evidence.after if f.outcome is Outcome.ADDED else f.evidence.before
            verdict = f" · {f.announcement}" if f.announcement else ""
            lines.append(f"- **{f.outcome}** (section: {text(where) or '–'}{verdict})")
            lines.append(f"  {quote_block(sentence)}")
        lines.append("")
    lines += [
        "## Sections",
        "",
        "| Section | Change | Words added | Words removed |",
        "|---|---|---|---|",
    ]
    for s in report.sections:
        if s.change != "unchanged":
            lines.append(
                f"| {text(s.section)} | {s.change} | {s.words_added} | {s.words_removed} |"
            )
    unchanged = sum(1 for s in report.sections if s.change == "unchanged")
    lines += ["", f"{unchanged} section(s) unchanged.", ""]
    lines += _snapshot_table(report.from_, report.to)
    lines += [
        "<details><summary>Full word diff of the document</summary>",
        "",
    ]
    for hunk in hunks:
        if not hunk.changed:
            continue
        prefix = "**§** " if hunk.heading else f"*{text(hunk.section) or '–'}*: "
        lines += [prefix + diff_markup(hunk.ops), ""]
    lines += ["</details>", ""]
    return "\n".join(lines)


def finding_section(f: Finding, title: str) -> list[str]:
    e = f.evidence
    out = [f"### {headline(f, title)}", ""]
    out += [f"**Before** ({version_of(f.from_)}, section: {text(e.section_before) or '–'}):", ""]
    out += [quote_block(e.before), ""]
    if f.outcome is Outcome.REMOVED:
        out += [
            f"**After** ({version_of(f.to)}): no counterpart. The closest remaining passage "
            f"(score {e.score} of 100; below 77 means no counterpart; section: "
            f"{text(e.closest_section) or '–'}):",
            "",
            quote_block(e.closest),
            "",
        ]
        if e.closest_counterpart_of:
            out += [
                f"That passage is the counterpart of another commitment, "
                f"`{e.closest_counterpart_of}`, which it matches better.",
                "",
            ]
        if Flag.REWRITTEN in f.flags:
            out += [
                "The document changed beyond half its words, so this is a lead to review, "
                "not a conclusion: the commitment may survive in other words.",
                "",
            ]
    elif f.outcome is Outcome.RELOCATED and e.relocated_to:
        where = e.relocated_to
        out += [
            f"**After**: gone from this document, found in `{where.document}` "
            f"({version_of(where.snapshot)}, {where.snapshot.date}; section: "
            f"{text(e.section_after) or '–'}):",
            "",
            quote_block(e.after),
            "",
        ]
    else:
        moved = " (moved)" if f.moved else ""
        out += [
            f"**After** ({version_of(f.to)}, section: {text(e.section_after) or '–'}{moved}; "
            f"match score {e.score}):",
            "",
            quote_block(e.after),
            "",
        ]
        if e.before and e.after:
            out += [f"**Word diff**: {diff_markup(word_ops(e.before, e.after))}", ""]
    if e.movements:
        out += ["**What moved**:", ""]
        for m in e.movements:
            out.append(
                f"- {m.dimension} {m.direction}: "
                f"“{text(m.before) or '–'}” → “{text(m.after) or '–'}”"
            )
        out.append("")
    out += _announcement_lines(f)
    return out


def _announcement_lines(f: Finding) -> list[str]:
    if f.announcement is None:
        return []
    out = [f"**Announcement: {f.announcement}**: {VERDICT_MEANING[f.announcement]}.", ""]
    for match in f.evidence.account:
        out += [_account_line(match), ""]
    if f.acknowledged:
        ack = f.acknowledged
        right = (
            "to the right revision"
            if ack.attributed_correctly
            else (
                f"to v{ack.attributed_to}, not to {version_of(f.to)} where the text changed"
                if ack.attributed_to
                else "without naming the revision"
            )
        )
        out += [
            f"Acknowledged {ack.delay_days} days later in the account of "
            f"{'v' + ack.version if ack.version else ack.date} ({ack.date}), attributed {right}:",
            "",
            _account_line(ack.match),
            "",
        ]
    if f.announcement in (Verdict.SILENT, Verdict.NO_ACCOUNT, Verdict.ACKNOWLEDGED_LATE):
        sources = "; ".join(text(s) for s in f.evidence.sources_checked) or "none configured"
        out += [f"Sources checked: {sources}.", ""]
    return out


def _account_line(match: AccountMatch) -> str:
    entry = match.entry
    where = link(entry.title or entry.where, entry.url) if entry.url else text(entry.where)
    when = f", {entry.date}" if entry.date else ""
    return f"{quote_block(match.sentence)} — {entry.source}: {where}{when}"


def _snapshot_table(before: SnapshotRef, after: SnapshotRef) -> list[str]:
    lines = [
        "## Snapshots",
        "",
        "| | Date | Version | URL | sha256 | Archive |",
        "|---|---|---|---|---|---|",
    ]
    for label, ref in (("Before", before), ("After", after)):
        lines.append(
            f"| {label} | {ref.date} | {text(ref.version) or '–'} "
            f"| {link(ref.url or '–', ref.url)} "
            f"| `{ref.sha256}` | {link('Wayback', ref.archive_url) if ref.archive_url else '–'} |"
        )
    return [*lines, ""]


# --- the changelog, status matrix, feed and timeline ----------------------------------------


@dataclass(frozen=True, slots=True)
class Filed:
    """A report as the changelog lists it: the report, its path under reports/, its document."""

    report: Report
    path: str  # relative to reports/, e.g. example-labs-scaling-policy/2024-10-01-ab12cd34.md


def render_changelog(filed: Sequence[Filed]) -> str:
    everything = [(r, f) for r in filed for f in changes(r.report.findings)]
    flagged = [(r, f) for r, f in everything if _flagged(f)]
    lines = [
        "# Policy changes",
        "",
        "Every change the tracker found in the documents it follows, newest first. Generated by "
        "`tracker changelog`; do not edit by hand. Status of every commitment: "
        "[status.md](status.md); subscribe: [feed.xml](feed.xml).",
        "",
    ]
    if flagged:
        lines += [
            f"## Unannounced removals and weakenings ({len(flagged)})",
            "",
            "Material changes that the provider's account of the revision did not identify.",
            "",
        ]
        for r, f in sorted(flagged, key=lambda rf: (rf[1].to.date, rf[0].path), reverse=True):
            lines.append(f"- {r.report.to.date}: {headline(f, _title(r))} · [report]({r.path})")
        lines.append("")
    companies: dict[str, list[Filed]] = {}
    for r in filed:
        companies.setdefault(r.report.document.company, []).append(r)
    if companies:
        lines += ["## By company", ""]
        for company in sorted(companies):
            docs = sorted(
                {(r.report.document.id, r.report.document.title) for r in companies[company]}
            )
            counts = sum(len(changes(r.report.findings)) for r in companies[company])
            doc_list = ", ".join(f"{text(t)} (`{d}`)" for d, t in docs)
            lines.append(f"- **{text(company)}**: {counts} change(s) in {doc_list}")
        lines.append("")
    by_date: dict[str, list[tuple[Filed, Finding]]] = {}
    for r, f in everything:
        by_date.setdefault(r.report.to.date, []).append((r, f))
    lines += ["## All changes", ""]
    if not by_date:
        lines += ["No change found yet.", ""]
    for day in sorted(by_date, reverse=True):
        lines += [f"### {day}", ""]
        for r, f in sorted(by_date[day], key=lambda rf: (rf[0].path, sort_key(rf[1]))):
            verdict = f" · {f.announcement}" if f.announcement else ""
            lines.append(
                f"- **{f.outcome}**{' (moved)' if f.moved else ''}{verdict} · {text(_title(r))} "
                f"{version_of(f.from_)} → {version_of(f.to)} · {text(subject_of(f))} · "
                f"[report]({r.path})"
            )
        lines.append("")
    return "\n".join(lines)


def _title(r: Filed) -> str:
    return f"{r.report.document.company} {r.report.document.title}"


def _flagged(f: Finding) -> bool:
    return f.outcome in (
        Outcome.REMOVED,
        Outcome.WEAKENED,
        Outcome.RELOCATED,
    ) and f.announcement in (
        Verdict.SILENT,
        Verdict.NO_ACCOUNT,
        Verdict.ACKNOWLEDGED_LATE,
    )


CELL = {
    Outcome.RETAINED: "R",
    Outcome.WEAKENED: "**W**",
    Outcome.STRENGTHENED: "S",
    Outcome.REMOVED: "**X**",
    Outcome.RELOCATED: "L",
    Outcome.UNVERIFIABLE: "?",
}
COLOURS = {
    Outcome.RETAINED: "#2e7d32",
    Outcome.WEAKENED: "#ef6c00",
    Outcome.STRENGTHENED: "#1565c0",
    Outcome.REMOVED: "#c62828",
    Outcome.RELOCATED: "#6a1b9a",
    Outcome.UNVERIFIABLE: "#9e9e9e",
}


@dataclass(frozen=True, slots=True)
class Matrix:
    """One document's status: commitments x snapshot pairs."""

    document: str
    title: str
    columns: tuple[SnapshotRef, ...]  # the newer snapshot of each pair, oldest first
    rows: tuple[tuple[str, str, tuple[Outcome | None, ...]], ...]  # id, title, cells


def matrix(document: str, title: str, findings: Sequence[Finding]) -> Matrix:
    tracked = [f for f in findings if f.commitment is not None]
    columns: dict[str, SnapshotRef] = {}
    for f in sorted(tracked, key=lambda f: (f.to.date, f.to.id)):
        columns.setdefault(f.to.id, f.to)
    ids: dict[str, str] = {}
    for f in tracked:
        ids.setdefault(f.commitment or "", f.title or f.commitment or "")
    cells = {(f.commitment, f.to.id): f.outcome for f in tracked}
    rows = tuple((cid, ids[cid], tuple(cells.get((cid, col)) for col in columns)) for cid in ids)
    return Matrix(document, title, tuple(columns.values()), rows)


def render_status(matrices: Sequence[Matrix], svg_paths: dict[str, str]) -> str:
    lines = [
        "# Status of tracked commitments",
        "",
        "Rows are commitments, columns the versions each was checked in (the newer snapshot of "
        "each pair). Legend: R retained · **W** weakened · S strengthened · **X** removed · "
        "L relocated to a companion document · ? unverifiable (the snapshot looked broken; "
        "nothing concluded) · – not checked (not yet stated, or already gone).",
        "",
    ]
    for m in matrices:
        lines += [f"## {text(m.title)} (`{m.document}`)", ""]
        if m.document in svg_paths:
            lines += [f"![Timeline of {text(m.title)}]({svg_paths[m.document]})", ""]
        if not m.columns:
            lines += ["Not checked yet: fewer than two good snapshots.", ""]
            continue
        header = " | ".join(f"{version_of(c)}<br>{c.date}" for c in m.columns)
        lines += [f"| Commitment | {header} |", "|---" * (len(m.columns) + 1) + "|"]
        for cid, title, cells in m.rows:
            row = " | ".join(CELL[c] if c is not None else "–" for c in cells)
            lines.append(f"| {text(title)} (`{cid}`) | {row} |")
        lines.append("")
    return "\n".join(lines)


def render_svg(m: Matrix) -> str:
    """A timeline: commitments as rows, versions as columns, cells coloured by outcome."""
    label_w, cell_w, cell_h, top = 330, 64, 22, 46
    width = label_w + cell_w * max(len(m.columns), 1) + 20
    height = top + cell_h * len(m.rows) + 56
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="18" font-size="14" font-weight="bold">{xml_escape(m.title)}</text>',
    ]
    for i, col in enumerate(m.columns):
        x = label_w + i * cell_w + cell_w / 2
        out.append(
            f'<text x="{x:.0f}" y="{top - 8}" text-anchor="middle">'
            f"{xml_escape(version_of(col))}</text>"
        )
    for r, (_, title, cells) in enumerate(m.rows):
        y = top + r * cell_h
        short = title if len(title) <= 48 else title[:47] + "…"
        out.append(f'<text x="8" y="{y + 15}">{xml_escape(short)}</text>')
        for i, cell in enumerate(cells):
            x = label_w + i * cell_w
            colour = COLOURS[cell] if cell is not None else "#eeeeee"
            label = str(cell) if cell is not None else "not checked"
            out.append(
                f'<rect x="{x + 2}" y="{y + 2}" width="{cell_w - 4}" height="{cell_h - 4}" '
                f'rx="3" fill="{colour}"><title>{xml_escape(title)}: {label}</title></rect>'
            )
            if cell is not None:  # the code too, for readers who cannot tell the colours apart
                out.append(
                    f'<text x="{x + cell_w / 2:.0f}" y="{y + 15}" text-anchor="middle" '
                    f'fill="#ffffff" font-weight="bold">{cell.code}</text>'
                )
    y = top + cell_h * len(m.rows) + 24
    x = 8
    for outcome, colour in COLOURS.items():
        out.append(f'<rect x="{x}" y="{y - 11}" width="12" height="12" rx="2" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{y}">{outcome}</text>')
        x += 30 + 7 * len(str(outcome))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_feed(filed: Sequence[Filed], *, base_url: str | None = None) -> str:
    """An Atom feed with one entry per change, stable ids, dated by the snapshot."""
    fg = FeedGenerator()
    fg.id("urn:commitment-tracker:policy-changes")
    fg.title("Policy changes found by commitment-tracker")
    fg.author({"name": "commitment-tracker"})
    fg.link(
        href=(base_url or "https://commitment-tracker.invalid/") + "policy-changes.md",
        rel="alternate",
    )
    fg.language("en")
    entries = sorted(
        ((r, f) for r in filed for f in changes(r.report.findings)),
        key=lambda rf: (rf[1].to.date, rf[0].path, sort_key(rf[1])),
    )
    newest = datetime(1970, 1, 1, tzinfo=UTC)
    for r, f in entries:
        day = datetime.fromisoformat(f.to.date).replace(tzinfo=UTC)
        newest = max(newest, day)
        entry = fg.add_entry(order="append")
        key = f.commitment or re.sub(
            r"\W+", "-", (f.evidence.after or f.evidence.before or "")[:60]
        )
        entry.id(f"urn:commitment-tracker:{f.document}:{key}:{f.to.id}")
        entry.title(re.sub(r"[*\\]", "", headline(f, _title(r))))
        entry.updated(day)
        entry.published(day)
        entry.link(
            href=(base_url or "https://commitment-tracker.invalid/") + r.path, rel="alternate"
        )
        summary = f"{f.outcome}; announcement: {f.announcement or 'n/a'}."
        if f.evidence.before:
            summary += f" Before: “{f.evidence.before}”"
        if f.evidence.after and f.outcome is not Outcome.REMOVED:
            summary += f" After: “{f.evidence.after}”"
        entry.summary(summary)
    fg.updated(newest)
    xml: bytes = fg.atom_str(pretty=True)
    return xml.decode("utf-8")
