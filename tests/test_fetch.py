"""Fetching against a real HTTP server on 127.0.0.1: what is stored, what is reported, and that
no stored snapshot is ever lost or altered."""

from __future__ import annotations

import gzip
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tracker import pipeline
from tracker.cli import cli
from tracker.demo import build
from tracker.fetch import Fetcher, FetchFailure, FetchResult
from tracker.models import HealthStatus
from tracker.records import load_records
from tracker.store import Store

BUILT = build.BUILT
PDF_V10 = (BUILT / "scaling-policy/v1.0.pdf").read_bytes()
PDF_V11 = (BUILT / "scaling-policy/v1.1.pdf").read_bytes()
HTML_V10 = (BUILT / "scaling-policy/v1.0.html").read_bytes()
CAPTCHA = b"""<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>
<main><h1>Checking your browser before accessing the site.</h1>
<p>Please verify you are human to continue.</p></main></body></html>"""
EMPTY = b"<!DOCTYPE html><html><head><title>Policy</title></head><body><main></main></body></html>"


def fast_fetcher(**overrides: object) -> Fetcher:
    options: dict[str, object] = {
        "timeout": (2.0, 2.0),
        "retries": 2,
        "backoff": 0.0,
        "min_interval": 0.0,
    }
    options.update(overrides)
    return Fetcher(**options)  # type: ignore[arg-type]


def workspace(
    tmp_path: Path, url: str, *, follow: str | None = None, fmt: str | None = None
) -> Path:
    folder = tmp_path / "commitments" / "t"
    folder.mkdir(parents=True)
    lines = [
        "schema_version: 1",
        "document:",
        "  id: doc",
        "  company: Example Labs",
        "  title: Policy",
        f"  url: {url}",
        "  version_pattern: 'Version (\\d+(?:\\.\\d+)*)'",
    ]
    if follow:
        lines.append(f"  follow: '{follow}'")
    if fmt:
        lines.append(f"  format: {fmt}")
    (folder / "doc.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def fetch(root: Path, fetcher: Fetcher | None = None) -> pipeline.FetchOutcome:
    records = load_records(root, today=date.today())
    fetcher = fetcher or fast_fetcher()
    try:
        (outcome,) = pipeline.fetch_documents(root, records, fetcher=fetcher)
    finally:
        fetcher.close()
    return outcome


def snapshot_files(root: Path) -> dict[str, bytes]:
    """Every stored byte, to prove nothing was altered."""
    folder = root / "snapshots"
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "state.json"
    }


