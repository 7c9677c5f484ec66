"""``markdown``: a report to paste into a compliance ticket.

Sections, in order: the title with the scanned repository and date-free metadata; the
**Verdict** (the artifact's verdict, the policy in effect, the declared use); the
**Governing terms** of the artifact (one row per term and license, with the components
that impose it and those that bring it in); the **Rules** that are not met (the
artifact's with every path that brought them, then each component's with its path from
the artifact, as ``modelbom explain`` finds it); the **Components** table; the
**Lineage** of every component with base models or training data; what is
**Unresolved**; what **Could not be read**; the **Waivers**; the **Obligations**.

The output is CommonMark with GitHub-flavoured tables and never holds HTML: every string
that comes from the scanned repository or a license source is either a code span or
escaped text, on one line, with ``|`` escaped in table cells. Everything is sorted and no
current time is printed, so the same scan gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from modelbom.emit.base import EmitOptions, Emitter
from modelbom.explain import path_from_artifact
from modelbom.grouping import group_verdict
from modelbom.licenses.chain import component_label
from modelbom.licenses.terms import Terms
from modelbom.model import Component, Group, Kind, ScanResult
from modelbom.model.verdict import ChainReport, ComponentVerdict, Contribution, RuleResult, Verdict
from modelbom.options import GroupBy

NOT_COMPUTED = "The license chain was not computed for this scan, so there is no verdict."

_VERDICT_MEANING = {
    Verdict.ALLOWED: "every rule of the declared use is met.",
    Verdict.REVIEW: "at least one rule needs a person's review before this use is allowed.",
    Verdict.VIOLATION: "the declared use breaks at least one rule of the governing terms.",
}

# How a base relates to the model derived from it; the same words as licenses/chain.py.
_RELATION_LABELS = {
    "adapter": "adapter of",
    "finetune": "fine-tuned from",
    "quantized": "quantized from",
    "merge": "merged from",
    "base": "derived from",
}
_DIMENSION_LABELS = {
    "revenue_cap_usd": "revenue cap (USD)",
    "source_disclosure_on_network_use": "source disclosure on network use",
    "license": "license",
}
_TRAINING_DATA = {
    "strict": " (dataset terms join the terms of the models trained on them)",
    "warn": " (restrictive or unknown dataset terms are reported for review)",
    "off": " (datasets are not considered)",
}
# Governing terms in the order a reader weighs them: an unknown license first, then the
# dimensions in the order of modelbom.licenses.terms.Terms.
_DIMENSION_ORDER = ("license", *Terms.model_fields)
_MAX_PATHS = 10
_MAX_LOCATIONS = 3
_MAX_NAMES = 5  # components named in one cell of the governing-terms table

# -- escaping ---------------------------------------------------------------------------------

# Every character CommonMark, GFM or Python treat as a line break, and other controls.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Inline markup: emphasis, code, links, HTML, entities, strikethrough, GitHub math.
_INLINE = re.compile(r"([\\`*_\[\]<>&~$])")
_ORDERED_MARKER = re.compile(r"^(\d+)([.)])")


def one_line(text: str) -> str:
    """*text* without line breaks or control characters (each run becomes one space)."""
    return _CONTROLS.sub(" ", _LINE_BREAKS.sub(" ", text))


def escape_text(text: str) -> str:
    """*text* as literal inline Markdown on one line: no markup, no HTML."""
    return _INLINE.sub(r"\\\1", one_line(text).strip())


def escape_item(text: str) -> str:
    """*text* escaped to start a list item or a paragraph: no block syntax either."""
    escaped = escape_text(text)
    if escaped[:1] in ("-", "+", "#", "=", ">"):
        escaped = "\\" + escaped
    return _ORDERED_MARKER.sub(r"\1\\\2", escaped)


def code(text: str) -> str:
    """*text* as a code span on one line (a fence longer than any run of backticks in it)."""
    text = one_line(text)
    if not text:
        return "(empty)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = (
        text[0] == "`"
        or text[-1] == "`"
        or (text[0] == " " and text[-1] == " " and text.strip() != "")
    )
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


def cell(markdown: str) -> str:
    """Already rendered inline Markdown made safe for a table cell (``|`` escaped)."""
    return markdown.replace("|", "\\|") if markdown else " "


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GFM table; *header* is plain text, *rows* hold rendered inline Markdown."""
    lines = [
        "| " + " | ".join(escape_text(h) for h in header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return lines


# -- helpers ----------------------------------------------------------------------------------


def _number(value: str) -> str:
    return f"{int(value):,}" if value.isascii() and value.isdigit() else value


def _dimension_rank(name: str) -> int:
    return _DIMENSION_ORDER.index(name) if name in _DIMENSION_ORDER else len(_DIMENSION_ORDER)


def _dimension(name: str) -> str:
    return _DIMENSION_LABELS.get(name, name.replace("_", " "))


def _declared(component: Component) -> str:
    """The declared license expressions, joined with AND; empty when none was found."""
    parts = list(dict.fromkeys(c.expression or c.raw for c in component.licenses))
    return " AND ".join(f"({p})" if " OR " in p and len(parts) > 1 else p for p in parts)


def _verdicts(result: ScanResult) -> dict[str, ComponentVerdict]:
    chain = result.chain
    return {v.bom_ref: v for v in chain.components} if chain else {}


def _waived(verdict: ComponentVerdict) -> bool:
    return any(r.waived_by for r in verdict.rules)


def _verdict_text(verdict: ComponentVerdict | None) -> str:
    if verdict is None:
        return "not computed"
    text = verdict.verdict.value
    if verdict.verdict is Verdict.ALLOWED and _waived(verdict):
        text += " (waived)"
    return text


def _policy(chain: ChainReport) -> str:
    return code(chain.policy_source) if chain.policy_source else "default use profile"


def _not_met(rules: Sequence[RuleResult]) -> list[RuleResult]:
    """Rules that are not met, or were lifted by a waiver."""
    return [r for r in rules if r.verdict is not Verdict.ALLOWED or r.waived_by]


# -- sections ---------------------------------------------------------------------------------


def _title(result: ScanResult) -> list[str]:
    source = result.source
    lines = [f"# AI bill of materials: {escape_text(source.name)}", ""]
    lines.append(f"- Repository: {code(source.name)}")
    if source.remote_url:
        lines.append(f"- Remote: {code(source.remote_url)}")
    if source.commit:
        branch = f" on branch {code(source.branch)}" if source.branch else ""
        revision = f" (revision {code(source.revision)})" if source.revision else ""
        lines.append(f"- Commit: {code(source.commit)}{branch}{revision}")
    else:
        lines.append("- Commit: not recorded (no git work tree, or no commit yet)")
    mode = "offline: local sources and caches only" if result.offline else "online sources allowed"
    lines.append(f"- Scanned with: modelbom {escape_text(result.tool_version)} ({mode})")
    stats = result.stats
    lines.append(f"- Files: {stats.files_listed} listed, {stats.files_crawled} crawled")
    lines.append(
        f"- Components: {len(result.components)}, of which {len(result.unresolved)} unresolved;"
        f" files that could not be read: {len(result.unknowns)}"
    )
    return lines


def _verdict_section(result: ScanResult) -> list[str]:
    lines = ["## Verdict", ""]
    chain = result.chain
    if chain is None:
        return [*lines, NOT_COMPUTED]
    verdict = chain.artifact.verdict
    lines.append(f"**{verdict.value.capitalize()}**: {_VERDICT_MEANING[verdict]}")
    lines.append("")
    if chain.policy_source:
        lines.append(f"- Policy: {_policy(chain)}")
    elif result.policy_in_effect:
        lines.append("- Policy: given without a file")
    else:
        lines.append(
            "- Policy: default use profile (no policy was declared; the verdict does not"
            " fail the scan)"
        )
    if chain.use:
        lines.append("- Declared use:")
        lines.extend(
            f"  - {code(key)}: {escape_text(_number(value))}"
            for key, value in sorted(chain.use.items())
        )
    else:
        lines.append("- Declared use: default use profile")
    meaning = _TRAINING_DATA.get(chain.training_data, "")
    lines.append(f"- Training data: {code(chain.training_data)}{meaning}")
    return lines


def _first_hops(contributions: Iterable[Contribution]) -> list[str]:
    return sorted({c.path[1].component for c in contributions if len(c.path) > 1})


def _governing_section(result: ScanResult) -> list[str]:
    lines = ["## Governing terms", ""]
    chain = result.chain
    if chain is None:
        return [*lines, NOT_COMPUTED]
    groups: dict[tuple[str, str, str], list[Contribution]] = {}
    for c in chain.artifact.contributions:
        groups.setdefault((c.dimension, c.value, c.license), []).append(c)
    if not groups:
        return [*lines, "No restrictive or unknown term binds the artifact."]
    lines.append(
        "The most restrictive terms of the whole chain, dimension by dimension. *Imposed by*"
        " is the component whose license states the term; *brought in by* is what the"
        " artifact uses that leads to it."
    )
    lines.append("")
    rows = []
    for (dimension, value, license_id), contributions in sorted(
        groups.items(), key=lambda item: (_dimension_rank(item[0][0]), item[0])
    ):
        imposers = sorted({c.path[-1].component for c in contributions})
        rows.append(
            [
                escape_text(_dimension(dimension)),
                escape_text(_number(value)),
                code(license_id),
                _names(imposers),
                _names(_first_hops(contributions)),
            ]
        )
    lines.extend(table(["Dimension", "Value", "License", "Imposed by", "Brought in by"], rows))
    return lines


def _names(names: Sequence[str]) -> str:
    """Component names for a table cell: the first few, then how many more there are."""
    text = ", ".join(code(n) for n in names[:_MAX_NAMES])
    if len(names) > _MAX_NAMES:
        text += f" and {len(names) - _MAX_NAMES} more"
    return text


def _rule_lines(rule: RuleResult) -> list[str]:
    verdict = "waived" if rule.waived_by else rule.verdict.value
    head = f"- **{verdict}** {code(rule.rule)}: {escape_text(rule.message)}"
    lines = [head]
    if rule.waived_by:
        lines.append(f"  - waived: {escape_text(rule.waived_by)}")
    paths = list(dict.fromkeys(f"{c.license} via {c.render_path()}" for c in rule.because))
    lines.extend(f"  - because {code(p)}" for p in paths[:_MAX_PATHS])
    if len(paths) > _MAX_PATHS:
        lines.append(f"  - and {len(paths) - _MAX_PATHS} more paths")
    return lines


def _rules_section(result: ScanResult) -> list[str]:
    lines = ["## Rules", ""]
    chain = result.chain
    if chain is None:
        return [*lines, NOT_COMPUTED]
    lines.extend(["### The artifact", ""])
    artifact_rules = _not_met(chain.artifact.rules)
    if artifact_rules:
        for rule in sorted(artifact_rules, key=lambda r: (-r.verdict.rank, r.rule, r.message)):
            lines.extend(_rule_lines(rule))
    else:
        lines.append("Every rule of the declared use is met.")
    by_ref = {c.bom_ref: c for c in result.components}
    flagged = [v for v in chain.components if _not_met(v.rules)]
    lines.extend(["", "### By component", ""])
    if not flagged:
        lines.append("Every component meets every rule of the declared use.")
        return lines
    lines.append(
        "Each component whose own chain breaks a rule, needs review or was waived;"
        " `modelbom explain ID` shows every term that binds it."
    )
    for verdict in sorted(flagged, key=lambda v: v.component):
        lines.extend(["", f"#### {code(verdict.component)}: {_verdict_text(verdict)}", ""])
        component = by_ref.get(verdict.bom_ref)
        if component is not None:
            path = " -> ".join(path_from_artifact(result, component))
            shipped = ""
            if not verdict.in_artifact:
                shipped = (
                    " (not part of the shipped artifact)"
                    if component.evidence
                    else " (lineage of a component the artifact uses)"
                )
            lines.extend([f"Path: {code(path)}{shipped}", ""])
        for rule in sorted(_not_met(verdict.rules), key=lambda r: (-r.verdict.rank, r.rule)):
            lines.extend(_rule_lines(rule))
    return lines


def _revision(component: Component) -> str:
    pinned = component.revision or component.version
    text = code(pinned) if pinned else "not pinned"
    if component.resolved_revision and component.resolved_revision != pinned:
        text += f" (license read at {code(component.resolved_revision[:12])})"
    return text


def _license_cell(component: Component, verdict: ComponentVerdict | None) -> str:
    declared = _declared(component)
    text = code(declared) if declared else "unknown"
    if any(c.needs_review for c in component.licenses):
        text += " (needs review)"
    if verdict is not None and verdict.concluded:
        text += f"; concluded: {code(verdict.concluded)}"
    return text


def _license_source(component: Component) -> str:
    if not component.licenses:
        reason = component.resolution.reason
        return escape_text(reason) if reason else "no source had it"
    parts = []
    for claim in component.licenses:
        where = f" at {code(claim.location)}" if claim.location else ""
        parts.append(f"{escape_text(claim.source)}{where}")
    return "; ".join(dict.fromkeys(parts))


def _found_at(component: Component, verdict: ComponentVerdict | None) -> str:
    if not component.evidence:
        return "lineage only"
    places = list(dict.fromkeys(f"{ev.file}:{ev.line}" for ev in component.evidence))
    text = ", ".join(code(p) for p in places[:_MAX_LOCATIONS])
    if len(places) > _MAX_LOCATIONS:
        text += f" and {len(places) - _MAX_LOCATIONS} more"
    if verdict is not None and not verdict.in_artifact:
        text += " (not shipped)"
    return text


def _components_section(result: ScanResult) -> list[str]:
    lines = ["## Components", ""]
    if not result.components:
        return [*lines, "No component was found."]
    verdicts = _verdicts(result)
    rows = []
    for component in sorted(result.components, key=lambda c: c.key):
        verdict = verdicts.get(component.bom_ref)
        rows.append(
            [
                escape_text(component.kind.value),
                code(_component_id(component)),
                _revision(component),
                _license_cell(component, verdict),
                _license_source(component),
                escape_text(_verdict_text(verdict)),
                _found_at(component, verdict),
            ]
        )
    header = ["Kind", "Component", "Revision", "License", "License source", "Verdict", "Found at"]
    lines.extend(table(header, rows))
    return lines


_GROUPING = {
    GroupBy.PACKAGES.value: "Grouped by package (`--group-by packages`): each file belongs to the"
    " innermost folder with a package manifest, and files outside every package to the root"
    " (`.`).",
    GroupBy.FOLDERS.value: "Grouped by top-level folder (`--group-by folders`); files at the"
    " root belong to `.`.",
}


def _group_heading(group: Group, verdict: str) -> str:
    folder = group.path if group.path == "." else group.path.rsplit("/", 1)[-1]
    title = code(group.path)
    if group.name != folder:
        title = f"{escape_text(group.name)} ({title})"
    return f"### {title}: {escape_text(verdict)}"


def _groups_section(result: ScanResult) -> list[str]:
    """One sub-section per group; nothing at all for a scan without ``--group-by``."""
    if not result.groups:
        return []
    lines = ["## Sub-projects", ""]
    lines.append(
        _GROUPING.get(result.group_by or "", "")
        + " A component is listed under every sub-project whose files reference it, with the"
        " base models and datasets it derives from. A sub-project's verdict is the worst"
        " verdict of its components that are part of the shipped artifact."
    )
    by_ref = {c.bom_ref: c for c in result.components}
    verdicts = _verdicts(result)
    for group in result.groups:
        verdict = group_verdict(group, result.chain)
        heading = _group_heading(group, verdict.value if verdict else "not computed")
        lines.extend(["", heading, ""])
        members = sorted((by_ref[r] for r in group.components if r in by_ref), key=lambda c: c.key)
        if not members:
            lines.append("No component is referenced from its files.")
            continue
        rows = []
        for component in members:
            component_verdict = verdicts.get(component.bom_ref)
            shown = _verdict_text(component_verdict)
            if component_verdict is not None and not component_verdict.in_artifact:
                shown += " (not shipped)" if component.evidence else " (lineage)"
            rows.append(
                [
                    code(_component_id(component)),
                    escape_text(component.kind.value),
                    _license_cell(component, component_verdict),
                    escape_text(shown),
                ]
            )
        lines.extend(table(["Component", "Kind", "License", "Verdict"], rows))
    return lines


def _component_id(component: Component) -> str:
    return component_label(component).split(":", 1)[1]


class Lineage:
    """Trees of base models and training data, built from the components of one scan."""

    def __init__(self, components: Sequence[Component]) -> None:
        self.by_identity: dict[tuple[Kind, str], Component] = {}
        for c in sorted(components, key=lambda c: c.key):
            if c.kind in (Kind.MODEL, Kind.ADAPTER, Kind.DATASET) and c.ecosystem is None:
                self.by_identity.setdefault((c.kind, c.id), c)

    def parents(self, component: Component) -> list[tuple[str, str, Component | None]]:
        """(relation label, parent id, parent component) for each base and dataset."""
        bases = [(ref.id, ref.relation.value) for ref in component.base_models]
        if not bases:
            bases = [(v, "adapter") for k, v in component.properties if k == "base_model"]
        out: list[tuple[str, str, Component | None]] = []
        for base_id, relation in bases:
            parent = self.by_identity.get((Kind.MODEL, base_id)) or self.by_identity.get(
                (Kind.ADAPTER, base_id)
            )
            out.append((_RELATION_LABELS.get(relation, "derived from"), base_id, parent))
        out.extend(
            ("trained on", d, self.by_identity.get((Kind.DATASET, d))) for d in component.datasets
        )
        return out

    def ancestors(self, component: Component) -> set[tuple[str, ...]]:
        """Keys of every component *component* derives from, however far (cycles cut)."""
        seen: set[tuple[str, ...]] = set()
        stack = [component]
        while stack:
            current = stack.pop()
            for _, _, parent in self.parents(current):
                if parent is not None and parent.key not in seen:
                    seen.add(parent.key)
                    stack.append(parent)
        return seen

    def tree(self, component: Component) -> list[str]:
        """The component and its bases, as nested Markdown list items."""
        lines = [f"- {code(_node(component))}"]
        self._children(component, (component.key,), 1, lines)
        return lines

    def _children(
        self, component: Component, path: tuple[tuple[str, ...], ...], depth: int, out: list[str]
    ) -> None:
        indent = "  " * depth
        for relation, parent_id, parent in self.parents(component):
            if parent is None:
                kind = "dataset" if relation == "trained on" else "model"
                label = f"{kind}:{parent_id} [not in the scan]"
                out.append(f"{indent}- {escape_text(relation)} {code(label)}")
                continue
            if parent.key in path:
                out.append(
                    f"{indent}- {escape_text(relation)} {code(component_label(parent))}"
                    " (a cycle: already above)"
                )
                continue
            out.append(f"{indent}- {escape_text(relation)} {code(_node(parent))}")
            self._children(parent, (*path, parent.key), depth + 1, out)


def _node(component: Component) -> str:
    return f"{component_label(component)} [{_declared(component) or 'license unknown'}]"


def _lineage_section(result: ScanResult) -> list[str]:
    lines = ["## Lineage", ""]
    lineage = Lineage(result.components)
    roots = [
        c
        for c in sorted(result.components, key=lambda c: c.key)
        if lineage.parents(c) and (c.evidence or not _is_parent(c, result.components, lineage))
    ]
    if not roots:
        return [*lines, "No component names a base model or training data."]
    for component in roots:
        lines.extend(lineage.tree(component))
    return lines


def _is_parent(component: Component, components: Sequence[Component], lineage: Lineage) -> bool:
    return any(
        parent is not None and parent.key == component.key
        for other in components
        for _, _, parent in lineage.parents(other)
    )


def _unresolved_section(result: ScanResult) -> list[str]:
    lines = ["## Unresolved", ""]
    if not result.unresolved:
        return [*lines, "Every component was resolved."]
    lines.append("No source gave license or lineage facts for these components:")
    lines.append("")
    for component in sorted(result.unresolved, key=lambda c: c.key):
        reason = component.resolution.reason or "no reason given"
        lines.append(f"- {code(component_label(component))}: {escape_text(reason)}")
    return lines


def _unknowns_section(result: ScanResult) -> list[str]:
    lines = ["## Could not be read", ""]
    if not result.unknowns:
        return [*lines, "Every listed file was read."]
    rows = [
        [code(u.file), escape_text(u.stage.value), escape_text(u.reason)]
        for u in sorted(result.unknowns, key=lambda u: u.sort_key())
    ]
    lines.extend(table(["File", "Stage", "Reason"], rows))
    return lines


def _waivers_section(result: ScanResult) -> list[str]:
    lines = ["## Waivers", ""]
    chain = result.chain
    if chain is None:
        return [*lines, NOT_COMPUTED]
    if not chain.waivers:
        return [*lines, "No waiver is declared."]
    lines.extend(f"- {escape_item(w)}" for w in sorted(chain.waivers))
    return lines


def _obligations_section(result: ScanResult) -> list[str]:
    lines = ["## Obligations", ""]
    chain = result.chain
    if chain is None:
        return [*lines, NOT_COMPUTED]
    if not chain.artifact.obligations:
        return [*lines, "The governing terms impose no duty."]
    lines.append(
        "Duties the governing terms of the artifact impose (they bind, but are not violations):"
    )
    lines.append("")
    lines.extend(f"- {escape_item(d)}" for d in sorted(set(chain.artifact.obligations)))
    return lines


def render(result: ScanResult) -> str:
    """The whole report."""
    sections = [
        _title(result),
        _verdict_section(result),
        _governing_section(result),
        _rules_section(result),
        _components_section(result),
        _groups_section(result),
        _lineage_section(result),
        _unresolved_section(result),
        _unknowns_section(result),
        _waivers_section(result),
        _obligations_section(result),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"


class MarkdownEmitter(Emitter):
    """The ``markdown`` format: a compliance report."""

    format_id = "markdown"

    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Render the report; the same result always gives the same bytes."""
        return render(result).encode("utf-8")
