"""One file's work: read it for each crawler that wants it, crawl it, take the notes.

:func:`run_job` is the whole of what happens to one file, wherever it runs (the main
process or a worker) and whatever its outcome: findings, Unknowns, the crawlers' notes.
Its :class:`FileResult` has a JSON form (:func:`result_payload`, :func:`result_of`)
that the per-file result cache stores: JSON, never pickle, so the cache can hold data
only, never code. The notes a crawler recorded pass through that JSON form (and the
redaction of secrets) in every mode, so a scan crawled serially, in parallel or from the
cache hands its crawlers the same notes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from modelbom.crawl.reader import EntryReader
from modelbom.crawlers import Crawler, CrawlError, FileInput, NeedBytes
from modelbom.crawlers.base import Note
from modelbom.model import Finding, Stage, Unknown
from modelbom.redact import redact
from modelbom.walk import Entry, ReadError

log = logging.getLogger("modelbom.engine")

# Every token shape redact() removes starts with one of these, and none of them holds a
# character JSON escapes: notes whose JSON text has none of them need no redaction.
_SECRET_HINT = re.compile(r"hf_|api_org_|sk-|gh[pousr]_|glpat-|AKIA|xox[abprs]-|://")
_MEMO_CHARS = 160
# The most a crawler may sniff (Crawler.sniff_bytes) from bytes read for another one.
_SNIFF_KEEP = 64 * 1024


@dataclass(frozen=True, slots=True)
class FileJob:
    """A file to crawl: the crawlers that want it by path, or an offer to the sniffers."""

    entry: Entry
    crawlers: tuple[int, ...]  # indexes into the scan's crawler list
    sniff: bool = False  # no crawler wants it by path: offer its first bytes to sniffers
    revisit: bool = False  # a second look a crawler asked for (FileInput.revisit)
    notes: Mapping[str, Sequence[Note]] = field(default_factory=dict)  # noted by wants()


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one file yielded. ``payload`` is its JSON form for the cache (None: not to be
    stored, because reading failed and may succeed next time)."""

    crawled: bool
    findings: tuple[Finding, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    notes: Mapping[str, Sequence[Note]] = field(default_factory=dict)  # crawler -> notes
    payload: str | None = None


def run_job(
    job: FileJob, crawlers: Sequence[Crawler], reader: EntryReader, max_file_bytes: int
) -> FileResult:
    """Crawl one file with every crawler that wants it; every failure is an Unknown."""
    entry = job.entry
    unknowns: list[Unknown] = []
    wanting = [crawlers[i] for i in job.crawlers]
    sniffers = [c for c in crawlers if c.sniff_bytes > 0]
    if job.sniff:
        wanting = _sniff(sniffers, entry, reader, unknowns)
    findings: list[Finding] = []
    notes: dict[str, list[Note]] = {name: list(noted) for name, noted in job.notes.items()}
    whole = [min(c.max_bytes, max_file_bytes) for c in wanting if not c.prefix_only]
    shared = _SharedRead(reader, entry, max(whole, default=-1))
    for crawler in wanting:
        # A revisit may run on the main-process instance, which already holds the notes
        # of the file's first crawl: keep them there, take only what this crawl notes.
        earlier = crawler.take_notes(entry.path)
        findings.extend(_crawl_one(crawler, job, shared, max_file_bytes, unknowns))
        taken = crawler.take_notes(entry.path)
        crawler.add_notes(entry.path, earlier)
        if taken:
            notes.setdefault(crawler.name, []).extend(taken)
    others = [c for c in sniffers if c not in wanting]
    if others and wanting and not job.sniff and not job.revisit and entry.size > 0:
        # A file some crawler wanted by name may still be something else by its bytes
        # (a pickle named notes.txt): the bytes already read tell, at no extra cost.
        for crawler in _sniff(others, entry, reader, unknowns, head=shared.head):
            findings.extend(_crawl_one(crawler, job, shared, max_file_bytes, unknowns))
    return _result(bool(wanting), findings, unknowns, notes, entry.path)


def _result(
    crawled: bool,
    findings: list[Finding],
    unknowns: list[Unknown],
    notes: dict[str, list[Note]],
    path: str,
) -> FileResult:
    document: dict[str, Any] = {"crawled": crawled}
    if findings:
        document["findings"] = [f.model_dump(mode="json") for f in findings]
    if unknowns:
        document["unknowns"] = [u.model_dump(mode="json") for u in unknowns]
    if notes:
        try:
            document["notes"] = _through_json(notes)
        except (TypeError, ValueError) as exc:  # a crawler noted something that is not JSON
            names = ", ".join(sorted(notes))
            reason = f"{names} crawler failed: notes are not JSON: {exc}"
            unknowns.append(Unknown(file=path, stage=Stage.CRAWL, reason=reason))
            document["unknowns"] = [u.model_dump(mode="json") for u in unknowns]
            notes = {}
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    cacheable = all(u.stage is not Stage.READ for u in unknowns)
    return FileResult(
        crawled=crawled,
        findings=tuple(findings),
        unknowns=tuple(unknowns),
        notes=document.get("notes", {}),
        payload=payload if cacheable else None,
    )


def _through_json(notes: dict[str, list[Note]]) -> Any:
    """*notes* as they come back from JSON, every string passed through :func:`redact`."""
    text = json.dumps(notes, ensure_ascii=False)
    value = json.loads(text)
    return _redact_strings(value) if _SECRET_HINT.search(text) else value


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_strings(v) for v in value]
    if isinstance(value, dict):
        return {redact(k): _redact_strings(v) for k, v in value.items()}
    return value


