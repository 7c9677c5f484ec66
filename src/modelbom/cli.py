"""The command line: ``modelbom scan PATH``, ``explain``, ``diff``. Thin: parse, call the
engine, emit, exit.

Exit codes: 0 success; 1 policy violation; 2 usage error; 3 incomplete scan under
``--strict`` (unreadable files or unresolved components); 4 internal error. A user error
is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from modelbom import __version__
from modelbom.config import env_settings, explicit_settings, file_settings
from modelbom.emit import CYCLONEDX_VERSIONS, EmitOptions, OutputFormat, emitter_for
from modelbom.errors import ModelbomError, OutputError, UsageError
from modelbom.model import ScanResult
from modelbom.model.text import display_name, display_text
from modelbom.options import GroupBy, ScanOptions
from modelbom.policy.model import Policy, find_policy, load_policy, revision_policy
from modelbom.progress import Progress, TerminalProgress

if TYPE_CHECKING:
    from modelbom.diff import Bom

PROG = "modelbom"
_MAX_UNKNOWNS_SHOWN = 20


class ExitCode(IntEnum):
    """What the process exit code means."""

    OK = 0
    POLICY_VIOLATION = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERNAL = 4


def _add_scan_options(sub: argparse.ArgumentParser) -> None:
    """Options that decide what a scan finds and how it resolves and judges it."""
    sub.add_argument(
        "--policy",
        metavar="FILE",
        type=Path,
        default=None,
        help="the declared use and policy (modelbom.toml, or a pyproject.toml with "
        "[tool.modelbom]); default: the scanned repository's own, if it has one",
    )
    sub.add_argument(
        "--offline", action="store_true", help="use only local sources; open no network connection"
    )
    sub.add_argument(
        "--refresh",
        action="store_true",
        help="fetch remote license and lineage facts and crawl every file again instead of "
        "using the caches",
    )
    sub.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="folder of the resolver and file caches (default: $MODELBOM_CACHE_DIR or the "
        "user cache directory)",
    )
    sub.add_argument(
        "--python-env",
        metavar="PATH",
        type=Path,
        default=None,
        help="a virtualenv or site-packages whose installed packages give library licenses",
    )
    sub.add_argument("--workers", type=int, default=8, metavar="N", help="resolver threads (1-64)")
    sub.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a remote source may take to connect or to answer (0.1-600)",
    )
    sub.add_argument(
        "--crawl-workers",
        type=int,
        default=0,
        metavar="N",
        help="processes that crawl files (0: one per CPU; 1: crawl in the main process)",
    )
    sub.add_argument(
        "--include-docs",
        action="store_true",
        help="keep components found only in docs and comments in the BOM",
    )
    sub.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        default=None,
        help="your own configuration file (modelbom.toml or pyproject.toml): it may set "
        "every flag, and the scanned repository's settings are then not read",
    )


def _add_common_options(sub: argparse.ArgumentParser) -> None:
    """The scan options, what is scanned (the files on disk or a git revision), verbosity."""
    _add_scan_options(sub)
    sub.add_argument(
        "--rev",
        metavar="REV",
        default=None,
        help="scan this git revision (tag, branch or commit) of the repository at PATH, read "
        "from git's object database: nothing is checked out, the working tree, index and HEAD "
        "stay as they are, uncommitted and untracked files are not scanned",
    )
    sub.add_argument(
        "--no-git", action="store_true", help="walk the file system even inside a git work tree"
    )
    sub.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    sub.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)"
    )


def build_parser(defaults: dict[str, object] | None = None) -> argparse.ArgumentParser:
    """The argument parser; *defaults* (from the configuration file and the environment)
    replace the built-in defaults of ``scan`` and ``explain``, and flags override them."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="AI bill-of-materials scanner: models, adapters, datasets and libraries.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sc = commands.add_parser(
        "scan",
        help="scan a repository and write a BOM",
        description="Scan a repository (a working tree) and write a BOM or the findings.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sc.add_argument("path", metavar="PATH", help="the repository or folder to scan")
    sc.add_argument(
        "-o",
        "--output",
        metavar="[FORMAT=]FILE",
        action="append",
        default=None,
        help="output file, - for stdout (default); FORMAT=FILE writes that format there, "
        "and may be repeated: -o cyclonedx-json=bom.json -o markdown=report.md",
    )
    sc.add_argument(
        "-f",
        "--format",
        type=OutputFormat,
        choices=list(OutputFormat),
        default=OutputFormat.CYCLONEDX_JSON,
        help="output format",
    )
    sc.add_argument(
        "--spec-version",
        choices=list(CYCLONEDX_VERSIONS),
        default="1.6",
        help="CycloneDX specification version",
    )
    sc.add_argument(
        "--strict",
        action="store_true",
        help="exit 3 when a file could not be read or a component could not be resolved",
    )
    sc.add_argument(
        "--reproducible",
        action="store_true",
        help="byte-identical output for identical input: no serial number or timestamp "
        "(SOURCE_DATE_EPOCH, when set, gives the timestamp)",
    )
    sc.add_argument(
        "--group-by",
        choices=[g.value for g in GroupBy],
        default=GroupBy.NONE.value,
        help="one section per sub-project in the reports and the BOM: the folders holding "
        "a package manifest (packages) or the top-level folders (folders)",
    )
    _add_common_options(sc)
    if defaults:
        sc.set_defaults(**defaults)
    ex = commands.add_parser(
        "explain",
        help="explain why a component gets its license verdict",
        description="Scan PATH and print the license chain from the artifact down to the "
        "component ID (or to the artifact itself with ID 'artifact'): the license at each "
        "step, the terms that bind because of it, and the verdict.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ex.add_argument("id", metavar="ID", help="a component id (e.g. meta-llama/Llama-3.1-8B)")
    ex.add_argument("path", metavar="PATH", nargs="?", default=".", help="the repository")
    _add_common_options(ex)
    if defaults:
        ex.set_defaults(**{k: v for k, v in defaults.items() if k in _EXPLAIN_KEYS})
    df = commands.add_parser(
        "diff",
        help="compare two BOMs or two git revisions",
        description="Compare two CycloneDX JSON BOMs written by modelbom, or two git revisions "
        "of the repository at PATH (each scanned like `scan --rev`): components added, "
        "removed or changed (license, lineage, version, verdict) and the artifact's verdict "
        "and governing terms. Exit 1 when NEW's terms are stricter than OLD's. OLD and NEW "
        "are each a BOM when they name an existing file, else a revision.",
    )
    df.add_argument("old", metavar="OLD", help="the earlier BOM file or git revision")
    df.add_argument("new", metavar="NEW", help="the later BOM file or git revision")
    df.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default=None,
        help="the repository whose revisions are compared (default: .)",
    )
    _add_scan_options(df)
    df.add_argument("-q", "--quiet", action="store_true", help="print nothing; only the exit code")
    df.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)"
    )
    if defaults:
        df.set_defaults(**{k: v for k, v in defaults.items() if k in _DIFF_KEYS})
    return parser