@pytest.fixture
def server(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    yield httpserver


def test_200_stores_a_snapshot_with_evidence(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/policy.pdf").respond_with_data(
        PDF_V10, content_type="application/pdf", headers={"ETag": '"v1"'}
    )
    root = workspace(tmp_path, server.url_for("/policy.pdf"))
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.STORED
    assert outcome.health is HealthStatus.OK
    (snap,) = Store(root).snapshots("doc")
    assert snap.meta.url == server.url_for("/policy.pdf")
    assert snap.meta.http_status == 200
    assert snap.meta.headers["etag"] == '"v1"'
    assert snap.meta.version_label == "1.0"
    assert snap.raw() == PDF_V10
    assert "We will protect model weights against theft" in snap.text()
    assert Store(root).verify("doc") == []


def test_conditional_get_304_stores_nothing(server: HTTPServer, tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(PDF_V10, content_type="application/pdf", headers={"ETag": '"v1"'})

    server.expect_request("/policy.pdf").respond_with_handler(handler)
    root = workspace(tmp_path, server.url_for("/policy.pdf"))
    assert fetch(root).status is pipeline.FetchStatus.STORED
    before = snapshot_files(root)
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.NOT_MODIFIED
    assert seen[-1].get("If-None-Match") == '"v1"'
    assert snapshot_files(root) == before


def test_same_text_new_bytes_stores_nothing(server: HTTPServer, tmp_path: Path) -> None:
    bodies = [
        (BUILT / "scaling-policy/v2.1.pdf").read_bytes(),
        (BUILT / "scaling-policy/v2.1-reupload.pdf").read_bytes(),
        (BUILT / "scaling-policy/v1.0.pdf").read_bytes(),
        (BUILT / "scaling-policy/v1.0-reflow.pdf").read_bytes(),
    ]
    server.expect_request("/policy.pdf").respond_with_handler(
        lambda request: Response(bodies.pop(0), content_type="application/pdf")
    )
    root = workspace(tmp_path, server.url_for("/policy.pdf"))
    assert fetch(root).status is pipeline.FetchStatus.STORED
    assert fetch(root).status is pipeline.FetchStatus.UNCHANGED  # silent re-upload
    assert fetch(root).status is pipeline.FetchStatus.STORED  # a real change (v1.0 text)
    assert fetch(root).status is pipeline.FetchStatus.UNCHANGED  # reflowed PDF
    assert len(Store(root).snapshots("doc")) == 2


def test_redirect_records_final_url(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": server.url_for("/new.pdf")}
    )
    server.expect_request("/new.pdf").respond_with_data(PDF_V10, content_type="application/pdf")
    root = workspace(tmp_path, server.url_for("/old"))
    assert fetch(root).status is pipeline.FetchStatus.STORED
    (snap,) = Store(root).snapshots("doc")
    assert snap.meta.final_url == server.url_for("/new.pdf")


def test_redirect_loop_is_a_failure(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/a").respond_with_data(
        "", status=302, headers={"Location": server.url_for("/b")}
    )
    server.expect_request("/b").respond_with_data(
        "", status=302, headers={"Location": server.url_for("/a")}
    )
    root = workspace(tmp_path, server.url_for("/a"))
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert "redirects" in outcome.message
    assert not (root / "snapshots/doc").exists() or Store(root).snapshots("doc") == []


def test_404_is_a_failure_and_stores_nothing(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/gone.pdf").respond_with_data("not here", status=404)
    root = workspace(tmp_path, server.url_for("/gone.pdf"))
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert outcome.message == f"{server.url_for('/gone.pdf')}: HTTP 404: NOT FOUND"
    assert Store(root).snapshots("doc") == []


def test_500_then_200_is_retried(server: HTTPServer, tmp_path: Path) -> None:
    calls = []

    def handler(request: Request) -> Response:
        calls.append(1)
        if len(calls) == 1:
            return Response("oops", status=500)
        return Response(PDF_V10, content_type="application/pdf")

    server.expect_request("/policy.pdf").respond_with_handler(handler)
    root = workspace(tmp_path, server.url_for("/policy.pdf"))
    assert fetch(root).status is pipeline.FetchStatus.STORED
    assert len(calls) == 2


def test_429_honours_retry_after(server: HTTPServer, tmp_path: Path) -> None:
    times: list[float] = []

    def handler(request: Request) -> Response:
        times.append(time.monotonic())
        if len(times) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response(PDF_V10, content_type="application/pdf")

    server.expect_request("/policy.pdf").respond_with_handler(handler)
    root = workspace(tmp_path, server.url_for("/policy.pdf"))
    assert fetch(root).status is pipeline.FetchStatus.STORED
    assert len(times) == 2
    assert times[1] - times[0] >= 0.9  # the server asked for one second


def test_slow_response_times_out(server: HTTPServer, tmp_path: Path) -> None:
    def handler(request: Request) -> Response:
        time.sleep(1.5)
        return Response(PDF_V10, content_type="application/pdf")

    server.expect_request("/slow.pdf").respond_with_handler(handler)
    root = workspace(tmp_path, server.url_for("/slow.pdf"))
    outcome = fetch(root, fast_fetcher(timeout=(1.0, 0.3), retries=0))
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert "timed out" in outcome.message or "connection failed" in outcome.message
    assert Store(root).snapshots("doc") == []


def test_wrong_content_type_is_stored_suspect(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/policy.pdf").respond_with_data(HTML_V10, content_type="text/html")
    root = workspace(tmp_path, server.url_for("/policy.pdf"), fmt="pdf")
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.STORED
    assert outcome.health is HealthStatus.SUSPECT
    assert any("expected pdf but got text/html" in r for r in outcome.reasons)


def test_gzip_bomb_is_refused(server: HTTPServer, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    server.expect_request("/bomb.html").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    root = workspace(tmp_path, server.url_for("/bomb.html"))
    outcome = fetch(root, fast_fetcher(max_bytes=1024 * 1024))
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert "decompressed (gzip) body exceeds the 1048576-byte cap" in outcome.message
    assert len(bomb) < 1024 * 1024  # it was small on the wire


def test_body_over_the_cap_is_refused(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/big.pdf").respond_with_data(PDF_V10, content_type="application/pdf")
    root = workspace(tmp_path, server.url_for("/big.pdf"))
    outcome = fetch(root, fast_fetcher(max_bytes=1000))
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert "exceeds the 1000-byte cap" in outcome.message


def test_challenge_page_is_stored_as_suspect_and_concludes_nothing(
    server: HTTPServer, tmp_path: Path
) -> None:
    bodies = [PDF_V10, CAPTCHA]
    server.expect_request("/policy").respond_with_handler(
        lambda request: Response(
            bodies.pop(0), content_type="application/pdf" if len(bodies) else "text/html"
        )
    )
    root = workspace(tmp_path, server.url_for("/policy"))
    assert fetch(root).health is HealthStatus.OK
    before = snapshot_files(root)
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.STORED
    assert outcome.health is HealthStatus.SUSPECT
    assert any("challenge or captcha" in r for r in outcome.reasons)
    store = Store(root)
    good = store.latest_good("doc")
    assert good is not None
    assert good.meta.raw_sha256 == store.snapshots("doc")[0].meta.raw_sha256
    after = snapshot_files(root)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing altered


def test_empty_page_is_suspect(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/policy").respond_with_data(EMPTY, content_type="text/html")
    root = workspace(tmp_path, server.url_for("/policy"))
    outcome = fetch(root)
    assert outcome.health is HealthStatus.SUSPECT
    assert any("near-empty text" in r for r in outcome.reasons)


def test_text_that_shrank_is_suspect(server: HTTPServer, tmp_path: Path) -> None:
    half = b"<html><body><main><h1>Policy</h1>" + b"<p>We will keep this promise.</p>" * 12
    bodies = [PDF_V10, half + b"</main></body></html>"]
    server.expect_request("/policy").respond_with_handler(lambda request: Response(bodies.pop(0)))
    root = workspace(tmp_path, server.url_for("/policy"))
    fetch(root)
    outcome = fetch(root)
    assert outcome.health is HealthStatus.SUSPECT
    assert any("text shrank from" in r for r in outcome.reasons)


def test_follow_tracks_the_pdf_link_as_it_changes(server: HTTPServer, tmp_path: Path) -> None:
    pages = [
        (BUILT / "scaling-policy/v1.0.html").read_bytes(),
        (BUILT / "scaling-policy/v1.1.html").read_bytes(),
    ]
    server.expect_request("/scaling-policy").respond_with_handler(
        lambda request: Response(pages.pop(0), content_type="text/html")
    )
    server.expect_request("/files/frontier-scaling-policy-v1.0.pdf").respond_with_data(
        PDF_V10, content_type="application/pdf"
    )
    server.expect_request("/files/frontier-scaling-policy-v1.1.pdf").respond_with_data(
        PDF_V11, content_type="application/pdf"
    )
    root = workspace(tmp_path, server.url_for("/scaling-policy"), follow="a.download")
    fetch(root)
    fetch(root)
    first, second = Store(root).snapshots("doc")
    assert first.meta.landing_url == server.url_for("/scaling-policy")
    assert first.meta.url == server.url_for("/files/frontier-scaling-policy-v1.0.pdf")
    assert second.meta.url == server.url_for("/files/frontier-scaling-policy-v1.1.pdf")
    assert second.meta.version_label == "1.1"


def test_follow_selector_matching_nothing_fails(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/scaling-policy").respond_with_data(EMPTY, content_type="text/html")
    root = workspace(tmp_path, server.url_for("/scaling-policy"), follow="a.download")
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert "`follow` selector 'a.download' matched no link on the page" in outcome.message


def test_robots_disallow_is_respected(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /*.pdf$\n")
    httpserver.expect_request("/policy.pdf").respond_with_data(PDF_V10)
    root = workspace(tmp_path, httpserver.url_for("/policy.pdf"))
    outcome = fetch(root)
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert "disallowed by" in outcome.message and "robots.txt" in outcome.message
    assert all(req.path != "/policy.pdf" for req, _ in httpserver.log)


def test_repeated_failures_need_attention(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/policy.pdf").respond_with_data("down", status=503)
    root = workspace(tmp_path, server.url_for("/policy.pdf"))
    for expected in (1, 2, 3):
        outcome = fetch(root, fast_fetcher(retries=0))
        assert outcome.consecutive_failures == expected
    records = load_records(root, today=date.today())
    ((doc, failures, error),) = pipeline.needing_attention(root, records)
    assert (doc, failures) == ("doc", 3)
    assert "503" in (error or "")
    result = CliRunner().invoke(cli, ["--root", str(root), "fetch", "--retries", "0"])
    assert result.exit_code == 1
    assert "needs attention: doc: 4 failures in a row" in result.stderr


def test_one_failing_document_does_not_stop_the_others(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/ok.pdf").respond_with_data(PDF_V10, content_type="application/pdf")
    server.expect_request("/down.pdf").respond_with_data("down", status=404)
    root = workspace(tmp_path, server.url_for("/ok.pdf"))
    other = (root / "commitments/t/doc.yaml").read_text().replace("id: doc", "id: down")
    other = other.replace("/ok.pdf", "/down.pdf")
    (root / "commitments/t/down.yaml").write_text(other)
    result = CliRunner().invoke(cli, ["--root", str(root), "fetch", "--min-interval", "0"])
    assert result.exit_code == 1
    assert "doc: stored: stored snapshot" in result.stdout
    assert "down: failed:" in result.stdout and "HTTP 404" in result.stdout


def test_per_host_pacing_uses_the_injected_clock(server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_data("a")
    now = [100.0]
    waits: list[float] = []
    fetcher = Fetcher(
        min_interval=5.0, clock=lambda: now[0], sleep=lambda s: waits.append(s), retries=0
    )
    try:
        assert isinstance(fetcher.get(server.url_for("/a")), FetchResult)
        now[0] += 1.0
        assert isinstance(fetcher.get(server.url_for("/a")), FetchResult)
    finally:
        fetcher.close()
    assert waits and waits[-1] == pytest.approx(4.0)


def _truncating_server() -> tuple[str, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
                b"Content-Length: 100000\r\nConnection: close\r\n\r\n" + PDF_V10[:5000]
            )
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    host, port = listener.getsockname()
    return f"http://{host}:{port}", listener


def test_truncated_body_is_a_failure(tmp_path: Path) -> None:
    base, listener = _truncating_server()
    try:
        root = workspace(tmp_path, f"{base}/policy.pdf")
        outcome = fetch(root, fast_fetcher(retries=0, respect_robots=False))
    finally:
        listener.close()
    assert outcome.status is pipeline.FetchStatus.FAILED
    assert "incomplete" in outcome.message
    assert Store(root).snapshots("doc") == []


def test_non_http_url_is_refused_by_the_fetcher() -> None:
    fetcher = fast_fetcher()
    try:
        result = fetcher.get("file:///etc/passwd")
    finally:
        fetcher.close()
    assert isinstance(result, FetchFailure)
    assert "unsupported URL scheme 'file'" in result.reason


def test_demo_site_history_fetched_day_by_day(httpserver: HTTPServer, tmp_path: Path) -> None:
    """The whole fictional history, served as it stood on each date: reflow and re-upload
    store nothing; every real version is stored once."""
    routes: dict[str, Path] = {}
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    httpserver.expect_request(re.compile(r"^/(?!robots).*")).respond_with_handler(
        lambda request: (
            Response(routes[request.path].read_bytes())
            if request.path in routes
            else Response("not found", status=404)
        )
    )
    shutil.copytree(build.CORPUS / "commitments", tmp_path / "commitments")
    base = httpserver.url_for("").rstrip("/")
    for path in (tmp_path / "commitments").rglob("*.yaml"):
        path.write_text(path.read_text().replace("https://example-labs.invalid", base))
    records = load_records(tmp_path, today=date.today())
    stored = []
    for day in build.state_dates():
        routes.clear()
        routes.update(build.site_on(day))
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        fetcher = fast_fetcher(now=lambda noon=noon: noon)
        outcomes = pipeline.fetch_documents(
            tmp_path, records, ["example-labs-scaling-policy"], fetcher=fetcher
        )
        fetcher.close()
        stored.append(outcomes[0].status)
    labels = [
        s.meta.version_label for s in Store(tmp_path).snapshots("example-labs-scaling-policy")
    ]
    assert labels == ["1.0", "1.1", "2.0", "2.1", "2.2"]
    assert stored[1] is pipeline.FetchStatus.UNCHANGED  # reflowed PDF
    assert stored[5] is pipeline.FetchStatus.UNCHANGED  # re-upload with other bytes
