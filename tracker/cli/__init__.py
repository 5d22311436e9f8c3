"""Command line: a thin click layer over tracker.pipeline, one module per group of commands."""

from tracker.cli import checking, fetching, publishing, records  # noqa: F401  (they register)
from tracker.cli.base import cli, main

__all__ = ["cli", "main"]