class _OneLineFormatter(logging.Formatter):
    """Log lines whose message cannot forge another line or rewrite the terminal.

    Messages may carry file names and text from the scanned repository.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = display_name(record.message)
        return super().formatMessage(record)


def _configure_logging(verbosity: int, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLineFormatter(f"{PROG}: %(levelname)s: %(message)s"))
    logger = logging.getLogger("modelbom")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def _say(message: str) -> None:
    print(f"{PROG}: {display_name(message)}", file=sys.stderr)


_STAGE_VERBS = {"walk": "list", "read": "read", "crawl": "parse", "resolve": "resolve"}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary(result: ScanResult, verbose: int = 0) -> None:
    stats = result.stats
    source = result.source
    what = f"revision {source.revision} (commit {source.commit}): " if source.revision else ""
    cached = f", {stats.files_cached} from the cache" if verbose else ""
    _say(
        f"scanned {what}{_count(stats.files_listed, 'file')} "
        f"({stats.files_crawled} crawled{cached}): "
        f"{_count(len(result.findings), 'finding')}, "
        f"{_count(len(result.components), 'component')}, "
        f"{_count(len(result.unknowns), 'unknown')}, {len(result.unresolved)} unresolved"
    )
    if result.chain is not None:
        artifact = result.chain.artifact
        policy = result.chain.policy_source or "the default use profile"
        problems = [r for r in artifact.rules if r.verdict != "allowed"]
        _say(f"verdict: {artifact.verdict.value} (under {policy})")
        for rule in problems[:_MAX_UNKNOWNS_SHOWN]:
            path = rule.because[0].render_path() if rule.because else ""
            _say(
                f"  {rule.verdict.value}: {rule.rule}: {rule.message}"
                + (f" via {path}" if path else "")
            )
    if result.groups:
        _say(f"grouped by {result.group_by}: {_count(len(result.groups), 'group')}")
        for group in result.groups[:_MAX_UNKNOWNS_SHOWN]:
            from modelbom.grouping import group_verdict

            verdict = group_verdict(group, result.chain)
            default_name = group.name in (group.path, PurePosixPath(group.path).name)
            named = "" if default_name else f" ({group.name})"
            _say(
                f"  {group.path}{named}: {_count(len(group.components), 'component')}"
                + (f", {verdict.value}" if verdict is not None else "")
            )
        if len(result.groups) > _MAX_UNKNOWNS_SHOWN:
            _say(f"  ... and {len(result.groups) - _MAX_UNKNOWNS_SHOWN} more groups")
    for unknown in result.unknowns[:_MAX_UNKNOWNS_SHOWN]:
        verb = _STAGE_VERBS[unknown.stage.value]
        _say(f"could not {verb} {unknown.file}: {unknown.reason}")
    if len(result.unknowns) > _MAX_UNKNOWNS_SHOWN:
        _say(f"... and {len(result.unknowns) - _MAX_UNKNOWNS_SHOWN} more unknowns (see the output)")


def _check_root(path: str) -> Path:
    root = Path(path)
    if not root.exists():
        raise UsageError(f"{display_text(path)}: no such file or directory")
    if not root.is_dir():
        raise UsageError(f"{display_text(path)}: not a directory")
    return root


def _options(
    args: argparse.Namespace, path: str, rev: str | None, *, group_by: GroupBy = GroupBy.NONE
) -> ScanOptions:
    """Validated scan options from the shared command-line options, to scan *path* (its
    files on disk, or its git revision *rev*)."""
    root = _check_root(path)
    if args.python_env is not None and not args.python_env.is_dir():
        raise UsageError(f"--python-env {display_text(str(args.python_env))}: not a directory")
    if not 1 <= args.workers <= 64:
        raise UsageError("--workers must be between 1 and 64")
    if not 0.1 <= args.timeout <= 600:
        raise UsageError("--timeout must be between 0.1 and 600 seconds")
    if not 0 <= args.crawl_workers <= 64:
        raise UsageError("--crawl-workers must be between 0 and 64")
    if args.offline and args.refresh:
        raise UsageError("--refresh needs the network; it cannot be combined with --offline")
    policy: Policy | None = None
    if args.policy is not None:
        if not args.policy.is_file():
            raise UsageError(f"--policy {display_text(str(args.policy))}: no such file")
        policy = load_policy(args.policy)
    elif rev is not None:
        policy = revision_policy(root, rev)  # the policy as committed at that revision
    else:
        found = find_policy(root)
        policy = load_policy(found) if found else None
    return ScanOptions(
        root=root,
        policy=policy,
        offline=args.offline,
        refresh=args.refresh,
        cache_dir=args.cache_dir,
        python_env=args.python_env,
        workers=args.workers,
        timeout=args.timeout,
        crawl_workers=args.crawl_workers,
        include_docs=args.include_docs,
        use_git=not getattr(args, "no_git", False),
        rev=rev,
        group_by=group_by,
    )


def _progress(args: argparse.Namespace) -> Progress | None:
    """A status line on stderr when it is a terminal, unless --quiet."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return TerminalProgress(sys.stderr)