def shared(result: FileResult, memo: dict[str, FileResult]) -> FileResult:
    """*result* as the main process keeps it: without its payload (stored already), or,
    when it is one of the tiny results most files share, as the one shared instance."""
    payload = result.payload
    if payload is None:
        return result
    if len(payload) <= _MEMO_CHARS and not result.findings and not result.unknowns:
        return memo.setdefault(payload, result)
    return replace(result, payload=None)


def result_of(payload: str, memo: dict[str, FileResult] | None = None) -> FileResult:
    """The result a cached *payload* holds. Raises ``ValueError`` when it is malformed.

    With *memo*, short payloads (most files yield none of findings, Unknowns or more
    than a tiny note, and so share a payload) are decoded once and the result shared;
    the others are kept without their payload.
    """
    if memo is not None:
        if len(payload) <= _MEMO_CHARS:
            known = memo.get(payload)
            if known is None:
                known = memo[payload] = result_of(payload)
            return known
        return replace(result_of(payload), payload=None)
    try:
        return _decoded(payload)
    except (TypeError, KeyError, AttributeError) as exc:  # JSON of another shape
        raise ValueError(f"not a file result: {exc}") from exc


def _decoded(payload: str) -> FileResult:
    document = json.loads(payload)
    if not isinstance(document, dict) or not isinstance(document.get("crawled"), bool):
        raise ValueError("not a file result")
    notes = document.get("notes", {})
    if not isinstance(notes, dict) or not all(
        isinstance(v, list) and all(isinstance(n, dict) for n in v) for v in notes.values()
    ):
        raise ValueError("malformed notes")
    return FileResult(
        crawled=document["crawled"],
        findings=tuple(Finding.model_validate(f) for f in document.get("findings", ())),
        unknowns=tuple(Unknown.model_validate(u) for u in document.get("unknowns", ())),
        notes=notes,
        payload=payload,
    )


def failed_result(entry: Entry, reason: str) -> FileResult:
    """The result of a file whose crawl could not finish (a worker process died)."""
    unknown = Unknown(file=entry.path, stage=Stage.CRAWL, reason=reason)
    return FileResult(crawled=True, unknowns=(unknown,))


