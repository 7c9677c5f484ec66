"""The pipeline: walk -> crawl (guarded) -> merge -> resolve (guarded) -> ScanResult.

The engine never prints and never exits; the CLI does both. Each crawler and resolver
runs inside a guard so that one bad file or one failing source becomes an Unknown or an
unresolved reason, and the scan goes on. The crawl stage (:mod:`modelbom.crawl`) runs in
worker processes and keeps each file's result in the per-file result cache; it reads
through an entry reader (:class:`~modelbom.crawl.WorkTreeReader` for a work tree).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from modelbom import __version__
from modelbom.crawl import FileCache, WorkTreeReader, crawl_files
from modelbom.crawl.cache import FILE_NAME
from modelbom.crawl.reader import EntryReader, SourceReader
from modelbom.crawlers import Crawler, default_crawlers
from modelbom.errors import UsageError
from modelbom.grouping import find_packages, group_components
from modelbom.licenses.kb import KnowledgeBase
from modelbom.model import (
    Component,
    Finding,
    Resolution,
    ResolutionStatus,
    ScanResult,
    ScanStats,
    SourceInfo,
    Unknown,
    merge_findings,
)
from modelbom.model.text import display_text
from modelbom.model.verdict import ChainReport
from modelbom.options import GroupBy, ScanOptions
from modelbom.policy.evaluate import evaluate
from modelbom.policy.model import Policy
from modelbom.progress import NoProgress, Progress
from modelbom.resolution import resolve_all
from modelbom.resolvers import Resolver, default_resolvers
from modelbom.resolvers.base import ResolveContext
from modelbom.resolvers.cache import ResolverCache, default_cache_path
from modelbom.walk import WalkOptions, open_source

log = logging.getLogger("modelbom.engine")


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

    started = time.time_ns()
    progress = progress or NoProgress()
    # The work tree, or a git revision read from the object database (``options.rev``).
    with open_source(root, WalkOptions(use_git=options.use_git), rev=options.rev) as source:
        log.info("listed %d files in %.2f s", len(source.entries), (time.time_ns() - started) / 1e9)
        # Worker processes read a work tree's files themselves; a revision's blobs come
        # from the one git process of the source, so its files are crawled here.
        reader: EntryReader = (
            SourceReader(source) if options.rev else WorkTreeReader(started_ns=started)
        )
        cache = FileCache(_cache_dir(options) / FILE_NAME)
        crawl_start = time.perf_counter()
        try:
            crawl = crawl_files(
                source.entries,
                crawlers,
                reader=reader,
                max_file_bytes=options.max_file_bytes,
                cache=cache,
                refresh=options.refresh,
                workers=options.crawl_workers or _cpus(),
                progress=progress,
            )
        finally:
            cache.close()
        log.info(
            "crawled %d files in %.2f s, %d of them from the cache",
            crawl.crawled,
            time.perf_counter() - crawl_start,
            crawl.cached,
        )
        paths = [entry.path for entry in source.entries]
        packages = (
            find_packages(source.entries, source) if options.group_by is GroupBy.PACKAGES else {}
        )
    unknowns: list[Unknown] = [*source.unknowns, *crawl.unknowns]
    findings: list[Finding] = crawl.findings

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
        stats=ScanStats(
            files_listed=len(paths),
            files_crawled=crawl.crawled,
            files_cached=crawl.cached,
        ),
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


def _cache_dir(options: ScanOptions) -> Path:
    """The folder of the resolver cache and the per-file result cache."""
    return options.cache_dir or default_cache_path().parent


def _cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


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
    cache = ResolverCache(_cache_dir(options) / default_cache_path().name)
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
