"""Sequencing of the outputs: findings -> reports/ (per pair, markdown + JSON), then the
changelog, status matrix, timelines and feed from every report on disk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tracker import classify, report, textdiff
from tracker.models import DocumentRef, Finding, Outcome, Report, SnapshotRef, Verdict
from tracker.records import Records
from tracker.store import Store, atomic_write

REPORTS_DIR = "reports"
CHECKS_FILE = "checks.json"  # every finding of the last check of a document, retained ones too


def fingerprint(finding: Finding) -> str:
    """A finding's identity across runs: document, commitment (or sentence), pair, outcome."""
    subject = (
        finding.commitment
        or hashlib.sha256(
            (finding.evidence.after or finding.evidence.before or "").encode("utf-8")
        ).hexdigest()[:12]
    )
    return f"{finding.document}/{subject}/{finding.from_.id}/{finding.to.id}/{finding.outcome}"


def _write_if_changed(path: Path, data: str) -> bool:
    encoded = data.encode("utf-8")
    if path.exists() and path.read_bytes() == encoded:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, encoded)
    return True


def previous_findings(root: Path, document_ids: Sequence[str]) -> dict[str, Finding]:
    """The findings of the last check, by fingerprint (to tell which findings are new)."""
    out: dict[str, Finding] = {}
    for doc_id in document_ids:
        for finding in load_checks(root, doc_id):
            out[fingerprint(finding)] = finding
    return out


def load_checks(root: Path, document_id: str) -> list[Finding]:
    path = root / REPORTS_DIR / document_id / CHECKS_FILE
    if not path.is_file():
        return []
    return [Finding.model_validate(item) for item in json.loads(path.read_text("utf-8"))]


@dataclass(frozen=True, slots=True)
class Written:
    reports: tuple[Path, ...]  # the markdown reports written or rewritten
    unchanged: int  # reports (or, for a check, whole documents) left as they were


def write_reports(
    root: Path, records: Records, findings: Sequence[Finding], document_ids: Sequence[str]
) -> Written:
    """One report per snapshot pair with a change, and checks.json per document."""
    store = Store(root)
    written: list[Path] = []
    unchanged = 0
    for doc_id in document_ids:
        document = records.get(doc_id).document
        ref = DocumentRef(
            id=doc_id, company=document.company, title=document.title, url=document.url
        )
        mine = [f for f in findings if f.document == doc_id]
        folder = root / REPORTS_DIR / doc_id
        checks = json.dumps(
            [f.as_json() for f in mine], indent=2, sort_keys=True, ensure_ascii=False
        )
        _write_if_changed(folder / CHECKS_FILE, checks + "\n")
        pairs: dict[tuple[str, str], list[Finding]] = {}
        for f in mine:
            pairs.setdefault((f.from_.id, f.to.id), []).append(f)
        snapshots = {s.id: s for s in store.snapshots(doc_id)}
        for (from_id, to_id), group in sorted(pairs.items(), key=lambda kv: kv[0][1]):
            if not report.changes(group):
                continue
            before, after = snapshots[from_id].text(), snapshots[to_id].text()
            hunks = textdiff.document_diff(before, after)
            built = Report(
                document=ref,
                from_=group[0].from_,
                to=group[0].to,
                similarity=round(classify.document_similarity(before, after), 4),
                findings=sorted(group, key=lambda f: (f.commitment or "~", fingerprint(f))),
                sections=textdiff.section_changes(hunks),
                word_diff=" ".join(textdiff.word_diff(*_sides(h.ops)) for h in hunks if h.changed),
            )
            name = report.report_name(built)
            json_text = built.model_dump_json(by_alias=True, indent=2) + "\n"
            markdown = report.render_report(built, hunks)
            changed_json = _write_if_changed(folder / f"{name}.json", json_text)
            changed_md = _write_if_changed(folder / f"{name}.md", markdown)
            if changed_json or changed_md:
                written.append(folder / f"{name}.md")
            else:
                unchanged += 1
    return Written(tuple(written), unchanged)


