"""Sequencing of `tracker publish github`: findings on disk -> wanted issues -> plan -> apply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker import publish, report
from tracker.models import Finding, Flag, Outcome, Verdict
from tracker.pipeline.fetching import ATTENTION_AFTER, needing_attention
from tracker.pipeline.reporting import fingerprint, load_checks
from tracker.records import Records
from tracker.store import Store

DEFAULT_VERDICTS = (Verdict.SILENT, Verdict.PARTIAL, Verdict.NO_ACCOUNT)
LOSSES = (Outcome.REMOVED, Outcome.WEAKENED, Outcome.RELOCATED)


@dataclass(frozen=True, slots=True)
class Links:
    """Where readers find the reports: https://github.com/<owner>/<repo>/blob/<branch>/."""

    server_url: str
    repository: str
    branch: str

    def report(self, finding: Finding) -> str:
        name = f"{finding.to.date}-{finding.to.sha256[:8]}"
        return (
            f"{self.server_url.rstrip('/')}/{self.repository}/blob/{self.branch}/"
            f"reports/{finding.document}/{name}.md"
        )


def wanted_issues(
    root: Path, records: Records, links: Links, verdicts: Sequence[Verdict] = DEFAULT_VERDICTS
) -> tuple[list[publish.Wanted], dict[str, str]]:
    """The issues that should be open, and why each other known fingerprint would close."""
    wanted: list[publish.Wanted] = []
    closing: dict[str, str] = {}
    for doc_id in sorted(records.documents):
        document = records.documents[doc_id]
        title = f"{document.company} {document.title}"
        findings = load_checks(root, doc_id)
        restored = {
            f.commitment: f.to for f in findings if f.commitment and Flag.RESTORED in f.flags
        }
        for f in findings:
            fp = fingerprint(f)
            back = restored.get(f.commitment or "")
            if back is not None and back.date > f.to.date and f.outcome in LOSSES:
                closing[fp] = (
                    f"Restored: the commitment stands again in "
                    f"{'v' + back.version if back.version else 'the snapshot'} ({back.date})."
                )
                continue
            if f.announcement is Verdict.ACKNOWLEDGED_LATE and f.acknowledged:
                ack = f.acknowledged
                closing[fp] = (
                    f"Acknowledged in the provider's account of "
                    f"{'v' + ack.version if ack.version else ack.date} ({ack.date}), "
                    f"{ack.delay_days} days later."
                )
            if f.outcome not in LOSSES or f.announcement not in verdicts:
                continue
            link = links.report(f)
            body = "\n".join(
                [
                    publish.marker(fp),
                    *report.finding_section(f, title),
                    f"Full report: {link}",
                    "",
                    "Opened by commitment-tracker; it closes this issue when a later check no "
                    "longer flags the finding.",
                ]
            )
            wanted.append(
                publish.Wanted(
                    fingerprint=fp,
                    title=_plain(report.headline(f, title)),
                    labels=tuple(
                        sorted(
                            {
                                publish.LABEL,
                                f"outcome: {f.outcome}",
                                f"announcement: {f.announcement}",
                            }
                        )
                    ),
                    body=publish.trim(body, link),
                )
            )
    store = Store(root)
    attention = {d: (n, e) for d, n, e in needing_attention(root, records)}
    for doc_id in sorted(records.documents):
        latest = store.latest(doc_id)
        reasons = list(latest.health.reasons) if latest is not None and not latest.ok else []
        failing = attention.get(doc_id)
        if not failing and not reasons:
            closing[f"attention/{doc_id}"] = "The document is fetched and read normally again."
            continue
        lines = [publish.marker(f"attention/{doc_id}"), f"`{doc_id}` needs a maintainer.", ""]
        if failing:
            lines.append(
                f"- Its fetch failed {failing[0]} runs in a row (threshold {ATTENTION_AFTER}); "
                f"last error: {report.text(failing[1])}"
            )
        if reasons:
            lines.append(
                "- Its latest snapshot looks broken, so nothing is concluded from it: "
                + "; ".join(report.text(r) for r in reasons)
            )
        wanted.append(
            publish.Wanted(
                fingerprint=f"attention/{doc_id}",
                title=f"Needs attention: {doc_id}",
                labels=(publish.LABEL, "needs attention"),
                body="\n".join(lines) + "\n",
            )
        )
    return wanted, closing


def _plain(markdown: str) -> str:
    return markdown.replace("*", "").replace("\\", "")


def publish_github(
    root: Path,
    records: Records,
    client: publish.GitHub,
    links: Links,
    *,
    apply: bool,
    verdicts: Sequence[Verdict] = DEFAULT_VERDICTS,
) -> list[tuple[publish.Action, int | None]]:
    """Plan (and with `apply`, carry out) the issue changes; returns each action and its issue."""
    wanted, closing = wanted_issues(root, records, links, verdicts)
    existing = client.issues()
    actions = publish.plan(wanted, existing, closing.get)
    if not apply:
        return [(a, a.number) for a in actions]
    return [(a, number) for a, number in publish.apply_all(client, actions)]
