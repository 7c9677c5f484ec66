"""Normalise a declared license to an SPDX expression or a ``LicenseRef-`` id.

Model cards, weight headers, lock files and license files declare licenses in many
spellings. :func:`normalize_license` maps one declaration to ``(expression, needs_review)``:

1. A Hugging Face Hub license identifier (``apache-2.0``, ``llama3.1``, ``gemma``, ...)
   maps to its SPDX id where SPDX has one, else to the ``LicenseRef-scancode-<key>`` of
   the ScanCode LicenseDB bundled with license-expression, else to our own
   ``LicenseRef-modelbom-<id>``. License families (``bsd``, ``cc``, ``gpl``, ``lgpl``,
   ``gfdl``, ``openrail``) name no version and are flagged for review.
2. ``other`` is read with the card's ``license_name`` and ``license_link``: a table of
   names seen on the Hub (``flux-1-dev-non-commercial-license``, ``qwen``, ``mnpl``, ...),
   then a table of well-known license URLs, then the name read as a license. An unknown
   name gives ``LicenseRef-modelbom-other-<slug>``, no name ``LicenseRef-modelbom-other``;
   both are flagged.
3. An SPDX expression (``MIT OR Apache-2.0``, ``Apache-2.0 WITH LLVM-exception``, any case)
   is tokenised, each license term mapped through the same tables plus an alias table of
   common spellings (``Apache License 2.0``, ``BSD-3``, ``MIT License``), and the result
   parsed by license-expression. A comma-separated list means all of them (``AND``); a
   slash between known licenses means a choice (``OR``).
4. Anything else becomes ``LicenseRef-modelbom-unknown-<slug>``, flagged. ``unknown``,
   empty values and YAML-typing accidents (``False``, ``no``, ``2024-01-01``) give no
   expression, flagged.

The tables live in ``data/hf_licenses.json`` (see ``data/PROVENANCE.md``) and are loaded
once. Input is capped at 2,000 characters before any parsing and only linear-time regular
expressions touch it, so hostile values cost little. Nothing here raises on bad input.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from license_expression import (  # type: ignore[import-untyped]  # no py.typed marker
    AND,
    OR,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    Licensing,
    get_spdx_licensing,
)

__all__ = ["MODELBOM_PREFIX", "expression_parts", "normalize_license", "parse_expression"]

MODELBOM_PREFIX = "LicenseRef-modelbom-"
_MAX_RAW = 2_000  # longer declarations are not parsed at all
_MAX_NAME = 500
_MAX_TOKENS = 1_000
_MAX_DEPTH = 64
_SLUG_MAX = 60
_OPERATORS = frozenset({"AND", "OR", "WITH"})

# All of these are linear: one character class, or a fixed-width pattern.
_TOKEN = re.compile(r"[()]|[^\s()]+")
_NOT_REF_CHAR = re.compile(r"[^a-z0-9.]+")
_NOT_NAME_CHAR = re.compile(r"[^a-z0-9.+]+")
_LICENSE_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.-]{1,100}:)?LicenseRef-[A-Za-z0-9.-]{1,100}")
_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ tT].{0,40})?")
_YAML_ACCIDENTS = frozenset(
    {"false", "true", "no", "yes", "on", "off", "y", "n", "null", "none", "~", "nil"}
)

_Result = tuple[str | None, bool]


@dataclass(frozen=True, slots=True)
class _Tables:
    """The license tables, indexed for lookup."""

    hub_ids: dict[str, _Result]
    names: dict[str, str]
    links: tuple[tuple[str, str], ...]
    aliases: dict[str, str]
    spdx: dict[str, str]  # lower-case SPDX license key or alias -> canonical key
    exceptions: dict[str, str]  # lower-case SPDX exception key or alias -> canonical key


_parse_lock = threading.Lock()


@cache
def _licensing() -> Licensing:
    """The SPDX licensing of license-expression (SPDX ids plus LicenseRef-scancode keys)."""
    licensing = get_spdx_licensing()
    licensing.parse("MIT", validate=False, strict=True)  # build the tokenizer once, here
    return licensing


@cache
def load_tables() -> _Tables:
    """Load ``data/hf_licenses.json`` once and index it."""
    text = resources.files("modelbom.licenses").joinpath("data/hf_licenses.json").read_text("utf-8")
    document = json.loads(text)
    hub_ids: dict[str, _Result] = {
        key: (entry["expression"], bool(entry.get("needs_review", False)))
        for key, entry in document["hub_ids"].items()
    }
    names = {key: entry["expression"] for key, entry in document["names"].items()}
    links = tuple((key, entry["expression"]) for key, entry in document["links"].items())
    aliases = {key: str(value) for key, value in document["aliases"].items()}
    spdx: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    for key, symbol in _licensing().known_symbols.items():
        # An exception (LLVM-exception) is not a license: it is valid only after WITH.
        table = exceptions if symbol.is_exception else spdx
        table.setdefault(key.lower(), key)
        for alias in symbol.aliases:
            table.setdefault(str(alias).lower(), key)
    return _Tables(hub_ids, names, links, aliases, spdx, exceptions)


def hub_license_ids() -> tuple[str, ...]:
    """Every license identifier of the Hub's Licenses page, as in the data table."""
    return tuple(load_tables().hub_ids)