def _sides(ops: Sequence[tuple[str, str]]) -> tuple[str, str]:
    before = " ".join(w for tag, w in ops if tag != "insert")
    after = " ".join(w for tag, w in ops if tag != "delete")
    return before, after


def load_reports(root: Path) -> list[report.Filed]:
    """Every report on disk (from every shard and run)."""
    base = root / REPORTS_DIR
    out = []
    for path in sorted(base.glob("*/*.json")):
        if path.name == CHECKS_FILE:
            continue
        built = Report.model_validate_json(path.read_text("utf-8"))
        out.append(report.Filed(built, f"{path.parent.name}/{path.stem}.md"))
    return out


def write_changelog(root: Path, records: Records, *, base_url: str | None = None) -> list[Path]:
    """reports/policy-changes.md, status.md, feed.xml and a timeline SVG per document."""
    base = root / REPORTS_DIR
    filed = load_reports(root)
    out = []
    matrices = []
    svgs: dict[str, str] = {}
    for doc_id in sorted(records.documents):
        findings = load_checks(root, doc_id)
        tracked = records.get(doc_id).record.commitments
        if not findings and not tracked:
            continue
        document = records.documents[doc_id]
        m = report.matrix(doc_id, f"{document.company} {document.title}", findings)
        matrices.append(m)
        if m.columns:
            svg_path = f"timelines/{doc_id}.svg"
            if _write_if_changed(base / svg_path, report.render_svg(m)):
                out.append(base / svg_path)
            svgs[doc_id] = svg_path
    for name, content in (
        ("policy-changes.md", report.render_changelog(filed)),
        ("status.md", report.render_status(matrices, svgs)),
        ("feed.xml", report.render_feed(filed, base_url=base_url)),
    ):
        if _write_if_changed(base / name, content):
            out.append(base / name)
    return out


FAIL_ON = ("silent", "weakened", "any")


def trips(finding: Finding, fail_on: str) -> bool:
    """Whether a finding trips `--fail-on`: silent (a removal, weakening or relocation the
    provider's account did not identify), weakened (any removal, weakening or relocation),
    any (every material change)."""
    if not finding.outcome.material:
        return False
    if fail_on == "any":
        return True
    loss = finding.outcome in (Outcome.WEAKENED, Outcome.REMOVED, Outcome.RELOCATED)
    if fail_on == "weakened":
        return loss
    return loss and finding.announcement in (
        Verdict.SILENT,
        Verdict.NO_ACCOUNT,
        Verdict.ACKNOWLEDGED_LATE,
    )


@dataclass(frozen=True, slots=True)
class CheckRun:
    findings: tuple[Finding, ...]
    new: tuple[Finding, ...]  # material findings not in the previous check
    written: Written
    # (document, commitment) never found in a snapshot since it was stated: a quote to fix,
    # or the commitment is silently not tracked at all
    unlocated: tuple[tuple[str, str], ...] = ()


