"""Measure the engine against the Silent Revision study's human-adjudicated coding.

Reads a corpus in the study's layout (corpus/manifest.csv, corpus/pairs.csv,
corpus/documents/*.txt, corpus/changelogs/*.md, coding/tracing_FINAL.csv), builds one workspace
per traced version pair (one record per traced row that has a v_i passage, both versions
imported with their dates, the provider's revision account imported as a changelog page),
runs the real check, and prints per pair and pooled: the confusion matrix of our outcome against
the adjudicated one, Cohen's kappa, recall on X and W, false `removed` on R rows, the count of
material changes against the paper's, and the announcement agreement and silent revision rate.

    python bench/silent_revision.py --corpus ../shared/corpus [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from tracker import pipeline
from tracker.models import Finding, Flag, Outcome
from tracker.textnorm import for_matching

OUTCOME_CODE = {
    "retained": "R",
    "weakened": "W",
    "strengthened": "S",
    "removed": "X",
    "relocated": "L",
    "added": "A",
    "unverifiable": "-",
}
ANNOUNCEMENT_CODE = {
    "announced": "ANN",
    "partial": "ANN-P",
    "silent": "SIL",
    "no-account": "NCL",
    "acknowledged-late": "SIL",  # late is silent for the revision in which the text changed
}
CODES = ["R", "W", "S", "X", "L", "A"]
COLUMNS = ["R", "W", "S", "X", "X?", "L", "-", "?"]


@dataclass
class PairResult:
    pair: str
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, truth, ours, dims
    announcements: list[tuple[str, str]] = field(default_factory=list)  # truth, ours
    explained: list[str] = field(default_factory=list)  # disagreements, with the account text
    paper_material: int = 0
    ours_material: int = 0
    untracked_added: int = 0
    untracked_removed: int = 0
    seconds: float = 0.0


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _manifest_row(corpus: Path, provider: str, version: str) -> dict[str, str]:
    """The manifest row of a provider's main document at a version."""
    with (corpus / "corpus" / "manifest.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (
                row["provider"] == provider
                and row["version"] == version
                and row["is_companion"] == "no"
            ):
                return row
    raise SystemExit(f"manifest.csv: no main document {provider} {version}")


def _doc_file(corpus: Path, provider: str, version: str) -> tuple[Path, date]:
    row = _manifest_row(corpus, provider, version)
    return corpus / "corpus" / row["txt_filename"], date.fromisoformat(row["publication_date"])


def _account_file(corpus: Path, provider: str, version: str) -> Path | None:
    name = _manifest_row(corpus, provider, version)["revision_account_filename"]
    path = corpus / "corpus" / name
    return path if name and path.is_file() else None


def official_text(account: Path) -> str:
    """The provider's own words in a revision-account file: the fenced blocks, except those of
    sections the study marks as not an official account (a staff member's personal post)."""
    out: list[str] = []
    block: list[str] | None = None
    official = True
    for line in account.read_text("utf-8").splitlines():
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                if official:
                    out.append("\n".join(block))
                block = None
        elif block is not None:
            block.append(line)
        elif line.startswith("## "):
            official = "not an official" not in line.lower()
    return "\n\n".join(out)


def _quote(text: str) -> str:
    return json.dumps(" ".join(text.split()), ensure_ascii=False)


