"""Fetching pages that need JavaScript, with a real headless Chromium against a local server.
Skipped, with the reason in the summary, only when no Chromium or no Playwright is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from tracker.browser import available
from tracker.cli import cli
from tracker.store import Store

POLICY = " ".join(
    f"We will review every frontier model against clause {n} of this policy before release."
    for n in range(1, 12)
)
SHELL = f"""<!DOCTYPE html><html><head><title>Policy</title></head><body>
<noscript>You need to enable JavaScript to run this app.</noscript>
<main id="app"></main>
<script>
setTimeout(function () {{
  document.getElementById("app").innerHTML =
    '<article id="policy"><h1>Scaling Policy</h1><p>{POLICY}</p></article>';
}}, DELAY);
</script>
<script>
var banner = document.createElement("div");
banner.id = "consent";
banner.innerHTML = "<p>We use cookies. Accept all cookies to continue reading our site.</p>";
document.body.appendChild(banner);
</script>
</body></html>"""

needs_browser = pytest.mark.skipif(
    available() is not None, reason=f"browser tests need Chromium and Playwright: {available()}"
)


def workspace(tmp_path: Path, url: str, extra: str = "") -> Path:
    folder = tmp_path / "commitments" / "x"
    folder.mkdir(parents=True)
    (folder / "policy.yaml").write_text(
        "schema_version: 1\ndocument:\n  id: js-policy\n  company: Script Co\n"
        f"  title: Scaling Policy\n  url: {url}\n{extra}commitments: []\n"
    )
    return tmp_path


def serve(httpserver: HTTPServer, delay_ms: int) -> str:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    page = SHELL.replace("DELAY", str(delay_ms))
    httpserver.expect_request("/policy").respond_with_data(page, content_type="text/html")
    return httpserver.url_for("/policy")


def fetch(root: Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(
        cli, ["--root", str(root), "fetch", "--json", "--min-interval", "0"]
    )
    outcomes: list[dict[str, object]] = json.loads(result.stdout)
    return outcomes


@needs_browser
def test_a_javascript_shell_falls_back_to_the_browser(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    root = workspace(tmp_path, serve(httpserver, 0))
    (outcome,) = fetch(root)
    assert outcome["status"] == "stored" and outcome["health"] == "ok", outcome
    assert "fetched with the browser" in str(outcome["message"])
    (snap,) = Store(root).snapshots("js-policy")
    assert snap.meta.fetcher == "browser"
    assert "clause 11 of this policy" in snap.text()


@needs_browser
def test_wait_for_and_remove(tmp_path: Path, httpserver: HTTPServer) -> None:
    extra = "  fetch: browser\n  wait_for: '#policy'\n  remove: ['#consent']\n"
    root = workspace(tmp_path, serve(httpserver, 800), extra)
    (outcome,) = fetch(root)
    assert outcome["health"] == "ok", outcome
    (snap,) = Store(root).snapshots("js-policy")
    text = snap.text()
    assert "clause 11 of this policy" in text  # inserted 0.8 s after load
    assert "Accept all cookies" not in text  # the banner was removed
    assert b'id="consent"' not in snap.raw()


def test_without_a_browser_the_shell_is_suspect_and_says_how_to_install(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_CHROMIUM", str(tmp_path / "no-such-browser"))
    root = workspace(tmp_path, serve(httpserver, 0))
    (outcome,) = fetch(root)
    assert outcome["status"] == "stored" and outcome["health"] == "suspect"
    assert "apt-get install chromium" in str(outcome["message"])
    assert outcome["consecutive_failures"] == 1  # counts towards "needs attention"
