"""Python crawler: finds model, adapter, dataset and hosted-model references with :mod:`ast`.

The scanned code is parsed, never imported or executed. Ids are taken from the argument
positions of known calls (:mod:`modelbom.crawlers.python_calls`), given as literals or
through names the crawler can follow statically: module constants, variables assigned
earlier in the same function (both branches of an ``if``), loops over literal lists and
dicts (``for name in MODELS``, ``.items()``, ``.values()``), ``MODELS["key"]``,
``os.getenv`` / ``os.environ.get`` defaults, function-parameter defaults, argparse
defaults (``args.model``), dataclass or class field defaults, string concatenation and
f-strings, and names imported from other modules of the same repository (resolved in
:meth:`PythonCrawler.finish`, once every module has been read). An f-string with an
unknown part is recorded with low confidence and ``*`` for the unknown part.

Lineage seen in code is recorded: an adapter loaded onto a base loaded earlier in the
same function gets ``properties["base_model"]``; a base loaded from
``PeftConfig.from_pretrained(x).base_model_name_or_path`` marks the adapter's
``base_from`` as its adapter config. Commented-out code is reported with scope
``comment`` and doctest examples in docstrings with scope ``docs``. A model loaded with
``trust_remote_code=True`` gets ``properties["risk"]``: loading it runs code from the
model's repository.

Output targets (``save_pretrained``, ``push_to_hub``, ``output_dir``) are never
references: only load positions are read.
"""

from __future__ import annotations

import ast
import io
import posixpath
import re
import symtable
import tokenize
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from modelbom.crawlers import python_calls as calls
from modelbom.crawlers.base import Crawler, CrawlError, FileInput, Note, scope_of_path
from modelbom.crawlers.hosted import has_shapes, hosted_model, is_known_shape, provider_for_name
from modelbom.crawlers.ids import hub_id
from modelbom.model import Evidence, Finding, Kind, Scope

# Confidence of an id by how it was obtained.
LITERAL = 1.0
VARIABLE = 0.9  # a name bound to a literal
IMPORTED = 0.85  # a constant imported from another module of the repository
DEFAULT = 0.8  # a default the user can override at run time (env, argparse, parameter)
COMPOSED = 0.7  # built from several literal parts
PARTIAL = 0.3  # an f-string with an unknown part

_MAX_VALUES = 16  # candidate values tracked per name; beyond that the name is dropped
_MAX_SOURCE_CHARS = 2 * 1024 * 1024
_MAX_IMPORT_DEPTH = 5

Values = tuple[tuple[str, float], ...]

# A value standing for a name imported from another module: resolved in finish().
_DEFER = "\x00import\x00"
# Namespaces of _Env keys (Python names never contain these characters).
_SEQ = "[]"  # elements of a list/tuple/set bound to a name
_MAP_KEYS = "{}"  # keys of a dict bound to a name
_MAP_VALUES = "{*}"  # all values of a dict bound to a name
_MAP_ITEM = "{=}"  # one value of a dict: _MAP_ITEM + name + "\x00" + key
_LOADED = "()"  # ids of the model an object was loaded from
_PEFT_CFG = "(cfg)"  # ids of adapters whose PeftConfig an object holds

_HF_URL = re.compile(
    r"^https?://(?:huggingface\.co|hf\.co)/(?:(?P<datasets>datasets)/)?"
    r"(?P<repo>[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*)/(?:resolve|blob)/(?P<rev>[^/]+)/(?P<file>.+)$"
)
_PROVIDER_URI = re.compile(r"^(?P<provider>[a-z_]+):/+(?P<model>[A-Za-z0-9][\w.:\-/@]*)$")
_OLLAMA_NAME = re.compile(r"^[a-z0-9][a-z0-9._\-/]*(?::[A-Za-z0-9._\-]+)?$")
# What a commented-out call or a doctest must contain to be analysed.
_HINTS = (
    "from_pretrained", "load_dataset", "pipeline(", "snapshot_download", "hf_hub_download",
    "load_lora", "SentenceTransformer", "model=",
)  # fmt: skip
_COMMENT_HINT = re.compile("|".join(re.escape(hint) for hint in _HINTS))
# A "#" and, later on the same line, a hint: what a line with such a comment holds.
_COMMENT_LINE = re.compile(r"#[^\r\n]*?(?:" + _COMMENT_HINT.pattern + ")")

# The prefilter (may_refer): every name _Analyzer._check_call acts on, and the names a
# call of a generic name needs alongside (its module imported, or a ``model=`` keyword).
_PREFILTER_NAMES = frozenset(
    {
        "from_pretrained", "from_quantized", "from_single_file", "pipeline", "load_adapter",
        "load_dataset", "hf_hub_download", "snapshot_download",
        *calls.ADAPTER_METHODS, *calls.HUB_CLASSES, *calls.HUB_CLASS_MODULES.values(),
        *calls.HUB_METHODS, *calls.OLLAMA_CLASSES, *calls.HOSTED_CLASSES,
        *calls.BEDROCK_METHODS,
        "timm", "open_clip", "ollama",  # TIMM_, OPEN_CLIP_, OLLAMA_FUNCTIONS need these
        "model",  # HOSTED_METHODS (create, chat, ...) report only their ``model=`` keyword
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Za-z0-9_]+")
_PROVIDER_TEXT = re.compile(
    "(?:" + "|".join(re.escape(p) for p in sorted(calls.PREFIX_PROVIDERS)) + "):/"
)


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
    best: dict[str, float] = {}
    for value, conf in values:
        best[value] = max(conf, best.get(value, 0.0))
    out = tuple(sorted(best.items()))
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


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
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


def _id_arg(call: ast.Call, spec: calls.IdArg) -> ast.expr | None:
    return _arg(call, spec.index, spec.keywords)


REMOTE_CODE_RISK = (
    "requires remote code (trust_remote_code=True): loading runs code from the model repository"
)


def _remote_code(call: ast.Call) -> tuple[tuple[str, str], ...]:
    """The ``risk`` property of a load with ``trust_remote_code=True``, else nothing."""
    node = _arg(call, None, ("trust_remote_code",))
    if isinstance(node, ast.Constant) and node.value is True:
        return (("risk", REMOTE_CODE_RISK),)
    return ()


def _char_column(line: str, byte_offset: int) -> int:
    """``ast`` columns count UTF-8 bytes; reports count characters."""
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))


