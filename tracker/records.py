"""Load and validate the YAML commitment records; every error names its file, line and field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from tracker.models import Document, PageSource, RecordFile

RECORDS_DIR = "commitments"
SCHEMA_COMMENT = "# yaml-language-server: $schema={path}"

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class RecordError:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class RecordsInvalid(Exception):
    """Raised with every error found, so the user can fix them all in one pass."""

    def __init__(self, errors: Sequence[RecordError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True, slots=True)
class LoadedRecord:
    path: Path  # relative to the workspace root
    record: RecordFile

    @property
    def document(self) -> Document:
        return self.record.document


@dataclass(frozen=True, slots=True)
class Records:
    items: tuple[LoadedRecord, ...]

    @property
    def documents(self) -> dict[str, Document]:
        return {item.document.id: item.document for item in self.items}

    def get(self, document_id: str) -> LoadedRecord:
        for item in self.items:
            if item.document.id == document_id:
                return item
        known = ", ".join(sorted(self.documents)) or "none"
        raise KeyError(f"no record for document {document_id!r}; known documents: {known}")


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def record_paths(root: Path) -> list[Path]:
    folder = root / RECORDS_DIR
    return sorted(p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_records(root: Path, *, today: date) -> Records:
    """Load every record under `root`/commitments; raise RecordsInvalid listing every error."""
    errors: list[RecordError] = []
    parsed: list[tuple[Path, Any, RecordFile]] = []
    for path in record_paths(root):
        rel = path.relative_to(root)
        tree, file_errors = _parse(path, rel)
        errors.extend(file_errors)
        if tree is None or file_errors:
            continue
        try:
            record = RecordFile.model_validate(_plain(tree))
        except ValidationError as exc:
            errors.extend(_pydantic_errors(exc, tree, rel))
            continue
        parsed.append((rel, tree, record))
    errors.extend(_cross_record_errors(parsed, today))
    if errors:
        raise RecordsInvalid(sorted(errors, key=lambda e: (e.path, e.line, e.field)))
    return Records(tuple(LoadedRecord(rel, record) for rel, _, record in parsed))


def _parse(path: Path, rel: Path) -> tuple[Any, list[RecordError]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [RecordError(str(rel), 1, "", f"not UTF-8 text: {exc.reason}")]
    try:
        tree = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        lines = text.splitlines()
        if line <= len(lines) and "\t" in lines[line - 1]:
            problem += " (YAML does not allow tabs for indentation; use spaces)"
        return None, [RecordError(str(rel), line, "", f"invalid YAML: {problem}")]
    except YAMLError as exc:
        return None, [RecordError(str(rel), 1, "", f"invalid YAML: {exc}")]
    except ValueError as exc:  # the loader builds dates eagerly: 2023-02-30 raises here
        line = _bad_date_line(text)
        return None, [RecordError(str(rel), line, "", f"invalid date: {exc}")]
    if tree is None:
        return None, [RecordError(str(rel), 1, "", "the file is empty")]
    if not isinstance(tree, CommentedMap):
        return None, [RecordError(str(rel), 1, "", "the top level must be a mapping")]
    return tree, list(_tag_errors(tree, tree, rel, ()))


_DATE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.-])")


def _bad_date_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _DATE.finditer(line):
            try:
                date(*(int(g) for g in match.groups()))
            except ValueError:
                return number
    return 1


def _tag_errors(root: Any, node: Any, rel: Path, loc: Loc) -> Iterable[RecordError]:
    """Refuse explicit YAML tags (`!!python/object`, `!foo`): records are plain data."""
    if isinstance(node, TaggedScalar) or (
        hasattr(node, "tag") and getattr(node.tag, "value", None) is not None
    ):
        tag = getattr(getattr(node, "tag", None), "value", "?")
        yield RecordError(
            str(rel),
            _line_of(root, loc),
            _field(loc),
            f"YAML tag {tag!r} is not allowed; records hold plain strings, numbers, dates, "
            "lists and mappings",
        )
        return
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            yield from _tag_errors(root, value, rel, (*loc, key))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            yield from _tag_errors(root, value, rel, (*loc, index))


def _plain(node: Any) -> Any:
    if isinstance(node, CommentedMap):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    return node


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_of(tree: Any, loc: Loc) -> int:
    """The 1-based line of the node at `loc`, or of its nearest existing ancestor."""
    if tree is None:
        return 1
    node = tree
    line = 0
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0]
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0]
            node = node[part]
        else:
            break
    return line + 1


def _clean_loc(tree: Any, loc: Sequence[str | int]) -> Loc:
    """Drop the entries pydantic adds for union members (e.g. the `page` of a discriminator)."""
    node = tree
    out: list[str | int] = []
    for part in loc:
        if isinstance(node, CommentedMap):
            if part in node:
                out.append(part)
                node = node[part]
            elif node.get("kind") == part:
                continue
            else:
                out.append(part)
                node = None
        elif isinstance(node, CommentedSeq) and isinstance(part, int):
            out.append(part)
            node = node[part] if part < len(node) else None
        else:
            out.append(part)
            node = None
    return tuple(out)


_MESSAGES = {
    "missing": "field required",
    "extra_forbidden": "unknown field (check the spelling; allowed fields are in the schema)",
}


def _pydantic_errors(exc: ValidationError, tree: Any, rel: Path) -> list[RecordError]:
    out = []
    for err in exc.errors():
        loc = _clean_loc(tree, err["loc"])
        message = _MESSAGES.get(err["type"], err["msg"])
        message = message.removeprefix("Value error, ")
        if err["type"] == "string_pattern_mismatch" and loc and loc[-1] in ("id", "document"):
            message = (
                "must be lower-case letters, digits and single hyphens (it is used as a "
                f"folder name), got {err['input']!r}"
            )
        elif err["type"] == "string_pattern_mismatch" and loc and loc[-1] in ("url", "source"):
            message = f"must be an absolute http:// or https:// URL, got {err['input']!r}"
        elif err["type"] == "union_tag_invalid":
            message = (
                f"unknown kind {err['input'].get('kind')!r}; "
                "supported: changelog-section, page, feed"
                if isinstance(err["input"], dict)
                else message
            )
        out.append(RecordError(str(rel), _line_of(tree, loc), _field(loc), message))
    return out


def _cross_record_errors(
    parsed: Sequence[tuple[Path, Any, RecordFile]], today: date
) -> list[RecordError]:
    errors: list[RecordError] = []
    first_seen: dict[str, Path] = {}
    for rel, tree, record in parsed:
        doc_id = record.document.id
        if doc_id in first_seen:
            errors.append(
                RecordError(
                    str(rel),
                    _line_of(tree, ("document", "id")),
                    "document.id",
                    f"duplicate document id {doc_id!r}, also used in {first_seen[doc_id]}",
                )
            )
        else:
            first_seen[doc_id] = rel
    known = set(first_seen)

    for rel, tree, record in parsed:

        def err(loc: Loc, message: str, rel: Path = rel, tree: Any = tree) -> None:
            errors.append(RecordError(str(rel), _line_of(tree, loc), _field(loc), message))

        doc = record.document
        for index, companion in enumerate(doc.companions):
            loc: Loc = ("document", "companions", index)
            if companion == doc.id:
                err(loc, "a document cannot be its own companion")
            elif companion not in known:
                err(loc, f"unknown document {companion!r}; {_known(known)}")
        for index, source in enumerate(doc.announcements):
            page_target = source.document if isinstance(source, PageSource) else None
            if page_target is not None and page_target not in known:
                err(
                    ("document", "announcements", index, "document"),
                    f"unknown document {page_target!r}; {_known(known)}",
                )
        for name in ("follow", "select", "wait_for"):
            selector = getattr(doc, name)
            if selector is not None and not _selector_compiles(selector):
                err(("document", name), f"invalid CSS selector {selector!r}")
        for index, selector in enumerate(doc.remove):
            if not _selector_compiles(selector):
                err(("document", "remove", index), f"invalid CSS selector {selector!r}")

        seen_ids: dict[str, int] = {}
        for index, commitment in enumerate(record.commitments):
            if commitment.id in seen_ids:
                err(
                    ("commitments", index, "id"),
                    f"duplicate commitment id {commitment.id!r}, "
                    f"also commitments[{seen_ids[commitment.id]}]",
                )
            else:
                seen_ids[commitment.id] = index
            if commitment.stated > today:
                err(
                    ("commitments", index, "stated"),
                    f"date {commitment.stated} is in the future",
                )
            for r_index, revision in enumerate(commitment.revisions):
                if revision.since > today:
                    err(
                        ("commitments", index, "revisions", r_index, "since"),
                        f"date {revision.since} is in the future",
                    )
    return errors


def _known(known: set[str]) -> str:
    return "known documents: " + (", ".join(sorted(known)) or "none")


def _selector_compiles(selector: str) -> bool:
    try:
        LexborHTMLParser("<html></html>").css(selector)
    except SelectolaxError:
        return False
    return True


def record_json_schema() -> dict[str, Any]:
    schema = RecordFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://commitment-tracker.invalid/schema/record.schema.json",
        **schema,
    }


def dump_schema(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- editing records (tracker add, tracker accept) ---------------------------------------------


def _round_trip(path: Path) -> tuple[YAML, Any]:
    yaml = _yaml()
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml, yaml.load(path.read_text(encoding="utf-8"))


def _save(yaml: YAML, tree: Any, path: Path) -> None:
    """Write atomically: a temporary file beside it, then rename."""
    import io

    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(path)


def _append(owner: Any, key: str, entry: dict[str, Any]) -> None:
    """Append a mapping to the list `owner[key]`, creating the list when absent."""
    if owner.get(key) is None:
        owner[key] = CommentedSeq()
    item = CommentedMap()
    for name, value in entry.items():
        item[name] = value
    owner[key].append(item)


def append_commitment(path: Path, entry: dict[str, Any]) -> None:
    """Append a commitment to a record file; comments and formatting of the rest are kept."""
    yaml, tree = _round_trip(path)
    _append(tree, "commitments", entry)
    _save(yaml, tree, path)


def append_revision(path: Path, commitment_id: str, revision: dict[str, Any]) -> None:
    """Add an accepted rewording to a commitment's `revisions`, oldest first."""
    yaml, tree = _round_trip(path)
    for item in tree.get("commitments") or []:
        if item.get("id") == commitment_id:
            _append(item, "revisions", revision)
            _save(yaml, tree, path)
            return
    raise KeyError(f"{path}: no commitment {commitment_id!r}")