def _run_explain(args: argparse.Namespace) -> ExitCode:
    from modelbom.engine import scan
    from modelbom.explain import explain, find_components

    result = scan(_options(args, args.path, args.rev), progress=_progress(args))
    query = None if args.id == "artifact" else args.id
    if query is not None and not find_components(result, query):
        known = ", ".join(sorted({c.id for c in result.components})[:20]) or "none"
        raise UsageError(f"no component {display_text(args.id)!r} in the scan; components: {known}")
    print("\n".join(explain(result, query)))
    return ExitCode.OK


def _outputs(args: argparse.Namespace) -> list[tuple[OutputFormat, str]]:
    """(format, target) pairs from ``-o``: ``FILE`` uses ``-f``; ``FORMAT=FILE`` its own."""
    default: OutputFormat = args.format
    outputs: list[tuple[OutputFormat, str]] = []
    for value in args.output or ["-"]:
        name, sep, target = value.partition("=")
        if sep and name in {f.value for f in OutputFormat}:
            outputs.append((OutputFormat(name), target))
        else:
            outputs.append((default, value))
    targets = [t for _, t in outputs]
    if targets.count("-") > 1:
        raise UsageError("only one output can go to standard output (-)")
    duplicates = sorted({t for t in targets if targets.count(t) > 1})
    if duplicates:
        raise UsageError(f"{display_text(duplicates[0])} is named as the output twice")
    if any(not t for t in targets):
        raise UsageError("an output needs a file name (use - for standard output)")
    return outputs


