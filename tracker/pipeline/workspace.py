"""The workspace: its records, and the JSON Schemas the package publishes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tracker import records
from tracker.models import Report
from tracker.records import Records

SCHEMA_DIR = Path(__file__).parent.parent / "schema"


def load(root: Path, *, today: date) -> Records:
    """Load and validate every record; raises records.RecordsInvalid with every error."""
    return records.load_records(root, today=today)


def schemas() -> dict[str, str]:
    """File name -> JSON text of every schema the package publishes."""
    report = Report.model_json_schema(by_alias=True)
    report = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://commitment-tracker.invalid/schema/report.schema.json",
        **report,
    }
    return {
        "record.schema.json": records.dump_schema(records.record_json_schema()),
        "report.schema.json": records.dump_schema(report),
    }


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(schemas().items()):
        path = folder / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
