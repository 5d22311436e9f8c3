"""The demo: replay the bundled fictional company's site history on a local server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from tracker.fetch import Fetcher
from tracker.models import Document
from tracker.pipeline.fetching import FetchOutcome, fetch_documents
from tracker.pipeline.reporting import CheckRun, check_and_report, write_changelog
from tracker.pipeline.workspace import load


@dataclass(frozen=True, slots=True)
class DemoRun:
    fetches: tuple[tuple[date, FetchOutcome], ...]
    check: CheckRun
    changelog: tuple[Path, ...]
    documents: dict[str, Document]


def demo(workspace: Path, *, progress: Callable[[str], None]) -> DemoRun:
    """Build a workspace from the bundled fictional corpus, serve its site history on a local
    HTTP server, fetch it day by day as the scheduled job would have, then check it and write
    the reports and the changelog."""
    from tracker.demo import build
    from tracker.demo.server import PLACEHOLDER, DemoSite

    if (workspace / "snapshots").exists():
        raise DemoExists(f"{workspace} already holds snapshots; pick an empty folder or remove it")
    results: list[tuple[date, FetchOutcome]] = []
    with DemoSite() as site:
        target = workspace / "commitments"
        for source in sorted((build.CORPUS / "commitments").rglob("*.yaml")):
            dest = target / source.relative_to(build.CORPUS / "commitments")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(
                source.read_text("utf-8").replace(PLACEHOLDER, site.url), encoding="utf-8"
            )
        loaded = load(workspace, today=date.today())
        for day in build.state_dates():
            site.day = day
            noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            fetcher = Fetcher(min_interval=0.0, backoff=0.0, now=_fixed(noon))
            served = build.site_on(day)
            published = [
                doc.id
                for doc in loaded.documents.values()
                if doc.url.removeprefix(site.url) in served
            ]
            try:
                for outcome in fetch_documents(workspace, loaded, published, fetcher=fetcher):
                    results.append((day, outcome))
                    progress(f"{day} {outcome.document}: {outcome.status}: {outcome.message}")
            finally:
                fetcher.close()
    progress("checking every commitment against every pair of snapshots")
    checked = check_and_report(workspace, loaded)
    changelog = write_changelog(workspace, loaded)
    return DemoRun(tuple(results), checked, tuple(changelog), dict(loaded.documents))


def _fixed(when: datetime) -> Callable[[], datetime]:
    return lambda: when


class DemoExists(Exception):
    """The demo would write into a workspace that already has snapshots."""
