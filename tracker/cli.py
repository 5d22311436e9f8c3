"""Command line: a thin click layer over tracker.pipeline; the only module that knows exit codes."""

from __future__ import annotations

import json
import logging
import os
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


def _report_outcomes(outcomes: list[pipeline.FetchOutcome], as_json: bool) -> None:
    if as_json:
        _echo_json([o.as_dict() for o in outcomes])
        return
    for outcome in outcomes:
        click.echo(f"{outcome.document}: {outcome.status}: {outcome.message}")


@cli.command()
@click.argument("document_ids", nargs=-1, metavar="[DOC_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as a JSON array.")
@click.option(
    "--timeout", type=float, default=30.0, show_default=True, help="Read timeout in seconds."
)
@click.option(
    "--retries", type=int, default=3, show_default=True, help="Retries on errors, 429 and 5xx."
)
@click.option(
    "--min-interval",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds between two requests to the same host.",
)
@click.option(
    "--max-bytes",
    type=int,
    default=50 * 1024 * 1024,
    show_default=True,
    help="Largest response body accepted (after decompression).",
)
@click.option("--ignore-robots", is_flag=True, help="Do not consult robots.txt (not advised).")
@click.option(
    "--reextract",
    is_flag=True,
    help="Fetch nothing; rebuild text from stored raw bytes where the extractor is newer.",
)
@click.pass_obj
def fetch(
    obj: Context,
    document_ids: tuple[str, ...],
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
    if reextract:
        done = pipeline.reextract(obj.root, records, document_ids, now=datetime.now(UTC))
        for doc_id, snap_id, message in done:
            click.echo(f"{doc_id}: {snap_id}: {message}")
        click.echo(f"{len(done)} snapshot(s) re-extracted (a technical upgrade)", err=True)
        return
    fetcher = Fetcher(
        timeout=(10.0, timeout),
        retries=retries,
        min_interval=min_interval,
        max_bytes=max_bytes,
        respect_robots=not ignore_robots,
    )
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
@click.pass_obj
def check(
    obj: Context, document_ids: tuple[str, ...], as_json: bool, no_write: bool, fail_on: str | None
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
    run = pipeline.check_and_report(obj.root, records, document_ids, write=not no_write)
    if as_json:
        _echo_json([f.as_json() for f in run.findings])
    else:
        _print_findings(run.findings)
    if run.written.reports:
        click.echo(f"{len(run.written.reports)} report(s) written in reports/", err=True)
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
    _print_findings(run.check.findings)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    cli(prog_name="tracker")


if __name__ == "__main__":
    main()
