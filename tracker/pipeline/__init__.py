"""The only package that sequences the stages; one module per job of the command line."""

from tracker.pipeline.checking import (
    SnapshotNotFound,
    Suggestion,
    check_documents,
    diff_snapshots,
    suggest,
)
from tracker.pipeline.demo import DemoExists, DemoRun, demo
from tracker.pipeline.fetching import (
    BackfillFailed,
    FetchOutcome,
    FetchStatus,
    ImportFailed,
    backfill,
    fetch_documents,
    import_file,
    needing_attention,
    reextract,
)
from tracker.pipeline.publishing import Links, publish_github
from tracker.pipeline.reporting import (
    FAIL_ON,
    CheckRun,
    check_and_report,
    load_checks,
    stats,
    status,
    trips,
    write_changelog,
)
from tracker.pipeline.running import RunResult, run
from tracker.pipeline.workspace import (
    SCHEMA_DIR,
    EditFailed,
    accept_revision,
    add_commitment,
    load,
    schemas,
    write_schemas,
)

__all__ = [
    "FAIL_ON",
    "SCHEMA_DIR",
    "BackfillFailed",
    "CheckRun",
    "DemoExists",
    "DemoRun",
    "EditFailed",
    "FetchOutcome",
    "FetchStatus",
    "ImportFailed",
    "Links",
    "RunResult",
    "SnapshotNotFound",
    "Suggestion",
    "accept_revision",
    "add_commitment",
    "backfill",
    "check_and_report",
    "check_documents",
    "demo",
    "diff_snapshots",
    "fetch_documents",
    "import_file",
    "load",
    "load_checks",
    "needing_attention",
    "publish_github",
    "reextract",
    "run",
    "schemas",
    "stats",
    "status",
    "suggest",
    "trips",
    "write_changelog",
    "write_schemas",
]