def _innermost_call(node: ast.expr) -> ast.Call | None:
    """``A.from_pretrained(x).to(device).eval()`` -> the ``from_pretrained`` call."""
    found: ast.Call | None = None
    while isinstance(node, ast.Call | ast.Attribute | ast.Await):
        if isinstance(node, ast.Call):
            found = node
            node = node.func
        else:
            node = node.value
    return found


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


@dataclass(frozen=True, slots=True)
class _Target:
    """What a reported value refers to and how to validate it."""

    kind: Kind
    revision: str | None = None
    allow_single: bool = False
    short_org: str | None = None
    properties: tuple[tuple[str, str], ...] = ()
    provider: str | None = None  # hosted-model provider; "ollama" for local Ollama models
    strict: bool = False  # a generic SDK method: the name must have the provider's shape


@dataclass(frozen=True, slots=True)
class _Pending:
    """A reference through a name imported from another module, resolved in finish()."""

    level: int
    module: str
    name: str
    importer: str
    target: _Target
    evidence: Evidence


class _Analyzer:
    """Walks one module's statements in order, tracking names and reporting load calls."""

    def __init__(
        self, source: str, path: str, scope: Scope, crawler: str, line_offset: int = 0
    ) -> None:
        self.path = path
        self.source = source
        self.lines = source.splitlines()
        self.scope = scope
        self.crawler = crawler
        self.line_offset = line_offset
        self.attr_defaults: dict[str, Values] = {}
        self.findings: list[Finding] = []
        self.pending: list[_Pending] = []
        # from M import A as B: B -> (level, M, A); import a.b as m: m -> (0, "a.b")
        self.imports: dict[str, tuple[int, str, str]] = {}
        self.module_aliases: dict[str, tuple[int, str]] = {}
        self.roots: set[str] = set()  # top-level packages imported
        self.origins: dict[str, str] = {}  # imported name -> dotted origin
        self.call_ids: dict[int, tuple[Kind, Values]] = {}
        self.adapter_cfg_bases: set[str] = set()

    # -- module-wide tables -------------------------------------------------------------

    def collect_imports(self, tree: ast.Module) -> None:
        """Imports anywhere in the module (they are visible where they are used)."""
        for node in _statements(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 0 and module:
                    self.roots.add(module.split(".")[0])
                for alias in node.names:
                    bound = alias.asname or alias.name
                    self.imports[bound] = (node.level, module, alias.name)
                    self.origins[bound] = f"{module}.{alias.name}" if module else alias.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.roots.add(alias.name.split(".")[0])
                    if alias.asname:
                        self.module_aliases[alias.asname] = (0, alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        self.module_aliases.setdefault(top, (0, top))
                        self.module_aliases[alias.name] = (0, alias.name)

    def collect_tables(self, tree: ast.Module, module_env: _Env) -> None:
        """argparse defaults by destination and class field defaults by name.

        Both tables merge values order-free (:func:`_cap`), so calls and classes are
        collected in two passes, the calls only when the source names ``add_argument``.
        """
        if "add_argument" in self.source:
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _name_of(node.func) == "add_argument":
                    self._collect_argparse(node, module_env)
        for node in _statements(tree):
            if isinstance(node, ast.ClassDef):
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
            values = env.lookup(node.id)
            if not values and node.id in self.imports and node.id not in env.values:
                level, module, attr = self.imports[node.id]
                return ((f"{_DEFER}{level}\x00{module}\x00{attr}", IMPORTED),)
            return _lower(values, VARIABLE)
        if isinstance(node, ast.Attribute):
            return self._evaluate_attribute(node)
        if isinstance(node, ast.Subscript):
            return self._evaluate_subscript(node, env)
        if isinstance(node, ast.Call):
            return self._evaluate_call(node, env)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.evaluate(node.left, env), self.evaluate(node.right, env)
            return _cap(
                (lv + rv, min(lc, rc, COMPOSED))
                for lv, lc in left
                for rv, rc in right
                if _DEFER not in lv + rv
            )
        if isinstance(node, ast.JoinedStr):
            return self._evaluate_fstring(node, env)
        if isinstance(node, ast.IfExp):
            return _cap((*self.evaluate(node.body, env), *self.evaluate(node.orelse, env)))
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return _cap(v for operand in node.values for v in self.evaluate(operand, env))
        return ()

    def _evaluate_attribute(self, node: ast.Attribute) -> Values:
        dotted = _dotted(node)
        if dotted:
            owner, _, attr = dotted.rpartition(".")
            if owner in self.module_aliases:
                level, module = self.module_aliases[owner]
                return ((f"{_DEFER}{level}\x00{module}\x00{attr}", IMPORTED),)
            if owner in self.imports:  # from . import constants; constants.MODEL
                level, module, sub = self.imports[owner]
                module = f"{module}.{sub}" if module else sub
                return ((f"{_DEFER}{level}\x00{module}\x00{attr}", IMPORTED),)
        return self.attr_defaults.get(node.attr, ())

    def _evaluate_subscript(self, node: ast.Subscript, env: _Env) -> Values:
        """``MODELS["large"]``: that value; ``MODELS[key]`` with an unknown key: any value."""
        if not isinstance(node.value, ast.Name):
            return ()
        name = node.value.id
        keys = [k for k, _ in self.evaluate(node.slice, env) if _DEFER not in k]
        if self._imported(name, env):
            level, module, attr = self.imports[name]
            if len(keys) == 1:
                return (
                    (self._deferred(level, module, f"{_MAP_ITEM}{attr}\x00{keys[0]}"), IMPORTED),
                )
            return (
                (self._deferred(level, module, _MAP_VALUES + attr), DEFAULT),
                (self._deferred(level, module, _SEQ + attr), DEFAULT),
            )
        if keys:
            out = [v for key in keys for v in env.lookup(f"{_MAP_ITEM}{name}\x00{key}")]
            if out:
                return _lower(_cap(out), VARIABLE)
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int):
            return _lower(env.lookup(_SEQ + name), VARIABLE)
        # A key known only at run time (``STYLES[args.style]``): any of the values.
        return _lower(_cap((*env.lookup(_MAP_VALUES + name), *env.lookup(_SEQ + name))), DEFAULT)

    def _imported(self, name: str, env: _Env) -> bool:
        """Whether *name* is bound by an import rather than an assignment in scope."""
        return name in self.imports and not env.lookup(name) and name not in env.values

    @staticmethod
    def _deferred(level: int, module: str, attr: str) -> str:
        return f"{_DEFER}{level}\x00{module}\x00{attr}"

    def _evaluate_call(self, call: ast.Call, env: _Env) -> Values:
        """``os.getenv("X", "default")`` and ``os.environ.get("X", "default")``."""
        func = call.func
        name = _name_of(func)
        if name not in ("getenv", "get"):
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
        partial = False
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                options: Values = ((part.value, LITERAL),)
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None:
                options = tuple(
                    (v, c) for v, c in self.evaluate(part.value, env) if _DEFER not in v
                )
                if not options:
                    options = (("*", PARTIAL),)
                    partial = True
            else:
                return ()
            results = _cap((r + o, min(rc, oc)) for r, rc in results for o, oc in options)
        if partial and not any(
            isinstance(p, ast.Constant) and isinstance(p.value, str) and p.value.strip("/-_.")
            for p in node.values
        ):
            return ()  # f"{a}/{b}": nothing literal to go on
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
            self._bind_loop_target(stmt.target, stmt.iter, env, loop)
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

    def _bind_loop_target(self, target: ast.expr, it: ast.expr, env: _Env, loop: _Env) -> None:
        """Bind a loop variable to the elements, keys or values it iterates over."""
        keys: Values = ()
        values: Values = ()
        source: str | None = None
        method: str | None = None
        if isinstance(it, ast.List | ast.Tuple | ast.Set):
            keys = _cap(v for elt in it.elts for v in _lower(self.evaluate(elt, env), VARIABLE))
        elif isinstance(it, ast.Dict):
            keys = self._dict_keys(it, env)
        elif isinstance(it, ast.Name):
            source = it.id
        elif (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Attribute)
            and isinstance(it.func.value, ast.Name)
            and not it.args
        ):
            source, method = it.func.value.id, it.func.attr
        if source is not None and self._imported(source, env):
            level, module, attr = self.imports[source]
            seq: Values = ((self._deferred(level, module, _SEQ + attr), IMPORTED),)
            map_keys: Values = ((self._deferred(level, module, _MAP_KEYS + attr), IMPORTED),)
            map_values: Values = ((self._deferred(level, module, _MAP_VALUES + attr), IMPORTED),)
            seq = (*seq, *map_keys)
        elif source is not None:
            seq = env.lookup(_SEQ + source)
            map_keys = env.lookup(_MAP_KEYS + source)
            map_values = env.lookup(_MAP_VALUES + source)
        if source is not None:
            if method is None:
                keys = seq or map_keys
            elif method == "keys":
                keys = map_keys
            elif method == "values":
                keys = map_values
            elif method == "items":
                keys, values = map_keys, map_values
        if isinstance(target, ast.Name):
            loop.values[target.id] = _lower(keys, VARIABLE)
        elif isinstance(target, ast.Tuple) and len(target.elts) == 2:
            first, second = target.elts
            if isinstance(first, ast.Name):
                loop.values[first.id] = _lower(keys, VARIABLE)
            if isinstance(second, ast.Name):
                loop.values[second.id] = _lower(values, VARIABLE)

    def _dict_keys(self, node: ast.Dict, env: _Env) -> Values:
        return _cap(v for k in node.keys if k is not None for v in self.evaluate(k, env))

    def _bind(self, stmt: ast.stmt, env: _Env) -> None:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    self._bind_name(target.id, stmt.value, env)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if stmt.value is not None:
                self._bind_name(stmt.target.id, stmt.value, env)
            else:
                env.values[stmt.target.id] = ()
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            env.values[stmt.target.id] = ()

    def _bind_name(self, name: str, value: ast.expr, env: _Env) -> None:
        for prefix in (_SEQ, _MAP_KEYS, _MAP_VALUES, _LOADED, _PEFT_CFG):
            env.values.pop(prefix + name, None)
        env.values[name] = self.evaluate(value, env)
        if isinstance(value, ast.List | ast.Tuple | ast.Set):
            env.values[_SEQ + name] = _cap(v for e in value.elts for v in self.evaluate(e, env))
        elif isinstance(value, ast.Dict):
            env.values[_MAP_KEYS + name] = self._dict_keys(value, env)
            all_values: list[tuple[str, float]] = []
            for key_node, value_node in zip(value.keys, value.values, strict=True):
                vals = self.evaluate(value_node, env)
                all_values.extend(vals)
                if key_node is not None:
                    for key, _ in self.evaluate(key_node, env):
                        env.values[f"{_MAP_ITEM}{name}\x00{key}"] = vals
            env.values[_MAP_VALUES + name] = _cap(all_values)
        else:
            inner = _innermost_call(value)
            if inner is not None and id(inner) in self.call_ids:
                kind, ids = self.call_ids[id(inner)]
                if kind is Kind.ADAPTER and _name_of(inner.func) == "from_pretrained":
                    receiver = inner.func.value if isinstance(inner.func, ast.Attribute) else None
                    if receiver is not None and _name_of(receiver) in calls.PEFT_CONFIG_CLASSES:
                        env.values[_PEFT_CFG + name] = ids
                        return
                env.values[_LOADED + name] = ids

    def run_function(self, func: ast.FunctionDef | ast.AsyncFunctionDef, outer: _Env) -> None:
        env = _Env(parent=outer)
        args = func.args
        positional = [*args.posonlyargs, *args.args]
        with_defaults = positional[len(positional) - len(args.defaults) :]
        for arg, default in zip(with_defaults, args.defaults, strict=True):
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
        receiver_node = func.value if isinstance(func, ast.Attribute) else None
        receiver = _name_of(receiver_node) if receiver_node is not None else None
        revision = self._single(_arg(call, None, ("revision",)), env)
        if name in ("from_pretrained", "from_quantized"):
            self._from_pretrained(call, receiver or "", env, revision)
        elif name == "from_single_file":
            self._from_single_file(call, env)
        elif name == "pipeline" and (receiver is None or receiver == "transformers"):
            target = _Target(Kind.MODEL, revision, properties=_remote_code(call))
            for node in (_arg(call, 1, ("model",)), _arg(call, None, ("tokenizer",))):
                self._report(node, target, env, call)
        elif name in calls.ADAPTER_METHODS or (name == "load_adapter" and receiver is not None):
            spec = calls.ADAPTER_METHODS.get(name, calls.IdArg(0, ("peft_model_id", "model_id")))
            props = self._base_of(receiver_node, env)
            target = _Target(Kind.ADAPTER, revision, properties=props)
            self._report(_id_arg(call, spec), target, env, call)
        elif name == "load_dataset":
            self._load_dataset(call, env, revision)
        elif name in ("hf_hub_download", "snapshot_download"):
            self._hub_download(call, name, env, revision)
        elif name in calls.HUB_CLASSES:
            spec, short_org = calls.HUB_CLASSES[name]
            target = _Target(Kind.MODEL, revision, short_org=short_org)
            for keyword in spec.keywords or ():
                self._report(_arg(call, None, (keyword,)), target, env, call)
            if spec.index is not None and len(call.args) > spec.index:
                self._report(call.args[spec.index], target, env, call)
        elif name in calls.HUB_CLASS_MODULES and calls.HUB_CLASS_MODULES[name] in self.roots:
            self._report(_arg(call, 0, ("model",)), _Target(Kind.MODEL, revision), env, call)
            self._report(_arg(call, None, ("tokenizer",)), _Target(Kind.MODEL), env, call)
        elif name in calls.HUB_METHODS and receiver is not None:
            self._report(
                _id_arg(call, calls.HUB_METHODS[name]), _Target(Kind.MODEL, revision), env, call
            )
        elif name in calls.OLLAMA_CLASSES:
            node = _arg(call, None, ("model", "model_name"))
            self._report(node, _Target(Kind.MODEL, provider="ollama"), env, call)
        elif name in calls.HOSTED_CLASSES and (
            _arg(call, None, calls.HOSTED_MODEL_KWARGS) is not None
            or name in calls.HOSTED_POSITIONAL
        ):
            self._hosted_class(call, name, env)
        elif name in calls.TIMM_FUNCTIONS and self._is_from(receiver, name, "timm"):
            self._timm(call, env)
        elif name in calls.OPEN_CLIP_FUNCTIONS and self._is_from(receiver, name, "open_clip"):
            self._open_clip(call, env)
        elif name in calls.OLLAMA_FUNCTIONS and self._is_from(receiver, name, "ollama"):
            node = _id_arg(call, calls.OLLAMA_FUNCTIONS[name])
            self._report(node, _Target(Kind.MODEL, provider="ollama"), env, call)
        elif name in calls.BEDROCK_METHODS:
            node = _arg(call, None, ("modelId",))
            self._report(node, _Target(Kind.HOSTED_MODEL, provider="aws-bedrock"), env, call)
        elif name in calls.HOSTED_METHODS and (
            receiver is not None
            or self.origins.get(name, "").split(".")[0] in calls.PROVIDER_PACKAGES
        ):
            # client.chat.completions.create(...), or ``from litellm import completion``
            self._hosted_method(call, name, receiver or "", env)
        self._provider_uris(call, env)

    def _is_from(self, receiver: str | None, name: str, package: str) -> bool:
        """Whether ``receiver.name(...)`` or a bare ``name(...)`` comes from *package*."""
        if receiver is not None:
            origin = self.module_aliases.get(receiver, (0, receiver))[1]
            return origin.split(".")[0] == package
        return self.origins.get(name, "").split(".")[0] == package

    def _from_pretrained(
        self, call: ast.Call, receiver: str, env: _Env, revision: str | None
    ) -> None:
        if receiver.startswith("PeftModel"):
            # PeftModel.from_pretrained(base_model, "org/adapter"): the adapter is second.
            props = self._base_of(call.args[0] if call.args else None, env)
            node = _arg(call, 1, ("model_id",))
            self._report(node, _Target(Kind.ADAPTER, revision, properties=props), env, call)
        elif receiver.startswith("AutoPeftModel") or receiver in calls.PEFT_CONFIG_CLASSES:
            node = _arg(call, 0, ("pretrained_model_name_or_path", "model_id"))
            self._report(node, _Target(Kind.ADAPTER, revision), env, call)
        else:
            node = _id_arg(call, calls.FROM_PRETRAINED)
            if isinstance(node, ast.Attribute) and node.attr == "base_model_name_or_path":
                owner = node.value
                if isinstance(owner, ast.Name):
                    self.adapter_cfg_bases.update(v for v, _ in env.lookup(_PEFT_CFG + owner.id))
            target = _Target(Kind.MODEL, revision, properties=_remote_code(call))
            self._report(node, target, env, call)

    def _base_of(self, node: ast.expr | None, env: _Env) -> tuple[tuple[str, str], ...]:
        """``base_model`` property for an adapter loaded onto an object bound earlier."""
        if isinstance(node, ast.Name):
            bases = env.lookup(_LOADED + node.id)
            if len(bases) == 1:
                return (("base_model", bases[0][0]),)
        return ()

    def _from_single_file(self, call: ast.Call, env: _Env) -> None:
        node = _arg(call, 0, ("pretrained_model_link_or_path",))
        if node is None:
            return
        for value, _ in self.evaluate(node, env):
            match = _HF_URL.match(value.strip())
            if match is None:
                continue
            kind = Kind.DATASET if match["datasets"] else Kind.MODEL
            target = _Target(kind, match["rev"], properties=(("filename", match["file"]),))
            self._emit(match["repo"], LITERAL, node, target, call)

    def _load_dataset(self, call: ast.Call, env: _Env, revision: str | None) -> None:
        props: list[tuple[str, str]] = []
        config = self._single(_arg(call, 1, ("name",)), env)
        split = self._single(_arg(call, None, ("split",)), env)
        if config:
            props.append(("config", config))
        if split:
            props.append(("split", split))
        target = _Target(Kind.DATASET, revision, allow_single=True, properties=tuple(props))
        self._report(_arg(call, 0, ("path",)), target, env, call)

    def _hub_download(self, call: ast.Call, name: str, env: _Env, revision: str | None) -> None:
        repo_type = self._single(_arg(call, None, ("repo_type",)), env) or "model"
        if repo_type not in ("model", "dataset"):
            return  # spaces are applications, not models or datasets
        props: tuple[tuple[str, str], ...] = ()
        if name == "hf_hub_download":
            filename = self._single(_arg(call, 1, ("filename",)), env)
            if filename:
                props = (("filename", filename),)
        kind = Kind.DATASET if repo_type == "dataset" else Kind.MODEL
        target = _Target(kind, revision, allow_single=kind is Kind.DATASET, properties=props)
        self._report(_arg(call, 0, ("repo_id",)), target, env, call)

    def _timm(self, call: ast.Call, env: _Env) -> None:
        node = _arg(call, 0, ("model_name",))
        if node is None:
            return
        pretrained = _arg(call, None, ("pretrained",))
        is_pretrained = isinstance(pretrained, ast.Constant) and pretrained.value is True
        for value, conf in self.evaluate(node, env):
            if value.startswith("hf-hub:") or value.startswith("hf_hub:"):
                self._emit(value.split(":", 1)[1], conf, node, _Target(Kind.MODEL), call)
            elif is_pretrained and "/" not in value:
                self._emit(f"timm/{value}", conf, node, _Target(Kind.MODEL), call)

    def _open_clip(self, call: ast.Call, env: _Env) -> None:
        node = _arg(call, 0, ("model_name",))
        if node is None:
            return
        pretrained = self._single(_arg(call, 1, ("pretrained",)), env)
        for value, conf in self.evaluate(node, env):
            if value.startswith("hf-hub:"):
                self._emit(value[len("hf-hub:") :], conf, node, _Target(Kind.MODEL), call)
            elif (
                pretrained
                and re.match(r"^[\w.\-]+$", value)
                and re.match(r"^[\w.\-]+$", pretrained)
            ):
                target = _Target(Kind.MODEL, provider="open_clip")
                self._emit(f"{value}/{pretrained}", conf, node, target, call)

    def _hosted_class(self, call: ast.Call, name: str, env: _Env) -> None:
        provider = calls.HOSTED_CLASSES[name]
        if name == "GenerativeModel" and "vertexai" in self.roots:
            provider = "vertex-ai"
        index = 0 if name in calls.HOSTED_POSITIONAL else None
        node = _arg(call, index, calls.HOSTED_MODEL_KWARGS)
        self._report(node, _Target(Kind.HOSTED_MODEL, provider=provider), env, call)

    def _hosted_method(self, call: ast.Call, name: str, receiver: str, env: _Env) -> None:
        node = _arg(call, None, ("model",))
        if node is None:
            return
        if receiver == "litellm" or (
            name in ("completion", "acompletion", "embedding", "aembedding")
            and "litellm" in self.roots
        ):
            self._report(node, _Target(Kind.HOSTED_MODEL, provider="litellm"), env, call)
            return
        if "ollama" in self.roots and name in calls.OLLAMA_FUNCTIONS:
            self._report(node, _Target(Kind.MODEL, provider="ollama"), env, call)
            return
        imported = sorted(
            {calls.PROVIDER_PACKAGES[r] for r in self.roots if r in calls.PROVIDER_PACKAGES}
            - {"litellm", "aws-bedrock"}
        )
        if (
            imported == ["openai"]
            and "AzureOpenAI" in self.origins
            and "OpenAI" not in self.origins
        ):
            imported = ["azure-openai"]
        provider = imported[0] if len(imported) == 1 else "?"
        self._report(node, _Target(Kind.HOSTED_MODEL, provider=provider, strict=True), env, call)

    def _provider_uris(self, call: ast.Call, env: _Env) -> None:
        """MLflow-style ``openai:/gpt-4o`` model URIs passed to any call."""
        for node in (*call.args, *(kw.value for kw in call.keywords)):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ":/" in node.value
            ):
                match = _PROVIDER_URI.match(node.value.strip())
                if (
                    match
                    and match["provider"] in calls.PREFIX_PROVIDERS
                    and self._written(node, match["provider"] + ":/")
                ):
                    provider = calls.PREFIX_PROVIDERS[match["provider"]]
                    model = hosted_model(provider, match["model"])
                    if model:
                        self._emit(
                            model,
                            LITERAL,
                            node,
                            _Target(Kind.HOSTED_MODEL, provider=provider),
                            call,
                        )

    def _written(self, node: ast.expr, text: str) -> bool:
        """Whether *text* is written in the source of *node* (not assembled from escapes or
        adjacent literals): what keeps :func:`may_refer` exact."""
        return text in (ast.get_source_segment(self.source, node) or "")

    def _single(self, node: ast.expr | None, env: _Env) -> str | None:
        if node is None:
            return None
        values = [v for v, _ in self.evaluate(node, env) if _DEFER not in v and "*" not in v]
        return values[0] if len(values) == 1 else None

    def _report(self, node: ast.expr | None, target: _Target, env: _Env, call: ast.Call) -> None:
        if node is None:
            return
        for value, confidence in self.evaluate(node, env):
            if value.startswith(_DEFER):
                level, module, name = value[len(_DEFER) :].split("\x00", 2)
                evidence = self._evidence(node, confidence)
                self.pending.append(_Pending(int(level), module, name, self.path, target, evidence))
                continue
            self._emit(value, confidence, node, target, call)

    def _evidence(self, node: ast.expr, confidence: float) -> Evidence:
        line = node.lineno
        snippet = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Evidence(
            file=self.path,
            line=line + self.line_offset,
            column=_char_column(snippet, node.col_offset) + 1,
            snippet=snippet,
            crawler=self.crawler,
            confidence=confidence,
            scope=self.scope,
        )

    def _emit(
        self, value: str, confidence: float, node: ast.expr, target: _Target, call: ast.Call | None
    ) -> None:
        finding = make_finding(value, target, self._evidence(node, confidence))
        if finding is None:
            return
        self.findings.append(finding)
        if call is not None and finding.kind in calls.KIND_OF_LOADED and finding.ecosystem is None:
            kind, ids = self.call_ids.get(id(call), (finding.kind, ()))
            self.call_ids[id(call)] = (kind, _cap((*ids, (finding.id, confidence))))


