"""``html``: one self-contained page to attach to a compliance ticket or open from CI.

The page holds the same facts as the ``markdown`` report, in this order: the header (the
scanned repository, its commit and branch, modelbom's version, the counts), the
artifact's **verdict** with the policy and the declared use, the **governing terms**
with the components that impose them and every path that brought them, the rules the
artifact does not meet, the **lineage** drawn as a graph, the **components** table (each
row expands to the ``modelbom explain`` text of its verdict and to every place it is
referenced), the **sub-projects** of a grouped scan, what is **unresolved**, what
**could not be read**, the **waivers** and the **obligations**.

It loads nothing: the style sheet and a small script are inline, allowed by a
Content-Security-Policy that names their SHA-256 hashes (``default-src 'none'``), and
the only links are fragments inside the page. Without JavaScript everything is readable
(the table is plain HTML, explanations are ``<details>``); the script only adds sorting
by column and filtering by text, kind and verdict.

Every string from the scanned repository or a license source is escaped for HTML, in
text and in (always double-quoted) attributes; control, bidirectional-override and
zero-width characters are shown as ``\\xNN`` / ``\\uNNNN`` so a name cannot hide or
reorder what a reader sees. The lineage graph is laid out in Python, layer by depth,
with a total order everywhere: the same result gives the same bytes. Only outside
reproducible mode does the page say when it was generated (``SOURCE_DATE_EPOCH`` gives
that time in reproducible mode).
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from modelbom.emit.base import EmitOptions, Emitter
from modelbom.emit.markdown import (
    NOT_COMPUTED,
    Lineage,
    _declared,
    _dimension,
    _dimension_rank,
    _first_hops,
    _not_met,
    _number,
    _verdict_text,
)
from modelbom.explain import explain_component
from modelbom.licenses.chain import component_label
from modelbom.model import Component, Group, ScanResult
from modelbom.model.verdict import ChainReport, ComponentVerdict, Contribution, RuleResult, Verdict

_VERDICT_MEANING = {
    Verdict.ALLOWED: "every rule of the declared use is met.",
    Verdict.REVIEW: "at least one rule needs a person's review before this use is allowed.",
    Verdict.VIOLATION: "the declared use breaks at least one rule of the governing terms.",
}
_TRAINING_DATA = {
    "strict": "dataset terms join the terms of the models trained on them",
    "warn": "restrictive or unknown dataset terms are reported for review",
    "off": "datasets are not considered",
}
# Verdicts in the order a reader deals with them; "none" is a component without a verdict.
_VERDICT_ORDER = ("violation", "review", "allowed", "none")
_MAX_PATHS = 10
_MAX_LOCATIONS = 3
_MAX_EVIDENCE = 100

# -- escaping ---------------------------------------------------------------------------------

# C0 and C1 controls, DEL, bidirectional marks, embeddings, overrides and isolates,
# zero-width and invisible characters, line and paragraph separators, lone surrogates
# and the BOM / noncharacters: shown as escapes so a name cannot hide or reorder text.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)


def _escape_code(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def visible(text: str) -> str:
    """*text* with every invisible or reordering character written as an escape."""
    return _INVISIBLE.sub(_escape_code, text)


class Markup(str):
    """A string that already is HTML: built by :func:`el` or :func:`esc`, never from data."""

    __slots__ = ()


def esc(text: str) -> Markup:
    """*text* as HTML text (or a double-quoted attribute value); Markup passes through."""
    if isinstance(text, Markup):
        return text
    return Markup(html.escape(visible(text), quote=True))


_VOID = frozenset({"br", "input", "meta"})


def el(tag: str, *children: str, **attrs: str | int | bool | None) -> Markup:
    """``<tag attrs>children</tag>``: plain-string children and every attribute value are
    escaped; ``class_`` is ``class``, ``data_kind`` is ``data-kind``; ``None`` and
    ``False`` leave an attribute out, ``True`` writes it bare."""
    parts = [f"<{tag}"]
    for raw_name, value in attrs.items():
        if value is None or value is False:
            continue
        name = raw_name.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{html.escape(visible(str(value)), quote=True)}"')
    parts.append(">")
    if tag in _VOID:
        return Markup("".join(parts))
    parts.extend(esc(child) for child in children)
    parts.append(f"</{tag}>")
    return Markup("".join(parts))


def lines(*children: str) -> Markup:
    """Children (escaped unless Markup) one per line."""
    return Markup("\n".join(esc(c) for c in children))


def join(children: Iterable[str], separator: str = "") -> Markup:
    """Children (escaped unless Markup) joined by the literal *separator*."""
    return Markup(html.escape(separator).join(esc(c) for c in children))


def code(text: str) -> Markup:
    """*text* as a code span (isolated from the bidirectional text around it)."""
    return el("code", text) if text else el("em", "(empty)")


# -- style and script -------------------------------------------------------------------------

_CSS = """\
:root { color-scheme: light; --fg: #1d2433; --muted: #5b6475; --line: #d7dce5;
  --bg-soft: #f5f7fa; --violation: #b42318; --violation-bg: #fef3f2; --review: #a15c07;
  --review-bg: #fffaeb; --allowed: #067647; --allowed-bg: #ecfdf3; --none: #5b6475;
  --none-bg: #f2f4f7; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
h1 { font-size: 24px; margin: 0 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
code { unicode-bidi: isolate; overflow-wrap: anywhere; background: var(--bg-soft);
  border-radius: 3px; padding: 0 3px; }
pre { unicode-bidi: isolate; background: var(--bg-soft); padding: 10px 12px;
  border-radius: 4px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
a { color: #1849a9; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.banner { margin: 20px 0; padding: 16px 20px; border-radius: 6px; border-left: 8px solid; }
.banner .word { font-size: 28px; font-weight: 700; text-transform: uppercase;
  letter-spacing: .03em; margin-right: 12px; }
.banner.v-violation { background: var(--violation-bg); border-color: var(--violation); }
.banner.v-review { background: var(--review-bg); border-color: var(--review); }
.banner.v-allowed { background: var(--allowed-bg); border-color: var(--allowed); }
.banner.v-none { background: var(--none-bg); border-color: var(--none); }
.banner.v-violation .word { color: var(--violation); }
.banner.v-review .word { color: var(--review); }
.banner.v-allowed .word { color: var(--allowed); }
.banner.v-none .word { color: var(--none); }
.counts { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; margin: 12px 0; }
.counts li { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px;
  padding: 6px 12px; }
.counts strong { font-size: 18px; margin-right: 4px; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; white-space: nowrap; }
.badge.v-violation { color: var(--violation); background: var(--violation-bg); }
.badge.v-review { color: var(--review); background: var(--review-bg); }
.badge.v-allowed { color: var(--allowed); background: var(--allowed-bg); }
.badge.v-none { color: var(--none); background: var(--none-bg); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
  border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: var(--bg-soft); font-weight: 600; white-space: nowrap; }
th button { font: inherit; font-weight: 600; color: inherit; background: none; border: 0;
  padding: 0; cursor: pointer; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
#components tbody.c:target tr.main { outline: 2px solid #1849a9; }
#components tr.main td { border-bottom: 0; }
#components tr.main td:first-child { white-space: nowrap; }
#components tr.main td:nth-child(2) { min-width: 220px; }
#components tr.more td { padding-top: 0; }
details > summary { cursor: pointer; color: #1849a9; }
#terms-table summary { white-space: nowrap; }
.muted { color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 8px 0; }
.filters input, .filters select { font: inherit; padding: 4px 6px; }
.filters input { min-width: 260px; }
.graph { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 4px; }
.graph svg { display: block; }
.graph .node rect { stroke-width: 1.5; }
.graph .node.v-violation rect { fill: var(--violation-bg); stroke: var(--violation); }
.graph .node.v-review rect { fill: var(--review-bg); stroke: var(--review); }
.graph .node.v-allowed rect { fill: var(--allowed-bg); stroke: var(--allowed); }
.graph .node.v-none rect { fill: var(--none-bg); stroke: var(--none); }
.graph .node.missing rect { stroke-dasharray: 5 3; }
.graph .node .name { font: 600 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  fill: var(--fg); }
.graph .node .sub { font-size: 11px; fill: var(--muted); }
.graph .edge { fill: none; stroke: #8a93a5; stroke-width: 1.4; }
.graph .edge-label { font-size: 11px; fill: #3d4556; paint-order: stroke; stroke: #fff;
  stroke-width: 4px; stroke-linejoin: round; }
.graph .arrow { fill: #8a93a5; }
.legend { display: flex; gap: 12px; flex-wrap: wrap; margin: 6px 0; font-size: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { .filters, #shown { display: none; } .graph { overflow: visible; } }
"""

_JS = """\
(function () {
  "use strict";
  var table = document.getElementById("components");
  if (!table || !table.tHead) { return; }
  var bodies = Array.prototype.slice.call(table.tBodies);
  var text = document.getElementById("filter-text");
  var kind = document.getElementById("filter-kind");
  var verdict = document.getElementById("filter-verdict");
  var shown = document.getElementById("shown");
  function value(body, column) {
    var cell = body.rows[0].cells[column];
    var key = cell.getAttribute("data-sort");
    return key === null ? cell.textContent.trim().toLowerCase() : key;
  }
  function filter() {
    var needle = text.value.trim().toLowerCase();
    var count = 0;
    bodies.forEach(function (body) {
      var keep = (!kind.value || body.getAttribute("data-kind") === kind.value) &&
        (!verdict.value || body.getAttribute("data-verdict") === verdict.value) &&
        (!needle || body.rows[0].textContent.toLowerCase().indexOf(needle) !== -1);
      body.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = "Showing " + count + " of " + bodies.length + " components";
  }
  function sort(header, column) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = bodies.map(function (body, index) {
      return { key: value(body, column), index: index, body: body };
    });
    rows.sort(function (a, b) {
      if ((a.key === "") !== (b.key === "")) { return a.key === "" ? 1 : -1; }
      var order = a.key.localeCompare(b.key, undefined, { numeric: true });
      return (ascending ? order : -order) || a.index - b.index;
    });
    rows.forEach(function (row) { table.appendChild(row.body); });
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = header.textContent;
    button.title = "Sort by " + header.textContent.toLowerCase();
    header.textContent = "";
    header.appendChild(button);
    button.addEventListener("click", function () { sort(header, column); });
  });
  [text, kind, verdict].forEach(function (control) {
    control.addEventListener("input", filter);
    control.addEventListener("change", filter);
  });
  function openTarget() {
    var id = "";
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (error) { return; }
    var target = id ? document.getElementById(id) : null;
    if (target && target.tagName === "TBODY") {
      target.hidden = false;
      var details = target.querySelector("details");
      if (details) { details.open = true; }
    }
  }
  window.addEventListener("hashchange", openTarget);
  document.getElementById("filters").hidden = false;
  shown.hidden = false;
  filter();
  openTarget();
}());
"""


def _csp_source(content: str) -> str:
    digest = hashlib.sha256(content.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# The page may run its own script and style (by hash) and load nothing else at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    f"script-src {_csp_source(_JS)}; "
    f"style-src {_csp_source(_CSS)}; "
    "img-src 'none'; base-uri 'none'; form-action 'none'"
)

# -- helpers ----------------------------------------------------------------------------------


def _verdict_key(verdict: ComponentVerdict | None) -> str:
    """The CSS and filter name of a component's verdict: allowed, review, violation, none."""
    return verdict.verdict.value if verdict is not None else "none"


def _badge(verdict: ComponentVerdict | None) -> Markup:
    return el("span", _verdict_text(verdict), class_=f"badge v-{_verdict_key(verdict)}")


def _anchor(component: Component) -> str:
    return f"c-{component.bom_ref}"


class _Page:
    """Lookups shared by the sections of one page."""

    def __init__(self, result: ScanResult) -> None:
        self.result = result
        self.chain: ChainReport | None = result.chain
        self.components = sorted(result.components, key=lambda c: c.key)
        self.by_ref = {c.bom_ref: c for c in self.components}
        self.by_label: dict[str, Component] = {}
        for c in self.components:
            self.by_label.setdefault(component_label(c), c)
        self.verdicts = {v.bom_ref: v for v in self.chain.components} if self.chain else {}

    def verdict(self, component: Component) -> ComponentVerdict | None:
        return self.verdicts.get(component.bom_ref)

    def label_link(self, label: str) -> Markup:
        """``kind:id`` as code, linked to its row when it is a component of the scan."""
        component = self.by_label.get(label)
        if component is None:
            return code(label)
        return el("a", code(label), href="#" + _anchor(component))

    def component_link(self, component: Component) -> Markup:
        return el("a", code(component_label(component)), href="#" + _anchor(component))


def _section(section_id: str, title: str, *body: str) -> Markup:
    return el("section", lines(el("h2", title), *body), id=section_id)


def _not_computed() -> Markup:
    return el("p", NOT_COMPUTED, class_="muted")


# -- header and verdict -----------------------------------------------------------------------


def _generated_at(options: EmitOptions) -> str | None:
    """When the page was made: now, or ``SOURCE_DATE_EPOCH`` (if valid) when reproducible."""
    if not options.reproducible:
        return datetime.now(tz=UTC).replace(microsecond=0).isoformat()
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw.isdigit():
        return None
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _header(page: _Page, options: EmitOptions) -> Markup:
    result = page.result
    source = result.source
    facts: list[tuple[str, Markup]] = [("Repository", code(source.name))]
    if source.remote_url:
        facts.append(("Remote", code(source.remote_url)))
    if source.commit:
        facts.append(("Commit", code(source.commit)))
        if source.branch:
            facts.append(("Branch", code(source.branch)))
    else:
        facts.append(("Commit", esc("not recorded (no git work tree, or no commit yet)")))
    mode = "offline: local sources and caches only" if result.offline else "online sources allowed"
    facts.append(("Scanned with", esc(f"modelbom {result.tool_version} ({mode})")))
    generated = _generated_at(options)
    if generated:
        facts.append(("Generated", esc(generated)))
    stats = result.stats
    facts.append(("Files", esc(f"{stats.files_listed} listed, {stats.files_crawled} crawled")))
    if result.group_by:
        facts.append(("Grouped by", code(result.group_by)))
    items = [lines(el("dt", name), el("dd", value)) for name, value in facts]
    return lines(
        el("h1", f"AI bill of materials: {source.name}"),
        el("dl", lines("", *items, ""), class_="facts"),
    )


def _counts(page: _Page) -> Markup:
    result = page.result
    tally = dict.fromkeys(_VERDICT_ORDER, 0)
    for component in page.components:
        tally[_verdict_key(page.verdict(component))] += 1
    counts: list[tuple[int, str, str]] = [(len(page.components), "components", "components")]
    if page.chain is not None:
        counts.extend((tally[v], v, f"v-{v}") for v in _VERDICT_ORDER[:3])
    counts.extend(
        [
            (len(result.unresolved), "unresolved", "unresolved"),
            (len(result.unknowns), "could not be read", "unknowns"),
        ]
    )
    items = [el("li", el("strong", str(n)), " ", text, data_count=key) for n, text, key in counts]
    return el("ul", lines("", *items, ""), class_="counts", aria_label="Counts")


def _use_list(chain: ChainReport) -> Markup:
    if not chain.use:
        return esc("the default use profile")
    items = [
        el("li", code(key), ": ", code(_number(value))) for key, value in sorted(chain.use.items())
    ]
    return el("ul", lines("", *items, ""))


def _verdict_section(page: _Page) -> Markup:
    chain = page.chain
    result = page.result
    if chain is None:
        banner = el(
            "div",
            el("span", "Not computed", class_="word"),
            " the license chain was not computed for this scan, so there is no verdict.",
            class_="banner v-none",
            id="verdict",
        )
        return lines(banner, _counts(page))
    verdict = chain.artifact.verdict
    banner = el(
        "div",
        el("span", verdict.value, class_="word"),
        " ",
        el("span", _VERDICT_MEANING[verdict]),
        class_=f"banner v-{verdict.value}",
        id="verdict",
        data_verdict=verdict.value,
    )
    if chain.policy_source:
        policy: Markup = code(chain.policy_source)
    elif result.policy_in_effect:
        policy = esc("given without a file")
    else:
        policy = esc(
            "the default use profile (no policy was declared; the verdict does not fail the scan)"
        )
    training = _TRAINING_DATA.get(chain.training_data, "")
    facts = [
        ("Policy", policy),
        ("Declared use", _use_list(chain)),
        ("Training data", join([code(chain.training_data), f" ({training})" if training else ""])),
    ]
    items = [lines(el("dt", name), el("dd", value)) for name, value in facts]
    explanation = el(
        "details",
        lines(
            el("summary", "The whole explanation (as modelbom explain prints it)"),
            el("pre", lines(*explain_component(result, chain.artifact, None))),
        ),
    )
    return lines(
        banner,
        _counts(page),
        el("dl", lines("", *items, ""), class_="facts"),
        _rules(chain),
        explanation,
    )


# -- governing terms and rules ----------------------------------------------------------------


def _paths(contributions: Sequence[Contribution]) -> Markup:
    paths = list(dict.fromkeys(c.render_path() for c in contributions))
    items = [el("li", code(p)) for p in paths[:_MAX_PATHS]]
    if len(paths) > _MAX_PATHS:
        items.append(el("li", f"and {len(paths) - _MAX_PATHS} more paths"))
    noun = "path" if len(paths) == 1 else "paths"
    return el("details", el("summary", f"{len(paths)} {noun}"), el("ol", lines("", *items, "")))


def _governing_section(page: _Page) -> Markup:
    chain = page.chain
    title = "Governing terms"
    if chain is None:
        return _section("terms", title, _not_computed())
    groups: dict[tuple[str, str, str], list[Contribution]] = {}
    for c in chain.artifact.contributions:
        groups.setdefault((c.dimension, c.value, c.license), []).append(c)
    if not groups:
        return _section(
            "terms", title, el("p", "No restrictive or unknown term binds the artifact.")
        )
    intro = el(
        "p",
        "The most restrictive terms of the whole chain, dimension by dimension. ",
        el("em", "Imposed by"),
        " is the component whose license states the term; ",
        el("em", "brought in by"),
        " is what the artifact uses that leads to it; the paths run from the artifact to the"
        " license.",
    )
    rows = []
    for (dimension, value, license_id), contributions in sorted(
        groups.items(), key=lambda item: (_dimension_rank(item[0][0]), item[0])
    ):
        imposers = sorted({c.path[-1].component for c in contributions})
        rows.append(
            el(
                "tr",
                el("td", _dimension(dimension)),
                el("td", _number(value)),
                el("td", code(license_id)),
                el("td", join((page.label_link(i) for i in imposers), ", ")),
                el("td", join((page.label_link(h) for h in _first_hops(contributions)), ", ")),
                el("td", _paths(contributions)),
            )
        )
    table = _table(
        ["Dimension", "Value", "License", "Imposed by", "Brought in by", "Paths"],
        rows,
        "terms-table",
    )
    return _section("terms", title, intro, table)


def _rule_item(rule: RuleResult) -> Markup:
    verdict = "waived" if rule.waived_by else rule.verdict.value
    css = "allowed" if rule.waived_by else rule.verdict.value
    parts: list[str] = [
        el("span", verdict, class_=f"badge v-{css}"),
        " ",
        code(rule.rule),
        ": ",
        rule.message,
    ]
    details: list[str] = []
    if rule.waived_by:
        details.append(el("li", "waived: ", rule.waived_by))
    paths = list(dict.fromkeys(f"{c.license} via {c.render_path()}" for c in rule.because))
    details.extend(el("li", "because ", code(p)) for p in paths[:_MAX_PATHS])
    if len(paths) > _MAX_PATHS:
        details.append(el("li", f"and {len(paths) - _MAX_PATHS} more paths"))
    if details:
        parts.append(el("ul", lines("", *details, "")))
    return el("li", *parts)


def _rules(chain: ChainReport) -> Markup:
    rules = sorted(
        _not_met(chain.artifact.rules), key=lambda r: (-r.verdict.rank, r.rule, r.message)
    )
    heading = el("h3", "Rules the artifact does not meet", id="rules")
    if not rules:
        return lines(heading, el("p", "Every rule of the declared use is met."))
    return lines(heading, el("ul", lines("", *(_rule_item(r) for r in rules), ""), class_="rules"))


# -- lineage graph ----------------------------------------------------------------------------

# A box is as wide as its longest label needs (monospace, about 7.3 px a character at
# 12 px), between these bounds; longer labels are cut with an ellipsis (full in the title).
_CHAR_W = 7.3
_MIN_NODE_W = 200
_MAX_NODE_W = 360
_NODE_H = 46
_H_GAP = 110
_V_GAP = 22
_MARGIN = 16
_LOOP = 44

NodeKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Node:
    key: NodeKey
    label: str
    detail: str
    verdict: str
    anchor: str | None


@dataclass(frozen=True, slots=True)
class _Edge:
    child: NodeKey
    parent: NodeKey
    relation: str


def _lineage_graph(page: _Page) -> tuple[dict[NodeKey, _Node], list[_Edge]]:
    """Every component that has or is a base model or training dataset, and the edges
    from each derived component to what it derives from."""
    lineage = Lineage(page.components)
    nodes: dict[NodeKey, _Node] = {}
    edges: dict[tuple[NodeKey, NodeKey, str], _Edge] = {}

    def node(component: Component) -> NodeKey:
        if component.key not in nodes:
            verdict = page.verdict(component)
            license_text = _declared(component) or "license unknown"
            nodes[component.key] = _Node(
                key=component.key,
                label=component_label(component),
                detail=f"{_verdict_text(verdict)} \u00b7 {license_text}",
                verdict=_verdict_key(verdict),
                anchor=_anchor(component),
            )
        return component.key

    for component in page.components:
        for relation, parent_id, parent in lineage.parents(component):
            child_key = node(component)
            if parent is None:
                kind = "dataset" if relation == "trained on" else "model"
                parent_key: NodeKey = ("~", kind, parent_id)
                nodes.setdefault(
                    parent_key,
                    _Node(parent_key, f"{kind}:{parent_id}", "not in the scan", "none", None),
                )
            else:
                parent_key = node(parent)
            edges.setdefault(
                (child_key, parent_key, relation), _Edge(child_key, parent_key, relation)
            )
    return nodes, [edges[k] for k in sorted(edges)]


def _layers(
    nodes: Iterable[NodeKey], edges: Sequence[_Edge]
) -> tuple[dict[NodeKey, int], set[int]]:
    """Layer of each node (the longest path of derivations leading to it) and the indexes
    of the edges that close a cycle (drawn backwards)."""
    order = sorted(nodes)
    out: dict[NodeKey, list[tuple[NodeKey, int]]] = {k: [] for k in order}
    for index, edge in enumerate(edges):
        out[edge.child].append((edge.parent, index))
    # Depth-first search in a fixed order: an edge into a node still on the stack is a
    # back edge.
    back: set[int] = set()
    state: dict[NodeKey, int] = {}  # 1 on the stack, 2 done
    postorder: list[NodeKey] = []
    for start in order:
        if start in state:
            continue
        state[start] = 1
        stack: list[tuple[NodeKey, int]] = [(start, 0)]
        while stack:
            current, position = stack[-1]
            if position < len(out[current]):
                stack[-1] = (current, position + 1)
                target, index = out[current][position]
                if state.get(target) == 1:
                    back.add(index)
                elif target not in state:
                    state[target] = 1
                    stack.append((target, 0))
            else:
                state[current] = 2
                postorder.append(current)
                stack.pop()
    layer = dict.fromkeys(order, 0)
    for current in reversed(postorder):  # a topological order of the forward edges
        for target, index in out[current]:
            if index not in back:
                layer[target] = max(layer[target], layer[current] + 1)
    return layer, back


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _svg(nodes: dict[NodeKey, _Node], edges: Sequence[_Edge]) -> Markup:
    layer, back = _layers(nodes, edges)
    longest = max(len(n.label) for n in nodes.values())
    node_w = max(_MIN_NODE_W, min(_MAX_NODE_W, round(longest * _CHAR_W) + 20))
    label_chars = longest if node_w < _MAX_NODE_W else int((node_w - 20) / _CHAR_W)
    detail_chars = int((node_w - 20) / 6.2)  # 11 px proportional text
    depth = max(layer.values()) + 1
    members: list[list[NodeKey]] = [[] for _ in range(depth)]
    for key in sorted(nodes):
        members[layer[key]].append(key)
    tallest = max(len(m) for m in members)
    step = _NODE_H + _V_GAP
    derived: dict[NodeKey, list[NodeKey]] = {key: [] for key in nodes}
    for index, edge in enumerate(edges):
        if index not in back:
            derived[edge.parent].append(edge.child)
    position: dict[NodeKey, tuple[int, int]] = {}
    for index, keys in enumerate(members):
        if index > 0:
            # Each node next to the mean height of the nodes derived from it (all of them
            # are in earlier layers, so already placed).
            keys.sort(key=lambda k: (sum(position[c][1] for c in derived[k]) / len(derived[k]), k))
        offset = (tallest - len(keys)) * step // 2
        x = _MARGIN + index * (node_w + _H_GAP)
        for row, key in enumerate(keys):
            position[key] = (x, _MARGIN + offset + row * step)
    width = 2 * _MARGIN + depth * node_w + (depth - 1) * _H_GAP
    height = 2 * _MARGIN + tallest * step - _V_GAP + (_LOOP if back else 0)

    paths: list[str] = []
    labels: list[str] = []
    for index, edge in enumerate(edges):
        cx, cy = position[edge.child]
        px, py = position[edge.parent]
        if index in back:
            x1, y1 = cx + node_w // 2, cy + _NODE_H
            x2, y2 = px + node_w // 2, py + _NODE_H
            spread = 40 if edge.child == edge.parent else 0
            d = f"M{x1},{y1} C{x1 - spread},{y1 + _LOOP} {x2 + spread},{y2 + _LOOP} {x2},{y2}"
            lx, ly = (x1 + x2) // 2, max(y1, y2) + _LOOP - 8
        else:
            x1, y1 = cx + node_w, cy + _NODE_H // 2
            x2, y2 = px, py + _NODE_H // 2
            bend = _H_GAP // 2
            d = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2 - 2},{y2}"
            lx, ly = (x1 + x2) // 2, (y1 + y2) // 2 - 4
        title = f"{nodes[edge.child].label} {edge.relation} {nodes[edge.parent].label}"
        paths.append(
            el(
                "path",
                el("title", title),
                d=d,
                class_="edge",
                marker_end="url(#arrow)",
                data_relation=edge.relation,
            )
        )
        labels.append(
            el("text", edge.relation, x=lx, y=ly, class_="edge-label", text_anchor="middle")
        )

    boxes: list[str] = []
    for key in sorted(nodes):
        n = nodes[key]
        x, y = position[key]
        shape = lines(
            el("title", f"{n.label} ({n.detail})"),
            el("rect", x=x, y=y, width=node_w, height=_NODE_H, rx=6),
            el("text", _clip(n.label, label_chars), x=x + 10, y=y + 19, class_="name"),
            el("text", _clip(n.detail, detail_chars), x=x + 10, y=y + 36, class_="sub"),
        )
        css = f"node v-{n.verdict}" + (" missing" if n.anchor is None else "")
        inner = el("a", shape, href="#" + n.anchor) if n.anchor else shape
        boxes.append(el("g", inner, class_=css, data_node=n.label))
    marker = el(
        "marker",
        el("path", d="M0,0 L10,5 L0,10 z", class_="arrow"),
        id="arrow",
        viewBox="0 0 10 10",
        refX=9,
        refY=5,
        markerWidth=8,
        markerHeight=8,
        orient="auto",
    )
    return el(
        "svg",
        lines(
            "",
            el("title", "Lineage: each component points to what it derives from"),
            el("defs", marker),
            *paths,
            *labels,
            *boxes,
            "",
        ),
        width=width,
        height=height,
        viewBox=f"0 0 {width} {height}",
        role="img",
        aria_label="Lineage graph",
        id="lineage-graph",
    )


def _lineage_section(page: _Page) -> Markup:
    nodes, edges = _lineage_graph(page)
    title = "Lineage"
    if not edges:
        return _section(
            "lineage", title, el("p", "No component names a base model or training data.")
        )
    legend = el(
        "p",
        lines(
            *(el("span", _verdict_text_for(v), class_=f"badge v-{v}") for v in _VERDICT_ORDER),
            el("span", "dashed: not in the scan", class_="muted"),
        ),
        class_="legend",
    )
    text = [
        el(
            "li",
            code(nodes[e.child].label),
            f" {e.relation} ",
            code(nodes[e.parent].label),
        )
        for e in edges
    ]
    as_text = el(
        "details",
        lines(el("summary", "The lineage as text"), el("ul", lines("", *text, ""))),
    )
    intro = el(
        "p",
        "Each component points to the base models it derives from (adapter, fine-tune,"
        " quantization, merge) and the datasets it was trained on; a box links to its row"
        " in the table.",
    )
    return _section(
        "lineage", title, intro, legend, el("div", _svg(nodes, edges), class_="graph"), as_text
    )


def _verdict_text_for(key: str) -> str:
    return "not computed" if key == "none" else key


# -- components -------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[str], table_id: str) -> Markup:
    head = el("thead", el("tr", *(el("th", h, scope="col") for h in header)))
    body = el("tbody", lines("", *rows, ""))
    return el("table", lines("", head, body, ""), id=table_id)


def _revision(component: Component) -> Markup:
    pinned = component.revision or component.version
    parts: list[str] = [code(pinned) if pinned else "not pinned"]
    if component.resolved_revision and component.resolved_revision != pinned:
        parts.extend([" (license read at ", code(component.resolved_revision[:12]), ")"])
    return join(parts)


def _license(component: Component, verdict: ComponentVerdict | None) -> Markup:
    declared = _declared(component)
    parts: list[str] = [code(declared) if declared else "unknown"]
    if any(c.needs_review for c in component.licenses):
        parts.append(" (needs review)")
    if verdict is not None and verdict.concluded and verdict.concluded != declared:
        parts.extend(["; concluded: ", code(verdict.concluded)])
    return join(parts)


def _license_source(component: Component) -> Markup:
    if not component.licenses:
        return esc(component.resolution.reason or "no source had it")
    seen: dict[tuple[str, str | None], None] = {}
    for claim in component.licenses:
        seen.setdefault((claim.source, claim.location), None)
    parts = [
        join([source, " at ", code(location)]) if location else esc(source)
        for source, location in seen
    ]
    return join(parts, "; ")


def _found_at(component: Component, verdict: ComponentVerdict | None) -> tuple[Markup, str]:
    """The first places a component is referenced, and the key to sort that column by."""
    if not component.evidence:
        return esc("lineage only"), ""
    places = list(dict.fromkeys(f"{ev.file}:{ev.line}" for ev in component.evidence))
    parts: list[str] = [join((code(p) for p in places[:_MAX_LOCATIONS]), ", ")]
    if len(places) > _MAX_LOCATIONS:
        parts.append(f" and {len(places) - _MAX_LOCATIONS} more")
    if verdict is not None and not verdict.in_artifact:
        parts.append(" (not shipped)")
    return join(parts), places[0]


def _evidence(component: Component) -> Markup:
    if not component.evidence:
        return el(
            "p", "Known only from lineage: named as a base model or training data.", class_="muted"
        )
    items = []
    for ev in component.evidence[:_MAX_EVIDENCE]:
        where = f"{ev.file}:{ev.line}:{ev.column}"
        cell = f", cell {ev.cell} line {ev.cell_line}" if ev.cell is not None else ""
        meta = f" ({ev.scope.value}, {ev.crawler}, confidence {ev.confidence:g}{cell})"
        parts: list[str] = [code(where), meta]
        if ev.snippet:
            parts.extend([" ", el("br"), code(ev.snippet)])
        items.append(el("li", *parts))
    if len(component.evidence) > _MAX_EVIDENCE:
        items.append(el("li", f"and {len(component.evidence) - _MAX_EVIDENCE} more"))
    return el("ol", lines("", *items, ""), class_="evidence")


def _explanation(page: _Page, component: Component, verdict: ComponentVerdict | None) -> Markup:
    if verdict is None:
        text: Markup = _not_computed()
    else:
        text = el("pre", lines(*explain_component(page.result, verdict, component)))
    summary = (
        "Why this verdict, and where it is referenced" if verdict else "Where it is referenced"
    )
    return el(
        "details",
        lines(
            el("summary", summary),
            text,
            el("h4", f"Referenced at ({len(component.evidence)})"),
            _evidence(component),
        ),
    )


_HEADER = ("Kind", "Component", "Revision", "License", "License source", "Verdict", "Found at")


def _component_rows(page: _Page, component: Component) -> Markup:
    verdict = page.verdict(component)
    key = _verdict_key(verdict)
    found, found_key = _found_at(component, verdict)
    main = el(
        "tr",
        lines(
            "",
            el("td", component.kind.value),
            el("td", page.component_link(component), data_sort=component_label(component)),
            el("td", _revision(component)),
            el("td", _license(component, verdict), data_sort=_declared(component)),
            el("td", _license_source(component)),
            el("td", _badge(verdict), data_sort=str(_VERDICT_ORDER.index(key))),
            el("td", found, data_sort=found_key),
            "",
        ),
        class_="main",
    )
    more = el(
        "tr",
        el("td", _explanation(page, component, verdict), colspan=len(_HEADER)),
        class_="more",
    )
    return el(
        "tbody",
        lines("", main, more, ""),
        class_="c",
        id=_anchor(component),
        data_kind=component.kind.value,
        data_verdict=key,
    )


def _filters(page: _Page) -> Markup:
    kinds = sorted({c.kind.value for c in page.components})
    kind_options = [el("option", "every kind", value="")]
    kind_options.extend(el("option", k, value=k) for k in kinds)
    verdict_options = [el("option", "every verdict", value="")]
    verdict_options.extend(el("option", _verdict_text_for(v), value=v) for v in _VERDICT_ORDER)
    controls = el(
        "div",
        lines(
            "",
            el(
                "label",
                "Filter ",
                el(
                    "input",
                    type="search",
                    id="filter-text",
                    placeholder="id, license, file...",
                    autocomplete="off",
                ),
            ),
            el("label", "Kind ", el("select", lines("", *kind_options, ""), id="filter-kind")),
            el(
                "label",
                "Verdict ",
                el("select", lines("", *verdict_options, ""), id="filter-verdict"),
            ),
            "",
        ),
        class_="filters",
        id="filters",
        role="search",
        hidden=True,
    )
    return lines(controls, el("p", "", id="shown", class_="muted", aria_live="polite", hidden=True))


def _components_section(page: _Page) -> Markup:
    title = "Components"
    if not page.components:
        return _section("components-section", title, el("p", "No component was found."))
    head = el("thead", el("tr", *(el("th", h, scope="col") for h in _HEADER)))
    bodies = [_component_rows(page, c) for c in page.components]
    table = el("table", lines("", head, *bodies, ""), id="components")
    intro = el(
        "p",
        "Every component of the scan. Open a row's explanation for the path from the artifact,"
        " the license at each step, the terms that bind, the rules and every place the"
        " component is referenced.",
    )
    return _section("components-section", title, intro, _filters(page), table)


# -- groups, unresolved, unknowns, waivers, obligations ---------------------------------------


def _group(page: _Page, group: Group) -> Markup:
    items = []
    for ref in group.components:
        component = page.by_ref.get(ref)
        if component is None:
            items.append(el("li", code(ref), " (not among the components of this scan)"))
        else:
            items.append(
                el("li", page.component_link(component), " ", _badge(page.verdict(component)))
            )
    body = el("ul", lines("", *items, "")) if items else el("p", "No component.", class_="muted")
    noun = "component" if len(group.components) == 1 else "components"
    return el(
        "section",
        lines(
            el(
                "h3",
                group.name,
                " ",
                el("span", f"({len(group.components)} {noun})", class_="muted"),
            ),
            el("p", "Folder: ", code(group.path)),
            body,
        ),
        class_="group",
        data_group=group.path,
    )


def _groups_section(page: _Page) -> Markup | None:
    groups = page.result.groups
    if not groups:
        return None
    ordered = sorted(groups, key=lambda g: (g.path, g.name))
    by = page.result.group_by
    intro = el(
        "p",
        "The components each sub-project's files reference",
        join([" (grouped by ", code(by), ")"]) if by else "",
        "; a component referenced from several sub-projects is listed in each.",
    )
    return _section("groups", "Sub-projects", intro, *(_group(page, g) for g in ordered))


def _unresolved_section(page: _Page) -> Markup:
    title = "Unresolved"
    unresolved = sorted(page.result.unresolved, key=lambda c: c.key)
    if not unresolved:
        return _section("unresolved", title, el("p", "Every component was resolved."))
    items = [
        el("li", page.component_link(c), ": ", c.resolution.reason or "no reason given")
        for c in unresolved
    ]
    return _section(
        "unresolved",
        title,
        el("p", "No source gave license or lineage facts for these components:"),
        el("ul", lines("", *items, "")),
    )


def _unknowns_section(page: _Page) -> Markup:
    title = "Could not be read"
    unknowns = sorted(page.result.unknowns, key=lambda u: u.sort_key())
    if not unknowns:
        return _section("unknowns", title, el("p", "Every listed file was read."))
    rows = [
        el("tr", el("td", code(u.file)), el("td", u.stage.value), el("td", u.reason))
        for u in unknowns
    ]
    return _section("unknowns", title, _table(["File", "Stage", "Reason"], rows, "unknowns-table"))


def _waivers_section(page: _Page) -> Markup:
    title = "Waivers"
    chain = page.chain
    if chain is None:
        return _section("waivers", title, _not_computed())
    if not chain.waivers:
        return _section("waivers", title, el("p", "No waiver is declared."))
    items = []
    for waiver in sorted(chain.waivers):
        expired = "; not applied)" in waiver and "EXPIRED on " in waiver
        status = el(
            "span",
            "expired" if expired else "active",
            class_="badge v-violation" if expired else "badge v-allowed",
        )
        items.append(el("li", status, " ", waiver, data_status="expired" if expired else "active"))
    lifted = [
        el("li", page.label_link(v.component), ": ", code(r.rule), " lifted by ", r.waived_by)
        for v in sorted((chain.artifact, *chain.components), key=lambda v: v.component)
        for r in v.rules
        if r.waived_by
    ]
    applied = (
        el("ul", lines("", *lifted, ""), class_="applied")
        if lifted
        else el("p", "No rule was lifted by a waiver.", class_="muted")
    )
    return _section(
        "waivers",
        title,
        el("ul", lines("", *items, ""), class_="waivers"),
        el("h3", "Rules lifted by a waiver"),
        applied,
    )


def _obligations_section(page: _Page) -> Markup:
    title = "Obligations"
    chain = page.chain
    if chain is None:
        return _section("obligations", title, _not_computed())
    duties = sorted(set(chain.artifact.obligations))
    if not duties:
        return _section("obligations", title, el("p", "The governing terms impose no duty."))
    return _section(
        "obligations",
        title,
        el(
            "p",
            "Duties the governing terms of the artifact impose (they bind, but are not"
            " violations):",
        ),
        el("ul", lines("", *(el("li", d) for d in duties), "")),
    )


# -- the page ---------------------------------------------------------------------------------


def render(result: ScanResult, options: EmitOptions) -> str:
    """The whole page."""
    page = _Page(result)
    sections = [
        _header(page, options),
        _verdict_section(page),
        _governing_section(page),
        _lineage_section(page),
        _components_section(page),
        _groups_section(page),
        _unresolved_section(page),
        _unknowns_section(page),
        _waivers_section(page),
        _obligations_section(page),
        el("footer", f"modelbom {result.tool_version}"),
    ]
    head = lines(
        el("meta", charset="utf-8"),
        el("meta", http_equiv="Content-Security-Policy", content=CONTENT_SECURITY_POLICY),
        el("meta", name="referrer", content="no-referrer"),
        el("meta", name="viewport", content="width=device-width, initial-scale=1"),
        el("meta", name="generator", content=f"modelbom {result.tool_version}"),
        el("title", f"AI bill of materials: {result.source.name}"),
        el("style", Markup(_CSS)),
    )
    body = lines("", *(s for s in sections if s is not None), el("script", Markup(_JS)))
    document = lines(
        Markup("<!DOCTYPE html>"),
        el("html", lines("", el("head", lines("", head, "")), el("body", body), ""), lang="en"),
    )
    return document + "\n"


class HtmlEmitter(Emitter):
    """The ``html`` format: a self-contained report page."""

    format_id = "html"

    def emit(self, result: ScanResult, options: EmitOptions) -> bytes:
        """Render the page; in reproducible mode the same result gives the same bytes."""
        return render(result, options).encode("utf-8")