def normalize_license(
    raw: object, *, name: str | None = None, link: str | None = None
) -> tuple[str | None, bool]:
    """``(expression, needs_review)`` for a declared license; never raises.

    *raw* is the declaration as written (a card's ``license``, an SPDX expression, a
    detected license name); *name* and *link* are a card's ``license_name`` and
    ``license_link``, consulted when *raw* is ``other``. Values that are not strings (YAML
    booleans, dates, numbers) give ``(None, True)``.
    """
    if not isinstance(raw, str):
        return None, True
    text = raw.strip()  # linear; everything after this sees at most _MAX_RAW characters
    if len(text) > _MAX_RAW:
        return _unknown(text[:_MAX_RAW]), True
    clean_name = name.strip()[: _MAX_NAME + 1] if isinstance(name, str) else None
    clean_link = link.strip()[: _MAX_NAME + 1] if isinstance(link, str) else None
    return _normalize(text, clean_name, clean_link)


@lru_cache(maxsize=4096)
def _normalize(text: str, name: str | None, link: str | None) -> _Result:
    if not text:
        return None, True
    if text.lower() == "other":
        return _other(name, link)
    known = _lookup(text)
    if known is not None:
        return known
    if _is_yaml_accident(text):
        return None, True
    return _expression(text)


def _is_yaml_accident(text: str) -> bool:
    """A value YAML 1.1 would type as a boolean, null or date: not a license name."""
    return text.lower() in _YAML_ACCIDENTS or _ISO_DATE.fullmatch(text[:60]) is not None


def _other(name: str | None, link: str | None) -> _Result:
    """``license: other``: the name table, then the link table, then the name as a license."""
    tables = load_tables()
    clean = name or ""  # stripped, and cut to one character over the cap, by the caller
    if len(clean) > _MAX_NAME:  # not a name: flag it, and do not read a cut-off prefix
        return MODELBOM_PREFIX + "other-" + (_ref_slug(clean) or "unnamed"), True
    if link and len(link) > _MAX_NAME:
        link = None
    if clean:
        named = tables.names.get(_name_key(clean))
        if named is not None:
            return named, False
    linked = _link_expression(link) if link else None
    if linked is not None:
        return linked, False
    if clean and clean.lower() not in ("other", "unknown"):
        known = _lookup(clean)
        if known is not None and known[0] is not None and not known[1]:
            return known
        slug = _ref_slug(clean)
        return (MODELBOM_PREFIX + "other-" + slug if slug else MODELBOM_PREFIX + "other"), True
    return MODELBOM_PREFIX + "other", True


def _link_expression(link: str) -> str | None:
    """The expression of a well-known license URL (matched by prefix)."""
    url = link.strip().lower()
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            url = url[len(scheme) :]
            break
    url = url.removeprefix("www.")
    url = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if not url:
        return None
    for prefix, expression in load_tables().links:
        if url.startswith(prefix):
            return expression
    return None


def _lookup(term: str) -> _Result | None:
    """One license term (no operators) through every table, or ``None`` if unknown."""
    tables = load_tables()
    low = term.strip().lower()
    if low in tables.hub_ids:
        return tables.hub_ids[low]
    named = tables.names.get(_name_key(low))
    if named is not None:
        return named, False
    alias = tables.aliases.get(" ".join(low.split()))
    if alias is not None:
        return alias, False
    spdx = tables.spdx.get(low)
    if spdx is not None:
        return spdx, False
    if _LICENSE_REF.fullmatch(term.strip()):
        return term.strip(), True  # someone else's LicenseRef: kept, but we cannot vouch for it
    return None


