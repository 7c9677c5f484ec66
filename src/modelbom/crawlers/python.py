"""Python crawler: finds model, adapter and dataset references with :mod:`ast`.

The scanned code is parsed, never imported or executed. Ids are taken from the argument
positions of known load calls, given as literals or through names the crawler can follow
statically: module constants, variables assigned earlier in the same function (both
branches of an ``if``), loop variables over literal lists, ``os.getenv`` /
``os.environ.get`` defaults, function-parameter defaults, argparse defaults
(``args.model``) and dataclass or class field defaults (``model_args.model_name``).
Output targets (``save_pretrained``, ``push_to_hub``, ``output_dir``) are never
references: only load positions are read.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.ids import hub_id
from modelbom.model import Evidence, Finding, Kind, Scope

# Confidence of an id by how it was obtained.
LITERAL = 1.0
VARIABLE = 0.9  # a name bound to a literal
DEFAULT = 0.8  # a default the user can override at run time (env, argparse, parameter)
COMPOSED = 0.7  # built from several literal parts

_MAX_VALUES = 16  # candidate values tracked per name; beyond that the name is dropped
_MAX_SOURCE_CHARS = 2 * 1024 * 1024

Values = tuple[tuple[str, float], ...]

_MODEL_ID_KWARGS = (
    "pretrained_model_name_or_path",
    "pretrained_model_or_path",
    "pretrained_model_link_or_path",
    "model_name_or_path",
    "model_id",
    "repo_id",
)
_ADAPTER_METHODS = frozenset(
    {"load_lora_weights", "load_lora_adapter", "load_textual_inversion", "load_ip_adapter"}
)
_ADAPTER_ID_KWARGS = (
    "pretrained_model_name_or_path_or_dict",
    "pretrained_model_name_or_path",
    "peft_model_id",
    "model_id",
)
_PEFT_CONFIG_CLASSES = frozenset({"PeftConfig", "LoraConfig", "PeftMixedModel"})
_DATASET_BUILDERS = frozenset(
    {
        "json", "csv", "parquet", "text", "arrow", "pandas", "sql", "generator", "xml",
        "spark", "webdataset", "imagefolder", "audiofolder", "videofolder", "pdffolder",
        "niftifolder", "numpy", "folder_based_builder", "cache",
    }
)  # fmt: skip
_ENV_GETTERS = frozenset({"getenv", "get"})


@dataclass(slots=True)
class _Env:
    """Names bound to candidate string values, with a parent scope to fall back on."""

    values: dict[str, Values] = field(default_factory=dict)
    parent: _Env | None = None

    def lookup(self, name: str) -> Values:
        env: _Env | None = self
        while env is not None:
            if name in env.values:
                return env.values[name]
            env = env.parent
        return ()

    def copy(self) -> _Env:
        return _Env(dict(self.values), self.parent)

    def merge(self, *branches: _Env) -> None:
        """Bind each name to the union of the values the *branches* may leave behind.

        The branches are copies of this scope taken before they ran, so a branch that
        did not rebind a name still carries the value it had.
        """
        names: set[str] = set()
        for branch in branches:
            names.update(branch.values)
        for name in names:
            combined: dict[str, float] = {}
            for branch in branches:
                for value, conf in branch.lookup(name):
                    combined[value] = max(conf, combined.get(value, 0.0))
            self.values[name] = _cap(combined.items())


def _cap(values: Iterable[tuple[str, float]]) -> Values:
    out = tuple(sorted(set(values)))
    return out if len(out) <= _MAX_VALUES else ()


def _lower(values: Values, conf: float) -> Values:
    return tuple((v, min(c, conf)) for v, c in values)


def _name_of(node: ast.expr) -> str | None:
    """The last name in a dotted expression: ``transformers.AutoModel`` -> ``AutoModel``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _arg(call: ast.Call, index: int | None, names: Sequence[str]) -> ast.expr | None:
    """The argument at *index* (positional) or under one of *names* (keyword)."""
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    if index is not None and len(call.args) > index:
        node = call.args[index]
        if not isinstance(node, ast.Starred):
            return node
    return None


