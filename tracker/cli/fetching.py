"""Commands that bring documents in: fetch, import, backfill."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from tracker import pipeline
from tracker.cli.base import (
    EXIT_ERROR,
    SHARD_OPTION,
    Context,
    _check_ids,
    _echo_json,
    _fetcher,
    _fetcher_options,
    _load,
    _parse_when,
    _report_outcomes,
    _selected,
    cli,
)
from tracker.fetch import Fetcher


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
