"""The only package that sequences the stages; one module per job of the command line."""

from tracker.pipeline.checking import check_documents
from tracker.pipeline.demo import DemoExists, DemoRun, demo
from tracker.pipeline.fetching import (
    FetchOutcome,
    FetchStatus,
    ImportFailed,
    fetch_documents,
    import_file,
    needing_attention,
    reextract,
)
from tracker.pipeline.reporting import (
    FAIL_ON,
    CheckRun,
    check_and_report,
    load_checks,
    trips,
    write_changelog,
)
from tracker.pipeline.workspace import SCHEMA_DIR, load, schemas, write_schemas

__all__ = [
    "FAIL_ON",
    "SCHEMA_DIR",
    "CheckRun",
    "DemoRun",
    "check_and_report",
    "load_checks",
    "trips",
    "write_changelog",
    "DemoExists",
    "FetchOutcome",
    "FetchStatus",
    "ImportFailed",
    "check_documents",
    "demo",
    "fetch_documents",
    "import_file",
    "load",
    "needing_attention",
    "reextract",
    "schemas",
    "write_schemas",
]