def check_and_report(
    root: Path,
    records: Records,
    document_ids: Sequence[str] = (),
    *,
    write: bool = True,
    keep_all: bool = True,
    jobs: int = 1,
) -> CheckRun:
    """Check the documents one by one (in `jobs` processes), tell which findings are new since
    the last check, and write each document's reports as soon as it is checked. A document
    whose inputs did not change keeps its last findings. With `keep_all=False`, only material
    changes and moves are returned, so memory does not grow with the workspace."""
    ids = list(document_ids) or sorted(records.documents)
    results: dict[str, _DocResult] = {}
    fresh = []
    for doc_id in ids:
        key = input_key(root, records, doc_id)
        if write and _stored_key(root, doc_id) == key:
            # unchanged since the last check: its findings stand (read only when asked for)
            kept = tuple(load_checks(root, doc_id)) if keep_all else ()
            results[doc_id] = _DocResult(kept, (), (), cached=True)
        else:
            fresh.append((doc_id, key))
    if jobs > 1 and len(fresh) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # forkserver: workers start from a clean process, safe beside threads (servers, pools)
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {
                doc_id: pool.submit(_check_one, root, records, doc_id, key, write, keep_all)
                for doc_id, key in fresh
            }
            for doc_id, future in futures.items():
                results[doc_id] = future.result()
    else:
        for doc_id, key in fresh:
            results[doc_id] = _check_one(root, records, doc_id, key, write, keep_all)
    findings = tuple(f for d in ids for f in results[d].findings)
    new = tuple(f for d in ids for f in results[d].new)
    reports = tuple(p for d in ids for p in results[d].reports)
    unchanged = sum(1 for d in ids if results[d].cached)
    unlocated = tuple((d, c) for d in ids for c in results[d].unlocated)
    return CheckRun(findings, new, Written(reports, unchanged), unlocated)


@dataclass(frozen=True, slots=True)
class _DocResult:
    findings: tuple[Finding, ...]
    new: tuple[Finding, ...]
    reports: tuple[Path, ...]
    cached: bool = False
    unlocated: tuple[str, ...] = ()


def _kept(findings: Sequence[Finding], keep_all: bool) -> list[Finding]:
    return [f for f in findings if keep_all or f.outcome.material or f.moved]


def _check_one(
    root: Path, records: Records, doc_id: str, key: str, write: bool, keep_all: bool
) -> _DocResult:
    """One document: check it, write its reports and key (in a worker process or not)."""
    from tracker.pipeline.checking import check_documents

    before = previous_findings(root, [doc_id])
    findings = check_documents(root, records, [doc_id])
    new = tuple(f for f in findings if f.outcome.material and fingerprint(f) not in before)
    reports: tuple[Path, ...] = ()
    if write:
        reports = write_reports(root, records, findings, [doc_id]).reports
        _write_if_changed(root / REPORTS_DIR / doc_id / KEY_FILE, key + "\n")
    checked = {f.commitment for f in findings if f.commitment}
    from tracker.pipeline.checking import windows

    starts = {  # the older snapshots of the pairs checked
        w.before.meta.taken_at.date().isoformat()
        for w in windows(Store(root).snapshots(doc_id))
        if w.verifiable
    }
    unlocated = tuple(
        c.id
        for c in records.get(doc_id).record.commitments
        if c.id not in checked and any(day >= c.stated.isoformat() for day in starts)
    )
    return _DocResult(tuple(_kept(findings, keep_all)), new, reports, unlocated=unlocated)


KEY_FILE = "checks.key"  # what the last check of a document was computed from


def input_key(root: Path, records: Records, document_id: str) -> str:
    """A hash of everything a document's check depends on: its record, the snapshots of it,
    of its companions and of its account pages and feeds, the word lists and the engine's
    version. When it is unchanged, the last check's findings stand and nothing is recomputed."""
    from tracker import __version__
    from tracker.lexicon import LEXICON_PATH
    from tracker.models import FeedSource, PageSource
    from tracker.store import account_document_id

    document = records.get(document_id).record
    related = [document_id, *document.document.companions]
    for source in document.document.announcements:
        if isinstance(source, PageSource):
            related.append(source.document or account_document_id(source.url or ""))
        elif isinstance(source, FeedSource):
            related.append(account_document_id(source.url))
    digest = hashlib.sha256()
    digest.update(__version__.encode())
    digest.update(_engine_hash().encode())
    digest.update(LEXICON_PATH.read_bytes())
    digest.update(document.model_dump_json().encode())
    store = Store(root)
    for doc in related:
        digest.update(f"{doc}:{','.join(store.listing(doc))}\n".encode())
    return digest.hexdigest()