def make_finding(value: str, target: _Target, evidence: Evidence) -> Finding | None:
    """Validate *value* for *target* and build the finding, or None when it is no reference."""
    candidate = value.strip()
    props = dict(target.properties)
    if evidence.confidence <= PARTIAL and "*" in candidate:
        if hub_id(candidate.replace("*", "x")) is None or not candidate.split("/")[0].strip("*"):
            return None
        props["pattern"] = "true"
        return Finding(kind=target.kind, id=candidate, evidence=evidence, properties=props)
    if "*" in candidate:
        return None
    if target.kind is Kind.HOSTED_MODEL:
        return _hosted_finding(candidate, target, evidence)
    if target.provider == "ollama":
        if (
            not _OLLAMA_NAME.match(candidate)
            or hub_id(candidate.split(":")[0], allow_single=True) is None
        ):
            return None
        return Finding(
            kind=Kind.MODEL, id=candidate, ecosystem="ollama", evidence=evidence, properties=props
        )
    if target.provider == "open_clip":
        return Finding(
            kind=Kind.MODEL,
            id=candidate,
            ecosystem="open_clip",
            evidence=evidence,
            properties=props,
        )
    if target.short_org and "/" not in candidate and hub_id(candidate, allow_single=True):
        candidate = f"{target.short_org}/{candidate}"
    if target.kind is Kind.DATASET and candidate.lower() in calls.DATASET_BUILDERS:
        return None
    repo = hub_id(candidate, allow_single=target.allow_single)
    if repo is None:
        return None
    return Finding(
        kind=target.kind, id=repo, revision=target.revision, evidence=evidence, properties=props
    )