def _expression(text: str) -> _Result:
    """Parse *text* as a license expression, mapping each term; unknown terms are flagged."""
    tokens = [match.group() for match in _TOKEN.finditer(text)]
    if len(tokens) > _MAX_TOKENS:
        return _unknown(text), True
    if not any(tok.upper() in _OPERATORS or tok in "()" for tok in tokens):
        return _list_or_unknown(text)
    items = _group(tokens, lower_operators=True)
    if any(" " in item for item in items if item not in _OPERATORS and item not in "()"):
        # "GNU GPL v3 or later": lower-case words inside a name are not operators.
        items = _group(tokens, lower_operators=False)
        if all(item not in _OPERATORS for item in items) and "(" not in items:
            return _unknown(text), True
    pieces: list[str] = []
    review = False
    depth = 0
    exceptions = load_tables().exceptions
    for index, item in enumerate(items):
        if item in _OPERATORS:
            pieces.append(item)
            continue
        if item in ("(", ")"):
            depth += 1 if item == "(" else -1
            if depth > _MAX_DEPTH or depth < 0:
                return _unknown(text), True
            pieces.append(item)
            continue
        if index > 0 and items[index - 1] == "WITH":
            exception = exceptions.get(item.strip().lower())
            if exception is None:
                return _unknown(text), True
            pieces.append(exception)
            continue
        known = _lookup(item)
        expression = known[0] if known is not None else None
        if known is None or expression is None:
            pieces.append(_unknown(item))
            review = True
            continue
        review = review or known[1]
        pieces.append(f"({expression})" if " " in expression else expression)
    rendered = _parse(" ".join(pieces))
    if rendered is None:
        return _unknown(text), True
    return rendered, review


def _group(tokens: list[str], *, lower_operators: bool) -> list[str]:
    """Operators and parentheses stay tokens; the words between them join into terms."""
    items: list[str] = []
    words: list[str] = []
    for tok in tokens:
        operator = tok.upper() if (lower_operators or tok.isupper()) else None
        if tok in ("(", ")") or operator in _OPERATORS:
            if words:
                items.append(" ".join(words))
                words = []
            items.append(tok if tok in ("(", ")") else str(operator))
        else:
            words.append(tok)
    if words:
        items.append(" ".join(words))
    return items


def _list_or_unknown(text: str) -> _Result:
    """``a, b`` (all of them) or ``a/b`` (either) when every part is known; else unknown."""
    for separator, operator in ((",", " AND "), (";", " AND "), ("/", " OR ")):
        if separator not in text:
            continue
        parts = [part.strip() for part in text.split(separator)]
        if len(parts) < 2 or len(parts) > 64 or not all(parts):
            continue
        found = [_lookup(part) for part in parts]
        if all(item is not None and item[0] is not None for item in found):
            expressions = [f"({item[0]})" for item in found if item is not None]
            rendered = _parse(operator.join(expressions))
            if rendered is not None:
                return rendered, any(item is not None and item[1] for item in found)
    return _unknown(text), True


def _parse(expression: str) -> str | None:
    """License-expression's rendering of *expression*, or ``None`` if it is not one."""
    licensing = _licensing()
    try:
        with _parse_lock:
            parsed = licensing.parse(expression, validate=False, strict=True)
            if parsed is None:
                return None
            unknown = licensing.unknown_license_keys(parsed)
            rendered = str(parsed.render())
    except Exception:  # license-expression raises several types, some of them not its own
        return None
    if any(_LICENSE_REF.fullmatch(str(key)) is None for key in unknown):
        return None
    return rendered


def _unknown(text: str) -> str:
    slug = _ref_slug(text)
    return MODELBOM_PREFIX + "unknown-" + slug if slug else MODELBOM_PREFIX + "unknown"


def _ref_slug(text: str) -> str:
    """Lower case, runs of other characters as one ``-``, at most 60 characters."""
    slug = _NOT_REF_CHAR.sub("-", text[: _MAX_RAW + 1].lower()).strip("-.")
    return slug[:_SLUG_MAX].strip("-.")


def _name_key(text: str) -> str:
    """The key of the name table: like a slug, keeping ``+`` (``openrail++-m``)."""
    return _NOT_NAME_CHAR.sub("-", text[: _MAX_NAME + 1].lower()).strip("-")


def parse_expression(expression: str) -> object | None:
    """Parse a normalised expression into license-expression's tree; None when it cannot.

    The tree is read with :func:`expression_parts`, so callers never touch the library's
    types.
    """
    if not expression or len(expression) > _MAX_RAW:
        return None
    try:
        with _parse_lock:
            parsed: object = _licensing().parse(expression, validate=False, strict=False)
    except Exception:  # the library raises several unrelated types for bad input
        return None
    return parsed


def expression_parts(node: object) -> tuple[str, list[object]]:
    """``("symbol", [id])``, ``("and", [children])`` or ``("or", [children])``.

    ``A WITH exception`` is the symbol ``A``: an exception only ever adds permissions,
    so ignoring it errs on the side of the license's own terms.
    """
    if isinstance(node, LicenseWithExceptionSymbol):
        return "symbol", [str(node.license_symbol.key)]
    if isinstance(node, LicenseSymbol):
        return "symbol", [str(node.key)]
    if isinstance(node, AND):
        return "and", list(node.args)
    if isinstance(node, OR):
        return "or", list(node.args)
    return "symbol", [str(node)]