@cache
def _engine_hash() -> str:
    """The engine's own code: a change to a rule invalidates every cached check."""
    package = Path(__file__).parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stored_key(root: Path, document_id: str) -> str | None:
    path = root / REPORTS_DIR / document_id / KEY_FILE
    checks = root / REPORTS_DIR / document_id / CHECKS_FILE
    if not path.is_file() or not checks.is_file():
        return None
    return path.read_text("utf-8").strip()


# --- status and stats --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusRow:
    document: str
    commitment: str
    title: str
    outcome: str  # the latest outcome, or "not checked"
    since: str | None  # the date of the snapshot that decided it
    version: str | None
    announcement: str | None


def status(root: Path, records: Records, document_ids: Sequence[str] = ()) -> list[StatusRow]:
    """Each commitment's current state: the last outcome it was given (a removal stays)."""
    out = []
    for doc_id in list(document_ids) or sorted(records.documents):
        findings = load_checks(root, doc_id)
        latest: dict[str, Finding] = {}
        for f in sorted(findings, key=lambda f: (f.to.date, f.to.id)):
            if f.commitment is None:
                continue
            previous = latest.get(f.commitment)
            # a change stays the state until a later pair changes it again
            if (
                previous is None
                or f.outcome is not Outcome.RETAINED
                or not previous.outcome.material
            ):
                latest[f.commitment] = f
        for c in records.get(doc_id).record.commitments:
            last = latest.get(c.id)
            out.append(
                StatusRow(
                    doc_id,
                    c.id,
                    c.title,
                    str(last.outcome) if last else "not checked",
                    last.to.date if last else None,
                    last.to.version if last else None,
                    str(last.announcement) if last and last.announcement else None,
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class RevisionStats:
    document: str
    version: str | None
    date: str
    outcomes: dict[str, int]
    verdicts: dict[str, int]

    @property
    def material(self) -> int:
        return sum(self.outcomes.values())

    def srr(self, *, strict: bool) -> float | None:
        """Silent revision rate: the share of material changes the account did not identify
        (strict: a partial identification counts as silent; lenient: as announced)."""
        if not self.material:
            return None
        silent = sum(self.verdicts.get(v, 0) for v in ("silent", "no-account", "acknowledged-late"))
        if strict:
            silent += self.verdicts.get("partial", 0)
        return round(silent / self.material, 3)

    def as_dict(self) -> dict[str, object]:
        return {
            "document": self.document,
            "version": self.version,
            "date": self.date,
            "material_changes": self.material,
            "outcomes": self.outcomes,
            "announcements": self.verdicts,
            "srr_strict": self.srr(strict=True),
            "srr_lenient": self.srr(strict=False),
        }


def stats(root: Path, records: Records, document_ids: Sequence[str] = ()) -> list[RevisionStats]:
    """Per revision of each document, and pooled (document "*"): material changes by outcome
    and by announcement verdict."""
    rows = []
    pooled_o: dict[str, int] = {}
    pooled_v: dict[str, int] = {}
    for doc_id in list(document_ids) or sorted(records.documents):
        per: dict[str, tuple[SnapshotRef, dict[str, int], dict[str, int]]] = {}
        for f in load_checks(root, doc_id):
            if not f.outcome.material:
                continue
            _, outcomes, verdicts = per.setdefault(f.to.id, (f.to, {}, {}))
            outcomes[str(f.outcome)] = outcomes.get(str(f.outcome), 0) + 1
            verdict = str(f.announcement) if f.announcement else "none"
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
            pooled_o[str(f.outcome)] = pooled_o.get(str(f.outcome), 0) + 1
            pooled_v[verdict] = pooled_v.get(verdict, 0) + 1
        for ref, outcomes, verdicts in sorted(per.values(), key=lambda v: (v[0].date, v[0].id)):
            rows.append(RevisionStats(doc_id, ref.version, ref.date, outcomes, verdicts))
    rows.append(RevisionStats("*", None, "", pooled_o, pooled_v))
    return rows