def _hosted_finding(candidate: str, target: _Target, evidence: Evidence) -> Finding | None:
    provider = target.provider or "?"
    props = dict(target.properties)
    if provider == "litellm":
        prefix, _, rest = candidate.partition("/")
        if prefix in ("huggingface", "hf") and hub_id(rest):
            return Finding(kind=Kind.MODEL, id=rest, evidence=evidence, properties=props)
        if prefix == "ollama" and rest:
            return make_finding(rest, _Target(Kind.MODEL, provider="ollama"), evidence)
        if prefix in calls.PREFIX_PROVIDERS and rest:
            provider, candidate = calls.PREFIX_PROVIDERS[prefix], rest
        else:
            provider = provider_for_name(candidate) or ""
    elif provider == "?":
        provider = provider_for_name(candidate) or ""
    if not provider:
        return None
    if target.strict and has_shapes(provider) and not is_known_shape(provider, candidate):
        # An OpenAI-compatible client serving a Hub model, or not a model at all.
        repo = hub_id(candidate) if "/" in candidate else None
        if repo is None:
            return None
        props["served_through"] = provider
        return Finding(kind=Kind.MODEL, id=repo, evidence=evidence, properties=props)
    name = hosted_model(provider, candidate)
    if name is None:
        return None
    return Finding(
        kind=Kind.HOSTED_MODEL, id=name, ecosystem=provider, evidence=evidence, properties=props
    )


