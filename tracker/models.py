"""The values every stage shares: record models read from YAML, and the enums of the vocabulary."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SUPPORTED_SCHEMA_VERSIONS = (1,)

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"

Identifier = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        max_length=100,
        description="Lower-case letters, digits and single hyphens; used as a folder name.",
    ),
]
HttpUrl = Annotated[
    str,
    Field(pattern=URL_PATTERN, description="An absolute http:// or https:// URL."),
]
Quote = Annotated[str, Field(min_length=1, description="Verbatim text from the document.")]


class Category(StrEnum):
    """What a commitment is about: the codebook's categories (EC1-EC6, G, S, M) by name."""

    SCOPE = "scope"  # EC1: which capabilities or risk domains are evaluated
    THRESHOLD = "threshold"  # EC2: when evaluations occur, what result crosses a threshold
    METHOD = "method"  # EC3: how evaluations are conducted
    THIRD_PARTY = "third-party"  # EC4: external evaluation, audits, government access
    DISCLOSURE = "disclosure"  # EC5: what is published, to whom, when
    CONSEQUENCE = "consequence"  # EC6: what a result obligates
    GOVERNANCE = "governance"  # G
    SECURITY = "security"  # S
    MITIGATION = "mitigation"  # M


class FetchMode(StrEnum):
    HTTP = "http"  # a plain HTTP client (a browser only as a fallback for a JavaScript shell)
    BROWSER = "browser"  # always a headless browser (pages rendered by scripts)


class DocumentFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    TEXT = "text"


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from exc
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


class Revision(Strict):
    """An accepted rewording of a commitment: from `since` on, this is its wording."""

    since: date
    quote: Quote
    note: str | None = None

    _quote_not_blank = field_validator("quote")(_check_not_blank)


class Commitment(Strict):
    id: Identifier
    title: str = Field(min_length=1)
    quote: Quote
    stated: date = Field(description="First date the commitment was stated; not checked before.")
    source: HttpUrl | None = Field(
        default=None, description="The URL of the version the quote was taken from."
    )
    section: str | None = Field(default=None, description="The heading it was stated under.")
    category: Category | None = None
    keywords: list[str] = Field(
        default_factory=list, description="Words a provider's account would use for it."
    )
    revisions: list[Revision] = Field(default_factory=list)

    _quote_not_blank = field_validator("quote", "title")(_check_not_blank)

    @model_validator(mode="after")
    def _revisions_in_order(self) -> Commitment:
        previous = self.stated
        for index, revision in enumerate(self.revisions):
            if revision.since < previous:
                raise ValueError(
                    f"revisions[{index}].since {revision.since} is before {previous}; "
                    "list revisions oldest first, each on or after `stated`"
                )
            previous = revision.since
        return self

    def wording_on(self, day: date) -> str:
        """The accepted wording in force on `day` (the latest revision since on or before it)."""
        quote = self.quote
        for revision in self.revisions:
            if revision.since <= day:
                quote = revision.quote
        return quote


class ChangelogSection(Strict):
    """A section of the document itself whose heading matches `heading`."""

    kind: Literal["changelog-section"]
    heading: str = Field(description="Regular expression matched against section headings.")

    _heading_regex = field_validator("heading")(_check_regex)


class PageSource(Strict):
    """Another tracked document (by id) or a page (by URL) that records revisions."""

    kind: Literal["page"]
    document: Identifier | None = None
    url: HttpUrl | None = None

    @model_validator(mode="after")
    def _one_target(self) -> PageSource:
        if (self.document is None) == (self.url is None):
            raise ValueError("give exactly one of `document` or `url`")
        return self


class FeedSource(Strict):
    """An RSS or Atom feed whose items dated in the change window count as the account."""

    kind: Literal["feed"]
    url: HttpUrl
    grace_days: int = Field(default=14, ge=0, le=365)


AnnouncementSource = Annotated[
    ChangelogSection | PageSource | FeedSource, Field(discriminator="kind")
]


class Document(Strict):
    id: Identifier
    company: str = Field(min_length=1)
    title: str = Field(min_length=1)
    url: HttpUrl
    format: DocumentFormat | None = Field(
        default=None, description="Expected format; by default the content type decides."
    )
    follow: str | None = Field(
        default=None, description="CSS selector of the link on the landing page to fetch."
    )
    select: str | None = Field(default=None, description="CSS selector of the main content.")
    fetch: FetchMode = Field(
        default=FetchMode.HTTP,
        description="http (a browser only when the page turns out to need JavaScript) or "
        "browser (always).",
    )
    wait_for: str | None = Field(
        default=None, description="Browser: wait until this CSS selector appears."
    )
    remove: list[str] = Field(
        default_factory=list,
        description="Browser: CSS selectors of elements to remove (consent banners).",
    )
    version_pattern: str | None = Field(
        default=None, description="Regular expression whose first group is the version label."
    )
    companions: list[Identifier] = Field(default_factory=list)
    announcements: list[AnnouncementSource] = Field(default_factory=list)
    notes: str | None = None

    _version_regex = field_validator("version_pattern")(
        lambda value: value if value is None else _check_regex(value)
    )