def _sniff(
    sniffers: Sequence[Crawler],
    entry: Entry,
    reader: EntryReader | _SharedRead,
    unknowns: list[Unknown],
    *,
    head: bytes | None = None,
) -> list[Crawler]:
    """The sniffing crawlers that want *entry* by its first bytes (read once for all,
    unless *head*, bytes already read from its start, holds enough of them)."""
    if not sniffers:
        return []
    wanted = max(c.sniff_bytes for c in sniffers)
    if head is None or len(head) < min(wanted, entry.size):
        try:
            if isinstance(reader, _SharedRead):
                head = reader.read(wanted, prefix=True)
            else:
                head = reader.read(entry, wanted, prefix=True)
        except ReadError as exc:
            unknowns.append(Unknown(file=entry.path, stage=Stage.READ, reason=str(exc)))
            return []
    pure = PurePosixPath(entry.path)
    wanting: list[Crawler] = []
    for crawler in sniffers:
        try:
            if crawler.wants_content(pure, entry.size, head[: crawler.sniff_bytes]):
                wanting.append(crawler)
        except Exception as exc:  # the guard
            log.debug("crawler %s failed to sniff %s", crawler.name, entry.path, exc_info=True)
            reason = f"{crawler.name} crawler failed: {type(exc).__name__}: {exc}"
            unknowns.append(Unknown(file=entry.path, stage=Stage.CRAWL, reason=reason))
    return wanting


class _SharedRead:
    """Reads of one file for the crawlers that want it: the whole file is read once.

    The first whole read asks for the largest limit any of them has; a crawler whose own
    limit that content fits gets the same bytes, any other reads for itself (and gets
    its own "file too large"), so every crawler sees what its own read would give.
    """

    def __init__(self, reader: EntryReader, entry: Entry, limit: int) -> None:
        self.reader = reader
        self.entry = entry
        self.limit = limit
        self.data: bytes | None = None
        self.head: bytes | None = None  # the start of the first bytes read, for sniffing

    def read(self, limit: int, *, prefix: bool) -> bytes:
        if not prefix and self.data is None and 0 <= limit <= self.limit:
            try:
                self.data = self.reader.read(self.entry, self.limit, prefix=False)
            except ReadError:
                self.limit = -1  # each crawler reads for itself, and learns why
        if not prefix and self.data is not None and len(self.data) <= limit:
            data = self.data
        else:
            data = self.reader.read(self.entry, limit, prefix=prefix)
        if self.head is None:
            self.head = data[:_SNIFF_KEEP]
        return data


def _read_for(
    crawler: Crawler, job: FileJob, reader: _SharedRead, limit: int, cap: int
) -> FileInput:
    """The crawler's view of the file: the whole file, or a prefix of at most *limit* bytes.

    *cap* is the longest prefix the crawler may ever get; a shorter first read is
    ``extendable``.
    """
    entry = job.entry
    data = reader.read(limit, prefix=crawler.prefix_only)
    truncated = crawler.prefix_only and len(data) < entry.size
    return FileInput(
        path=entry.path,
        data=data,
        size=entry.size,
        truncated=truncated,
        extendable=truncated and len(data) < cap,
        revisit=job.revisit,
    )


def _crawl_one(
    crawler: Crawler,
    job: FileJob,
    reader: _SharedRead,
    max_file_bytes: int,
    unknowns: list[Unknown],
) -> list[Finding]:
    """Read the file for *crawler* and crawl it; every failure becomes an Unknown.

    A prefix crawler first gets ``first_read`` bytes; when it raises :class:`NeedBytes`
    it is given the longer prefix it asked for (within its limit) and crawls once more.
    """
    path = job.entry.path
    limit = min(crawler.max_bytes, max_file_bytes)
    first = limit
    if crawler.prefix_only and crawler.first_read is not None:
        first = min(crawler.first_read, limit)
    try:
        file = _read_for(crawler, job, reader, first, limit)
        try:
            return list(crawler.crawl(file))
        except NeedBytes as need:
            if not file.extendable or need.wanted <= len(file.data):
                raise
            file = _read_for(crawler, job, reader, min(need.wanted, limit), limit)
            return list(crawler.crawl(file))
    except ReadError as exc:
        unknowns.append(Unknown(file=path, stage=Stage.READ, reason=str(exc)))
        return []
    except CrawlError as exc:
        reason = f"{crawler.name}: {exc}"
    except Exception as exc:  # the guard: a crawler bug must not end the scan
        log.debug("crawler %s failed on %s", crawler.name, path, exc_info=True)
        reason = f"{crawler.name} crawler failed: {type(exc).__name__}: {exc}"
    unknowns.append(Unknown(file=path, stage=Stage.CRAWL, reason=reason))
    return []
