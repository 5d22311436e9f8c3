"""Command line: a thin click layer over tracker.pipeline; the only module that knows exit codes."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from tracker import __version__, pipeline
from tracker.records import RecordsInvalid

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
def cli(ctx: click.Context, root: Path) -> None:
    """Track public commitments across versions of the documents that state them.

    Records of commitments live in commitments/; snapshots of the documents in
    snapshots/; change reports in reports/.
    """
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


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    cli(prog_name="tracker")


if __name__ == "__main__":
    main()
