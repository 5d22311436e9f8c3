"""Command line: a thin click layer over tracker.pipeline; the only module that knows exit codes."""

from __future__ import annotations

import dataclasses
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
from rich.console import Console

from tracker import __version__, pipeline
from tracker.fetch import Fetcher
from tracker.models import Category, Finding
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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the errors as a JSON array.")
@click.pass_obj
def validate(obj: Context, as_json: bool) -> None:
    """Check every record in commitments/; list every error as file:line: field: message.

    Exits 1 when any record is invalid.

    Example:

        tracker validate
    """
    try:
        loaded = pipeline.load(obj.root, today=_today())
    except RecordsInvalid as exc:
        if as_json:
            _echo_json([_error_dict(e) for e in exc.errors])
        else:
            for error in exc.errors:
                click.echo(str(error))
        click.echo(f"{len(exc.errors)} error(s) in records", err=True)
        sys.exit(EXIT_ERROR)
    n_commitments = sum(len(item.record.commitments) for item in loaded.items)
    if as_json:
        _echo_json([])
    click.echo(f"ok: {len(loaded.items)} document(s), {n_commitments} commitment(s)", err=True)


def _error_dict(error: Any) -> dict[str, Any]:
    return {"path": error.path, "line": error.line, "field": error.field, "message": error.message}


@cli.command()
@click.option(
    "--check",
    is_flag=True,
    help="Do not write; exit 1 if the committed schemas differ from the models.",
)
def schema(check: bool) -> None:
    """Regenerate the JSON Schemas in tracker/schema/ from the models.

    Example:

        tracker schema --check
    """
    if check:
        stale = [
            name
            for name, text in pipeline.schemas().items()
            if not (pipeline.SCHEMA_DIR / name).exists()
            or (pipeline.SCHEMA_DIR / name).read_text(encoding="utf-8") != text
        ]
        if stale:
            raise click.ClickException(
                f"stale schema(s): {', '.join(stale)}; run `tracker schema` to regenerate"
            )
        click.echo("schemas are current", err=True)
        return
    for path in pipeline.write_schemas():
        click.echo(str(path))


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


@cli.command()
@click.argument("document_ids", nargs=-1, metavar="[DOC_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as a JSON array.")
@_fetcher_options
@click.option(
    "--reextract",
    is_flag=True,
    help="Fetch nothing; rebuild text from stored raw bytes where the extractor is newer.",
)
@SHARD_OPTION
@click.pass_obj
def fetch(
    obj: Context,
    document_ids: tuple[str, ...],
    shard: tuple[int, int] | None,
    as_json: bool,
    timeout: float,
    retries: int,
    min_interval: float,
    max_bytes: int,
    ignore_robots: bool,
    reextract: bool,
) -> None:
    """Fetch documents and store a snapshot of each one whose text changed.

    A failure (HTTP error, timeout, robots.txt) is reported and the other documents go on;
    a document failing 3 runs in a row is listed as needing attention. Exits 1 if any failed.

    Example:

        tracker fetch example-labs-scaling-policy

        tracker fetch --reextract
    """
    records = _load(obj)
    _check_ids(records, document_ids)
    document_ids = _selected(records, document_ids, shard)
    if reextract:
        done = pipeline.reextract(obj.root, records, document_ids, now=datetime.now(UTC))
        for doc_id, snap_id, message in done:
            click.echo(f"{doc_id}: {snap_id}: {message}")
        click.echo(f"{len(done)} snapshot(s) re-extracted (a technical upgrade)", err=True)
        return
    fetcher = _fetcher(timeout, retries, min_interval, max_bytes, ignore_robots)
    try:
        outcomes = pipeline.fetch_documents(obj.root, records, document_ids, fetcher=fetcher)
    finally:
        fetcher.close()
    _report_outcomes(outcomes, as_json)
    for doc_id, failures, error in pipeline.needing_attention(obj.root, records):
        click.echo(f"needs attention: {doc_id}: {failures} failures in a row: {error}", err=True)
    if any(o.status is pipeline.FetchStatus.FAILED for o in outcomes):
        sys.exit(EXIT_ERROR)