def build_workspace(
    root: Path, provider: str, rows: list[dict[str, str]], v_i: str, v_i_date: date
) -> dict[str, str]:
    """Write the records: the document (with its account page) and one commitment per row."""
    doc_id = _slug(f"{provider} framework")
    lines = [
        "schema_version: 1",
        "document:",
        f"  id: {doc_id}",
        f"  company: {provider}",
        "  title: Framework",
        "  url: https://example.invalid/framework",
        "  announcements:",
        "    - kind: changelog-section",
        "      heading: '(?i)change ?log|version history'",
        "    - kind: page",
        f"      document: {doc_id}-account",
        "commitments:",
    ]
    ids: dict[str, str] = {}
    for row in rows:
        if not row["v_i_text"].strip():
            continue
        cid = _slug(row["commitment_id"])
        ids[cid] = row["commitment_id"]
        lines += [
            f"  - id: {cid}",
            f"    title: {_quote(row['v_i_text'][:80])}",
            f"    quote: {_quote(row['v_i_text'])}",
            f"    stated: {v_i_date.isoformat()}",
        ]
    folder = root / "commitments" / _slug(provider)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "framework.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "account.yaml").write_text(
        "\n".join(
            [
                "schema_version: 1",
                "document:",
                f"  id: {doc_id}-account",
                f"  company: {provider}",
                "  title: Revision accounts",
                "  url: https://example.invalid/framework-updates",
                "commitments: []",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return ids


def run_pair(corpus: Path, pair: dict[str, str], rows: list[dict[str, str]]) -> PairResult:
    provider, v_i, v_next = pair["provider"], pair["v_i"], pair["v_next"]
    result = PairResult(
        pair=rows[0]["pair_id"], paper_material=int(pair["n_material_changes"] or 0)
    )
    old_file, old_date = _doc_file(corpus, provider, v_i)
    new_file, new_date = _doc_file(corpus, provider, v_next)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ids = build_workspace(root, provider, rows, v_i, old_date)
        records = pipeline.load(root, today=date.today())
        doc_id = _slug(f"{provider} framework")
        for path, day, version in ((old_file, old_date, v_i), (new_file, new_date, v_next)):
            pipeline.import_file(
                root,
                records,
                doc_id,
                path,
                taken_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
                version=version,
            )
        # the accounts of both versions, so that what the account page gained is the new one;
        # the provider's words only: the fenced blocks (the rest is the study's notes)
        for version, day in ((v_i, old_date), (v_next, new_date)):
            account = _account_file(corpus, provider, version)
            if account is None:
                continue
            provider_text = root / f"account-{version}.md"
            provider_text.write_text(official_text(account) or " ")
            pipeline.import_file(
                root,
                records,
                f"{doc_id}-account",
                provider_text,
                taken_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
            )
        started = time.perf_counter()
        findings = pipeline.check_documents(root, records, [doc_id])
        result.seconds = time.perf_counter() - started
    ours = {f.commitment: f for f in findings if f.commitment is not None}
    for cid, row_id in sorted(ids.items()):
        row = next(r for r in rows if r["commitment_id"] == row_id)
        finding = ours.get(cid)
        code = _code(finding) if finding else "?"
        dims = ",".join(finding.dimensions) if finding else ""
        result.rows.append((row_id, row["ADJ_outcome"], code, dims))
        if row["ADJ_material"] == "yes" and finding and finding.announcement:
            ours_code = ANNOUNCEMENT_CODE[str(finding.announcement)]
            result.announcements.append((row["ADJ_announcement"], ours_code))
            if ours_code != row["ADJ_announcement"]:
                matched = finding.evidence.account[0] if finding.evidence.account else None
                result.explained.append(
                    f"   {row_id}: truth {row['ADJ_announcement']} ours {ours_code}"
                    + (f" <- {matched.sentence[:160]!r} {matched.terms}" if matched else "")
                )
    added = [f for f in findings if f.commitment is None and f.outcome is Outcome.ADDED]
    result.untracked_added = len(added)
    result.untracked_removed = sum(
        1 for f in findings if f.commitment is None and f.outcome is Outcome.REMOVED
    )
    # A rows (new commitments in v_next): found when one of our untracked additions lies
    # inside the passage the study quotes
    for row in rows:
        if row["ADJ_outcome"] != "A":
            continue
        target = for_matching(row["v_next_text"])
        hit = any(
            fuzz.partial_ratio(for_matching(f.evidence.after or ""), target) >= 90 for f in added
        )
        result.rows.append((row["commitment_id"], "A", "A" if hit else "?", ""))
    result.ours_material = sum(1 for f in findings if f.outcome.material)
    return result


def _code(finding: Finding) -> str:
    """Our outcome as the study's code; a removal in a rewritten document is a lead to review
    (X?), not a claim."""
    code = OUTCOME_CODE[str(finding.outcome)]
    if finding.outcome is Outcome.REMOVED and Flag.REWRITTEN in finding.flags:
        return "X?"
    return code


def kappa(pairs: list[tuple[str, str]]) -> float:
    n = len(pairs)
    if not n:
        return float("nan")
    observed = sum(1 for a, b in pairs if a == b) / n
    truth, ours = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(truth[c] * ours[c] for c in set(truth) | set(ours)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def summarize(
    name: str, rows: list[tuple[str, str, str, str]], announcements: list[tuple[str, str]]
) -> dict[str, Any]:
    additions = [(t, o) for _, t, o, _ in rows if t == "A"]
    scored = [(t, "X" if o == "X?" else o) for _, t, o, _ in rows if t != "A"]
    claimed = [(t, o) for _, t, o, _ in rows if t != "A"]
    matrix = {t: {o: 0 for o in COLUMNS} for t in CODES[:-1]}
    for t, o in claimed:
        matrix[t][o] = matrix[t].get(o, 0) + 1

    def recall(code: str) -> float | None:
        total = sum(1 for t, _ in scored if t == code)
        return round(sum(1 for t, o in scored if t == o == code) / total, 3) if total else None

    def flagged(code: str) -> float | None:
        total = sum(1 for t, _ in scored if t == code)
        hit = sum(1 for t, o in scored if t == code and o not in ("R", "?", "-"))
        return round(hit / total, 3) if total else None

    strict_sil = sum(1 for _, o in announcements if o in ("SIL", "ANN-P"))
    lenient_sil = sum(1 for _, o in announcements if o == "SIL")
    return {
        "name": name,
        "rows": len(scored),
        "agreement": round(sum(1 for t, o in scored if t == o) / len(scored), 3)
        if scored
        else None,
        "kappa": round(kappa(scored), 3),
        "recall_X": recall("X"),
        "recall_W": recall("W"),
        "flagged_X": flagged("X"),
        "flagged_W": flagged("W"),
        "false_removed_on_R": sum(1 for t, o in claimed if t == "R" and o == "X"),
        "review_leads_on_R": sum(1 for t, o in claimed if t == "R" and o == "X?"),
        "recall_A": (
            round(sum(1 for _, o in additions if o == "A") / len(additions), 3)
            if additions
            else None
        ),
        "confusion": matrix,
        "announcement_agreement": (
            round(sum(1 for t, o in announcements if t == o) / len(announcements), 3)
            if announcements
            else None
        ),
        "announcement_kappa": round(kappa(announcements), 3) if announcements else None,
        "announcement_confusion": dict(Counter(announcements)),
        "srr_strict": round(strict_sil / len(announcements), 3) if announcements else None,
        "srr_lenient": round(lenient_sil / len(announcements), 3) if announcements else None,
    }


def _print_summary(summary: dict[str, Any], extra: str = "") -> None:
    print(f"\n== {summary['name']} {extra}")
    print(
        f"rows {summary['rows']}  agreement {summary['agreement']}  kappa {summary['kappa']}  "
        f"recall X {summary['recall_X']} W {summary['recall_W']}  "
        f"(flagged as a change: X {summary['flagged_X']} W {summary['flagged_W']})  "
        f"false removed on R: {summary['false_removed_on_R']} "
        f"(review leads on R: {summary['review_leads_on_R']})  recall A {summary['recall_A']}"
    )
    cols = COLUMNS
    print("truth\\ours " + " ".join(f"{c:>4}" for c in cols))
    for t, counts in summary["confusion"].items():
        print(f"{t:>10} " + " ".join(f"{counts.get(c, 0):>4}" for c in cols))
    if summary.get("announcement_confusion"):
        print(
            "announcement truth\\ours: "
            + "  ".join(
                f"{t}->{o}: {n}" for (t, o), n in sorted(summary["announcement_confusion"].items())
            )
        )
    if summary["announcement_agreement"] is not None:
        print(
            f"announcement agreement {summary['announcement_agreement']} "
            f"kappa {summary['announcement_kappa']}  "
            f"our SRR strict {summary['srr_strict']} lenient {summary['srr_lenient']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder in the study's layout")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--rows", action="store_true", help="list every disagreeing row")
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    with (corpus / "corpus" / "pairs.csv").open(encoding="utf-8") as handle:
        pairs = [p for p in csv.DictReader(handle) if p["traced"] == "yes"]
    with (corpus / "coding" / "tracing_FINAL.csv").open(encoding="utf-8") as handle:
        tracing = list(csv.DictReader(handle))
    results = []
    for pair in pairs:
        rows = [
            r
            for r in tracing
            if r["provider"] == pair["provider"]
            and r["v_i"] == pair["v_i"]
            and r["v_next"] == pair["v_next"]
        ]
        if not rows:
            continue
        results.append(run_pair(corpus, pair, rows))
    summaries = [summarize(r.pair, r.rows, r.announcements) for r in results]
    pooled = summarize(
        "pooled",
        [row for r in results for row in r.rows],
        [a for r in results for a in r.announcements],
    )
    if args.json:
        print(json.dumps({"pairs": summaries, "pooled": pooled}, indent=2))
        return 0
    for result, summary in zip(results, summaries, strict=True):
        _print_summary(
            summary,
            f"({result.seconds:.1f} s; material changes: ours {result.ours_material}, "
            f"paper {result.paper_material}; untracked added {result.untracked_added}, "
            f"removed {result.untracked_removed})",
        )
        if args.rows:
            for row_id, truth, ours, dims in result.rows:
                if truth != ours and truth != "A":
                    print(f"   {row_id}: truth {truth} ours {ours} {dims}")
            print("\n".join(result.explained))
    _print_summary(pooled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