def _statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Every statement of *tree*, in the order :func:`ast.walk` meets them.

    Statements only hold statements in lists (bodies, handlers, match cases), never inside
    expressions, so a breadth-first walk that enters only those lists meets them in the
    same order as one through every node, at a fraction of the cost.
    """
    todo: deque[ast.AST] = deque([tree])
    while todo:
        node = todo.popleft()
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                todo.extend(
                    v for v in value if isinstance(v, ast.stmt | ast.excepthandler | ast.match_case)
                )
        if isinstance(node, ast.stmt):
            yield node


def _calls_in(node: ast.AST) -> Iterator[ast.Call]:
    """Every call inside *node*, inner calls first, not entering nested definitions."""
    out: list[ast.Call] = []
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call):
            out.append(current)
        children = list(ast.iter_child_nodes(current))
        stack.extend(
            child
            for child in reversed(children)
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        )
    # Inner calls first: ``A.from_pretrained(x).to(d)`` records what ``from_pretrained``
    # loaded before anything asks about the outer call.
    yield from reversed(out)


@dataclass(slots=True)
class ModuleAnalysis:
    """What one module yields: findings, its exported constants, unresolved imports."""

    findings: list[Finding]
    exports: dict[str, Values]
    pending: list[_Pending]


def _parse(source: str, path: str) -> ast.Module:
    if len(source) > _MAX_SOURCE_CHARS:
        raise CrawlError(f"source too large to parse: {len(source)} characters")
    try:
        return ast.parse(source, filename=path, type_comments=False)
    except SyntaxError as exc:
        raise CrawlError(f"not valid Python: {exc.msg} (line {exc.lineno})") from None
    except (RecursionError, MemoryError):
        raise CrawlError("too deeply nested to parse") from None
    except ValueError as exc:  # e.g. NUL bytes in the source
        raise CrawlError(f"not valid Python: {exc}") from None


def analyze_module(
    source: str,
    path: str,
    *,
    scope: Scope,
    crawler: str = "python",
    line_offset: int = 0,
    extras: bool = True,
) -> ModuleAnalysis:
    """Parse and analyse one module. Raises :class:`CrawlError` on bad input.

    With *extras*, commented-out code and doctest examples in docstrings are read too.
    """
    tree = _parse(source, path)
    analyzer = _Analyzer(source, path, scope, crawler, line_offset)
    module_env = _Env()
    try:
        analyzer.collect_imports(tree)
        # First the module's final bindings (functions run after import), then the tables
        # that refer to them, then the ordered walk that reports.
        analyzer.run_body(tree.body, module_env, report=False)
        analyzer.collect_tables(tree, module_env)
        analyzer.run_body(tree.body, _Env(parent=module_env), report=True)
    except RecursionError:
        raise CrawlError("too deeply nested to analyse") from None
    findings = analyzer.findings
    if analyzer.adapter_cfg_bases:
        findings = [
            f.model_copy(update={"properties": {**f.properties, "base_from": "adapter-config"}})
            if f.kind is Kind.ADAPTER and f.id in analyzer.adapter_cfg_bases
            else f
            for f in findings
        ]
    if extras and _COMMENT_HINT.search(source):
        # A commented-out call or a doctest can only hold a load call the hint matches,
        # and only as written in the source (a docstring's hint is looked for there).
        findings.extend(_comment_findings(source, path, crawler, line_offset))
        findings.extend(_docstring_findings(tree, path, crawler, line_offset))
    # Constants and the elements, keys and values of containers bound at module level.
    exports = {
        k: v
        for k, v in module_env.values.items()
        if k.isidentifier() or k.startswith((_SEQ, _MAP_KEYS, _MAP_VALUES, _MAP_ITEM))
    }
    for name, (level, module, attr) in analyzer.imports.items():
        # Re-exports: ``from .constants import MODEL`` makes MODEL importable from here.
        exports.setdefault(name, ((f"{_DEFER}{level}\x00{module}\x00{attr}", IMPORTED),))
    return ModuleAnalysis(sorted(findings, key=Finding.sort_key), exports, analyzer.pending)


def may_refer(source: str) -> bool:
    """False only when *source* provably yields no finding and no import to follow.

    Every finding and every name to follow into another module comes from a call whose
    name the tables of :mod:`~modelbom.crawlers.python_calls` list (or that needs one of
    a few names alongside: its module imported, a ``model=`` keyword), from a provider
    URI written in a string literal (``openai:/gpt-4o``), or from a commented-out call or
    doctest that the comment hint matches; each of these is written in the source as it
    is. Python normalises identifiers (NFKC), so a name may be spelt in other
    characters: any source that is not pure ASCII is analysed. The cost is a scan for
    words, a fraction of parsing.
    """
    if not source.isascii():
        return True
    if any(hint in source for hint in _HINTS):  # as _COMMENT_HINT.search(source), faster
        return True
    if ":/" in source and _PROVIDER_TEXT.search(source):
        return True
    return not _PREFILTER_NAMES.isdisjoint(_WORD.findall(source))


def _syntax_ok(source: str, path: str) -> bool:
    """Whether *source* is valid Python, without building the syntax tree in Python.

    The compiler's symbol-table pass parses with the same grammar as :func:`ast.parse`
    and rejects more (misplaced ``nonlocal``, unknown ``__future__`` features), so True
    means :func:`ast.parse` accepts the source; on False the caller parses it for real
    to learn whether, and why, it is invalid.
    """
    if len(source) > _MAX_SOURCE_CHARS:
        return False
    try:
        symtable.symtable(source, path, "exec")
    except Exception:  # SyntaxError, ValueError (NUL bytes), RecursionError, MemoryError
        return False
    return True


def findings_from_source(
    source: str, path: str, *, scope: Scope, crawler: str = "python", line_offset: int = 0
) -> list[Finding]:
    """Parse *source* and return its findings. Raises :class:`CrawlError` on bad input.

    A source that :func:`may_refer` rules out is not parsed at all (no findings, and no
    error for invalid code). Names imported from other modules cannot be followed here
    (use :class:`PythonCrawler` for that); *line_offset* is added to every reported line.
    """
    if not may_refer(source):
        return []
    return analyze_module(
        source, path, scope=scope, crawler=crawler, line_offset=line_offset
    ).findings


def _snippet_findings(
    code: str, path: str, crawler: str, scope: Scope, line: int, column: int
) -> list[Finding]:
    """Findings in a snippet of code that starts at (*line*, *column*) of the file."""
    try:
        found = analyze_module(code, path, scope=scope, crawler=crawler, extras=False).findings
    except CrawlError:
        return []
    out = []
    for f in found:
        ev = f.evidence
        moved = ev.model_copy(
            update={
                "line": ev.line + line - 1,
                "column": ev.column + (column if ev.line == 1 else 0),
            }
        )
        out.append(f.model_copy(update={"evidence": moved}))
    return out


def _comment_findings(source: str, path: str, crawler: str, line_offset: int) -> list[Finding]:
    """Load calls in commented-out code, with scope ``comment``."""
    if not _COMMENT_LINE.search(source):
        return []  # no line holds the hint after a "#": no comment can
    out: list[Finding] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        text = tok.string.lstrip("#")
        if not _COMMENT_HINT.search(text):
            continue
        stripped = text.strip()
        column = tok.start[1] + len(tok.string) - len(text) + (len(text) - len(text.lstrip()))
        out.extend(
            _snippet_findings(
                stripped, path, crawler, Scope.COMMENT, tok.start[0] + line_offset, column
            )
        )
    return out


def _docstring_findings(
    tree: ast.Module, path: str, crawler: str, line_offset: int
) -> list[Finding]:
    """Load calls in doctest examples (``>>>``) inside docstrings, with scope ``docs``."""
    out: list[Finding] = []
    for node in (tree, *_statements(tree)):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not node.body or not isinstance(node.body[0], ast.Expr):
            continue
        doc = node.body[0].value
        if not (isinstance(doc, ast.Constant) and isinstance(doc.value, str)):
            continue
        if ">>>" not in doc.value or not _COMMENT_HINT.search(doc.value):
            continue
        for number, line in enumerate(doc.value.splitlines()):
            stripped = line.lstrip()
            if not stripped.startswith(">>> "):
                continue
            code = stripped[4:]
            column = len(line) - len(stripped) + 4
            file_line = doc.lineno + number + line_offset
            out.extend(_snippet_findings(code, path, crawler, Scope.DOCS, file_line, column))
    return out


def _module_files(level: int, module: str, importer: str) -> list[str]:
    """Relative file paths that ``from <level dots><module> import`` may name."""
    parts = module.split(".") if module else []
    if level:
        base = posixpath.dirname(importer)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        stem = posixpath.join(base, *parts) if parts else base
        return [
            posixpath.normpath(stem + ".py"),
            posixpath.normpath(posixpath.join(stem, "__init__.py")),
        ]
    stem = "/".join(parts)
    return [stem + ".py", stem + "/__init__.py"]


def _pending_note(item: _Pending) -> Note:
    target = item.target
    return {
        "level": item.level,
        "module": item.module,
        "name": item.name,
        "target": {
            "kind": target.kind.value,
            "revision": target.revision,
            "allow_single": target.allow_single,
            "short_org": target.short_org,
            "properties": [list(p) for p in target.properties],
            "provider": target.provider,
            "strict": target.strict,
        },
        "evidence": item.evidence.model_dump(mode="json"),
    }


def _pending_of(note: Mapping[str, Any], importer: str) -> _Pending:
    target = note["target"]
    return _Pending(
        level=note["level"],
        module=note["module"],
        name=note["name"],
        importer=importer,
        target=_Target(
            kind=Kind(target["kind"]),
            revision=target["revision"],
            allow_single=target["allow_single"],
            short_org=target["short_org"],
            properties=tuple((k, v) for k, v in target["properties"]),
            provider=target["provider"],
            strict=target["strict"],
        ),
        evidence=Evidence.model_validate(note["evidence"]),
    )


@dataclass(slots=True)
class _Modules:
    """The repository's modules as the notes tell: exported values, or not yet analysed."""

    exports: dict[str, dict[str, Values]]  # analysed modules with something to export
    lazy: set[str]  # modules the prefilter skipped (their exports are unknown)
    pending: list[_Pending]
    _suffixes: dict[str, list[str]] | None = None

    def named(self, level: int, candidates: Sequence[str]) -> list[str]:
        """Known module paths an import names: exactly, or (absolute imports) by suffix."""
        if level:
            return sorted({c for c in candidates if c in self.exports or c in self.lazy})
        if self._suffixes is None:
            self._suffixes = {}
            for path in sorted(self.exports.keys() | self.lazy):
                parts = path.split("/")
                for i in range(len(parts)):
                    self._suffixes.setdefault("/".join(parts[i:]), []).append(path)
        return sorted({p for c in candidates for p in self._suffixes.get(c, ())})


