"""The only package that sequences the stages; one module per job of the command line."""

from tracker.pipeline.checking import check_documents
from tracker.pipeline.demo import DemoExists, demo
from tracker.pipeline.fetching import (
    FetchOutcome,
    FetchStatus,
    ImportFailed,
    fetch_documents,
    import_file,
    needing_attention,
    reextract,
)
from tracker.pipeline.workspace import SCHEMA_DIR, load, schemas, write_schemas

__all__ = [
    "SCHEMA_DIR",
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
