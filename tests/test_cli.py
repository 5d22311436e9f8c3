"""The command line: every command documents itself with an example; schemas are current."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tests.conftest import REPO
from tracker import pipeline
from tracker.cli import cli

COMMANDS = sorted(cli.commands)


def test_group_help_has_example() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_an_example_and_documented_options(name: str) -> None:
    command = cli.commands[name]
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"tracker {name}" in result.output or "tracker --root" in result.output
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help text"


def test_committed_schemas_are_current() -> None:
    for name, text in pipeline.schemas().items():
        committed = (pipeline.SCHEMA_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale; run `tracker schema`"
    result = CliRunner().invoke(cli, ["schema", "--check"])
    assert result.exit_code == 0, result.output


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2


def test_real_records_validate() -> None:
    result = CliRunner().invoke(cli, ["--root", str(REPO), "validate"])
    assert result.exit_code == 0, result.output
