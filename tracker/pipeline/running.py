"""The scheduled job: fetch every document, check, write reports and the changelog."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.fetch import Fetcher
from tracker.pipeline.fetching import FetchOutcome, fetch_documents, needing_attention
from tracker.pipeline.reporting import CheckRun, check_and_report, write_changelog
from tracker.records import Records


@dataclass(frozen=True, slots=True)
class RunResult:
    fetches: tuple[FetchOutcome, ...]
    check: CheckRun
    changelog: tuple[Path, ...]
    attention: tuple[tuple[str, int, str | None], ...]


def run(
    root: Path,
    records: Records,
    document_ids: Sequence[str] = (),
    *,
    fetcher: Fetcher,
    progress: Callable[[str, int, int], None] = lambda doc, i, n: None,
    base_url: str | None = None,
    jobs: int = 1,
) -> RunResult:
    ids = list(document_ids) or sorted(records.documents)
    fetches: list[FetchOutcome] = []
    for i, doc_id in enumerate(ids):
        progress(doc_id, i, len(ids))
        fetches.extend(fetch_documents(root, records, [doc_id], fetcher=fetcher))
    progress("check", len(ids), len(ids))
    checked = check_and_report(root, records, ids, keep_all=False, jobs=jobs)
    changelog = write_changelog(root, records, base_url=base_url)
    return RunResult(
        tuple(fetches), checked, tuple(changelog), tuple(needing_attention(root, records))
    )