def _is_revision(which: str, value: str, root: str) -> bool:
    """Whether diff's OLD or NEW (*which*) is a revision of the repository at *root*
    rather than a BOM file: an existing path that is not a folder is a BOM file (a file,
    or a pipe such as ``<(modelbom scan ...)``); anything else must be a revision."""
    from modelbom.walk import RevisionError
    from modelbom.walk.gitrev import resolve_revision

    path = Path(value)
    if path.exists() and not path.is_dir():
        return False
    try:
        resolve_revision(Path(root), value)
    except RevisionError as exc:
        not_file = "a folder, not a BOM file" if path.is_dir() else "no such file"
        raise UsageError(
            f"{which} {display_text(value)!r} is neither a BOM file ({not_file}) nor a "
            f"revision ({exc})"
        ) from None
    return True


def _scan_revision(
    args: argparse.Namespace, argv: Sequence[str] | None, root: str, rev: str
) -> Bom:
    """Scan revision *rev* under its own committed configuration and policy (flags and
    the environment still win) and return the comparable parts of its BOM."""
    from modelbom.diff import bom_from_result

    defaults = {**_settings_file(args, _check_root(root), rev), **env_settings()}
    defaults.pop("output", None)
    side = build_parser(defaults).parse_args(argv) if defaults else args
    from modelbom.engine import scan

    result = scan(_options(side, root, rev), progress=_progress(side))
    if not side.quiet:
        commit = (result.source.commit or "")[:12]
        verdict = result.chain.artifact.verdict.value if result.chain else "not computed"
        _say(
            f"scanned {display_text(rev)} (commit {commit}): "
            f"{_count(result.stats.files_listed, 'file')}, "
            f"{_count(len(result.components), 'component')}, "
            f"{_count(len(result.unknowns), 'unknown')}; verdict: {verdict}"
        )
    return bom_from_result(result, display_text(rev))


def _run_diff(args: argparse.Namespace, argv: Sequence[str] | None) -> ExitCode:
    from modelbom.diff import DiffError, diff_boms, load_bom, render

    root = "." if args.path is None else args.path
    sides = [
        (value, _is_revision(which, value, root))
        for which, value in (("OLD", args.old), ("NEW", args.new))
    ]
    if args.path is not None and not any(is_rev for _, is_rev in sides):
        raise UsageError("PATH is only used with revisions, and OLD and NEW are both BOM files")
    try:
        old, new = (
            _scan_revision(args, argv, root, value) if is_rev else load_bom(value)
            for value, is_rev in sides
        )
    except DiffError as exc:
        raise UsageError(str(exc)) from exc
    result = diff_boms(old, new)
    if not args.quiet:
        sys.stdout.write(render(result))
    return ExitCode.POLICY_VIOLATION if result.stricter else ExitCode.OK