@cli.command(name="import")
@click.argument("document_id", metavar="DOC_ID")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--date",
    "when",
    required=True,
    help="When the file was the document: a date, or an ISO 8601 date-time (UTC if no zone).",
)
@click.option("--version", "version", help="The version label, when the text does not say.")
@click.option("--url", help="The URL the file was published at.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_obj
def import_(
    obj: Context,
    document_id: str,
    file: Path,
    when: str,
    version: str | None,
    url: str | None,
    as_json: bool,
) -> None:
    """Store a local PDF, HTML or text file as a snapshot taken at --date.

    Example:

        tracker import example-labs-scaling-policy policy-v1.pdf --date 2024-01-15 --version 1.0
    """
    taken_at = _parse_when(when)
    records = _load(obj)
    _check_ids(records, (document_id,))
    if url is not None and not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    try:
        outcome = pipeline.import_file(
            obj.root, records, document_id, file, taken_at=taken_at, version=version, url=url
        )
    except pipeline.ImportFailed as exc:
        raise click.ClickException(str(exc)) from exc
    _report_outcomes([outcome], as_json)


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


@cli.command()
@click.argument("document_ids", nargs=-1, metavar="[DOC_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print every finding as a JSON array.")
@click.option("--no-write", is_flag=True, help="Do not write reports; only print the findings.")
@FAIL_ON_OPTION
@SHARD_OPTION
@JOBS_OPTION
@click.pass_obj
def check(
    obj: Context,
    document_ids: tuple[str, ...],
    as_json: bool,
    no_write: bool,
    fail_on: str | None,
    shard: tuple[int, int] | None,
    jobs: int,
) -> None:
    """Check every commitment against every pair of consecutive good snapshots.

    One finding per commitment per pair: retained (verbatim, reworded or moved), weakened,
    strengthened, removed, relocated (found in a companion document), or unverifiable (the
    newer snapshot is suspect, so nothing is concluded); each material change with its
    announcement verdict. Writes a report per pair with a change into reports/.

    Example:

        tracker check --json example-labs-scaling-policy
    """
    records = _load(obj)
    _check_ids(records, document_ids)
    document_ids = _selected(records, document_ids, shard)
    run = pipeline.check_and_report(
        obj.root, records, document_ids, write=not no_write, keep_all=as_json, jobs=jobs
    )
    if as_json:
        _echo_json([f.as_json() for f in run.findings])
    else:
        _print_findings(run.findings)
    if run.written.reports:
        click.echo(f"{len(run.written.reports)} report(s) written in reports/", err=True)
    for doc_id, commitment_id in run.unlocated:
        click.echo(
            f"warning: {doc_id}: {commitment_id}: its quote is in no snapshot since it was "
            "stated, so it is not checked; fix the quote (`tracker suggest` lists candidates)",
            err=True,
        )
    if run.written.unchanged and not as_json:
        click.echo(
            f"{run.written.unchanged} document(s) unchanged since the last check "
            "(their findings: reports/, `tracker status`)",
            err=True,
        )
    _exit_on(run.new, fail_on)


@cli.command()
@click.option("--base-url", help="Public URL of reports/ (for links in the feed).")
@click.pass_obj
def changelog(obj: Context, base_url: str | None) -> None:
    """Regenerate reports/policy-changes.md, status.md, feed.xml and the timelines.

    Example:

        tracker changelog
    """
    records = _load(obj)
    for path in pipeline.write_changelog(obj.root, records, base_url=base_url):
        click.echo(str(path))


@cli.command()
@click.argument(
    "directory",
    required=False,
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-workspace"),
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON array.")
def demo(directory: Path, as_json: bool) -> None:
    """Run the whole pipeline offline on the bundled fictional company, Example Labs.

    Builds a workspace in DIRECTORY (default ./demo-workspace) from the bundled records,
    serves Example Labs' site history on a local HTTP server, fetches it day by day from
    the first version to the last, checks every commitment, and writes the reports and the
    changelog. Nothing leaves this machine.

    Example:

        tracker demo /tmp/demo && tracker --root /tmp/demo status
    """
    try:
        run = pipeline.demo(directory, progress=lambda line: click.echo(line, err=True))
    except pipeline.DemoExists as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _echo_json(
            {
                "fetches": [{"day": str(d), **o.as_dict()} for d, o in run.fetches],
                "findings": [f.as_json() for f in run.check.findings],
                "reports": [str(p) for p in run.check.written.reports],
            }
        )
        return
    stored = [o for _, o in run.fetches if o.status is pipeline.FetchStatus.STORED]
    click.echo(
        f"{len(run.fetches)} fetches over {len({d for d, _ in run.fetches})} days; "
        f"{len(stored)} snapshots stored in {directory / 'snapshots'}"
    )
    click.echo(f"{len(run.check.written.reports)} reports in {directory / 'reports'}")
    click.echo(f"changelog: {directory / 'reports' / 'policy-changes.md'}")
    click.echo("\nHeadline findings:")
    from tracker import report

    titles = {doc_id: f"{d.company} {d.title}" for doc_id, d in run.documents.items()}
    for f in report.changes(run.check.findings):
        click.echo("- " + report.headline(f, titles[f.document]).replace("\\", "").replace("*", ""))


@cli.command()
@click.argument("document_ids", nargs=-1, metavar="[DOC_ID]...")
@_fetcher_options
@click.option("--base-url", help="Public URL of reports/ (for links in the feed).")
@click.option("--json", "as_json", is_flag=True, help="Print the new findings as a JSON array.")
@FAIL_ON_OPTION
@SHARD_OPTION
@JOBS_OPTION
@click.pass_obj
def run(
    obj: Context,
    document_ids: tuple[str, ...],
    shard: tuple[int, int] | None,
    jobs: int,
    timeout: float,
    retries: int,
    min_interval: float,
    max_bytes: int,
    ignore_robots: bool,
    base_url: str | None,
    as_json: bool,
    fail_on: str | None,
) -> None:
    """The scheduled job: fetch every document, check, write reports and the changelog.

    Prints a one-screen summary; exits 1 if a fetch failed (after writing everything else),
    3 with --fail-on when a new finding matches.

    Example:

        tracker run --fail-on silent
    """
    from rich.progress import Progress

    records = _load(obj)
    _check_ids(records, document_ids)
    document_ids = _selected(records, document_ids, shard)
    fetcher = _fetcher(timeout, retries, min_interval, max_bytes, ignore_robots)
    console = Console(stderr=True)
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("fetching", total=max(len(document_ids or records.documents), 1))

            def progress(doc: str, done: int, total: int) -> None:
                bar.update(task, completed=done, description=f"{doc}")

            result = pipeline.run(
                obj.root,
                records,
                document_ids,
                fetcher=fetcher,
                progress=progress,
                base_url=base_url,
                jobs=jobs,
            )
    finally:
        fetcher.close()
    if as_json:
        _echo_json([f.as_json() for f in result.check.new])
    failed = [o for o in result.fetches if o.status is pipeline.FetchStatus.FAILED]
    stored = [o for o in result.fetches if o.status is pipeline.FetchStatus.STORED]
    console.print(
        f"fetched {len(result.fetches)}: {len(stored)} new snapshot(s), {len(failed)} failed; "
        f"{len(result.check.new)} new finding(s); "
        f"{len(result.check.written.reports)} report(s) written"
    )
    for o in failed:
        console.print(f"  failed: {o.document}: {o.message}", markup=False)
    for f in result.check.new:
        console.print(f"  new: {_finding_line(f)}", markup=False)
    for doc_id, failures, error in result.attention:
        console.print(
            f"  needs attention: {doc_id}: {failures} failures in a row: {error}", markup=False
        )
    _exit_on(result.check.new, fail_on)
    if failed:
        sys.exit(EXIT_ERROR)


def _finding_line(f: Finding) -> str:
    what = f.commitment or f"untracked: {(f.evidence.after or f.evidence.before or '')[:70]}"
    verdict = f" {f.announcement}" if f.announcement else ""
    return f"{f.document} {f.to.version or f.to.date}: {what}: {f.outcome}{verdict}"


@cli.command()
@click.argument("document_ids", nargs=-1, metavar="[DOC_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON array.")
@click.pass_obj
def status(obj: Context, document_ids: tuple[str, ...], as_json: bool) -> None:
    """Each commitment and its current outcome, and the documents needing attention.

    Reads the last check (run `tracker check` first).

    Example:

        tracker status example-labs-scaling-policy
    """
    from rich.table import Table

    records = _load(obj)
    _check_ids(records, document_ids)
    rows = pipeline.status(obj.root, records, document_ids)
    attention = pipeline.needing_attention(obj.root, records)
    if as_json:
        _echo_json(
            {
                "commitments": [dataclasses.asdict(r) for r in rows],
                "needing_attention": [
                    {"document": d, "consecutive_failures": n, "last_error": e}
                    for d, n, e in attention
                ],
            }
        )
        return
    table = Table("document", "commitment", "outcome", "since", "announcement")
    for r in rows:
        table.add_row(
            r.document, r.commitment, r.outcome, r.version or r.since or "–", r.announcement or "–"
        )
    Console().print(table)
    for doc_id, failures, error in attention:
        click.echo(f"needs attention: {doc_id}: {failures} failures in a row: {error}")


@cli.command()
@click.argument("document_ids", nargs=-1, metavar="[DOC_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def stats(obj: Context, document_ids: tuple[str, ...], as_json: bool) -> None:
    """Per revision: material changes by outcome and announcement, silent revision rate.

    The silent revision rate is the share of material changes that the provider's account of
    the revision does not identify: strict counts a partial identification as silent,
    lenient as announced. The last row pools every revision.

    Example:

        tracker stats --json
    """
    from rich.table import Table

    records = _load(obj)
    _check_ids(records, document_ids)
    rows = pipeline.stats(obj.root, records, document_ids)
    if as_json:
        _echo_json([r.as_dict() for r in rows])
        return
    table = Table(
        "document",
        "version",
        "date",
        "material",
        "W",
        "S",
        "X",
        "L",
        "A",
        "announced",
        "partial",
        "silent",
        "late",
        "no account",
        "SRR strict",
        "SRR lenient",
    )
    for r in rows:
        o, v = r.outcomes, r.verdicts
        table.add_row(
            r.document,
            r.version or "",
            r.date,
            str(r.material),
            *(
                str(o.get(k, 0))
                for k in ("weakened", "strengthened", "removed", "relocated", "added")
            ),
            *(
                str(v.get(k, 0))
                for k in ("announced", "partial", "silent", "acknowledged-late", "no-account")
            ),
            _rate(r.srr(strict=True)),
            _rate(r.srr(strict=False)),
        )
    Console().print(table)


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


@cli.command()
@click.argument("document_id", metavar="DOC_ID")
@click.option("--json", "as_json", is_flag=True, help="Print the suggestions as a JSON array.")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many.")
@click.pass_obj
def suggest(obj: Context, document_id: str, as_json: bool, limit: int) -> None:
    """Commitment-like sentences of the latest snapshot that no record tracks, strongest first.

    Example:

        tracker suggest example-labs-scaling-policy --limit 10
    """
    records = _load(obj)
    _check_ids(records, (document_id,))
    found = pipeline.suggest(obj.root, records, document_id)[:limit]
    if as_json:
        _echo_json([dataclasses.asdict(s) for s in found])
        return
    if not found:
        click.echo("no untracked commitment-like sentence (or no snapshot yet)", err=True)
    for s in found:
        kind = "commitment" if s.strength == 2 else "practice"
        click.echo(f"[{kind}] ({s.section or '–'}) {s.sentence}")


@cli.command()
@click.argument("document_id", metavar="DOC_ID")
@click.option(
    "--from", "start", help="Snapshot id, date or version (default: the one before --to)."
)
@click.option("--to", "end", help="Snapshot id, date or version (default: the latest).")
@click.option("--markdown", is_flag=True, help="Print markdown instead of colour.")
@click.option(
    "--style",
    type=click.Choice(["html", "gfm"]),
    default="html",
    show_default=True,
    help="Markdown marks: <del>/<ins> (html) or ~~removed~~ **added** (gfm).",
)
@click.option("--all", "show_all", is_flag=True, help="Show unchanged paragraphs too.")
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds for word-level diffing; past it, changed paragraphs are shown whole.",
)
@click.pass_obj
def diff(
    obj: Context,
    document_id: str,
    start: str | None,
    end: str | None,
    markdown: bool,
    show_all: bool,
    timeout: float,
    style: str,
) -> None:
    """Section-aware word diff of two snapshots of a document.

    Example:

        tracker diff example-labs-scaling-policy --from 1.1 --to 2.0
    """
    from tracker import report

    records = _load(obj)
    _check_ids(records, (document_id,))
    try:
        before, after, hunks = pipeline.diff_snapshots(
            obj.root, document_id, start, end, deadline=timeout
        )
    except pipeline.SnapshotNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    title = (
        f"{document_id}: {before.id} ({before.version_label or before.meta.taken_at.date()})"
        f" -> {after.id} ({after.version_label or after.meta.taken_at.date()})"
    )
    if markdown:
        click.echo(f"# {title}\n")
    else:
        click.secho(title, bold=True)
    section = None
    for hunk in hunks:
        if not hunk.changed and not show_all:
            continue
        if hunk.section != section:
            section = hunk.section
            click.echo(f"\n## {section or '(top)'}\n" if markdown else "")
            if not markdown:
                click.secho(f"§ {section or '(top)'}", fg="cyan", bold=True)
        if markdown:
            click.echo(report.diff_markup(hunk.ops, style) + "\n")
            continue
        parts = []
        for tag, words in hunk.ops:
            if tag == "equal":
                parts.append(words)
            elif tag == "delete":
                parts.append(click.style(f"[-{words}-]", fg="red", strikethrough=True))
            else:
                parts.append(click.style(f"{{+{words}+}}", fg="green", bold=True))
        click.echo("  " + " ".join(parts))


@cli.command()
@click.argument("document_id", metavar="DOC_ID")
@click.option("--title", required=True, help="A short title of the commitment.")
@click.option("--quote", required=True, help="The commitment, verbatim from the document.")
@click.option("--id", "commitment_id", help="The commitment id (default: from the title).")
@click.option("--stated", help="The date it was first stated (default: the latest snapshot's).")
@click.option("--keywords", help="Comma-separated words an announcement would use.")
@click.option("--category", type=click.Choice([c.value for c in Category]), help="The category.")
@click.pass_obj
def add(
    obj: Context,
    document_id: str,
    title: str,
    quote: str,
    commitment_id: str | None,
    stated: str | None,
    keywords: str | None,
    category: str | None,
) -> None:
    """Append a commitment to a document's record, checked against the latest snapshot.

    The record file keeps its comments and formatting. Says whether the quote was found in the
    latest good snapshot, and if not, where the closest passage is.

    Example:

        tracker add example-labs-scaling-policy --title "Publish capability reports" \\
            --quote "We will publish a capability report for every frontier model."
    """
    records = _load(obj)
    _check_ids(records, (document_id,))
    day = _parse_when(stated).date() if stated else None
    try:
        added = pipeline.add_commitment(
            obj.root,
            records,
            document_id,
            title=title,
            quote=quote,
            stated=day,
            keywords=[k.strip() for k in (keywords or "").split(",") if k.strip()],
            category=category,
            commitment_id=commitment_id,
            today=_today(),
        )
    except pipeline.EditFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"added {added.commitment_id} to {added.path}")
    match = added.match
    if match is None:
        click.echo(
            "no snapshot yet: the quote will be checked once the document is fetched", err=True
        )
    elif match.found:
        click.echo(
            f"found in snapshot {added.snapshot} ({match.method}, score {match.score:.0f}, "
            f"section: {match.section or '–'})",
            err=True,
        )
    else:
        click.echo(
            f"warning: NOT found in snapshot {added.snapshot}; the closest passage scores "
            f"{match.score:.0f} (section: {match.section or '–'}):\n  {match.passage}\n"
            "check the quote: a commitment not in the document is never checked",
            err=True,
        )


@cli.command()
@click.argument("document_id", metavar="DOC_ID")
@click.argument("commitment_id", metavar="COMMITMENT_ID")
@click.option(
    "--note",
    default="reworded without change of substance",
    show_default=True,
    help="Why the new wording is accepted.",
)
@click.pass_obj
def accept(obj: Context, document_id: str, commitment_id: str, note: str) -> None:
    """Record the current wording of a reworded commitment as an accepted revision.

    Later checks compare against the accepted wording; the history stays in `revisions`.

    Example:

        tracker accept example-labs-scaling-policy weight-security
    """
    records = _load(obj)
    _check_ids(records, (document_id,))
    try:
        path, since, wording = pipeline.accept_revision(
            obj.root, records, document_id, commitment_id, today=_today(), note=note
        )
    except pipeline.EditFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{path}: {commitment_id}: accepted since {since}: {wording}")


@cli.command()
@click.argument("document_id", metavar="DOC_ID")
@click.option("--wayback", is_flag=True, required=True, help="From the Wayback Machine.")
@click.option(
    "--wayback-url",
    default="https://web.archive.org",
    show_default=True,
    help="The archive's base URL (a local server in tests).",
)
@click.option("--from", "start", help="Earliest capture date (YYYY-MM-DD).")
@click.option("--to", "end", help="Latest capture date (YYYY-MM-DD).")
@click.option(
    "--min-interval",
    type=float,
    default=2.0,
    show_default=True,
    help="Seconds between two requests to the archive.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as a JSON array.")
@click.pass_obj
def backfill(
    obj: Context,
    document_id: str,
    wayback: bool,
    wayback_url: str,
    start: str | None,
    end: str | None,
    min_interval: float,
    as_json: bool,
) -> None:
    """Import past versions of a document from the Wayback Machine.

    Lists the captures of the document's URL (CDX API), keeps one per distinct content,
    fetches each one's original bytes and stores it as a snapshot dated at its capture time,
    with the archive URL as provenance. Then `tracker check` reconstructs the history.

    Example:

        tracker backfill example-labs-scaling-policy --wayback --from 2023-01-01
    """
    records = _load(obj)
    _check_ids(records, (document_id,))
    fetcher = Fetcher(min_interval=min_interval)
    try:
        done = pipeline.backfill(
            obj.root,
            records,
            document_id,
            fetcher=fetcher,
            wayback_url=wayback_url,
            start=_parse_when(start).date() if start else None,
            end=_parse_when(end).date() if end else None,
        )
    except pipeline.BackfillFailed as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        fetcher.close()
    if as_json:
        _echo_json(
            [{"capture": b.capture, "timestamp": b.taken_at, **b.outcome.as_dict()} for b in done]
        )
    else:
        for b in done:
            click.echo(f"{b.taken_at} {b.outcome.status}: {b.outcome.message} ({b.capture})")
    click.echo(f"{len(done)} distinct capture(s) processed", err=True)
    if any(b.outcome.status is pipeline.FetchStatus.FAILED for b in done):
        sys.exit(EXIT_ERROR)


@cli.group()
def publish() -> None:
    """Publish findings where people will see them.

    Example:

        tracker publish github --repository me/tracker
    """


@publish.command(name="github")
@click.option(
    "--repository", envvar="GITHUB_REPOSITORY", help="owner/name (env GITHUB_REPOSITORY)."
)
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    default="https://api.github.com",
    show_default=True,
    help="The REST API base (env GITHUB_API_URL; GitHub Enterprise too).",
)
@click.option(
    "--server-url",
    envvar="GITHUB_SERVER_URL",
    default="https://github.com",
    show_default=True,
    help="For links to the reports (env GITHUB_SERVER_URL).",
)
@click.option(
    "--branch",
    envvar="GITHUB_REF_NAME",
    default="main",
    show_default=True,
    help="The branch the reports are committed to (env GITHUB_REF_NAME).",
)
@click.option(
    "--verdicts",
    default="silent,partial,no-account",
    show_default=True,
    help="Which announcement verdicts of a removal, weakening or relocation get an issue.",
)
@click.option("--apply", "do_apply", is_flag=True, help="Act; without it, only print the plan.")
@click.pass_obj
def publish_github(
    obj: Context,
    repository: str | None,
    api_url: str,
    server_url: str,
    branch: str,
    verdicts: str,
    do_apply: bool,
) -> None:
    """Open, update and close one GitHub issue per flagged finding (idempotent).

    Reads the token from GITHUB_TOKEN only (never printed). A dry run unless --apply: the
    plan is printed either way. Issues whose finding is no longer flagged (restored, or
    acknowledged later) are commented and closed; documents needing attention get one issue.

    Example:

        GITHUB_TOKEN=... tracker publish github --repository me/tracker --apply
    """
    from tracker.models import Verdict
    from tracker.publish import GitHub, PublishError

    token = os.environ.get("GITHUB_TOKEN")
    if not repository:
        raise click.UsageError("no repository: set GITHUB_REPOSITORY or pass --repository")
    if not token:
        raise click.UsageError("no token: set GITHUB_TOKEN (it is read from the environment only)")
    try:
        chosen = [Verdict(v.strip()) for v in verdicts.split(",") if v.strip()]
    except ValueError as exc:
        known = ", ".join(v.value for v in Verdict)
        raise click.BadParameter(f"{exc}; known: {known}", param_hint="--verdicts") from exc
    records = _load(obj)
    client = GitHub(api_url=api_url, repository=repository, token=token)
    links = pipeline.Links(server_url, repository, branch)
    try:
        done = pipeline.publish_github(
            obj.root, records, client, links, apply=do_apply, verdicts=chosen
        )
    except PublishError as exc:
        raise click.ClickException(str(exc)) from exc
    for action, number in done:
        where = f"#{number}" if number else "new issue"
        click.echo(f"{'' if do_apply else 'would '}{action.verb} {where}: {action.title}")
    if not done:
        click.echo("nothing to do: the issues match the findings", err=True)
    elif not do_apply:
        click.echo(f"{len(done)} action(s) planned; run with --apply to act", err=True)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    cli(prog_name="tracker")


if __name__ == "__main__":
    main()
