"""Past versions of a document from the Wayback Machine: list captures through the CDX API,
keep one per distinct content digest, and name the original bytes of each (`id_` mode).
Pure: CDX JSON in, captures out; fetching is the pipeline's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode


@dataclass(frozen=True, slots=True)
class Capture:
    timestamp: str  # YYYYMMDDhhmmss, UTC
    original: str
    digest: str
    status: str
    mimetype: str

    @property
    def taken_at(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    def raw_url(self, base: str) -> str:
        """The capture's original bytes, without the archive's banner or rewritten links."""
        return f"{base.rstrip('/')}/web/{self.timestamp}id_/{self.original}"

    def archive_url(self, base: str) -> str:
        return f"{base.rstrip('/')}/web/{self.timestamp}/{self.original}"


class CdxError(Exception):
    """The CDX API answered something that is not a capture list."""


def cdx_query(base: str, url: str, start: date | None, end: date | None) -> str:
    params = {"url": url, "output": "json", "fl": "timestamp,original,digest,statuscode,mimetype"}
    if start:
        params["from"] = start.strftime("%Y%m%d")
    if end:
        params["to"] = end.strftime("%Y%m%d") + "235959"
    return f"{base.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def parse_cdx(body: bytes) -> list[Capture]:
    """Rows of a CDX JSON answer (the first row names the fields); empty answers are fine."""
    if not body.strip():
        return []
    try:
        rows = json.loads(body)
    except ValueError as exc:
        raise CdxError(f"not CDX JSON: {exc}") from exc
    if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
        raise CdxError("not a CDX row list")
    if not rows:
        return []
    header, *data = rows
    index = {name: i for i, name in enumerate(header)}
    need = ("timestamp", "original", "digest", "statuscode", "mimetype")
    missing = [n for n in need if n not in index]
    if missing:
        raise CdxError(f"CDX answer lacks the fields {', '.join(missing)}")
    return [Capture(*(str(row[index[n]]) for n in need)) for row in data]


def distinct(captures: list[Capture]) -> list[Capture]:
    """The first capture of each run of identical content, oldest first; redirects and
    errors are kept out (a 404 capture is not a version of the document)."""
    out: list[Capture] = []
    last_digest: str | None = None
    for capture in sorted(captures, key=lambda c: c.timestamp):
        if capture.status not in ("200", "-"):
            continue
        if capture.digest == last_digest:
            continue
        out.append(capture)
        last_digest = capture.digest
    return out