def _run_scan(args: argparse.Namespace) -> ExitCode:
    from modelbom.engine import scan
    from modelbom.output import remove_stale_temporaries, write_output

    outputs = _outputs(args)
    for _, target in outputs:
        if target != "-":
            remove_stale_temporaries(Path(target))  # left by a run that was killed
    scan_options = _options(args, args.path, args.rev, group_by=GroupBy(args.group_by))
    result = scan(scan_options, progress=_progress(args))
    options = EmitOptions(reproducible=args.reproducible, spec_version=args.spec_version)
    # Render every output before writing any: a format that fails leaves no file behind.
    rendered = [(fmt, target, emitter_for(fmt).emit(result, options)) for fmt, target in outputs]
    for _, target, data in rendered:
        write_output(target, data)
    if not args.quiet:
        _summary(result, args.verbose)
        for fmt, target, _ in rendered:
            if target != "-":
                _say(f"wrote {display_text(target)} ({fmt.value})")
    if result.violation:
        _say("policy violation: see the verdicts in the output, or run `modelbom explain ID`")
        return ExitCode.POLICY_VIOLATION
    if args.strict and result.incomplete:
        _say(
            f"scan incomplete (--strict): {len(result.unknowns)} unknowns, "
            f"{len(result.unresolved)} unresolved components"
        )
        return ExitCode.INCOMPLETE
    return ExitCode.OK


_EXPLAIN_KEYS = frozenset(
    {
        "include_docs",
        "offline",
        "refresh",
        "workers",
        "crawl_workers",
        "timeout",
        "no_git",
        "policy",
        "python_env",
        "cache_dir",
        "quiet",
        "verbose",
    }
)
# What configuration may set for diff's scans of revisions (always read through git).
_DIFF_KEYS = _EXPLAIN_KEYS - {"no_git"}


def _settings_file(args: argparse.Namespace, root: Path, rev: str | None) -> dict[str, object]:
    """Settings from the user's own ``--config`` file (or ``MODELBOM_CONFIG``), else from
    the scanned repository's file (at revision *rev* when given)."""
    value = args.config or os.environ.get("MODELBOM_CONFIG")
    if value:
        return explicit_settings(Path(value))
    return file_settings(root, rev=rev)


def _parse(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Parse once to find the repository, then again with its configuration and the
    environment as defaults, so that flags win over both."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command not in ("scan", "explain"):
        return parser, args  # diff reads each revision's own settings when it scans it
    if args.rev is not None:
        if args.no_git:
            raise UsageError("--rev reads the revision through git; it cannot go with --no-git")
        _check_root(args.path)
    from_file = _settings_file(args, Path(args.path), args.rev)
    if args.command == "scan" and args.output is not None:
        from_file.pop("output", None)  # -o on the command line replaces the file's outputs
    defaults = {**from_file, **env_settings()}
    if args.rev is not None:
        defaults.pop("no_git", None)  # a revision is always read through git
    if "format" in defaults:
        try:
            defaults["format"] = OutputFormat(str(defaults["format"]))
        except ValueError:
            choices = ", ".join(f.value for f in OutputFormat)
            raise UsageError(f"format: {defaults['format']!r} is not one of {choices}") from None
    if not defaults:
        return parser, args
    parser = build_parser(defaults)
    return parser, parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``modelbom`` console script; returns the exit code."""
    try:
        parser, args = _parse(argv)
    except SystemExit as exc:  # argparse: --help, --version (0) and usage errors (2)
        return int(exc.code) if isinstance(exc.code, int) else ExitCode.USAGE
    except UsageError as exc:
        _say(f"error: {exc}")
        return ExitCode.USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    _configure_logging(args.verbose, args.quiet)
    try:
        if args.command == "diff":
            return int(_run_diff(args, argv))
        run = _run_explain if args.command == "explain" else _run_scan
        return int(run(args))
    except (UsageError, OutputError) as exc:
        _say(f"error: {exc}")
        return ExitCode.USAGE
    except ModelbomError as exc:
        _say(f"internal error: {exc}")
        return ExitCode.INTERNAL
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Exception as exc:  # a bug: say so plainly, traceback only when asked for
        _say(f"internal error: {type(exc).__name__}: {exc}")
        if args.verbose >= 2:
            traceback.print_exc()
        else:
            _say("run again with -vv to see the traceback, and please report it")
        return ExitCode.INTERNAL