class RecordFile(Strict):
    """One file under commitments/: a tracked document and the commitments it states."""

    schema_version: int
    document: Document
    commitments: list[Commitment] = Field(default_factory=list)

    @field_validator("schema_version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value not in SUPPORTED_SCHEMA_VERSIONS:
            supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
            raise ValueError(f"unsupported schema_version {value}; supported: {supported}")
        return value


# --- snapshots -----------------------------------------------------------------------------


class HealthStatus(StrEnum):
    OK = "ok"
    SUSPECT = "suspect"


class Health(Strict):
    """Whether a snapshot looks like the document; later stages conclude nothing from suspect."""

    status: HealthStatus
    reasons: list[str] = Field(default_factory=list)


class FetcherKind(StrEnum):
    HTTP = "http"
    IMPORT = "import"
    BROWSER = "browser"
    WAYBACK = "wayback"  # a capture of the Wayback Machine (final_url is the capture)


class Extractor(Strict):
    name: str
    version: str


class SnapshotMeta(Strict):
    """meta.json of a snapshot: where the bytes came from and what was made of them."""

    schema_version: Literal[1] = 1
    id: str = Field(description="The folder name: the UTC time the snapshot was taken.")
    document: Identifier
    taken_at: datetime = Field(description="When the content was fetched (UTC).")
    url: HttpUrl | None = Field(default=None, description="The URL fetched (after `follow`).")
    landing_url: HttpUrl | None = Field(
        default=None, description="The page the URL was found on, when the record has `follow`."
    )
    final_url: HttpUrl | None = Field(default=None, description="The URL after redirects.")
    http_status: int | None = None
    headers: dict[str, str] = Field(
        default_factory=dict, description="ETag, Last-Modified, Content-Type, Content-Length."
    )
    fetcher: FetcherKind
    imported_from: str | None = None
    media_type: str
    raw_file: str
    raw_sha256: str
    raw_bytes: int
    text_sha256: str
    text_chars: int
    extractor: Extractor
    health: Health
    version_label: str | None = None
    version_given: str | None = Field(
        default=None, description="A version label given by hand (`tracker import --version`)."
    )
    title: str | None = None


# --- findings and reports --------------------------------------------------------------------


class Outcome(StrEnum):
    """What happened to a commitment between two snapshots (the codebook's outcome codes)."""

    RETAINED = "retained"  # R
    WEAKENED = "weakened"  # W
    STRENGTHENED = "strengthened"  # S
    REMOVED = "removed"  # X
    RELOCATED = "relocated"  # L
    ADDED = "added"  # A
    UNVERIFIABLE = "unverifiable"  # the newer snapshot is suspect: nothing concluded

    @property
    def code(self) -> str:
        return OUTCOME_CODES[self]

    @property
    def material(self) -> bool:
        return self not in (Outcome.RETAINED, Outcome.UNVERIFIABLE)


OUTCOME_CODES = {
    Outcome.RETAINED: "R",
    Outcome.WEAKENED: "W",
    Outcome.STRENGTHENED: "S",
    Outcome.REMOVED: "X",
    Outcome.RELOCATED: "L",
    Outcome.ADDED: "A",
    Outcome.UNVERIFIABLE: "-",
}


class Dimension(StrEnum):
    SCOPE = "scope"
    THRESHOLD = "threshold"
    ACTOR = "actor"
    OBLIGATION = "obligation"
    DISCLOSURE = "disclosure"
    CONSEQUENCE = "consequence"


class Direction(StrEnum):
    UP = "strengthened"
    DOWN = "weakened"


class Verdict(StrEnum):
    """Was a material change identified in the provider's own account of the revision?"""

    ANNOUNCED = "announced"  # the account identifies the change and its direction
    PARTIAL = "partial"  # it names the commitment or its class, not the direction
    SILENT = "silent"  # an account exists and does not identify the change
    NO_ACCOUNT = "no-account"  # no account was published for the revision
    ACKNOWLEDGED_LATE = "acknowledged-late"  # silent then, identified by a later account


class Flag(StrEnum):
    MIX = "MIX"  # moved both ways; coded weakened (codebook 11.3)
    REWRITTEN = "document-rewritten-review-needed"  # removal in a document rewritten past half
    LOW_CONFIDENCE = "low-confidence-match"  # the counterpart is a loose match: review it
    RESTORED = "restored"  # a commitment removed earlier stands again


class SnapshotRef(Strict):
    """A snapshot as findings cite it."""

    id: str
    date: str = Field(description="The date the snapshot was taken (UTC), ISO 8601.")
    version: str | None = None
    sha256: str = Field(description="sha256 of the raw bytes as received.")
    text_sha256: str | None = None
    url: str | None = None
    archive_url: str | None = Field(
        default=None, description="The Wayback Machine's capture of the URL nearest that date."
    )


class Movement(Strict):
    """One materiality dimension that moved, which way, and the words that moved it."""

    dimension: Dimension
    direction: Direction
    before: str = Field(description="The words as they stood before ('' when added).")
    after: str = Field(description="The words after ('' when removed).")


class AccountSource(StrEnum):
    CHANGELOG_SECTION = "changelog-section"
    PAGE = "page"
    FEED = "feed"


class AccountEntry(Strict):
    """A piece of the provider's account of a revision: an entry, a page's new lines, a post."""

    source: AccountSource
    where: str = Field(description="The document id, page or feed URL the entry comes from.")
    date: str | None = Field(default=None, description="The entry's date, when it has one.")
    version: str | None = Field(default=None, description="The version the entry is about.")
    title: str | None = None
    url: str | None = None
    text: str


class AccountMatch(Strict):
    """The account text that identifies (or names) a change."""

    entry: AccountEntry
    sentence: str = Field(description="The sentence of the entry that matched.")
    terms: list[str] = Field(default_factory=list, description="The words that matched.")
    direction_words: list[str] = Field(default_factory=list)


class LateAcknowledgement(Strict):
    """A later account that identified an earlier silent change."""

    version: str | None
    date: str
    delay_days: int
    attributed_correctly: bool = Field(
        description="Whether the account attributes the change to the revision in which the "
        "text actually changed."
    )
    attributed_to: str | None = Field(
        default=None, description="The version the account files the change under."
    )
    match: AccountMatch


class Relocation(Strict):
    document: str
    snapshot: SnapshotRef


class Evidence(Strict):
    before: str | None = Field(default=None, description="The passage in the older snapshot.")
    after: str | None = Field(default=None, description="Its counterpart in the newer one.")
    section_before: str | None = None
    section_after: str | None = None
    score: float | None = Field(default=None, description="Match score of the counterpart, 0-100.")
    method: str | None = None
    word_diff: str | None = None
    movements: list[Movement] = Field(default_factory=list)
    closest: str | None = Field(
        default=None, description="For a removal: the closest passage that remains."
    )
    closest_section: str | None = None
    closest_counterpart_of: str | None = Field(
        default=None,
        description="The closest passage matches this other commitment better: it is that "
        "one's counterpart, not this one's.",
    )
    relocated_to: Relocation | None = None
    reasons: list[str] = Field(
        default_factory=list, description="Why a snapshot is suspect (unverifiable findings)."
    )
    account: list[AccountMatch] = Field(
        default_factory=list, description="The account text that identifies the change."
    )
    sources_checked: list[str] = Field(
        default_factory=list, description="Every account source consulted for the verdict."
    )


class Finding(Strict):
    """One commitment (or untracked commitment-like sentence) in one snapshot pair."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    document: str
    commitment: str | None = Field(description="The commitment id; null for untracked sentences.")
    title: str | None = None
    from_: SnapshotRef = Field(alias="from")
    to: SnapshotRef
    outcome: Outcome
    moved: bool = False
    dimensions: list[Dimension] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    announcement: Verdict | None = Field(
        default=None, description="Null when nothing material changed."
    )
    acknowledged: LateAcknowledgement | None = None
    evidence: Evidence = Field(default_factory=Evidence)

    @property
    def flagged(self) -> bool:
        """A material change the provider's account does not identify in its own revision."""
        return self.outcome.material and self.announcement in (
            Verdict.SILENT,
            Verdict.PARTIAL,
            Verdict.ACKNOWLEDGED_LATE,
        )

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = self.model_dump(mode="json", by_alias=True)
        return data


class SectionChange(Strict):
    """How one section of the document changed between the two snapshots."""

    section: str
    change: Literal["added", "removed", "changed", "unchanged"]
    words_added: int = 0
    words_removed: int = 0


class DocumentRef(Strict):
    id: str
    company: str
    title: str
    url: str


class Report(Strict):
    """reports/<doc>/<date>-<hash>.json: every finding of one snapshot pair with a change."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_version: Literal[1] = 1
    document: DocumentRef
    from_: SnapshotRef = Field(alias="from")
    to: SnapshotRef
    similarity: float = Field(
        description="Share of words the two versions have in common, in order."
    )
    findings: list[Finding]
    sections: list[SectionChange]
    word_diff: str = Field(description="The whole document's word diff, markdown.")
