"""The command group, its shared options and helpers: the only place that knows exit codes."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from tracker import __version__, pipeline
from tracker.fetch import Fetcher
from tracker.models import Finding
from tracker.records import Records, RecordsInvalid

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FAIL_ON = 3


class Context:
    def __init__(self, root: Path) -> None:
        self.root = root


def _today() -> date:
    return date.today()


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


def _parse_shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    match = re.fullmatch(r"(\d+)/(\d+)", value)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise click.BadParameter(f"{value!r}: expected I/N with 1 <= I <= N, e.g. 2/4")
    return int(match.group(1)), int(match.group(2))


SHARD_OPTION = click.option(
    "--shard",
    callback=_parse_shard,
    metavar="I/N",
    help="Only the documents of shard I of N (a stable hash of the id): one CI job per shard.",
)


def _fetcher_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--timeout",
                type=float,
                default=30.0,
                show_default=True,
                help="Read timeout in seconds.",
            ),
            click.option(
                "--retries",
                type=int,
                default=3,
                show_default=True,
                help="Retries on errors, 429 and 5xx.",
            ),
            click.option(
                "--min-interval",
                type=float,
                default=1.0,
                show_default=True,
                help="Seconds between two requests to the same host.",
            ),
            click.option(
                "--max-bytes",
                type=int,
                default=50 * 1024 * 1024,
                show_default=True,
                help="Largest response body accepted (after decompression).",
            ),
            click.option(
                "--ignore-robots", is_flag=True, help="Do not consult robots.txt (not advised)."
            ),
        ]
    ):
        func = option(func)
    return func


def _fetcher(
    timeout: float, retries: int, min_interval: float, max_bytes: int, ignore_robots: bool
) -> Fetcher:
    return Fetcher(
        timeout=(10.0, timeout),
        retries=retries,
        min_interval=min_interval,
        max_bytes=max_bytes,
        respect_robots=not ignore_robots,
    )


@click.group(
    epilog="Example:\n\n    tracker --root my-workspace validate",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="TRACKER_ROOT",
    default=".",
    show_default=True,
    help="Workspace folder holding commitments/, snapshots/ and reports/ (env TRACKER_ROOT).",
)
@click.version_option(__version__, prog_name="tracker")
@click.pass_context
def cli(ctx: click.Context, root: Path, verbose: bool) -> None:
    """Track public commitments across versions of the documents that state them.

    Records of commitments live in commitments/; snapshots of the documents in
    snapshots/; change reports in reports/.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    ctx.obj = Context(root)


def _parse_when(value: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 date-time (naive means UTC)."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not a date (2024-10-15) or an ISO 8601 date-time (2024-10-15T09:30:00Z)"
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _load(obj: Context) -> Records:
    try:
        return pipeline.load(obj.root, today=_today())
    except RecordsInvalid as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(
            f"{len(exc.errors)} error(s) in records; fix them (`tracker validate`) and retry"
        ) from exc


def _check_ids(records: Records, ids: tuple[str, ...]) -> None:
    unknown = [i for i in ids if i not in records.documents]
    if unknown:
        known = ", ".join(sorted(records.documents)) or "none"
        raise click.UsageError(f"unknown document(s) {', '.join(unknown)}; known: {known}")


def _selected(
    records: Records, document_ids: tuple[str, ...], shard: tuple[int, int] | None
) -> tuple[str, ...]:
    """The documents to work on; an empty shard is a clean no-op, not "every document"."""
    if shard is None:
        return document_ids
    chosen = tuple(pipeline.select(records, document_ids, shard))
    if not chosen:
        click.echo(f"shard {shard[0]}/{shard[1]} holds no document; nothing to do", err=True)
        sys.exit(0)
    return chosen


def _report_outcomes(outcomes: list[pipeline.FetchOutcome], as_json: bool) -> None:
    if as_json:
        _echo_json([o.as_dict() for o in outcomes])
        return
    for outcome in outcomes:
        click.echo(f"{outcome.document}: {outcome.status}: {outcome.message}")


JOBS_OPTION = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=lambda: min(os.cpu_count() or 1, 4),
    show_default="the number of cores, at most 4",
    help="Documents checked in parallel (the output does not depend on it).",
)

FAIL_ON_OPTION = click.option(
    "--fail-on",
    type=click.Choice(pipeline.FAIL_ON),
    help="Exit 3 when a new finding is: silent (an unannounced removal, weakening or "
    "relocation), weakened (any of those), any (every material change).",
)


def _print_findings(findings: Sequence[Finding]) -> None:
    for f in findings:
        if not f.outcome.material and not f.moved:
            continue
        dims = f" [{', '.join(f.dimensions)}]" if f.dimensions else ""
        moved = " (moved)" if f.moved else ""
        verdict = f" {f.announcement}" if f.announcement else ""
        flags = f" ({', '.join(f.flags)})" if f.flags else ""
        what = f.commitment or f"untracked: {(f.evidence.after or f.evidence.before or '')[:70]}"
        click.echo(
            f"{f.document} {f.to.version or f.to.date}: {what}: "
            f"{f.outcome}{moved}{dims}{verdict}{flags}"
        )


def _exit_on(new: Sequence[Finding], fail_on: str | None) -> None:
    if fail_on is None:
        return
    tripped = [f for f in new if pipeline.trips(f, fail_on)]
    if tripped:
        click.echo(f"{len(tripped)} new finding(s) match --fail-on {fail_on}", err=True)
        sys.exit(EXIT_FAIL_ON)


def _finding_line(f: Finding) -> str:
    what = f.commitment or f"untracked: {(f.evidence.after or f.evidence.before or '')[:70]}"
    verdict = f" {f.announcement}" if f.announcement else ""
    return f"{f.document} {f.to.version or f.to.date}: {what}: {f.outcome}{verdict}"


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    cli(prog_name="tracker")