class PythonCrawler(Crawler):
    """Python source files (``.py``), with names followed across the repository's modules.

    A module that :func:`may_refer` rules out is only checked for valid syntax; it is
    noted as not analysed (``{"lazy": true}``), and analysed after all (through
    :meth:`revisit`) when another module imports a name from it that a load call uses.
    An analysed module notes the values it exports and the names it imports for load
    calls (``{"exports": ..., "pending": [...]}``), resolved in :meth:`finish`.
    """

    name = "python"
    version = "3"
    max_bytes = _MAX_SOURCE_CHARS

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Every ``.py`` file."""
        return path.suffix == ".py"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Parse the file and report its load calls; note its constants for others."""
        source = decode_source(file.data)
        if not file.revisit and not may_refer(source) and _syntax_ok(source, file.path):
            self.note(file.path, {"lazy": True})
            return []
        analysis = analyze_module(source, file.path, scope=scope_of_path(file.pure_path))
        note: Note = {}
        if analysis.exports or file.revisit:
            note["exports"] = {k: [[v, c] for v, c in vs] for k, vs in analysis.exports.items()}
        if analysis.pending:
            note["pending"] = [_pending_note(item) for item in analysis.pending]
        if note:
            self.note(file.path, note)
        return analysis.findings

    def _modules(self) -> _Modules:
        known = self.__dict__.get("_modules_memo")
        if known is not None and known[0] == self.notes_changes():
            modules: _Modules = known[1]
            return modules
        modules = self._read_modules()
        self.__dict__["_modules_memo"] = (self.notes_changes(), modules)
        return modules

    def _read_modules(self) -> _Modules:
        modules = _Modules(exports={}, lazy=set(), pending=[])
        for path, note in self.notes():
            if note.get("lazy"):
                modules.lazy.add(path)
            if "exports" in note:
                modules.exports[path] = {
                    k: tuple((v, c) for v, c in vs) for k, vs in note["exports"].items()
                }
            for item in note.get("pending", ()):
                modules.pending.append(_pending_of(item, path))
        modules.lazy -= modules.exports.keys()
        return modules

    def _lookup(
        self,
        modules: _Modules,
        item: tuple[int, str, str, str],
        depth: int,
        missing: set[str] | None = None,
    ) -> Values:
        """The values of a name in the module an import names (following re-exports).

        With *missing*, modules not analysed yet that the lookup reaches are added to it.
        """
        level, module, name, importer = item
        if depth > _MAX_IMPORT_DEPTH:
            return ()
        out: list[tuple[str, float]] = []
        for path in modules.named(level, _module_files(level, module, importer)):
            if path in modules.lazy:
                if missing is not None:
                    missing.add(path)
                continue
            for value, conf in modules.exports.get(path, {}).get(name, ()):
                if value.startswith(_DEFER):
                    lvl, mod, attr = value[len(_DEFER) :].split("\x00", 2)
                    found = self._lookup(modules, (int(lvl), mod, attr, path), depth + 1, missing)
                    out.extend(_lower(found, conf))
                else:
                    out.append((value, conf))
        return _cap(out)

    def revisit(self) -> Iterable[str]:
        """Modules skipped by the prefilter that an import of a load call reaches."""
        modules = self._modules()
        missing: set[str] = set()
        for item in modules.pending:
            self._lookup(modules, (item.level, item.module, item.name, item.importer), 0, missing)
        return sorted(missing)

    def finish(self) -> Iterable[Finding]:
        """Resolve names imported from other modules of the repository."""
        modules = self._modules()
        out: list[Finding] = []
        for item in modules.pending:
            where = (item.level, item.module, item.name, item.importer)
            for value, conf in self._lookup(modules, where, 0):
                evidence = item.evidence.model_copy(
                    update={"confidence": min(conf, item.evidence.confidence)}
                )
                finding = make_finding(value, item.target, evidence)
                if finding is not None:
                    out.append(finding)
        return sorted(out, key=Finding.sort_key)
