"""`tracker publish github` against a fake GitHub REST API on 127.0.0.1 that keeps state."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import DOC, invoke
from tracker.cli import cli
from tracker.demo import build

REPO_NAME = "watchdog/tracker"
FLAGGED = {  # silent or partial removals, weakenings and relocations of the demo history
    "pause-training",
    "deployment-gate",
    "eval-before-training",
    "external-testing",
    "weight-security",
    "safety-board-review",
}


class FakeGitHub:
    def __init__(self, server: HTTPServer) -> None:
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: list[tuple[int, str]] = []
        self.requests: list[tuple[str, str]] = []
        self.fail_next_post: list[Response] = []
        self.token = "secret-token"
        base = f"/repos/{REPO_NAME}/issues"
        server.expect_request(base, method="GET").respond_with_handler(self.listing)
        server.expect_request(base, method="POST").respond_with_handler(self.create)
        server.expect_request(re.compile(rf"{base}/\d+"), method="PATCH").respond_with_handler(
            self.patch
        )
        server.expect_request(
            re.compile(rf"{base}/\d+/comments"), method="POST"
        ).respond_with_handler(self.comment)

    def _auth(self, request: Request) -> Response | None:
        self.requests.append((request.method, request.path))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return Response(json.dumps({"message": "Bad credentials"}), 401)
        return None

    def listing(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        assert request.args["labels"] == "commitment-tracker"
        page = int(request.args.get("page", 1))
        per = int(request.args["per_page"])
        items = sorted(self.issues.values(), key=lambda i: i["number"])
        chunk = items[(page - 1) * per : page * per]
        headers = {}
        if page * per < len(items):
            nxt = (
                request.base_url
                + f"?state=all&labels=commitment-tracker&per_page={per}&page={page + 1}"
            )
            headers["Link"] = f'<{nxt}>; rel="next"'
        return Response(json.dumps(chunk), 200, headers, content_type="application/json")

    def create(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        if self.fail_next_post:
            return self.fail_next_post.pop(0)
        data = request.get_json()
        number = len(self.issues) + 1
        self.issues[number] = {
            "number": number,
            "title": data["title"],
            "body": data["body"],
            "state": "open",
            "labels": [{"name": n} for n in data["labels"]],
        }
        return Response(json.dumps(self.issues[number]), 201, content_type="application/json")

    def patch(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        number = int(request.path.rsplit("/", 1)[1])
        data = request.get_json()
        issue = self.issues[number]
        for key in ("title", "body", "state"):
            if key in data:
                issue[key] = data[key]
        if "labels" in data:
            issue["labels"] = [{"name": n} for n in data["labels"]]
        return Response(json.dumps(issue), 200, content_type="application/json")

    def comment(self, request: Request) -> Response:
        if (denied := self._auth(request)) is not None:
            return denied
        number = int(request.path.split("/")[-2])
        self.comments.append((number, request.get_json()["body"]))
        return Response("{}", 201, content_type="application/json")

    def open_titles(self) -> list[str]:
        return sorted(i["title"] for i in self.issues.values() if i["state"] == "open")


@pytest.fixture
def github(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver)


def publish(root: Path, server: HTTPServer, *args: str, token: str = "secret-token") -> Result:
    return CliRunner().invoke(
        cli,
        ["--root", str(root), "publish", "github", *args],
        env={
            "GITHUB_TOKEN": token,
            "GITHUB_REPOSITORY": REPO_NAME,
            "GITHUB_API_URL": server.url_for(""),
        },
    )


def test_opens_one_issue_per_flagged_finding_then_nothing(
    workspace: Path, httpserver: HTTPServer, github: FakeGitHub
) -> None:
    dry = publish(workspace, httpserver)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.count("would open new issue") == len(FLAGGED)
    assert not github.issues  # a dry run changes nothing

    first = publish(workspace, httpserver, "--apply")
    assert first.exit_code == 0, first.output
    assert len(github.issues) == len(FLAGGED)
    titles = github.open_titles()
    assert (
        "Silent removal: Pause training when safeguards lag behind (Example Labs Frontier "
        "Scaling Policy, v1.1 → v2.0)" in titles
    )
    body = next(i["body"] for i in github.issues.values() if "Pause training" in i["title"])
    assert "<!-- commitment-tracker:fingerprint=example-labs-scaling-policy/pause-training/" in body
    assert (
        "https://github.com/watchdog/tracker/blob/main/reports/example-labs-scaling-policy/" in body
    )
    labels = {lb["name"] for i in github.issues.values() for lb in i["labels"]}
    assert {"commitment-tracker", "outcome: removed", "announcement: silent"} <= labels
    assert "secret-token" not in first.output

    seen = len(github.requests)
    second = publish(workspace, httpserver, "--apply")
    assert second.exit_code == 0, second.output
    assert len(github.issues) == len(FLAGGED)
    assert "nothing to do" in second.stderr
    assert {m for m, _ in github.requests[seen:]} == {"GET"}


def test_a_finding_no_longer_flagged_closes_its_issue(
    workspace: Path, tmp_path: Path, httpserver: HTTPServer, github: FakeGitHub
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    assert publish(root, httpserver, "--apply").exit_code == 0
    record = root / "commitments/example-labs/scaling-policy.yaml"
    text = record.read_text()
    start = text.index("  - id: pause-training")
    end = text.index("  - id: deployment-gate")
    record.write_text(text[:start] + text[end:])  # the maintainers drop the commitment
    invoke(root, "check")
    result = publish(root, httpserver, "--apply")
    assert result.exit_code == 0, result.output
    closed = [i for i in github.issues.values() if i["state"] == "closed"]
    assert [i["title"] for i in closed] == [
        "Silent removal: Pause training when safeguards lag behind (Example Labs Frontier "
        "Scaling Policy, v1.1 → v2.0)"
    ]
    assert github.comments and "no longer flags" in github.comments[-1][1]


def test_pagination_and_a_secondary_rate_limit(
    workspace: Path, httpserver: HTTPServer, github: FakeGitHub
) -> None:
    for n in range(1, 131):  # other issues with our label: three pages to read
        github.issues[n] = {"number": n, "title": f"old {n}", "body": "", "state": "closed",
                            "labels": [{"name": "commitment-tracker"}]}  # fmt: skip
    github.fail_next_post.append(
        Response(
            json.dumps({"message": "You have exceeded a secondary rate limit."}),
            403,
            {"Retry-After": "1"},
            content_type="application/json",
        )
    )
    result = publish(workspace, httpserver, "--apply")
    assert result.exit_code == 0, result.output
    gets = [p for m, p in github.requests if m == "GET"]
    assert len(gets) == 2  # 130 + 0 issues at 100 per page
    assert len([i for i in github.issues.values() if i["state"] == "open"]) == len(FLAGGED)


def test_a_rejected_token_is_a_clear_error(
    workspace: Path, httpserver: HTTPServer, github: FakeGitHub
) -> None:
    result = publish(workspace, httpserver, "--apply", token="wrong")
    assert result.exit_code == 1
    assert "HTTP 401: GitHub rejected the token" in result.output
    assert "wrong" not in result.output
    assert not github.issues


def test_missing_token_is_a_usage_error(workspace: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--root", str(workspace), "publish", "github", "--repository", "a/b"],
        env={"GITHUB_TOKEN": ""},
    )
    assert result.exit_code == 2 and "GITHUB_TOKEN" in result.output


def test_a_restored_commitment_closes_its_issue(
    workspace: Path, tmp_path: Path, httpserver: HTTPServer, github: FakeGitHub
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(workspace, root)
    assert publish(root, httpserver, "--apply").exit_code == 0
    source = build.SOURCE / "scaling-policy"
    pause = next(
        line for line in (source / "v1.1.md").read_text().splitlines() if "pause further" in line
    )
    restored = tmp_path / "v2.3.md"
    text = (source / "v2.2.md").read_text()
    heading = next(line for line in text.splitlines() if line.startswith("## 4."))
    restored.write_text(text.replace(heading, f"{heading}\n\n{pause}"))  # back in its section
    invoke(root, "import", DOC, str(restored), "--date", "2025-09-01", "--version", "2.3")
    findings = json.loads(invoke(root, "check", "--json", DOC))
    back = [
        f for f in findings if f["commitment"] == "pause-training" and f["to"]["version"] == "2.3"
    ]
    assert [(f["outcome"], f["flags"]) for f in back] == [("added", ["restored"])]
    result = publish(root, httpserver, "--apply")
    assert result.exit_code == 0, result.output
    closed = [i["title"] for i in github.issues.values() if i["state"] == "closed"]
    assert closed == [
        "Silent removal: Pause training when safeguards lag behind (Example Labs Frontier "
        "Scaling Policy, v1.1 → v2.0)"
    ]
    assert "Restored: the commitment stands again in v2.3 (2025-09-01)." in github.comments[-1][1]
