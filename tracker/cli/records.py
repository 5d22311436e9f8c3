"""Commands on the records: validate, schema, add, accept."""

from __future__ import annotations

import sys
from typing import Any

import click

from tracker import pipeline
from tracker.cli.base import (
    EXIT_ERROR,
    Context,
    _check_ids,
    _echo_json,
    _load,
    _parse_when,
    _today,
    cli,
)
from tracker.models import Category
from tracker.records import RecordsInvalid


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
