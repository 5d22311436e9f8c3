"""`tracker backfill --wayback` against a local server speaking the CDX and memento formats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import DOC, invoke
from tracker.cli import cli
from tracker.demo import build
from tracker.store import Store

URL = "https://example-labs.invalid/v.pdf"
CAPTURES = [  # timestamp, digest, status, file (None: the archive answers 503)
    ("20240116093000", "AAA", "200", "v1.0.pdf"),
    ("20240301120000", "AAA", "200", "v1.0.pdf"),  # same digest: collapsed
    ("20240604080000", "BBB", "200", "v1.1.pdf"),
    ("20240901000000", "ERR", "200", "error"),  # an error page served with 200
    ("20241002101010", "CCC", "200", "v2.0.pdf"),
    ("20241101000000", "RDR", "302", "v2.0.pdf"),  # a redirect: not a version
    ("20250211000000", "DDD", "200", None),  # the archive fails on this one
]


def serve(httpserver: HTTPServer) -> None:
    def cdx(request: Request) -> Response:
        assert request.args["url"] == URL and request.args["output"] == "json"
        rows = [["timestamp", "original", "digest", "statuscode", "mimetype"]]
        rows += [[t, URL, d, s, "application/pdf"] for t, d, s, _ in CAPTURES]
        return Response(json.dumps(rows), 200, content_type="application/json")

    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request("/cdx/search/cdx").respond_with_handler(cdx)
    for timestamp, _, _, name in CAPTURES:
        path = f"/web/{timestamp}id_/{URL}"
        if name is None:
            httpserver.expect_request(path).respond_with_data("busy", status=503)
        elif name == "error":
            page = (
                "<html><head><title>404 Not Found</title></head><body><main><h1>Page not "
                "found</h1><p>Sorry.</p></main></body></html>"
            )
            httpserver.expect_request(path).respond_with_data(page, content_type="text/html")
        else:
            data = (build.CORPUS / "built/scaling-policy" / name).read_bytes()
            httpserver.expect_request(path).respond_with_data(data, content_type="application/pdf")


def test_backfill_stores_distinct_captures_and_check_finds_the_changes(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    serve(httpserver)
    root = tmp_path / "ws"
    shutil.copytree(build.CORPUS / "commitments", root / "commitments")
    record = root / "commitments/example-labs/scaling-policy.yaml"
    record.write_text(
        record.read_text().replace("https://example-labs.invalid/scaling-policy", URL)
    )
    result = CliRunner().invoke(
        cli,
        ["--root", str(root), "backfill", DOC, "--wayback", "--wayback-url",
         httpserver.url_for("/").rstrip("/"), "--min-interval", "0", "--json"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # one capture failed (5xx): reported, not fatal
    outcomes = json.loads(result.stdout)
    assert [o["timestamp"] for o in outcomes] == [
        "20240116093000", "20240604080000", "20240901000000", "20241002101010", "20250211000000"
    ]  # fmt: skip
    assert outcomes[-1]["status"] == "failed" and "503" in outcomes[-1]["message"]
    snaps = Store(root).snapshots(DOC)
    assert [s.meta.taken_at.strftime("%Y%m%d%H%M%S") for s in snaps] == [
        "20240116093000", "20240604080000", "20240901000000", "20241002101010"
    ]  # fmt: skip
    assert [s.ok for s in snaps] == [True, True, False, True]  # the error page is suspect
    assert snaps[0].meta.fetcher == "wayback"
    assert (snaps[0].meta.final_url or "").endswith(f"/web/20240116093000/{URL}")
    assert snaps[0].version_label == "1.0" and snaps[-1].version_label == "2.0"

    findings = json.loads(invoke(root, "check", "--json", DOC))
    changes = {(f["to"]["version"], f["commitment"]): f["outcome"] for f in findings}
    assert changes[("1.1", "capability-reports")] == "weakened"
    assert changes[("2.0", "pause-training")] == "removed"
    assert changes[("2.0", "external-testing")] == "weakened"
    assert {f["outcome"] for f in findings if f["to"]["date"] == "2024-09-01"} == {"unverifiable"}
