"""``modelbom diff OLD NEW``: what changed between two CycloneDX BOMs written by modelbom.

Pure logic, no scanning: load two BOM JSON documents (:func:`load_bom`), compare them
(:func:`diff_boms`) and render the differences as text (:func:`render`).

Components are matched by their identity (the ``modelbom:kind`` property, the name and
the purl without its version), so a revision bump is a change, not a removal and an
addition. For each matched component the declared licenses, the lineage
(``pedigree.ancestors``), the version, the resolved revision and the verdict are compared.
For the artifact (``metadata.component``) the verdict and the governing terms
(``modelbom:governing:<dimension>``) are compared.

The new BOM is *stricter* when the artifact's verdict got worse (allowed < review <
violation) or when a governing term is in NEW and not in OLD. Terms are compared by
dimension and by the value with its license (the text before `` via <path>``), so the
same term reached through another path is no change. Removed terms are reported but
never make the new BOM stricter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelbom.emit.cyclonedx import (
    PROP_GOVERNING,
    PROP_KIND,
    PROP_RESOLVED_REVISION,
    PROP_VERDICT,
)
from modelbom.errors import ModelbomError
from modelbom.model import ScanResult
from modelbom.model.text import display_text

VERDICT_RANK: dict[str, int] = {"allowed": 0, "review": 1, "violation": 2}
_GOVERNING_PREFIX = f"{PROP_GOVERNING}:"
_PURL_VERSION = re.compile(r"@[^?#]*")


class DiffError(ModelbomError):
    """A file given to ``diff`` is not a readable CycloneDX JSON BOM."""


# A component's identity: (kind, name, purl without version).
Identity = tuple[str, str, str]
# A governing term: (dimension, value with its license, e.g. "not-allowed (MIT").
Term = tuple[str, str]


@dataclass(frozen=True)
class ComponentFacts:
    """What ``diff`` compares of one component."""

    kind: str
    name: str
    purl: str
    version: str | None
    resolved_revision: str | None
    licenses: tuple[str, ...]
    ancestors: tuple[str, ...]
    verdict: str | None

    @property
    def identity(self) -> Identity:
        """(kind, name, purl without version): stable across a revision bump."""
        return (self.kind, self.name, _PURL_VERSION.sub("", self.purl, count=1))

    def label(self) -> str:
        """``kind name`` for display."""
        return f"{self.kind or '?'} {self.name}"

    def label_with_version(self) -> str:
        """``kind name version`` for display (the version when there is one)."""
        return self.label() + (f" {self.version}" if self.version else "")


@dataclass(frozen=True)
class Bom:
    """The parts of one BOM that ``diff`` compares."""

    source: str
    components: Mapping[Identity, ComponentFacts]
    verdict: str | None
    terms: frozenset[Term]


@dataclass(frozen=True)
class Change:
    """One field of a component that differs: ``what: old -> new``."""

    what: str
    old: str
    new: str


@dataclass(frozen=True)
class ComponentChange:
    """A component present in both BOMs whose facts differ."""

    component: ComponentFacts
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class BomDiff:
    """The differences between two BOMs, in a deterministic order."""

    added: tuple[ComponentFacts, ...] = ()
    removed: tuple[ComponentFacts, ...] = ()
    changed: tuple[ComponentChange, ...] = ()
    old_verdict: str | None = None
    new_verdict: str | None = None
    terms_added: tuple[Term, ...] = ()
    terms_removed: tuple[Term, ...] = ()

    @property
    def verdict_worse(self) -> bool:
        """The artifact's verdict rank increased."""
        return _rank(self.new_verdict) > _rank(self.old_verdict)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the new BOM is stricter (empty when it is not)."""
        out: list[str] = []
        if self.verdict_worse:
            out.append(
                "the artifact's verdict got worse: "
                f"{_show(self.old_verdict)} -> {_show(self.new_verdict)}"
            )
        out.extend(f"new governing term: {dim}: {value}" for dim, value in self.terms_added)
        return tuple(out)

    @property
    def stricter(self) -> bool:
        """The artifact's verdict got worse or a governing term was added."""
        return self.verdict_worse or bool(self.terms_added)

    @property
    def empty(self) -> bool:
        """Nothing that ``diff`` compares differs."""
        return not (
            self.added
            or self.removed
            or self.changed
            or self.terms_added
            or self.terms_removed
            or self.old_verdict != self.new_verdict
        )


def _rank(verdict: str | None) -> int:
    """A verdict's rank; no verdict counts as ``allowed``, an unknown one as the worst."""
    if verdict is None:
        return 0
    return VERDICT_RANK.get(verdict, max(VERDICT_RANK.values()))


