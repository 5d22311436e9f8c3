"""Commands that publish findings: publish github."""

from __future__ import annotations

import os

import click

from tracker import pipeline
from tracker.cli.base import (
    Context,
    _load,
    cli,
)


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
