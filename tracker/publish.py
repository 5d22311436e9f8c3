"""Open, update and close one GitHub issue per flagged finding, idempotently: each issue
carries the finding's fingerprint in a hidden marker, so a second run finds it instead of
opening another. The plan is pure; the GitHub client is a handful of REST calls."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import requests

log = logging.getLogger(__name__)

LABEL = "commitment-tracker"
MARKER = re.compile(r"<!-- commitment-tracker:fingerprint=([^\s>]+) -->")
BODY_LIMIT = 65_000  # GitHub refuses bodies over 65,536 characters
MAX_WAIT = 300.0  # never sleep longer than this for a rate limit


def marker(fingerprint: str) -> str:
    return f"<!-- commitment-tracker:fingerprint={fingerprint} -->"


@dataclass(frozen=True, slots=True)
class Wanted:
    """An issue that should be open: its fingerprint, title, labels and body."""

    fingerprint: str
    title: str
    labels: tuple[str, ...]
    body: str


@dataclass(frozen=True, slots=True)
class Existing:
    number: int
    title: str
    state: str  # open | closed
    body: str
    labels: tuple[str, ...]

    @property
    def fingerprint(self) -> str | None:
        match = MARKER.search(self.body or "")
        return match.group(1) if match else None


class Verb(StrEnum):
    OPEN = "open"
    UPDATE = "update"
    REOPEN = "reopen"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Action:
    verb: Verb
    fingerprint: str
    title: str
    number: int | None = None
    body: str | None = None
    labels: tuple[str, ...] = ()
    comment: str | None = None

    def describe(self) -> str:
        where = f"#{self.number}" if self.number else "new issue"
        return f"{self.verb} {where}: {self.title}"


def trim(body: str, link: str | None) -> str:
    """A body within GitHub's limit; when cut, it ends with a link to the full report."""
    if len(body) <= BODY_LIMIT:
        return body
    tail = f"\n\n… (cut to fit; the full report: {link})" if link else "\n\n… (cut to fit)"
    return body[: BODY_LIMIT - len(tail)] + tail


def plan(
    wanted: Sequence[Wanted],
    existing: Sequence[Existing],
    closing: Callable[[str], str | None] = lambda _fp: None,
) -> list[Action]:
    """What to do so that exactly the wanted issues are open. An open issue whose finding is
    no longer flagged is commented and closed; `closing(fingerprint)` says why (restored,
    acknowledged ...)."""
    by_fp = {e.fingerprint: e for e in existing if e.fingerprint}
    wanted_fps = {w.fingerprint for w in wanted}
    actions: list[Action] = []
    for w in sorted(wanted, key=lambda w: w.fingerprint):
        have = by_fp.get(w.fingerprint)
        if have is None:
            actions.append(Action(Verb.OPEN, w.fingerprint, w.title, body=w.body, labels=w.labels))
        elif have.state == "closed":
            actions.append(
                Action(Verb.REOPEN, w.fingerprint, w.title, have.number, w.body, w.labels,
                       comment="Flagged again by the latest check.")
            )  # fmt: skip
        elif have.body != w.body or have.title != w.title or set(have.labels) != set(w.labels):
            actions.append(
                Action(Verb.UPDATE, w.fingerprint, w.title, have.number, w.body, w.labels)
            )
    for fp, have in sorted(by_fp.items()):
        if fp in wanted_fps or have.state != "open":
            continue
        reason = closing(fp) or "The latest check no longer flags this finding."
        actions.append(Action(Verb.CLOSE, fp, have.title, have.number, comment=reason))
    return actions


class PublishError(Exception):
    """GitHub refused a request (bad token, missing repository, ...)."""


@dataclass
class GitHub:
    """The REST calls we need, with the token from the environment and rate limits honoured."""

    api_url: str
    repository: str  # owner/name
    token: str
    session: requests.Session = field(default_factory=requests.Session)
    sleep: Callable[[float], None] = time.sleep
    max_attempts: int = 5

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.api_url.rstrip('/')}{path}"
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "commitment-tracker",
        }
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.session.request(method, url, headers=headers, timeout=30, **kwargs)
            except requests.RequestException as exc:
                raise PublishError(f"{method} {url}: {exc.__class__.__name__}") from exc
            wait = _rate_limit_wait(response)
            if wait is not None and attempt < self.max_attempts:
                log.warning("GitHub rate limit on %s %s; waiting %.0f s", method, url, wait)
                self.sleep(wait)
                continue
            if response.status_code == 401:
                raise PublishError(
                    f"{method} {url}: HTTP 401: GitHub rejected the token (is GITHUB_TOKEN set, "
                    "and does it have `issues: write`?)"
                )
            if response.status_code >= 400:
                message = _message(response)
                raise PublishError(f"{method} {url}: HTTP {response.status_code}: {message}")
            return response
        raise PublishError(f"{method} {url}: still rate-limited after {self.max_attempts} tries")

    def issues(self) -> list[Existing]:
        """Every issue (open and closed) with our label, following pagination."""
        out: list[Existing] = []
        url: str | None = f"/repos/{self.repository}/issues?state=all&labels={LABEL}&per_page=100"
        while url:
            response = self._request("GET", url)
            for item in response.json():
                if "pull_request" in item:
                    continue
                out.append(
                    Existing(
                        number=int(item["number"]),
                        title=item.get("title") or "",
                        state=item.get("state") or "open",
                        body=item.get("body") or "",
                        labels=tuple(sorted(lb["name"] for lb in item.get("labels", []))),
                    )
                )
            url = response.links.get("next", {}).get("url")
        return out

    def apply(self, action: Action) -> int:
        base = f"/repos/{self.repository}/issues"
        if action.verb is Verb.OPEN:
            created = self._request(
                "POST", base,
                json={"title": action.title, "body": action.body, "labels": list(action.labels)},
            )  # fmt: skip
            return int(created.json()["number"])
        assert action.number is not None
        if action.comment:
            self._request("POST", f"{base}/{action.number}/comments", json={"body": action.comment})
        patch: dict[str, object] = {}
        if action.verb in (Verb.UPDATE, Verb.REOPEN):
            patch = {"title": action.title, "body": action.body, "labels": list(action.labels)}
            if action.verb is Verb.REOPEN:
                patch["state"] = "open"
        elif action.verb is Verb.CLOSE:
            patch = {"state": "closed", "state_reason": "completed"}
        self._request("PATCH", f"{base}/{action.number}", json=patch)
        return action.number


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds to wait when GitHub says we are rate-limited (primary or secondary)."""
    if response.status_code not in (403, 429):
        return None
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            return min(float(retry_after), MAX_WAIT)
        except ValueError:
            return 60.0
    if response.headers.get("X-RateLimit-Remaining") == "0":
        reset = response.headers.get("X-RateLimit-Reset")
        if reset and reset.isdigit():
            return min(max(float(reset) - time.time(), 1.0), MAX_WAIT)
        return 60.0
    if "secondary rate limit" in _message(response).lower():
        return 60.0
    return None


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    return str(data.get("message", data))[:200] if isinstance(data, dict) else str(data)[:200]


def apply_all(client: GitHub, actions: Iterable[Action]) -> list[tuple[Action, int]]:
    return [(action, client.apply(action)) for action in actions]
