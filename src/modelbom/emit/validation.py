"""Strict JSON-schema validation of modelbom's own outputs, cheap to start and to run.

Two things made validating a BOM expensive, and both are replaced here by code with the
same semantics:

**Format checks.** jsonschema checks a ``format`` keyword only when it has a checker for
it and lets every other value through, so which checkers exist decides how strict a
validation is. Its checker for ``iri`` and ``iri-reference`` comes from the
``rfc3987-syntax`` package, which compiles one Earley parser per grammar rule (39 of
them) when it is imported: more than a second of every scan's start-up, for the one
rule the CycloneDX schema uses. :func:`format_checker` builds a checker for exactly the
formats a schema names:

- ``date``, ``date-time``, ``idn-email``, ``uri`` and the others jsonschema registers:
  jsonschema's own checkers (``date-time`` and ``uri`` through ``rfc3339-validator`` and
  ``rfc3986-validator``, which modelbom depends on);
- ``iri`` and ``iri-reference``: :func:`is_iri` and :func:`is_iri_reference`, a regular
  expression written from the grammar of RFC 3987 section 2.2 with the same restrictions
  as the ``rfc3987-syntax`` grammar jsonschema uses: IPv6 literals only in the nine
  shapes that grammar spells out (``[::1]`` is one it does not accept) and ``ucschar``
  limited to the Basic Multilingual Plane. A BOM valid here is therefore valid for a
  consumer that validates with cyclonedx-python-lib and jsonschema's checkers, and the
  other way round.

A schema that names a format with no checker here is an error (:class:`MissingFormat`),
never a format that silently goes unchecked.

modelbom does not install ``rfc3987-syntax``, but an environment may have it for another
package (Jupyter's dependencies pull it in), and jsonschema imports it, when present,
as it is itself imported. :func:`import_jsonschema` imports jsonschema with a stand-in
for it whose ``is_valid_syntax`` imports the real package on its first call: jsonschema's
own ``iri`` checks keep their exact behaviour for any other user in the process, and
only whoever uses them pays for the grammar.

**uniqueItems.** jsonschema compares the items of an array of objects pairwise, so the
``components`` and ``dependencies`` arrays of a BOM cost time quadratic in their length
(more than a second for 1,000 components). :func:`unique_items` decides the same
question (JSON equality: ``1`` equals ``1.0``, ``true`` does not equal ``1``, objects
compare by keys and values) in linear time by hashing a canonical form of each item.

:func:`compile_validator` puts both into a draft-7 validator; callers build it once and
keep it.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import re
import sys
import threading
import types
from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import FormatChecker  # type: ignore[import-untyped]

__all__ = [
    "MissingFormat",
    "compile_validator",
    "format_checker",
    "formats_in",
    "import_jsonschema",
    "is_iri",
    "is_iri_reference",
    "unique_items",
]


class MissingFormat(Exception):
    """A schema names a format that no checker here knows."""


# -- importing jsonschema -----------------------------------------------------------------

_RFC3987 = "rfc3987_syntax"
_IMPORT_LOCK = threading.RLock()


class _DeferredModule(types.ModuleType):
    """Stands in for a module while jsonschema is imported; every attribute read later
    imports the real module."""

    is_valid_syntax: Any  # the one name jsonschema imports from rfc3987_syntax

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):  # the import system's questions
            raise AttributeError(name)
        return getattr(_real_module(self.__name__), name)


def _real_module(name: str) -> types.ModuleType:
    with _IMPORT_LOCK:
        current = sys.modules.get(name)
        if current is not None and not isinstance(current, _DeferredModule):
            return current
        sys.modules.pop(name, None)
        return importlib.import_module(name)


def _deferred_is_valid_syntax(term: str, value: str) -> bool:
    """``rfc3987_syntax.is_valid_syntax``, imported on the first call."""
    return bool(_real_module(_RFC3987).is_valid_syntax(term, value))


def import_jsonschema() -> None:
    """Import jsonschema without compiling the rfc3987-syntax grammar (see above)."""
    if "jsonschema" in sys.modules:
        return
    with _IMPORT_LOCK:
        if _RFC3987 in sys.modules or importlib.util.find_spec(_RFC3987) is None:
            stand_in = None
        else:
            stand_in = _DeferredModule(_RFC3987)
            stand_in.is_valid_syntax = _deferred_is_valid_syntax  # what jsonschema imports
            sys.modules[_RFC3987] = stand_in
        try:
            importlib.import_module("jsonschema")
        finally:
            if stand_in is not None and sys.modules.get(_RFC3987) is stand_in:
                del sys.modules[_RFC3987]


# -- RFC 3987 IRIs ----------------------------------------------------------------------
# Each name is the ABNF rule of RFC 3987 section 2.2 (and RFC 3986 section 3).

_ALPHA = "A-Za-z"
_DIGIT = "0-9"
_HEX = "0-9A-Fa-f"
# ucschar and iprivate are wide ranges of code points; the expression sees each as one
# stand-in character (see _fold), which keeps compiling it cheap.
_UCSCHAR = "\x01"
_IPRIVATE = "\x02"
_SUB_DELIMS = "!$&'()*+,;="
_UNRESERVED = rf"{_ALPHA}{_DIGIT}\-._~"
_IUNRESERVED = _UNRESERVED + _UCSCHAR

_PCT = f"%[{_HEX}]{{2}}"
_IPCHAR = rf"(?:[{_IUNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_SCHEME = rf"[{_ALPHA}][{_ALPHA}{_DIGIT}+\-.]*"
_IUSERINFO = rf"(?:[{_IUNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"

_DEC_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4 = rf"{_DEC_OCTET}\.{_DEC_OCTET}\.{_DEC_OCTET}\.{_DEC_OCTET}"
_H16 = f"[{_HEX}]{{1,4}}"
_LS32 = f"(?:{_H16}:{_H16}|{_IPV4})"


def _h16s(count: int) -> str:
    """*count* ``h16`` pieces, each followed by a colon."""
    return f"(?:{_H16}:){{{count}}}" if count else ""


def _ipv6() -> str:
    """The nine IPv6 shapes: a run of h16 before ``::``, a fixed run after it."""
    shapes = [_h16s(6) + _LS32, "::" + _h16s(5) + _LS32]
    for before in range(1, 6):
        # h16 (":" h16){before-1} "::" (h16 ":"){5-before} ls32
        head = _H16 + f"(?::{_H16}){{{before - 1}}}" if before > 1 else _H16
        shapes.append(head + "::" + _h16s(5 - before) + _LS32)
    shapes.append(_H16 + f"(?::{_H16}){{5}}" + "::" + _H16)
    shapes.append(_H16 + f"(?::{_H16}){{6}}" + "::")
    return "(?:" + "|".join(shapes) + ")"


_IPVFUTURE = rf"v[{_HEX}]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+"
_IP_LITERAL = rf"\[(?:{_ipv6()}|{_IPVFUTURE})\]"
_IREG_NAME = rf"(?:[{_IUNRESERVED}{_SUB_DELIMS}]|{_PCT})*"
_IHOST = f"(?:{_IP_LITERAL}|{_IPV4}|{_IREG_NAME})"
_IAUTHORITY = f"(?:{_IUSERINFO}@)?{_IHOST}(?::[{_DIGIT}]*)?"

_ISEGMENT = f"{_IPCHAR}*"
_ISEGMENT_NZ = f"{_IPCHAR}+"
_ISEGMENT_NZ_NC = rf"(?:[{_IUNRESERVED}{_SUB_DELIMS}@]|{_PCT})+"
_IPATH_ABEMPTY = f"(?:/{_ISEGMENT})*"
_IPATH_ABSOLUTE = f"/(?:{_ISEGMENT_NZ}(?:/{_ISEGMENT})*)?"
_IPATH_NOSCHEME = f"{_ISEGMENT_NZ_NC}(?:/{_ISEGMENT})*"
_IPATH_ROOTLESS = f"{_ISEGMENT_NZ}(?:/{_ISEGMENT})*"

_IQUERY = rf"(?:{_IPCHAR}|[{_IPRIVATE}/?])*"
_IFRAGMENT = f"(?:{_IPCHAR}|[/?])*"
_TAIL = rf"(?:\?{_IQUERY})?(?:#{_IFRAGMENT})?"

_IHIER_PART = f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_ROOTLESS}|)"
_IRELATIVE_PART = f"(?://{_IAUTHORITY}{_IPATH_ABEMPTY}|{_IPATH_ABSOLUTE}|{_IPATH_NOSCHEME}|)"
_IRI = f"{_SCHEME}:{_IHIER_PART}{_TAIL}"
_IRELATIVE_REF = f"{_IRELATIVE_PART}{_TAIL}"

_IRI_RE = re.compile(_IRI)
_IRI_REFERENCE_RE = re.compile(f"(?:{_IRI}|{_IRELATIVE_REF})")


def _fold_char(char: str) -> str:
    code = ord(char)
    if 0xA0 <= code <= 0xD7FF or 0xF900 <= code <= 0xFDCF or 0xFDF0 <= code <= 0xFFEF:
        return _UCSCHAR
    if 0xE000 <= code <= 0xF8FF:
        return _IPRIVATE
    return "\x00" if code > 0x7F else char  # allowed nowhere


def _fold(text: str) -> str | None:
    """*text* with each ucschar and iprivate replaced by its stand-in; None when *text*
    holds a stand-in itself (a control character, allowed nowhere)."""
    if _UCSCHAR in text or _IPRIVATE in text:
        return None
    return text if text.isascii() else "".join(map(_fold_char, text))


def _matches(pattern: re.Pattern[str], instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    folded = _fold(instance)
    return folded is not None and pattern.fullmatch(folded) is not None


def is_iri(instance: object) -> bool:
    """Whether *instance* is an IRI (RFC 3987); anything but a string passes."""
    return _matches(_IRI_RE, instance)


def is_iri_reference(instance: object) -> bool:
    """Whether *instance* is an IRI reference (RFC 3987); anything but a string passes."""
    return _matches(_IRI_REFERENCE_RE, instance)


_OWN_CHECKS = {"iri": is_iri, "iri-reference": is_iri_reference}


# -- the checker ------------------------------------------------------------------------


def formats_in(*schemas: Any) -> set[str]:
    """Every ``format`` a schema (and the schemas it refers to) asks for."""
    found: set[str] = set()
    for schema in schemas:
        for node in _walk(schema):
            value = node.get("format")
            if isinstance(value, str):
                found.add(value)
    return found


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def format_checker(formats: Iterable[str]) -> FormatChecker:
    """A jsonschema format checker for exactly *formats*.

    Raises :class:`MissingFormat` when one of them has no checker (for example when the
    package jsonschema needs for it is not installed).
    """
    import_jsonschema()
    from jsonschema import FormatChecker

    wanted = set(formats)
    borrowed = sorted(wanted - set(_OWN_CHECKS))
    missing = [name for name in borrowed if name not in FormatChecker.checkers]
    if missing:
        raise MissingFormat(f"no checker for the format(s) {', '.join(missing)}")
    checker = FormatChecker(formats=borrowed)
    for name in sorted(wanted & set(_OWN_CHECKS)):
        checker.checks(name)(_OWN_CHECKS[name])
    return checker


# -- uniqueItems ------------------------------------------------------------------------


class _NotJson(Exception):
    """A value that is not plain JSON: left to jsonschema's own comparison."""


