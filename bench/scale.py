"""The check at scale: a synthetic workspace of many documents and versions with planted edits.

Prints wall time, peak memory, a per-stage breakdown, commitment-pairs per second, accuracy on
the planted edits, the ratio to a naive difflib baseline and to `git log -p --word-diff`, and
the time of incremental re-runs (nothing changed; one document changed).

    python bench/scale.py                                 # 200 documents x 20 versions
    python bench/scale.py --documents 20 --versions 10    # a quicker look
"""

from __future__ import annotations

import argparse
import cProfile
import difflib
import json
import multiprocessing
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tracker import pipeline
from tracker.models import Outcome

WORDS = (
    "model",
    "evaluation",
    "capability",
    "safeguard",
    "deployment",
    "training",
    "system",
    "risk",
    "threshold",
    "policy",
    "security",
    "access",
    "testing",
    "review",
    "board",
    "report",
    "incident",
    "response",
    "monitoring",
    "weights",
    "data",
    "compute",
    "research",
    "external",
    "internal",
    "process",
    "standard",
    "level",
    "domain",
    "assessment",
    "mitigation",
    "governance",
    "disclosure",
    "partner",
    "government",
    "institute",
    "procedure",
    "control",
    "audit",
    "team",
    "staff",
)
VERBS = (
    "publish",
    "review",
    "assess",
    "notify",
    "restrict",
    "document",
    "evaluate",
    "monitor",
    "share",
    "audit",
)


def sentence(rng: random.Random, words: int) -> str:
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return body[0].upper() + body[1:] + "."


@dataclass
class Doc:
    id: str
    sections: list[list[list[str]]]  # sections -> paragraphs -> sentences
    commitments: dict[str, str] = field(default_factory=dict)  # id -> sentence

    def text(self, version: int, rng: random.Random) -> str:
        out = [f"# Policy {self.id}", "", f"Version {version}.0", ""]
        for index, paragraphs in enumerate(self.sections):
            out += [f"## {index + 1}. Section {index + 1}", ""]
            for para in paragraphs:
                words = " ".join(para).split()
                lines, line = [], []
                width = rng.choice((70, 90, 110))  # reflow: line breaks move between versions
                for word in words:
                    line.append(word)
                    if len(" ".join(line)) > width:
                        lines.append(" ".join(line))
                        line = []
                lines.append(" ".join(line))
                out += [*lines, ""]
        return "\n".join(out)


