"""HTTP fetching, politely and defensively: retries with backoff and Retry-After, per-host
pacing, robots.txt, conditional GET, size caps while streaming. Failures are values."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from protego import Protego
from requests.adapters import HTTPAdapter
from selectolax.lexbor import LexborHTMLParser, SelectolaxError
from urllib3.util.retry import Retry

from tracker import __version__

log = logging.getLogger(__name__)

USER_AGENT = (
    f"commitment-tracker/{__version__} (+https://github.com/commitment-tracker; "
    "watches public policy documents for changes)"
)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)
KEPT_HEADERS = ("content-type", "content-length", "etag", "last-modified", "date")


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


@dataclass(frozen=True, slots=True)
class FetchFailure:
    url: str
    status: int | None
    reason: str

    def __str__(self) -> str:
        status = f"HTTP {self.status}: " if self.status else ""
        return f"{self.url}: {status}{self.reason}"


class _CappedRetry(Retry):
    """urllib3's Retry, with Retry-After capped so a hostile header cannot stall a run."""

    max_retry_after: float = 120.0

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)

    def new(self, **kw: Any) -> _CappedRetry:
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        return retry


@dataclass
class Fetcher:
    """One shared session; inject `clock` and `sleep` to test pacing without waiting."""

    timeout: tuple[float, float] = (10.0, 30.0)
    max_bytes: int = DEFAULT_MAX_BYTES
    retries: int = 3
    backoff: float = 1.0
    max_retry_after: float = 120.0
    min_interval: float = 1.0
    max_redirects: int = 10
    respect_robots: bool = True
    user_agent: str = USER_AGENT
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    session: requests.Session = field(init=False)
    _last_hit: dict[str, float] = field(init=False, default_factory=dict)
    _robots: dict[str, Protego | FetchFailure | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        retry = _CappedRetry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            backoff_factor=self.backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=True,
            raise_on_status=False,
            redirect=self.max_redirects,
        )
        retry.max_retry_after = self.max_retry_after
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.max_redirects = self.max_redirects
        session.headers.update(
            {
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5",
                "Accept-Language": "en",
            }
        )
        self.session = session

    def close(self) -> None:
        self.session.close()

    # --- politeness --------------------------------------------------------------------

    def pace(self, url: str) -> None:
        """Wait so that two requests to one host are `min_interval` apart."""
        host = urlsplit(url).netloc
        last = self._last_hit.get(host)
        if last is not None:
            wait = self.min_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_hit[host] = self.clock()

    def allowed(self, url: str) -> FetchFailure | None:
        """None when robots.txt allows `url`; a failure naming the rule otherwise."""
        if not self.respect_robots:
            return None
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, FetchFailure):
            return FetchFailure(url, rules.status, rules.reason)
        if rules is not None and not rules.can_fetch(url, self.user_agent):
            return FetchFailure(
                url, None, f"disallowed by {origin}/robots.txt for our user agent; not fetched"
            )
        return None

    def _load_robots(self, origin: str) -> Protego | FetchFailure | None:
        url = f"{origin}/robots.txt"
        self.pace(url)
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("%s: robots.txt unreachable (%s); fetching as allowed", url, exc)
            return None
        if response.status_code >= 500:
            # RFC 9309: a server error on robots.txt means "assume complete disallow"
            return FetchFailure(
                url, response.status_code, "robots.txt answered a server error; not fetched"
            )
        if response.status_code >= 400:
            return None
        return Protego.parse(response.text)

    # --- fetching ----------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult | FetchFailure:
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            return FetchFailure(url, None, f"unsupported URL scheme {scheme!r}; use http or https")
        refused = self.allowed(url)
        if refused is not None:
            return refused
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self.pace(url)
        fetched_at = self.now()
        try:
            response = self.session.get(url, headers=headers, timeout=self.timeout, stream=True)
        except requests.TooManyRedirects:
            return FetchFailure(url, None, f"more than {self.max_redirects} redirects (a loop?)")
        except requests.exceptions.RetryError as exc:
            return FetchFailure(url, _status_of(exc), f"gave up after {self.retries} retries")
        except requests.Timeout:
            return FetchFailure(url, None, f"timed out after {self.retries} retries")
        except requests.ConnectionError as exc:
            return FetchFailure(url, None, f"connection failed: {_short(exc)}")
        except requests.RequestException as exc:
            return FetchFailure(url, None, f"request failed: {_short(exc)}")
        try:
            return self._read(url, response, fetched_at)
        finally:
            response.close()

    def _read(
        self, url: str, response: requests.Response, fetched_at: datetime
    ) -> FetchResult | FetchFailure:
        status = response.status_code
        kept = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
        if status == 304:
            return FetchResult(url, response.url, status, kept, b"", fetched_at)
        if status >= 400:
            return FetchFailure(url, status, response.reason or "HTTP error")
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            return FetchFailure(
                url, status, f"body of {declared} bytes exceeds the {self.max_bytes}-byte cap"
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.raw.stream(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > self.max_bytes:
                    encoded = response.headers.get("content-encoding")
                    what = f"decompressed ({encoded}) body" if encoded else "body"
                    return FetchFailure(
                        url, status, f"{what} exceeds the {self.max_bytes}-byte cap; not stored"
                    )
                chunks.append(chunk)
        except Exception as exc:  # urllib3 raises several types for a cut or corrupt body
            return FetchFailure(url, status, f"body incomplete or corrupt: {_short(exc)}")
        return FetchResult(url, response.url, status, kept, b"".join(chunks), fetched_at)


def follow_link(page: FetchResult, selector: str) -> str | FetchFailure:
    """The absolute URL of the first element matching `selector` on a fetched page."""
    try:
        tree = LexborHTMLParser(page.body.decode("utf-8", "replace"))
        node = tree.css_first(selector)
    except SelectolaxError:
        return FetchFailure(page.url, page.status, f"invalid `follow` selector {selector!r}")
    if node is None:
        return FetchFailure(
            page.url, page.status, f"`follow` selector {selector!r} matched no link on the page"
        )
    href = node.attributes.get("href") or node.attributes.get("src")
    if not href:
        return FetchFailure(
            page.url, page.status, f"`follow` selector {selector!r} matched an element without href"
        )
    target = urljoin(page.final_url or page.url, href.strip())
    if urlsplit(target).scheme not in ("http", "https"):
        return FetchFailure(page.url, page.status, f"`follow` link {target!r} is not http(s)")
    return target


def _status_of(exc: Exception) -> int | None:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    for code in RETRY_STATUSES:
        if f"{code}" in text:
            return code
    return None


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:197] + "..."
