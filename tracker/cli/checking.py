"""Commands that check and report: check, diff, suggest, status, stats, changelog, run, demo."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click
from rich.console import Console

from tracker import pipeline
from tracker.cli.base import (
    EXIT_ERROR,
    FAIL_ON_OPTION,
    JOBS_OPTION,
    SHARD_OPTION,
    Context,
    _check_ids,
    _echo_json,
    _exit_on,
    _fetcher,
    _fetcher_options,
    _finding_line,
    _load,
    _print_findings,
    _selected,
    cli,
)


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
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as a JSON array.")
def demo(directory: Path | None, as_json: bool) -> None:
    """Run the whole pipeline offline on the bundled fictional company, Example Labs.

    Builds a workspace in DIRECTORY (default: a new temporary folder) from the bundled records,
    serves Example Labs' site history on a local HTTP server, fetches it day by day from
    the first version to the last, checks every commitment, and writes the reports and the
    changelog. Nothing leaves this machine.

    Example:

        tracker demo /tmp/demo && tracker --root /tmp/demo status
    """
    if directory is None:
        import tempfile

        directory = Path(tempfile.mkdtemp(prefix="tracker-demo-"))
    click.echo(f"workspace: {directory}", err=True)
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