def decode_source(data: bytes) -> str:
    """Decode Python source honouring a PEP 263 cookie; undecodable bytes are replaced."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


class _Analyzer:
    """Walks one module's statements in order, tracking names and reporting load calls."""

    def __init__(self, path: str, lines: list[str], scope: Scope, crawler: str) -> None:
        self.path = path
        self.lines = lines
        self.scope = scope
        self.crawler = crawler
        self.attr_defaults: dict[str, Values] = {}
        self.findings: list[Finding] = []

    # -- module-wide tables -------------------------------------------------------------

    def collect_tables(self, tree: ast.Module, module_env: _Env) -> None:
        """argparse defaults by destination and class field defaults by name."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name_of(node.func) == "add_argument":
                self._collect_argparse(node, module_env)
            elif isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    self._collect_class_field(stmt, module_env)

    def _add_attr(self, name: str, values: Values) -> None:
        if values:
            self.attr_defaults[name] = _cap((*self.attr_defaults.get(name, ()), *values))

    def _collect_argparse(self, call: ast.Call, env: _Env) -> None:
        default = _arg(call, None, ("default",))
        if default is None:
            return
        dest: str | None = None
        dest_node = _arg(call, None, ("dest",))
        if isinstance(dest_node, ast.Constant) and isinstance(dest_node.value, str):
            dest = dest_node.value
        else:
            flags = [
                a.value
                for a in call.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            longs = [f for f in flags if f.startswith("--")]
            if longs:
                dest = longs[0][2:]
            elif flags and not flags[0].startswith("-"):
                dest = flags[0]
            elif flags:
                dest = flags[0].lstrip("-")
        if dest:
            self._add_attr(dest.replace("-", "_"), _lower(self.evaluate(default, env), DEFAULT))

    def _collect_class_field(self, stmt: ast.stmt, env: _Env) -> None:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            target, value = stmt.target.id, stmt.value
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            target, value = stmt.targets[0].id, stmt.value
        else:
            return
        if isinstance(value, ast.Call) and _name_of(value.func) == "field":
            default = _arg(value, None, ("default",))
            if default is None:
                return
            value = default
        self._add_attr(target, _lower(self.evaluate(value, env), DEFAULT))

    # -- expression evaluation ----------------------------------------------------------

    def evaluate(self, node: ast.expr, env: _Env) -> Values:
        """Candidate string values of *node*, each with a confidence."""
        if isinstance(node, ast.Constant):
            return ((node.value, LITERAL),) if isinstance(node.value, str) else ()
        if isinstance(node, ast.Name):
            return _lower(env.lookup(node.id), VARIABLE)
        if isinstance(node, ast.Attribute):
            return self.attr_defaults.get(node.attr, ())
        if isinstance(node, ast.Call):
            return self._evaluate_call(node, env)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.evaluate(node.left, env), self.evaluate(node.right, env)
            return _cap((lv + rv, min(lc, rc, COMPOSED)) for lv, lc in left for rv, rc in right)
        if isinstance(node, ast.JoinedStr):
            return self._evaluate_fstring(node, env)
        if isinstance(node, ast.IfExp):
            return _cap((*self.evaluate(node.body, env), *self.evaluate(node.orelse, env)))
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return _cap(v for operand in node.values for v in self.evaluate(operand, env))
        return ()

    def _evaluate_call(self, call: ast.Call, env: _Env) -> Values:
        """``os.getenv("X", "default")`` and ``os.environ.get("X", "default")``."""
        func = call.func
        name = _name_of(func)
        if name not in _ENV_GETTERS:
            return ()
        if name == "get":
            owner = func.value if isinstance(func, ast.Attribute) else None
            if owner is None or _name_of(owner) != "environ":
                return ()
        default = _arg(call, 1, ("default",))
        if default is None:
            return ()
        return _lower(self.evaluate(default, env), DEFAULT)

    def _evaluate_fstring(self, node: ast.JoinedStr, env: _Env) -> Values:
        results: Values = (("", COMPOSED),)
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                options: Values = ((part.value, LITERAL),)
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None:
                options = self.evaluate(part.value, env)
            else:
                return ()
            if not options:
                return ()
            results = _cap((r + o, min(rc, oc)) for r, rc in results for o, oc in options)
        return results

    # -- statements -----------------------------------------------------------------------

    def run_body(self, body: Sequence[ast.stmt], env: _Env, *, report: bool) -> None:
        for stmt in body:
            self.run_statement(stmt, env, report=report)

    def run_statement(self, stmt: ast.stmt, env: _Env, *, report: bool) -> None:
        """Report the calls in *stmt* with the names bound so far, then bind its targets."""
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if report:
                self.run_function(stmt, env)
            return
        if isinstance(stmt, ast.ClassDef):
            if report:
                class_env = _Env(parent=env)
                for item in stmt.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        self.run_function(item, env)  # methods do not see the class scope
                    else:
                        self.run_statement(item, class_env, report=True)
            return
        if isinstance(stmt, ast.If | ast.While):
            self._scan(stmt.test, env, report)
            branches = [env.copy(), env.copy()]
            self.run_body(stmt.body, branches[0], report=report)
            self.run_body(stmt.orelse, branches[1], report=report)
            env.merge(*branches)
            return
        if isinstance(stmt, ast.For | ast.AsyncFor):
            self._scan(stmt.iter, env, report)
            loop = env.copy()
            if isinstance(stmt.target, ast.Name):
                loop.values[stmt.target.id] = self._iterated(stmt.iter, env)
            self.run_body(stmt.body, loop, report=report)
            orelse = env.copy()
            self.run_body(stmt.orelse, orelse, report=report)
            env.merge(loop, orelse)
            return
        if isinstance(stmt, ast.With | ast.AsyncWith):
            for with_item in stmt.items:
                self._scan(with_item.context_expr, env, report)
            self.run_body(stmt.body, env, report=report)
            return
        if isinstance(stmt, ast.Try | ast.TryStar):
            self.run_body(stmt.body, env, report=report)
            branches = [env.copy() for _ in stmt.handlers]
            for handler, branch in zip(stmt.handlers, branches, strict=True):
                self.run_body(handler.body, branch, report=report)
            self.run_body(stmt.orelse, env, report=report)
            env.merge(env.copy(), *branches)
            self.run_body(stmt.finalbody, env, report=report)
            return
        if isinstance(stmt, ast.Match):
            self._scan(stmt.subject, env, report)
            cases = [env.copy() for _ in stmt.cases]
            for case, branch in zip(stmt.cases, cases, strict=True):
                self.run_body(case.body, branch, report=report)
            env.merge(env.copy(), *cases)
            return
        self._scan(stmt, env, report)
        self._bind(stmt, env)

    def _iterated(self, node: ast.expr, env: _Env) -> Values:
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return _cap(v for elt in node.elts for v in _lower(self.evaluate(elt, env), VARIABLE))
        return ()

    def _bind(self, stmt: ast.stmt, env: _Env) -> None:
        if isinstance(stmt, ast.Assign):
            values = self.evaluate(stmt.value, env)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    env.values[target.id] = values
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            env.values[stmt.target.id] = self.evaluate(stmt.value, env) if stmt.value else ()
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            env.values[stmt.target.id] = ()

    def run_function(self, func: ast.FunctionDef | ast.AsyncFunctionDef, outer: _Env) -> None:
        env = _Env(parent=outer)
        args = func.args
        positional = [*args.posonlyargs, *args.args]
        for arg, default in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
        ):
            env.values[arg.arg] = _lower(self.evaluate(default, outer), DEFAULT)
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None:
                env.values[arg.arg] = _lower(self.evaluate(kw_default, outer), DEFAULT)
        for arg in (*positional, *args.kwonlyargs):
            env.values.setdefault(arg.arg, ())
        self.run_body(func.body, env, report=True)

    # -- calls ----------------------------------------------------------------------------

    def _scan(self, node: ast.AST, env: _Env, report: bool) -> None:
        if not report:
            return
        for call in _calls_in(node):
            self._check_call(call, env)

    def _check_call(self, call: ast.Call, env: _Env) -> None:
        func = call.func
        name = _name_of(func)
        if name is None:
            return
        receiver = _name_of(func.value) if isinstance(func, ast.Attribute) else None
        revision = self._single(_arg(call, None, ("revision",)), env)
        if name == "from_pretrained":
            self._from_pretrained(call, receiver or "", env, revision)
        elif name == "pipeline" and (receiver is None or receiver == "transformers"):
            for node in (_arg(call, 1, ("model",)), _arg(call, None, ("tokenizer",))):
                self._report(node, Kind.MODEL, env, revision=revision)
        elif name in _ADAPTER_METHODS or (name == "load_adapter" and receiver is not None):
            self._report(_arg(call, 0, _ADAPTER_ID_KWARGS), Kind.ADAPTER, env, revision=revision)
        elif name == "load_dataset":
            self._load_dataset(call, env, revision)
        elif name in ("hf_hub_download", "snapshot_download"):
            self._hub_download(call, name, env, revision)
        elif name == "SentenceTransformer":
            self._report(
                _arg(call, 0, ("model_name_or_path",)),
                Kind.MODEL,
                env,
                revision=revision,
                short_org="sentence-transformers",
            )
        elif name == "CrossEncoder":
            node = _arg(call, 0, ("model_name_or_path", "model_name"))
            self._report(node, Kind.MODEL, env, revision=revision)

    def _from_pretrained(
        self, call: ast.Call, receiver: str, env: _Env, revision: str | None
    ) -> None:
        if receiver.startswith("PeftModel"):
            # PeftModel.from_pretrained(base_model, "org/adapter"): the adapter is second.
            node = _arg(call, 1, ("model_id",))
            self._report(node, Kind.ADAPTER, env, revision=revision)
        elif receiver.startswith("AutoPeftModel") or receiver in _PEFT_CONFIG_CLASSES:
            node = _arg(call, 0, ("pretrained_model_name_or_path", "model_id"))
            self._report(node, Kind.ADAPTER, env, revision=revision)
        else:
            self._report(_arg(call, 0, _MODEL_ID_KWARGS), Kind.MODEL, env, revision=revision)

    def _load_dataset(self, call: ast.Call, env: _Env, revision: str | None) -> None:
        props: dict[str, str] = {}
        config = self._single(_arg(call, 1, ("name",)), env)
        split = self._single(_arg(call, None, ("split",)), env)
        if config:
            props["config"] = config
        if split:
            props["split"] = split
        self._report(
            _arg(call, 0, ("path",)),
            Kind.DATASET,
            env,
            revision=revision,
            allow_single=True,
            properties=props,
        )

    def _hub_download(self, call: ast.Call, name: str, env: _Env, revision: str | None) -> None:
        repo_type = self._single(_arg(call, None, ("repo_type",)), env) or "model"
        if repo_type not in ("model", "dataset"):
            return  # spaces are applications, not models or datasets
        props: dict[str, str] = {}
        if name == "hf_hub_download":
            filename = self._single(_arg(call, 1, ("filename",)), env)
            if filename:
                props["filename"] = filename
        kind = Kind.DATASET if repo_type == "dataset" else Kind.MODEL
        self._report(
            _arg(call, 0, ("repo_id",)),
            kind,
            env,
            revision=revision,
            allow_single=kind is Kind.DATASET,
            properties=props,
        )

    def _single(self, node: ast.expr | None, env: _Env) -> str | None:
        if node is None:
            return None
        values = self.evaluate(node, env)
        return values[0][0] if len(values) == 1 else None

    def _report(
        self,
        node: ast.expr | None,
        kind: Kind,
        env: _Env,
        *,
        revision: str | None,
        allow_single: bool = False,
        short_org: str | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        if node is None:
            return
        for value, confidence in self.evaluate(node, env):
            candidate = value.strip()
            if short_org and "/" not in candidate and hub_id(candidate, allow_single=True):
                candidate = f"{short_org}/{candidate}"
            if kind is Kind.DATASET and candidate.lower() in _DATASET_BUILDERS:
                continue
            repo = hub_id(candidate, allow_single=allow_single)
            if repo is None:
                continue
            line = node.lineno
            snippet = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            self.findings.append(
                Finding(
                    kind=kind,
                    id=repo,
                    revision=revision,
                    properties=properties or {},
                    evidence=Evidence(
                        file=self.path,
                        line=line,
                        column=node.col_offset + 1,
                        snippet=snippet,
                        crawler=self.crawler,
                        confidence=confidence,
                        scope=self.scope,
                    ),
                )
            )


def _calls_in(node: ast.AST) -> Iterator[ast.Call]:
    """Every call inside *node*, outer calls first, not entering nested definitions."""
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            yield current
        children = list(ast.iter_child_nodes(current))
        stack.extend(
            child
            for child in reversed(children)
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        )


def findings_from_source(
    source: str, path: str, *, scope: Scope, crawler: str = "python"
) -> list[Finding]:
    """Parse *source* and return its findings. Raises :class:`CrawlError` on bad input."""
    if len(source) > _MAX_SOURCE_CHARS:
        raise CrawlError(f"source too large to parse: {len(source)} characters")
    try:
        tree = ast.parse(source, filename=path, type_comments=False)
    except SyntaxError as exc:
        raise CrawlError(f"not valid Python: {exc.msg} (line {exc.lineno})") from None
    except (RecursionError, MemoryError):
        raise CrawlError("too deeply nested to parse") from None
    except ValueError as exc:  # e.g. NUL bytes in the source
        raise CrawlError(f"not valid Python: {exc}") from None
    analyzer = _Analyzer(path, source.splitlines(), scope, crawler)
    try:
        module_env = _Env()
        # First the module's final bindings (functions run after import), then the tables
        # that refer to them, then the ordered walk that reports.
        analyzer.run_body(tree.body, module_env, report=False)
        analyzer.collect_tables(tree, module_env)
        analyzer.run_body(tree.body, _Env(parent=module_env), report=True)
    except RecursionError:
        raise CrawlError("too deeply nested to analyse") from None
    return sorted(analyzer.findings, key=Finding.sort_key)


class PythonCrawler(Crawler):
    """Python source files (``.py``)."""

    name = "python"
    version = "1"
    max_bytes = _MAX_SOURCE_CHARS

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Every ``.py`` file."""
        return path.suffix == ".py"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Parse the file and report its load calls."""
        source = decode_source(file.data)
        return findings_from_source(source, file.path, scope=scope_of_path(file.pure_path))