def _canonical(value: Any) -> Hashable:
    """A hashable form of a JSON value; equal forms exactly for JSON-equal values."""
    if value is True or value is False:
        return ("bool", str(value))
    if value is None:
        return ("null",)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise _NotJson
        return ("num", value)  # 1 and 1.0 are equal and hash alike
    if isinstance(value, list | tuple):
        return ("arr", tuple(_canonical(item) for item in value))
    if isinstance(value, Mapping):
        return ("obj", frozenset((key, _canonical(item)) for key, item in value.items()))
    raise _NotJson


def _unique(items: list[Any]) -> bool:
    try:
        return len({_canonical(item) for item in items}) == len(items)
    except _NotJson:
        from jsonschema._utils import uniq  # type: ignore[import-untyped]

        return bool(uniq(items))


def unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """The ``uniqueItems`` keyword, in linear time (jsonschema's message)."""
    if unique and validator.is_type(instance, "array") and not _unique(list(instance)):
        from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

        yield ValidationError(f"{instance!r} has non-unique elements")


# -- the validator ----------------------------------------------------------------------


@functools.cache
def _draft7() -> Any:
    import_jsonschema()
    from jsonschema.validators import Draft7Validator, extend  # type: ignore[import-untyped]

    return extend(Draft7Validator, {"uniqueItems": unique_items})


def compile_validator(schema: Any, referenced: Mapping[str, Any]) -> Any:
    """A draft-7 validator of *schema*, which refers to the schemas *referenced* by URI,
    with a format checker for every format they name and the linear ``uniqueItems``.

    Raises :class:`MissingFormat` when a format has no checker.
    """
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    registry: Registry[Any] = Registry().with_resources(
        (uri, DRAFT7.create_resource(document)) for uri, document in referenced.items()
    )
    checker = format_checker(formats_in(schema, *referenced.values()))
    return _draft7()(schema, registry=registry, format_checker=checker)
