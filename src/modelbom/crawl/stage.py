"""The crawl stage: every listed file to the crawlers that want it, then ``finish()``.

1. **Keys**: each file's cache key from the scan's recipe, its path and its content key
   (:mod:`modelbom.crawl.reader`).
2. **Cache**: files whose result the per-file result cache holds are done; no crawler
   is asked about them, not even ``wants()``.
3. **Plan** (main process): each crawler's ``wants()`` for every other file; a file no
   crawler wants by path is offered to the sniffing crawlers by its first bytes; notes
   ``wants()`` records travel with the file's job.
4. **Crawl**: in the main process for a small scan (worker start-up costs more than it
   saves), or in worker processes fed batches of files; every result is stored in the
   cache as it arrives.
5. **Notes**: in walk order, each file's findings and Unknowns are collected and the
   notes its crawlers took are handed to the main-process crawler instances.
6. **Revisits**: files a crawler names in ``revisit()`` are crawled once more (cache,
   then the same machinery), until no crawler names a new file.
7. **Finish**: each crawler's ``finish()``, guarded.

Results are gathered by file, not by arrival, so a serial, a parallel and a cached scan
give the same findings, Unknowns and notes, and the same output bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import PurePosixPath

from modelbom import __version__
from modelbom.crawl.cache import FileCache, cache_key
from modelbom.crawl.files import FileJob, FileResult, result_of, run_job, shared
from modelbom.crawl.reader import EntryReader
from modelbom.crawl.workers import Batch, WorkerPool
from modelbom.crawlers import Crawler
from modelbom.crawlers.base import Note
from modelbom.model import Finding, Stage, Unknown
from modelbom.progress import NoProgress, Progress
from modelbom.walk import Entry

log = logging.getLogger("modelbom.engine")

# Fewer files to crawl than this stay in the main process: starting workers costs more.
PARALLEL_MIN_FILES = 400
_BATCH_FILES = 32
_BATCH_BYTES = 4 * 1024 * 1024
_BATCH_PATH_CHARS = 16 * 1024
_MAX_REVISIT_ROUNDS = 8


class _ListedPath(PurePosixPath):
    """A listed file's path as every crawler's ``wants()`` sees it: each part computed once."""

    name = cached_property(PurePosixPath.name.fget)  # type: ignore[attr-defined]
    suffix = cached_property(PurePosixPath.suffix.fget)  # type: ignore[attr-defined]
    stem = cached_property(PurePosixPath.stem.fget)  # type: ignore[attr-defined]
    parts = cached_property(PurePosixPath.parts.fget)  # type: ignore[attr-defined]
    parent = cached_property(PurePosixPath.parent.fget)  # type: ignore[attr-defined]


@dataclass(slots=True)
class CrawlOutcome:
    """What the crawl stage found, and how much of it came from the cache."""

    findings: list[Finding] = field(default_factory=list)
    unknowns: list[Unknown] = field(default_factory=list)
    crawled: int = 0  # files some crawler wanted (by path or content)
    cached: int = 0  # of the files crawled, those whose result came from the cache


@dataclass(slots=True)
class _Run:
    """The machinery of one crawl stage: crawlers, reader, cache, workers (when started)."""

    crawlers: Sequence[Crawler]
    reader: EntryReader
    max_file_bytes: int
    cache: FileCache | None
    use_cache: bool  # read the cache (False under --refresh: results are still stored)
    workers: int
    pool: WorkerPool | None = None
    recipe: str = ""
    # Results of the many files that yield nothing but a tiny note, shared by payload.
    memo: dict[str, FileResult] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # What, besides a file's path and bytes, decides its result: modelbom's version,
        # each crawler's name, version and read limits (in order), the scan's size limit.
        parts = [f"modelbom {__version__}", f"max {self.max_file_bytes}"]
        parts += [
            f"{c.name} {c.version} {c.max_bytes} {c.prefix_only} {c.first_read} {c.sniff_bytes}"
            for c in self.crawlers
        ]
        self.recipe = "|".join(parts)

    def keys(self, entries: Sequence[Entry], variant: str = "") -> list[bytes | None]:
        """The cache key of each entry (None: no cache, or no content key for it)."""
        if self.cache is None:
            return [None] * len(entries)
        recipe = self.recipe + variant
        keys: list[bytes | None] = []
        for entry in entries:
            content = self.reader.content_key(entry)
            keys.append(None if content is None else cache_key(recipe, entry.path, content))
        return keys

    def cached(self, keys: Sequence[bytes | None]) -> list[FileResult | None]:
        """The result the cache holds for each key, where it holds a readable one."""
        results: list[FileResult | None] = [None] * len(keys)
        if self.cache is None or not self.use_cache:
            return results
        found = self.cache.get_many([k for k in keys if k is not None])
        broken: list[bytes] = []
        for i, key in enumerate(keys):
            if key is None or key not in found:
                continue
            try:
                results[i] = result_of(found[key], self.memo)
            except ValueError:  # also pydantic's ValidationError
                broken.append(key)
        if broken:
            log.info("file cache: %d unreadable results dropped", len(broken))
            self.cache.discard(broken)
        return results

    def crawl(
        self,
        jobs: Sequence[tuple[int, FileJob]],
        keys: Sequence[bytes | None],
        results: list[FileResult | None],
        on_done: Callable[[int], None],
    ) -> None:
        """Crawl the ``(index, job)`` pairs into *results*, storing each in the cache."""
        busy = [(i, job) for i, job in jobs if job.crawlers or job.sniff]
        for i, job in jobs:  # nothing to read: what the plan noted is the whole result
            if not (job.crawlers or job.sniff):
                self._done(
                    i,
                    run_job(job, self.crawlers, self.reader, self.max_file_bytes),
                    keys,
                    results,
                    on_done,
                )
        for i, result in self._run(busy):
            self._done(i, result, keys, results, on_done)
        if self.cache is not None:
            self.cache.flush()

    def _done(
        self,
        index: int,
        result: FileResult,
        keys: Sequence[bytes | None],
        results: list[FileResult | None],
        on_done: Callable[[int], None],
    ) -> None:
        key = keys[index]
        if self.cache is not None and key is not None and result.payload is not None:
            self.cache.put(key, result.payload)
        results[index] = shared(result, self.memo)
        on_done(1)

    def _run(self, jobs: Sequence[tuple[int, FileJob]]) -> Iterator[tuple[int, FileResult]]:
        parallel = (
            self.workers > 1 and len(jobs) >= PARALLEL_MIN_FILES and self.reader.workers_can_read
        )
        if not parallel:
            for index, job in jobs:
                yield index, run_job(job, self.crawlers, self.reader, self.max_file_bytes)
            return
        if self.pool is None:
            log.info("crawling %d files in %d worker processes", len(jobs), self.workers)
            self.pool = WorkerPool(self.workers, self.crawlers, self.reader, self.max_file_bytes)
        yield from self.pool.run(_batches(jobs, self.max_file_bytes))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


def _batches(jobs: Sequence[tuple[int, FileJob]], max_file_bytes: int) -> list[Batch]:
    """*jobs* cut into batches small in files, bytes to read and message size."""
    batches: list[Batch] = []
    batch: Batch = []
    size = chars = 0
    for index, job in jobs:
        batch.append((index, job))
        size += min(job.entry.size, max_file_bytes)
        chars += len(job.entry.path) + len(str(getattr(job.entry, "fs_path", "")))
        if len(batch) >= _BATCH_FILES or size >= _BATCH_BYTES or chars >= _BATCH_PATH_CHARS:
            batches.append(batch)
            batch, size, chars = [], 0, 0
    if batch:
        batches.append(batch)
    return batches


def _plan(
    entries: Sequence[Entry], indexes: Sequence[int], crawlers: Sequence[Crawler]
) -> list[tuple[int, FileJob]]:
    """A job for each entry: the crawlers that want it by path (or an offer to the
    sniffers), with the notes ``wants()`` recorded about it."""
    sniffing = any(c.sniff_bytes > 0 for c in crawlers)
    jobs: list[tuple[int, FileJob]] = []
    for i in indexes:
        entry = entries[i]
        pure = _ListedPath(entry.path)
        wanting = tuple(n for n, c in enumerate(crawlers) if c.wants(pure, entry.size))
        sniff = not wanting and sniffing and entry.size > 0
        jobs.append((i, FileJob(entry, wanting, sniff=sniff)))
    noted: dict[str, dict[str, list[Note]]] = {}
    for crawler in crawlers:
        for path, notes in crawler.take_all_notes().items():
            noted.setdefault(path, {})[crawler.name] = notes
    if noted:
        jobs = [
            (i, replace(job, notes=noted[job.entry.path]) if job.entry.path in noted else job)
            for i, job in jobs
        ]
    return jobs


def crawl_files(
    entries: Sequence[Entry],
    crawlers: Sequence[Crawler],
    *,
    reader: EntryReader,
    max_file_bytes: int,
    cache: FileCache | None = None,
    refresh: bool = False,
    workers: int = 1,
    progress: Progress | None = None,
) -> CrawlOutcome:
    """Crawl *entries* (in walk order) with *crawlers* and finish them; see the module."""
    names = [c.name for c in crawlers]
    if len(set(names)) != len(names):
        raise ValueError(f"crawler names must be unique: {sorted(names)}")
    progress = progress or NoProgress()
    total = len(entries)
    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        progress.files(done, total)

    by_name = {c.name: c for c in crawlers}
    outcome = CrawlOutcome()
    run = _Run(crawlers, reader, max_file_bytes, cache, not refresh, workers)
    try:
        keys = run.keys(entries)
        results = run.cached(keys)
        outcome.cached = sum(r.crawled for r in results if r is not None)
        misses = [i for i, r in enumerate(results) if r is None]
        step(len(entries) - len(misses))
        run.crawl(_plan(entries, misses, crawlers), keys, results, step)
        for entry, result in zip(entries, results, strict=True):
            if result is None:
                raise RuntimeError(f"{entry.path} was never crawled")
            outcome.crawled += result.crawled
            _collect(outcome, entry, result, by_name)
        _revisit(run, entries, outcome, by_name)
    finally:
        run.close()
    for crawler in crawlers:
        outcome.findings.extend(_finish_one(crawler, outcome.unknowns))
    return outcome


def _collect(
    outcome: CrawlOutcome, entry: Entry, result: FileResult, by_name: dict[str, Crawler]
) -> None:
    outcome.findings.extend(result.findings)
    outcome.unknowns.extend(result.unknowns)
    for name, notes in result.notes.items():
        crawler = by_name.get(name)
        if crawler is not None:
            crawler.add_notes(entry.path, notes)


def _revisit(
    run: _Run, entries: Sequence[Entry], outcome: CrawlOutcome, by_name: dict[str, Crawler]
) -> None:
    """Crawl again what crawlers ask for in ``revisit()``, until they ask for nothing new."""
    by_path: dict[str, Entry] | None = None
    seen: set[tuple[int, str]] = set()
    for _ in range(_MAX_REVISIT_ROUNDS):
        wanted: list[tuple[Entry, int]] = []
        for index, crawler in enumerate(run.crawlers):
            paths = _guarded(crawler, "revisit", crawler.revisit, outcome.unknowns)
            if not paths:
                continue
            if by_path is None:
                by_path = {e.path: e for e in entries}
            for path in paths:
                entry = by_path.get(path)
                if entry is not None and (index, path) not in seen:
                    seen.add((index, path))
                    wanted.append((entry, index))
        if not wanted:
            return
        keys = [run.keys([e], f"|revisit {run.crawlers[i].name}")[0] for e, i in wanted]
        results = run.cached(keys)
        jobs = [
            (n, FileJob(entry, (index,), revisit=True))
            for n, (entry, index) in enumerate(wanted)
            if results[n] is None
        ]
        run.crawl(jobs, keys, results, lambda _: None)
        for (entry, _), result in zip(wanted, results, strict=True):
            if result is not None:
                _collect(outcome, entry, result, by_name)


def _guarded(
    crawler: Crawler, what: str, call: Callable[[], Iterable[str]], unknowns: list[Unknown]
) -> list[str]:
    try:
        return list(call())
    except Exception as exc:  # the guard
        log.debug("crawler %s failed to %s", crawler.name, what, exc_info=True)
        reason = f"{crawler.name} crawler failed: {type(exc).__name__}: {exc}"
        unknowns.append(Unknown(file=".", stage=Stage.CRAWL, reason=reason))
        return []


def _finish_one(crawler: Crawler, unknowns: list[Unknown]) -> list[Finding]:
    """The crawler's cross-file findings; a failure becomes an Unknown for the root."""
    try:
        return list(crawler.finish())
    except Exception as exc:  # the guard
        log.debug("crawler %s failed to finish", crawler.name, exc_info=True)
        reason = f"{crawler.name} crawler failed: {type(exc).__name__}: {exc}"
        unknowns.append(Unknown(file=".", stage=Stage.CRAWL, reason=reason))
        return []