def make_doc(rng: random.Random, index: int, chars: int, commitments: int) -> Doc:
    doc = Doc(f"doc-{index:04d}", [])
    paragraphs = max(chars // 700, commitments + 2)
    for _ in range(max(paragraphs // 8, 2)):
        doc.sections.append([])
    for p in range(paragraphs):
        doc.sections[p % len(doc.sections)].append(
            [sentence(rng, rng.randint(12, 22)) for _ in range(5)]
        )
    flat = [para for section in doc.sections for para in section]
    for c in range(commitments):
        cid = f"c{c:03d}"
        text = (
            f"We will {rng.choice(VERBS)} every {rng.choice(WORDS)} {rng.choice(WORDS)} "
            f"report within {rng.randint(2, 90)} days of each {rng.choice(WORDS)} {cid}."
        )
        flat[c % len(flat)].insert(rng.randint(0, 4), text)
        doc.commitments[cid] = text
    return doc


def evolve(doc: Doc, rng: random.Random, truth: dict[tuple[str, int, str], str], v: int) -> None:
    """Edit a document for version v, recording the planted outcome of each edit."""
    flat = [para for section in doc.sections for para in section]
    for para in rng.sample(flat, max(1, len(flat) // 30)):  # rewordings of plain prose
        i = rng.randrange(len(para))
        if para[i] not in doc.commitments.values():
            para[i] = sentence(rng, rng.randint(12, 22))
    if rng.random() < 0.3 and len(doc.sections) > 1:  # a paragraph moves to another section
        src, dst = rng.sample(range(len(doc.sections)), 2)
        if doc.sections[src]:
            doc.sections[dst].append(doc.sections[src].pop(0))
    alive = [c for c, t in doc.commitments.items() if t]
    if alive and rng.random() < 0.4:  # a removal
        cid = rng.choice(alive)
        for para in flat:
            if doc.commitments[cid] in para:
                para.remove(doc.commitments[cid])
        doc.commitments[cid] = ""
        truth[(doc.id, v, cid)] = "removed"
        alive.remove(cid)
    strong = [c for c in alive if doc.commitments[c].startswith("We will")]
    if strong and rng.random() < 0.4:  # a weakening: will -> may
        cid = rng.choice(strong)
        old = doc.commitments[cid]
        new = old.replace("We will", "We may", 1)
        for para in flat:
            if old in para:
                para[para.index(old)] = new
        doc.commitments[cid] = new
        truth[(doc.id, v, cid)] = "weakened"


def build(root: Path, args: argparse.Namespace) -> tuple[dict[tuple[str, int, str], str], Path]:
    rng = random.Random(args.seed)
    truth: dict[tuple[str, int, str], str] = {}
    versions = root / "versions"
    docs = [make_doc(rng, i, args.chars, args.commitments) for i in range(args.documents)]
    for doc in docs:
        folder = root / "commitments" / "synthetic"
        folder.mkdir(parents=True, exist_ok=True)
        items = [
            f"  - id: {cid}\n    title: Commitment {cid}\n    quote: {json.dumps(text)}\n"
            "    stated: 2020-01-01\n"
            for cid, text in doc.commitments.items()
        ]
        (folder / f"{doc.id}.yaml").write_text(
            f"schema_version: 1\ndocument:\n  id: {doc.id}\n  company: Synthetic\n"
            f"  title: Policy {doc.id}\n  url: https://example.invalid/{doc.id}\n"
            "commitments:\n" + "".join(items)
        )
    for v in range(args.versions):
        for doc in docs:
            if v:
                evolve(doc, rng, truth, v)
            path = versions / doc.id / f"v{v:02d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(doc.text(v, rng))
    records = pipeline.load(root, today=date(2026, 1, 1))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for doc in docs:
        for v in range(args.versions):
            pipeline.import_file(
                root, records, doc.id, versions / doc.id / f"v{v:02d}.md",
                taken_at=start + timedelta(days=7 * v), version=f"{v}.0",
            )  # fmt: skip
    return truth, versions


def _check_in_child(root: str, jobs: int, queue: multiprocessing.Queue[tuple[float, int]]) -> None:
    records = pipeline.load(Path(root), today=date(2026, 1, 1))
    started = time.perf_counter()
    pipeline.check_and_report(Path(root), records, keep_all=False, jobs=jobs)
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,  # the largest worker
    )
    queue.put((time.perf_counter() - started, peak))


def naive_locate(quote: str, text: str) -> float:
    """The obvious way: slide a quote-sized window over the text with difflib."""
    best, size = 0.0, len(quote)
    for start in range(0, max(1, len(text) - size), max(1, size // 4)):
        ratio = difflib.SequenceMatcher(None, quote, text[start : start + size]).ratio()
        best = max(best, ratio)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--chars", type=int, default=60_000, help="characters per version")
    parser.add_argument("--commitments", type=int, default=25, help="per document")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the check")
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp()) if args.keep is None else args.keep
    root = tmp / "ws"
    try:
        t0 = time.perf_counter()
        truth, versions = build(root, args)
        print(f"workspace: {args.documents} documents x {args.versions} versions of "
              f"~{args.chars} characters, {args.documents * args.commitments} commitments "
              f"(built and imported in {time.perf_counter() - t0:.1f} s)")  # fmt: skip

        queue: multiprocessing.Queue[tuple[float, int]] = multiprocessing.Queue()
        child = multiprocessing.Process(target=_check_in_child, args=(str(root), args.jobs, queue))
        child.start()
        wall, peak_kb = queue.get()
        child.join()
        records = pipeline.load(root, today=date(2026, 1, 1))
        pairs = args.documents * (args.versions - 1) * args.commitments
        print(f"full check ({args.jobs} processes): {wall:.1f} s wall, peak memory of one "
              f"process {peak_kb / 1024:.0f} MB, "
              f"{pairs / wall:,.0f} commitment-pairs per second")  # fmt: skip

        findings = []
        for doc_id in sorted(records.documents):
            findings += pipeline.load_checks(root, doc_id)
        got = {
            (f.document, int(float(f.to.version or 0)), f.commitment): str(f.outcome)
            for f in findings
            if f.commitment and f.outcome is not Outcome.RETAINED
        }
        hit = sum(1 for k, v in truth.items() if got.get(k) == v)
        false = sum(1 for k in got if k not in truth)
        print(f"accuracy on planted edits: {hit}/{len(truth)} found with the right outcome; "
              f"{false} change(s) reported where none was planted")  # fmt: skip

        # per-stage breakdown on one document, under the profiler
        shutil.rmtree(root / "reports" / "doc-0000", ignore_errors=True)
        profile = cProfile.Profile()
        profile.enable()
        pipeline.check_and_report(root, records, ["doc-0000"])
        profile.disable()
        stats = pstats.Stats(profile)
        stages = {
            "normalize": "for_matching", "locate": "locate", "classify": "classify",
            "untracked": "_untracked", "announce": "_announce", "report": "write_reports",
        }  # fmt: skip
        total = sum(v[3] for k, v in stats.stats.items() if k[2] == "check_and_report")  # type: ignore[attr-defined]
        parts = []
        for label, name in stages.items():
            cum = sum(v[3] for k, v in stats.stats.items() if k[2] == name)  # type: ignore[attr-defined]
            parts.append(f"{label} {cum / total:.0%}")
        print("stages (share of one document's check, overlapping): " + ", ".join(parts))

        # naive baseline on one document
        doc_id = "doc-0000"
        texts = sorted((versions / doc_id).glob("*.md"))
        quotes = [c.quote for c in records.get(doc_id).record.commitments]
        started = time.perf_counter()
        for path in texts[1:4]:
            text = path.read_text()
            for quote in quotes:
                naive_locate(quote, text)
        naive_rate = 3 * len(quotes) / (time.perf_counter() - started)
        print(f"naive difflib baseline: {naive_rate:,.1f} commitment-pairs per second; "
              f"ours {pairs / wall:,.0f}: {pairs / wall / naive_rate:,.0f}x faster")  # fmt: skip

        # git floor
        repo = tmp / "git"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        for v in range(args.versions):
            for doc_dir in sorted(versions.iterdir()):
                shutil.copy(doc_dir / f"v{v:02d}.md", repo / f"{doc_dir.name}.md")
            subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
            subprocess.run(
                ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@b",
                 "commit", "-qm", f"v{v}"], check=True,
            )  # fmt: skip
        started = time.perf_counter()
        subprocess.run(["git", "-C", str(repo), "log", "-p", "--word-diff"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        git = time.perf_counter() - started
        print(f"git log -p --word-diff: {git:.1f} s; our full check / git: {wall / git:.1f}x")

        # incremental runs
        started = time.perf_counter()
        pipeline.check_and_report(root, records, keep_all=False, jobs=args.jobs)
        same = time.perf_counter() - started
        print(f"re-run, nothing changed: {same:.2f} s ({same / wall:.1%} of the full check)")
        last = sorted((versions / doc_id).glob("*.md"))[-1]
        changed = last.read_text().replace("We will", "We might", 1)
        bump = tmp / "next.md"
        bump.write_text(changed)
        pipeline.import_file(root, records, doc_id, bump,
                             taken_at=datetime(2030, 1, 1, tzinfo=UTC), version="99.0")  # fmt: skip
        started = time.perf_counter()
        pipeline.check_and_report(root, records, keep_all=False, jobs=args.jobs)
        one = time.perf_counter() - started
        print(
            f"re-run, one document changed: {one:.2f} s ({one / wall:.1%} of the full check; "
            f"one document's share is {1 / args.documents:.1%})"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
