"""The command line: ``modelbom scan PATH``, ``explain``, ``diff``. Thin: parse, call the
engine, emit, exit.

Exit codes: 0 success; 1 policy violation; 2 usage error; 3 incomplete scan under
``--strict`` (unreadable files or unresolved components); 4 internal error. A user error
is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING

from modelbom import __version__
from modelbom.config import env_settings, file_settings
from modelbom.emit import CYCLONEDX_VERSIONS, EmitOptions, OutputFormat, emitter_for
from modelbom.errors import ModelbomError, OutputError, UsageError
from modelbom.model.text import display_text
from modelbom.progress import Progress, TerminalProgress

if TYPE_CHECKING:
    from modelbom.model import ScanResult
    from modelbom.options import ScanOptions

# The engine, its crawlers and resolvers, and the emitters' libraries are imported when a
# command needs them, so that `--version`, `--help` and usage errors answer at once.

PROG = "modelbom"
_MAX_UNKNOWNS_SHOWN = 20


class ExitCode(IntEnum):
    """What the process exit code means."""

    OK = 0
    POLICY_VIOLATION = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERNAL = 4


def _add_common_options(sub: argparse.ArgumentParser) -> None:
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
        help="fetch remote license and lineage facts again instead of using the cache",
    )
    sub.add_argument(
        "--cache-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="resolver cache folder (default: $MODELBOM_CACHE_DIR or the user cache directory)",
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
        "--include-docs",
        action="store_true",
        help="keep components found only in docs and comments in the BOM",
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
        help="compare two CycloneDX BOMs written by modelbom",
        description="Compare two CycloneDX JSON BOMs written by modelbom: components added, "
        "removed or changed (license, lineage, version, verdict) and the artifact's verdict "
        "and governing terms. Exit 1 when NEW's terms are stricter than OLD's.",
    )
    df.add_argument("old", metavar="OLD", help="the earlier BOM (CycloneDX JSON)")
    df.add_argument("new", metavar="NEW", help="the later BOM (CycloneDX JSON)")
    df.add_argument("-q", "--quiet", action="store_true", help="print nothing; only the exit code")
    df.set_defaults(verbose=0)
    return parser


def _configure_logging(verbosity: int, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    logger = logging.getLogger("modelbom")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


_STAGE_VERBS = {"walk": "list", "read": "read", "crawl": "parse", "resolve": "resolve"}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _summary(result: ScanResult) -> None:
    stats = result.stats
    _say(
        f"scanned {_count(stats.files_listed, 'file')} ({stats.files_crawled} crawled): "
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
    for unknown in result.unknowns[:_MAX_UNKNOWNS_SHOWN]:
        verb = _STAGE_VERBS[unknown.stage.value]
        _say(f"could not {verb} {unknown.file}: {unknown.reason}")
    if len(result.unknowns) > _MAX_UNKNOWNS_SHOWN:
        _say(f"... and {len(result.unknowns) - _MAX_UNKNOWNS_SHOWN} more unknowns (see the output)")


def _options(args: argparse.Namespace) -> ScanOptions:
    """Validated scan options from the shared command-line options."""
    from modelbom.options import ScanOptions
    from modelbom.policy.model import find_policy, load_policy

    root = Path(args.path)
    if not root.exists():
        raise UsageError(f"{display_text(args.path)}: no such file or directory")
    if not root.is_dir():
        raise UsageError(f"{display_text(args.path)}: not a directory")
    if args.python_env is not None and not args.python_env.is_dir():
        raise UsageError(f"--python-env {display_text(str(args.python_env))}: not a directory")
    if not 1 <= args.workers <= 64:
        raise UsageError("--workers must be between 1 and 64")
    if args.offline and args.refresh:
        raise UsageError("--refresh needs the network; it cannot be combined with --offline")
    policy_path: Path | None = args.policy or find_policy(root)
    if args.policy is not None and not args.policy.is_file():
        raise UsageError(f"--policy {display_text(str(args.policy))}: no such file")
    return ScanOptions(
        root=root,
        policy=load_policy(policy_path) if policy_path else None,
        offline=args.offline,
        refresh=args.refresh,
        cache_dir=args.cache_dir,
        python_env=args.python_env,
        workers=args.workers,
        include_docs=args.include_docs,
        use_git=not args.no_git,
    )


def _progress(args: argparse.Namespace) -> Progress | None:
    """A status line on stderr when it is a terminal, unless --quiet."""
    if args.quiet or not sys.stderr.isatty():
        return None
    return TerminalProgress(sys.stderr)


def _run_explain(args: argparse.Namespace) -> ExitCode:
    from modelbom.engine import scan
    from modelbom.explain import explain, find_components

    result = scan(_options(args), progress=_progress(args))
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


def _run_diff(args: argparse.Namespace) -> ExitCode:
    from modelbom.diff import DiffError, diff_files, render

    try:
        result = diff_files(args.old, args.new)
    except DiffError as exc:
        raise UsageError(str(exc)) from exc
    if not args.quiet:
        sys.stdout.write(render(result))
    return ExitCode.POLICY_VIOLATION if result.stricter else ExitCode.OK


def _run_scan(args: argparse.Namespace) -> ExitCode:
    from modelbom.engine import scan

    outputs = _outputs(args)
    result = scan(_options(args), progress=_progress(args))
    options = EmitOptions(reproducible=args.reproducible, spec_version=args.spec_version)
    # Render every output before writing any: a format that fails leaves no file behind.
    rendered = [(fmt, target, emitter_for(fmt).emit(result, options)) for fmt, target in outputs]
    from modelbom.output import write_output

    for _, target, data in rendered:
        write_output(target, data)
    if not args.quiet:
        _summary(result)
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
    {"include_docs", "offline", "refresh", "workers", "no_git", "policy", "python_env"}
)


def _parse(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """Parse once to find the repository, then again with its configuration and the
    environment as defaults, so that flags win over both."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command not in ("scan", "explain"):
        return parser, args
    defaults = {**file_settings(Path(args.path)), **env_settings()}
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
        run = {"explain": _run_explain, "diff": _run_diff}.get(args.command, _run_scan)
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
