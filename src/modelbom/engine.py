"""The pipeline: walk -> crawl (guarded) -> merge -> resolve (guarded) -> ScanResult.

The engine never prints and never exits; the CLI does both. Each crawler and resolver
runs inside a guard so that one bad file or one failing source becomes an Unknown or an
unresolved reason, and the scan goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import PurePosixPath

from modelbom import __version__
from modelbom.crawlers import Crawler, CrawlError, FileInput, NeedBytes, default_crawlers
from modelbom.errors import UsageError
from modelbom.grouping import GroupBy, find_packages, group_components
from modelbom.licenses.kb import KnowledgeBase
from modelbom.model import (
    Component,
    Finding,
    Resolution,
    ResolutionStatus,
    ScanResult,
    ScanStats,
    SourceInfo,
    Stage,
    Unknown,
    merge_findings,
)
from modelbom.model.text import display_text
from modelbom.model.verdict import ChainReport
from modelbom.options import ScanOptions
from modelbom.policy.evaluate import evaluate
from modelbom.policy.model import Policy
from modelbom.progress import NoProgress, Progress
from modelbom.resolution import resolve_all
from modelbom.resolvers import Resolver, default_resolvers
from modelbom.resolvers.base import ResolveContext
from modelbom.resolvers.cache import ResolverCache, default_cache_path
from modelbom.walk import Entry, ReadError, Source, WalkOptions, open_source

log = logging.getLogger("modelbom.engine")

# The most a crawler may sniff (Crawler.sniff_bytes) from bytes read for another one.
_SNIFF_KEEP = 64 * 1024


def scan(
    options: ScanOptions,
    *,
    crawlers: Sequence[Crawler] | None = None,
    resolvers: Sequence[Resolver] | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Scan ``options.root`` and return everything found, sorted and deterministic."""
    root = options.root
    if not root.is_dir():
        raise UsageError(f"{display_text(str(root))}: not a directory")
    crawlers = default_crawlers() if crawlers is None else list(crawlers)
    resolvers = default_resolvers(options) if resolvers is None else list(resolvers)

    # The work tree, or a git revision read from the object database (``options.rev``).
    with open_source(root, WalkOptions(use_git=options.use_git), rev=options.rev) as source:
        progress = progress or NoProgress()
        unknowns: list[Unknown] = list(source.unknowns)
        findings: list[Finding] = []
        crawled = 0
        total = len(source.entries)
        sniffers = [c for c in crawlers if c.sniff_bytes > 0]
        for done, entry in enumerate(source.entries, start=1):
            progress.files(done, total)
            pure = PurePosixPath(entry.path)
            wanting = [c for c in crawlers if c.wants(pure, entry.size)]
            by_content = not wanting and bool(sniffers) and entry.size > 0
            if by_content:
                wanting = _sniff(sniffers, entry, source, pure, unknowns)
            if not wanting:
                continue
            crawled += 1
            heads: list[bytes] = []
            for crawler in wanting:
                findings.extend(_crawl_one(crawler, entry, source, options, unknowns, heads))
            others = [c for c in sniffers if c not in wanting]
            if others and not by_content and entry.size > 0:
                # A file some crawler wanted by name may still be something else by its
                # bytes (a pickle named notes.txt): the first read tells, at no extra cost.
                head = heads[0] if heads else None
                for crawler in _sniff(others, entry, source, pure, unknowns, head=head):
                    findings.extend(_crawl_one(crawler, entry, source, options, unknowns))
        paths = [entry.path for entry in source.entries]
        packages = (
            find_packages(source.entries, source) if options.group_by is GroupBy.PACKAGES else {}
        )
    for crawler in crawlers:
        findings.extend(_finish_one(crawler, unknowns))

    components = merge_findings(findings, include_docs=options.include_docs)
    components = _resolve(components, resolvers, findings, options, progress)

    git = source.git
    info = SourceInfo(
        name=display_text(root.resolve().name) or "root",
        commit=git.commit if git else None,
        branch=git.branch if git else None,
        remote_url=git.remote_url if git else None,
        revision=source.revision,
    )
    result = ScanResult(
        tool_version=__version__,
        source=info,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        components=tuple(sorted(components, key=lambda c: c.key)),
        unknowns=tuple(sorted(set(unknowns), key=Unknown.sort_key)),
        stats=ScanStats(files_listed=len(paths), files_crawled=crawled),
        offline=options.offline,
        policy_in_effect=options.policy is not None,
    )
    if options.group_by is not GroupBy.NONE:
        groups = group_components(options.group_by, result.components, paths, packages)
        result = result.model_copy(update={"group_by": options.group_by.value, "groups": groups})
    if options.analyse:
        result = result.model_copy(update={"chain": _analyse(result, options)})
    progress.finish()
    return result


