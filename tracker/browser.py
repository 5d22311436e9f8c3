"""Fetching pages that need JavaScript: a headless Chromium driven by Playwright, launched
from the system's browser (never a download at run time), with the HTTP fetcher's robots.txt,
pacing and size rules. Optional: `pip install 'commitment-tracker[browser]'`."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

from tracker.fetch import Fetcher, FetchFailure, FetchResult

# A closed network: no background connections, no updates, no sync, a fresh profile each time.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
ACCEPT_LANGUAGE = "en-US,en;q=0.9"
INSTALL_HINT = (
    "install the extra (`pip install 'commitment-tracker[browser]'`) and a system Chromium "
    "(`apt-get install chromium`, or set TRACKER_CHROMIUM to the browser's path)"
)


def find_chromium() -> str | None:
    """The system Chromium: $TRACKER_CHROMIUM, else the first browser on the PATH."""
    configured = os.environ.get("TRACKER_CHROMIUM")
    if configured:
        return configured if os.path.exists(configured) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def available() -> str | None:
    """None when the browser fetcher can run; else what is missing and how to install it."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"the browser fetcher is not installed: {INSTALL_HINT}"
    if find_chromium() is None:
        return f"no Chromium found: {INSTALL_HINT}"
    return None


@dataclass
class BrowserFetcher:
    """Fetch a page as a browser renders it; the HTTP fetcher lends its politeness rules."""

    http: Fetcher
    timeout: float = 30.0  # seconds for the page to load (and for `wait_for`)

    def get(
        self, url: str, *, wait_for: str | None = None, remove: tuple[str, ...] = ()
    ) -> FetchResult | FetchFailure:
        missing = available()
        if missing is not None:
            return FetchFailure(url, None, missing)
        refused = self.http.allowed(url)
        if refused is not None:
            return refused
        self.http.pace(url)
        fetched_at = self.http.now()
        try:
            status, final_url, html = self._render(url, wait_for, remove)
        except BrowserError as exc:
            return FetchFailure(url, None, str(exc))
        if status >= 400:
            return FetchFailure(url, status, "HTTP error (in the browser)")
        body = html.encode("utf-8")
        if len(body) > self.http.max_bytes:
            return FetchFailure(url, status, f"page exceeds the {self.http.max_bytes}-byte cap")
        headers = {"Content-Type": "text/html; charset=utf-8"}
        return FetchResult(url, final_url, status, headers, body, fetched_at)

    def _render(
        self, url: str, wait_for: str | None, remove: tuple[str, ...]
    ) -> tuple[int, str, str]:
        from playwright.sync_api import Error, sync_playwright

        millis = int(self.timeout * 1000)
        try:
            with tempfile.TemporaryDirectory() as profile, sync_playwright() as driver:
                context = driver.chromium.launch_persistent_context(
                    profile,
                    executable_path=find_chromium(),
                    headless=True,
                    args=list(FLAGS),
                    user_agent=self.http.user_agent,
                    locale="en-US",
                    extra_http_headers={"Accept-Language": ACCEPT_LANGUAGE},
                )
                try:
                    page = context.new_page()
                    page.set_default_timeout(millis)
                    response = page.goto(url, wait_until="load", timeout=millis)
                    if wait_for:
                        page.wait_for_selector(wait_for, timeout=millis)
                    for selector in remove:
                        page.evaluate(_REMOVE, selector)
                    status = response.status if response is not None else 200
                    return status, page.url, page.content()
                finally:
                    context.close()
        except Error as exc:
            raise BrowserError(_first_line(exc)) from exc


_REMOVE = "(selector) => document.querySelectorAll(selector).forEach((e) => e.remove())"


class BrowserError(Exception):
    """The browser could not load or render the page (timeout, crash, a selector never seen)."""


def _first_line(exc: Any) -> str:
    text = str(exc).strip().splitlines()
    return "browser: " + (text[0] if text else exc.__class__.__name__)