# ---------------------------------------------------------------------------- loading


def _name(path: Path | str) -> str:
    return display_text(str(path))


def _expect_list(value: Any, what: str, source: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DiffError(f"{source}: not a CycloneDX BOM: {what} is not a list")
    return value


def _expect_dict(value: Any, what: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DiffError(f"{source}: not a CycloneDX BOM: {what} is not an object")
    return value


def _opt_str(value: Any, what: str, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DiffError(f"{source}: not a CycloneDX BOM: {what} is not a string")
    return value


def _properties(obj: dict[str, Any], what: str, source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for prop in _expect_list(obj.get("properties"), f"{what}.properties", source):
        prop = _expect_dict(prop, f"a property of {what}", source)
        name = _opt_str(prop.get("name"), f"a property name of {what}", source)
        value = _opt_str(prop.get("value"), f"a property value of {what}", source)
        if name is not None:
            out.append((name, value or ""))
    return out


def _first(props: Sequence[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in props if key == name), None)


def _declared_licenses(obj: dict[str, Any], what: str, source: str) -> tuple[str, ...]:
    """Declared license ids, names and expressions (not the concluded license), sorted."""
    found: set[str] = set()
    for entry in _expect_list(obj.get("licenses"), f"{what}.licenses", source):
        entry = _expect_dict(entry, f"a license of {what}", source)
        if "expression" in entry:
            ack = entry.get("acknowledgement")
            text = _opt_str(entry.get("expression"), f"a license expression of {what}", source)
        else:
            lic = _expect_dict(entry.get("license"), f"a license of {what}", source)
            ack = lic.get("acknowledgement")
            text = _opt_str(lic.get("id") or lic.get("name"), f"a license of {what}", source)
        if ack != "concluded" and text:
            found.add(text)
    return tuple(sorted(found))


def _component(obj: Any, index: int, source: str) -> ComponentFacts:
    what = f"components[{index}]"
    comp = _expect_dict(obj, what, source)
    props = _properties(comp, what, source)
    pedigree = _expect_dict(comp.get("pedigree") or {}, f"{what}.pedigree", source)
    ancestors = sorted(
        _opt_str(_expect_dict(a, f"an ancestor of {what}", source).get("name"), what, source) or ""
        for a in _expect_list(pedigree.get("ancestors"), f"{what}.pedigree.ancestors", source)
    )
    return ComponentFacts(
        kind=_first(props, PROP_KIND) or "",
        name=_opt_str(comp.get("name"), f"{what}.name", source) or "",
        purl=_opt_str(comp.get("purl"), f"{what}.purl", source) or "",
        version=_opt_str(comp.get("version"), f"{what}.version", source),
        resolved_revision=_first(props, PROP_RESOLVED_REVISION),
        licenses=_declared_licenses(comp, what, source),
        ancestors=tuple(ancestors),
        verdict=_first(props, PROP_VERDICT),
    )


def governing_term(dimension: str, value: str) -> Term:
    """The comparable form of a ``modelbom:governing:<dimension>`` value.

    ``"not-allowed (LicenseRef-x via artifact -> model:a [LicenseRef-x])"`` becomes
    ``("commercial_use", "not-allowed (LicenseRef-x)")``: the value and its license,
    without the path that brought it.
    """
    head, sep, _path = value.partition(" via ")
    if sep and "(" in head and not head.endswith(")"):
        head += ")"
    return (dimension, head)


def parse_bom(document: Any, source: str) -> Bom:
    """The comparable parts of a parsed BOM document; *source* names it in errors."""
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise DiffError(f'{source}: not a CycloneDX BOM (no "bomFormat": "CycloneDX")')
    if not isinstance(document.get("specVersion"), str):
        raise DiffError(f"{source}: not a CycloneDX BOM (no specVersion)")
    components: dict[Identity, ComponentFacts] = {}
    for index, obj in enumerate(_expect_list(document.get("components"), "components", source)):
        facts = _component(obj, index, source)
        components.setdefault(facts.identity, facts)
    metadata = _expect_dict(document.get("metadata") or {}, "metadata", source)
    root = _expect_dict(metadata.get("component") or {}, "metadata.component", source)
    props = _properties(root, "metadata.component", source)
    terms = frozenset(
        governing_term(name.removeprefix(_GOVERNING_PREFIX), value)
        for name, value in props
        if name.startswith(_GOVERNING_PREFIX)
    )
    return Bom(
        source=source, components=components, verdict=_first(props, PROP_VERDICT), terms=terms
    )


def load_bom(path: Path | str) -> Bom:
    """Read and check a CycloneDX JSON BOM; :class:`DiffError` names the file."""
    source = _name(path)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise DiffError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise DiffError(f"{source}: is a directory, not a BOM file") from None
    except OSError as exc:
        raise DiffError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DiffError(f"{source}: not a CycloneDX JSON BOM (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise DiffError(
            f"{source}: not a CycloneDX JSON BOM (invalid JSON at line {exc.lineno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise DiffError(f"{source}: not a CycloneDX JSON BOM (nested too deeply)") from None
    return parse_bom(document, source)


# -------------------------------------------------------------------------- comparing


def _sort_key(component: ComponentFacts) -> Identity:
    return component.identity


def _show(value: str | None) -> str:
    return value if value else "(none)"


def _show_list(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


def _component_changes(old: ComponentFacts, new: ComponentFacts) -> tuple[Change, ...]:
    changes: list[Change] = []
    if old.version != new.version:
        changes.append(Change("version", _show(old.version), _show(new.version)))
    if old.resolved_revision != new.resolved_revision:
        changes.append(
            Change("resolved revision", _show(old.resolved_revision), _show(new.resolved_revision))
        )
    if old.licenses != new.licenses:
        changes.append(Change("license", _show_list(old.licenses), _show_list(new.licenses)))
    if old.ancestors != new.ancestors:
        changes.append(Change("lineage", _show_list(old.ancestors), _show_list(new.ancestors)))
    if old.verdict != new.verdict:
        changes.append(Change("verdict", _show(old.verdict), _show(new.verdict)))
    return tuple(changes)


def diff_boms(old: Bom, new: Bom) -> BomDiff:
    """Compare two BOMs; every list in the result is sorted."""
    added = sorted(
        (c for key, c in new.components.items() if key not in old.components), key=_sort_key
    )
    removed = sorted(
        (c for key, c in old.components.items() if key not in new.components), key=_sort_key
    )
    changed: list[ComponentChange] = []
    for key in sorted(old.components.keys() & new.components.keys()):
        changes = _component_changes(old.components[key], new.components[key])
        if changes:
            changed.append(ComponentChange(new.components[key], changes))
    terms_added = tuple(sorted(new.terms - old.terms))
    terms_removed = tuple(sorted(old.terms - new.terms))
    return BomDiff(
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        old_verdict=old.verdict,
        new_verdict=new.verdict,
        terms_added=terms_added,
        terms_removed=terms_removed,
    )


def bom_from_result(result: ScanResult, source: str) -> Bom:
    """The comparable parts of a scan, read from the CycloneDX BOM ``scan`` would write for
    it, so a scanned revision and a BOM file compare alike."""
    from modelbom.emit import EmitOptions, OutputFormat, emitter_for

    data = emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions(reproducible=True))
    return parse_bom(json.loads(data), source)


def diff_files(old: Path | str, new: Path | str) -> BomDiff:
    """Load and compare two BOM files."""
    return diff_boms(load_bom(old), load_bom(new))


# -------------------------------------------------------------------------- rendering


def _lines(result: BomDiff) -> Iterator[str]:
    if result.old_verdict != result.new_verdict:
        yield (f"artifact verdict: {_show(result.old_verdict)} -> {_show(result.new_verdict)}")
    if result.terms_added:
        yield "governing terms added:"
        yield from (f"  + {dim}: {value}" for dim, value in result.terms_added)
    if result.terms_removed:
        yield "governing terms removed:"
        yield from (f"  - {dim}: {value}" for dim, value in result.terms_removed)
    if result.added:
        yield "components added:"
        yield from (f"  + {c.label_with_version()}" for c in result.added)
    if result.removed:
        yield "components removed:"
        yield from (f"  - {c.label_with_version()}" for c in result.removed)
    if result.changed:
        yield "components changed:"
        for entry in result.changed:
            yield f"  ~ {entry.component.label()}"
            yield from (f"      {ch.what}: {ch.old} -> {ch.new}" for ch in entry.changes)
    if result.empty:
        yield "no changes"
    elif result.stricter:
        why = []
        if result.verdict_worse:
            why.append("the artifact's verdict got worse")
        if result.terms_added:
            n = len(result.terms_added)
            why.append(f"{n} new governing term{'s' if n != 1 else ''}")
        yield "stricter: " + ", ".join(why)
    else:
        yield "no stricter terms"


def render(result: BomDiff) -> str:
    """The differences as text, one item a line, ending with a newline; the last line
    says ``no changes``, ``no stricter terms`` or ``stricter: <reasons>``."""
    return "".join(f"{display_text(line)}\n" for line in _lines(result))