def _analyse(result: ScanResult, options: ScanOptions) -> ChainReport:
    """The license chain and the verdicts under the policy (or the default use)."""
    knowledge = KnowledgeBase()
    return evaluate(
        result,
        options.policy or Policy(),
        knowledge,
        knowledge.category,
        today=options.today or date.today(),
    )


def _sniff(
    sniffers: Sequence[Crawler],
    entry: Entry,
    source: Source,
    pure: PurePosixPath,
    unknowns: list[Unknown],
    *,
    head: bytes | None = None,
) -> list[Crawler]:
    """The sniffing crawlers that want *entry* by its first bytes (read once for all,
    unless *head*, bytes already read from its start, holds enough of them)."""
    wanted = max(c.sniff_bytes for c in sniffers)
    if head is None or len(head) < min(wanted, entry.size):
        try:
            head = source.read(entry, wanted, prefix=True)
        except ReadError as exc:
            unknowns.append(Unknown(file=entry.path, stage=Stage.READ, reason=str(exc)))
            return []
    return [c for c in sniffers if c.wants_content(pure, entry.size, head[: c.sniff_bytes])]


def _read_for(crawler: Crawler, entry: Entry, source: Source, limit: int, cap: int) -> FileInput:
    """The crawler's view of *entry*: the whole file, or a prefix of at most *limit* bytes.

    *cap* is the longest prefix the crawler may ever get; a shorter first read is
    ``extendable``.
    """
    data = source.read(entry, limit, prefix=crawler.prefix_only)
    truncated = crawler.prefix_only and len(data) < entry.size
    return FileInput(
        path=entry.path,
        data=data,
        size=entry.size,
        truncated=truncated,
        extendable=truncated and len(data) < cap,
    )


def _crawl_one(
    crawler: Crawler,
    entry: Entry,
    source: Source,
    options: ScanOptions,
    unknowns: list[Unknown],
    heads: list[bytes] | None = None,
) -> list[Finding]:
    """Read *entry* for *crawler* and crawl it; every failure becomes an Unknown. The
    bytes read are appended to *heads*, when given, for content sniffing.

    A prefix crawler first gets ``first_read`` bytes; when it raises :class:`NeedBytes`
    it is given the longer prefix it asked for (within its limit) and crawls once more.
    """
    limit = min(crawler.max_bytes, options.max_file_bytes)
    first = limit
    if crawler.prefix_only and crawler.first_read is not None:
        first = min(crawler.first_read, limit)
    try:
        file = _read_for(crawler, entry, source, first, limit)
        if heads is not None:
            heads.append(file.data[:_SNIFF_KEEP])
        try:
            return list(crawler.crawl(file))
        except NeedBytes as need:
            if not file.extendable or need.wanted <= len(file.data):
                raise
            file = _read_for(crawler, entry, source, min(need.wanted, limit), limit)
            return list(crawler.crawl(file))
    except ReadError as exc:
        unknowns.append(Unknown(file=entry.path, stage=Stage.READ, reason=str(exc)))
        return []
    except CrawlError as exc:
        reason = f"{crawler.name}: {exc}"
    except Exception as exc:  # the guard: a crawler bug must not end the scan
        log.debug("crawler %s failed on %s", crawler.name, entry.path, exc_info=True)
        reason = f"{crawler.name} crawler failed: {type(exc).__name__}: {exc}"
    unknowns.append(Unknown(file=entry.path, stage=Stage.CRAWL, reason=reason))
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


def _resolve(
    components: list[Component],
    resolvers: Sequence[Resolver],
    findings: Sequence[Finding],
    options: ScanOptions,
    progress: Progress,
) -> list[Component]:
    """Run the resolution stage with the persistent cache open for its duration."""
    if not resolvers:
        return [
            c.model_copy(
                update={
                    "resolution": Resolution(
                        status=ResolutionStatus.UNRESOLVED, reason="no resolver was run"
                    )
                }
            )
            for c in components
        ]
    path = options.cache_dir / "cache.sqlite3" if options.cache_dir else default_cache_path()
    cache = ResolverCache(path)
    try:
        context = ResolveContext(
            findings=findings, offline=options.offline, refresh=options.refresh, cache=cache
        )
        return resolve_all(
            components,
            resolvers,
            context=context,
            workers=options.workers,
            max_depth=options.lineage_depth,
            on_resolved=progress.components,
        )
    finally:
        for resolver in resolvers:
            try:
                resolver.close()
            except Exception:  # the guard: cleanup must not cost the scan its result
                log.debug("resolver %s failed to close", resolver.name, exc_info=True)
        cache.close()
