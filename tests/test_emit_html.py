"""The ``html`` format: one self-contained report page, rendered from the real engine on
the scenario fixtures and the demo repository, read back with the standard library's
HTML parser; golden for ``lora-llama-service``; then opened in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import struct
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from modelbom import __version__
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.emit.html import HtmlEmitter
from modelbom.emit.markdown import Lineage
from modelbom.engine import scan
from modelbom.explain import explain_component
from modelbom.licenses.chain import component_label
from modelbom.licenses.terms import PERMISSIVE
from modelbom.model import (
    BaseModelRef,
    Component,
    Evidence,
    Group,
    Kind,
    LicenseClaim,
    Relation,
    Resolution,
    ResolutionStatus,
    ScanResult,
    SourceInfo,
    Stage,
    Unknown,
)
from modelbom.model.verdict import ChainReport, ComponentVerdict, RuleResult, Verdict
from modelbom.options import ScanOptions
from modelbom.policy.model import load_policy
from tests import browser as browser_support
from tests.browser import DevTools, chromium, run_once
from tests.support import FIXTURES, check_golden, copy_fixture, run_cli

SCENARIOS = FIXTURES / "scenarios"
ALL_SCENARIOS = sorted(p.name for p in SCENARIOS.iterdir() if p.name != "hf-cache")
LLAMA = "LicenseRef-scancode-llama-3.1-license-2024"


@pytest.fixture(autouse=True)
def _hf_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(SCENARIOS / "hf-cache"))


# -- a small DOM from the standard library's parser -------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> list[Node]:
        """This node and every element below it, in document order."""
        out = [self]
        for child in self.children:
            if isinstance(child, Node):
                out.extend(child.iter())
        return out

    def all(self, tag: str, **attrs: str) -> list[Node]:
        """Elements *tag* (``*`` for any) below this node with these attribute values;
        ``class_`` matches one class among several."""
        found = []
        for node in self.iter()[1:]:
            if tag not in ("*", node.tag):
                continue
            if all(
                value in node.attrs.get("class", "").split()
                if name == "class_"
                else node.attrs.get(name.replace("_", "-")) == value
                for name, value in attrs.items()
            ):
                found.append(node)
        return found

    def one(self, tag: str, **attrs: str) -> Node:
        (found,) = self.all(tag, **attrs)
        return found

    def by_id(self, element_id: str) -> Node:
        return self.one("*", id=element_id)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def words(self) -> str:
        """The text with runs of white space as one space."""
        return " ".join(self.text().split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(document: str) -> Node:
    """The document as a tree; every element must be closed where it was opened."""
    builder = _TreeBuilder()
    builder.feed(document)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    assert builder.doctype == "DOCTYPE html"
    return builder.root


# -- rendering --------------------------------------------------------------------------------


def scan_scenario(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, today: date | None = None
) -> ScanResult:
    """Scan a copy of the scenario with its own policy, as the CLI does from its folder."""
    root = tmp_path / name
    shutil.copytree(SCENARIOS / name, root)
    monkeypatch.chdir(root)
    policy = load_policy(Path("modelbom.toml")) if (root / "modelbom.toml").exists() else None
    return scan(
        ScanOptions(
            root=root, offline=True, cache_dir=tmp_path / "cache", policy=policy, today=today
        )
    )


def render(result: ScanResult, *, reproducible: bool = True) -> str:
    return HtmlEmitter().emit(result, EmitOptions(reproducible=reproducible)).decode("utf-8")


def rows(doc: Node) -> dict[str, Node]:
    """The components table: each component's ``tbody`` by its ``kind:id`` label."""
    bodies = doc.by_id("components").all("tbody")
    return {body.one("tr", class_="main").all("td")[1].words(): body for body in bodies}


def csp_hash(content: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"


def assert_self_contained(doc: Node) -> None:
    """Nothing is loaded: no external element, every link a fragment of the page, a CSP
    that allows only the page's own script and style (by their hashes)."""
    for tag in ("link", "img", "iframe", "object", "embed", "frame", "base", "audio", "video"):
        assert not doc.all(tag), tag
    for node in doc.iter():
        for name, value in node.attrs.items():
            assert not name.startswith("on"), (node.tag, name)
            if name in ("src", "href", "xlink:href", "action", "formaction", "poster"):
                assert value.startswith("#"), (node.tag, name, value)
            assert "url(" not in value or re.fullmatch(r"url\(#[\w-]+\)", value), value
    (script,) = doc.all("script")
    (style,) = doc.all("style")
    assert "src" not in script.attrs
    assert "url(" not in style.text() and "@import" not in style.text()
    (meta,) = doc.all("meta", http_equiv="Content-Security-Policy")
    policy = dict(part.strip().split(" ", 1) for part in meta.attrs["content"].split(";"))
    assert policy == {
        "default-src": "'none'",
        "script-src": csp_hash(script.text()),
        "style-src": csp_hash(style.text()),
        "img-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    # The policy is the first thing after the encoding, before any content.
    head = doc.one("head")
    assert [n.tag for n in head.children if isinstance(n, Node)][:2] == ["meta", "meta"]


# -- the facts --------------------------------------------------------------------------------


def test_golden_report_of_a_lora_on_llama_in_a_large_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = render(scan_scenario("lora-llama-service", tmp_path, monkeypatch))
    assert f"modelbom {__version__}" in text
    check_golden(
        "scenario-lora-llama-service.html",
        text.replace(f"modelbom {__version__}", "modelbom VERSION"),
    )


def test_the_page_says_what_a_compliance_officer_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = scan_scenario("lora-llama-service", tmp_path, monkeypatch)
    doc = parse(render(result))
    assert doc.one("head").one("title").text() == "AI bill of materials: lora-llama-service"
    assert doc.one("h1").text() == "AI bill of materials: lora-llama-service"
    facts = doc.all("dl", class_="facts")[0].words()
    assert "Repository lora-llama-service" in facts
    assert f"Scanned with modelbom {__version__} (offline: local sources and caches only)" in facts
    assert "Generated" not in facts  # reproducible: no time
    # The verdict, prominent and first.
    banner = doc.by_id("verdict")
    assert banner.attrs["class"] == "banner v-violation"
    assert banner.words() == (
        "violation the declared use breaks at least one rule of the governing terms."
    )
    counts = {li.attrs["data-count"]: li.words() for li in doc.one("ul", class_="counts").all("li")}
    assert counts == {
        "components": "3 components",
        "v-violation": "3 violation",
        "v-review": "0 review",
        "v-allowed": "0 allowed",
        "unresolved": "0 unresolved",
        "unknowns": "0 could not be read",
    }
    policy = doc.all("dl", class_="facts")[1].words()
    assert "Policy modelbom.toml" in policy
    assert "monthly_active_users: 800,000,000" in policy
    assert "Training data warn (restrictive or unknown dataset terms" in policy
    # Governing terms: the dimension, its value, the license and who imposes it, with paths.
    terms = {
        tuple(td.words() for td in tr.all("td")[:3]): tr
        for tr in doc.by_id("terms-table").one("tbody").all("tr")
    }
    cap = terms[("user cap", "700,000,000", LLAMA)]
    cells = cap.all("td")
    assert (
        cells[3].words() == "model:meta-llama/Llama-3.1-8B, model:meta-llama/Llama-3.1-8B-Instruct"
    )
    assert cells[4].words() == "adapter:acme/support-lora, model:meta-llama/Llama-3.1-8B-Instruct"
    paths = [li.words() for li in cells[5].all("li")]
    assert (
        f"artifact -> adapter:acme/support-lora [Apache-2.0] -> model:meta-llama/Llama-3.1-8B-Instruct"
        f" [{LLAMA}] (adapter of) -> model:meta-llama/Llama-3.1-8B [{LLAMA}] (fine-tuned from)"
    ) in paths
    # Imposers link to their rows.
    imposer = cells[3].all("a")[0]
    assert doc.by_id(imposer.attrs["href"][1:]).tag == "tbody"
    (rule,) = [c for c in doc.one("ul", class_="rules").children if isinstance(c, Node)]
    assert rule.words().startswith(
        "violation user-cap: 800,000,000 monthly active users exceed the cap of 700,000,000"
    )
    # The components table: kind, id, revision, license, where it came from, verdict, where.
    table = rows(doc)
    assert sorted(table) == [
        "adapter:acme/support-lora",
        "model:meta-llama/Llama-3.1-8B",
        "model:meta-llama/Llama-3.1-8B-Instruct",
    ]
    lora = table["adapter:acme/support-lora"]
    assert lora.attrs["data-kind"] == "adapter"
    assert lora.attrs["data-verdict"] == "violation"
    texts = [td.words() for td in lora.one("tr", class_="main").all("td")]
    assert texts[0] == "adapter"
    assert texts[2] == "not pinned (license read at 22de58f2954e)"
    assert texts[3] == f"Apache-2.0; concluded: Apache-2.0 AND {LLAMA}"
    assert texts[4] == (
        "hf-cache at hf-cache:models--acme--support-lora/snapshots/"
        "22de58f2954e752bbe8917e346089c5a786c7fea/README.md"
    )
    assert texts[5:] == ["violation", "app.py:5"]
    assert table["model:meta-llama/Llama-3.1-8B"].one("tr", class_="main").all("td")[6].words() == (
        "lineage only"
    )
    # Each row expands to the explanation `modelbom explain` prints, and to its evidence.
    assert result.chain is not None
    (component,) = [c for c in result.components if c.id == "acme/support-lora"]
    verdict = result.chain.for_component(component.bom_ref)
    assert verdict is not None
    details = lora.one("tr", class_="more").one("details")
    assert "open" not in details.attrs
    assert details.one("pre").text() == "\n".join(explain_component(result, verdict, component))
    (evidence,) = details.one("ol", class_="evidence").all("li")
    assert evidence.words() == (
        "app.py:5:41 (code, python, confidence 1) model = PeftModel.from_pretrained(base,"
        ' "acme/support-lora")'
    )
    # The artifact's own explanation.
    assert doc.by_id("verdict").attrs["data-verdict"] == "violation"
    assert "artifact:lora-llama-service: violation (under modelbom.toml)" in doc.text()
    # Obligations, waivers, unresolved, unknowns.
    assert "attribution: display 'Built with Llama'" in doc.by_id("obligations").words()
    assert doc.by_id("waivers").words() == "Waivers No waiver is declared."
    assert doc.by_id("unresolved").words() == "Unresolved Every component was resolved."
    assert doc.by_id("unknowns").words() == "Could not be read Every listed file was read."
    assert not doc.all("section", id="groups")
    assert_self_contained(doc)


def test_the_lineage_graph_is_laid_out_by_depth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = parse(render(scan_scenario("lora-llama-service", tmp_path, monkeypatch)))
    svg = doc.by_id("lineage-graph")
    nodes = {g.attrs["data-node"]: g for g in svg.all("g", class_="node")}
    assert sorted(nodes) == [
        "adapter:acme/support-lora",
        "model:meta-llama/Llama-3.1-8B",
        "model:meta-llama/Llama-3.1-8B-Instruct",
    ]
    for label, node in nodes.items():
        assert node.attrs["class"] == "node v-violation"
        assert node.one("text", class_="name").text() == label
        # A box links to its row in the table.
        assert doc.by_id(node.one("a").attrs["href"][1:]).tag == "tbody"
    x = {label: int(node.one("rect").attrs["x"]) for label, node in nodes.items()}
    # The adapter, then what it adapts, then what that was fine-tuned from.
    assert (
        x["adapter:acme/support-lora"]
        < x["model:meta-llama/Llama-3.1-8B-Instruct"]
        < x["model:meta-llama/Llama-3.1-8B"]
    )
    edges = sorted(
        (p.attrs["data-relation"], p.one("title").text()) for p in svg.all("path", class_="edge")
    )
    assert edges == [
        (
            "adapter of",
            "adapter:acme/support-lora adapter of model:meta-llama/Llama-3.1-8B-Instruct",
        ),
        (
            "fine-tuned from",
            "model:meta-llama/Llama-3.1-8B-Instruct fine-tuned from model:meta-llama/Llama-3.1-8B",
        ),
    ]
    labels = sorted(t.text() for t in svg.all("text", class_="edge-label"))
    assert labels == ["adapter of", "fine-tuned from"]
    for path in svg.all("path", class_="edge"):
        assert path.attrs["marker-end"] == "url(#arrow)"
    assert svg.all("marker", id="arrow")


@pytest.mark.parametrize("name", ALL_SCENARIOS)
def test_every_scenario_renders_its_verdicts_and_lineage(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = scan_scenario(name, tmp_path, monkeypatch, today=date(2026, 6, 1))
    doc = parse(render(result))
    assert_self_contained(doc)
    chain = result.chain
    assert chain is not None
    assert doc.by_id("verdict").attrs["data-verdict"] == chain.artifact.verdict.value
    table = rows(doc)
    assert sorted(table) == sorted(component_label(c) for c in result.components)
    for component in result.components:
        verdict = chain.for_component(component.bom_ref)
        assert verdict is not None
        body = table[component_label(component)]
        assert body.attrs["id"] == f"c-{component.bom_ref}"
        assert body.attrs["data-verdict"] == verdict.verdict.value
        assert body.one("pre").text() == "\n".join(explain_component(result, verdict, component))
    # Every edge of the lineage the markdown report lists is drawn, with its relation.
    lineage = Lineage(result.components)
    expected = sorted(
        f"{component_label(c)} {relation} "
        + (
            component_label(parent)
            if parent
            else f"{'dataset' if relation == 'trained on' else 'model'}:{pid}"
        )
        for c in result.components
        for relation, pid, parent in lineage.parents(c)
    )
    drawn = sorted(p.one("title").text() for p in doc.all("path", class_="edge"))
    assert drawn == expected
    if expected:
        assert len(doc.by_id("lineage-graph").all("g", class_="node")) >= 2


def test_training_data_and_a_review_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = parse(render(scan_scenario("nc-finetune", tmp_path, monkeypatch)))
    (edge,) = [
        p for p in doc.all("path", class_="edge") if p.attrs["data-relation"] == "trained on"
    ]
    assert edge.one("title").text() == (
        "model-file:models/support-ft trained on dataset:acme/nc-instructions"
    )
    nodes = {g.attrs["data-node"]: g.attrs["class"] for g in doc.all("g", class_="node")}
    assert nodes["dataset:acme/nc-instructions"] == "node v-violation"
    assert nodes["model-file:models/support-ft"] == "node v-review"
    assert nodes["model:Qwen/Qwen2.5-0.5B"] == "node v-allowed"
    found = rows(doc)["dataset:acme/nc-instructions"].one("tr", class_="main").all("td")[6]
    assert found.words() == "models/support-ft/README.md:6 (not shipped)"


@pytest.mark.parametrize(
    ("today", "status", "lifted"),
    [(date(2026, 6, 1), "active", True), (date(2027, 1, 1), "expired", False)],
)
def test_waivers_show_whether_they_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, today: date, status: str, lifted: bool
) -> None:
    doc = parse(render(scan_scenario("flux-dev-waived", tmp_path, monkeypatch, today=today)))
    (waiver,) = doc.one("ul", class_="waivers").all("li")
    assert waiver.attrs["data-status"] == status
    assert waiver.words().startswith(
        f"{status} black-forest-labs/FLUX.1-dev: evaluation licence agreed with the licensor"
    )
    applied = doc.by_id("waivers").all("ul", class_="applied")
    if lifted:
        assert doc.by_id("verdict").attrs["data-verdict"] == "allowed"
        assert "model:black-forest-labs/FLUX.1-dev: commercial-use lifted by legal@example.com" in (
            applied[0].words()
        )
        assert rows(doc)["model:black-forest-labs/FLUX.1-dev"].one("td", data_sort="2").words() == (
            "allowed (waived)"
        )
    else:
        assert doc.by_id("verdict").attrs["data-verdict"] == "violation"
        assert not applied
        assert "No rule was lifted by a waiver." in doc.by_id("waivers").words()


def test_the_demo_repository_lists_unresolved_components_and_unreadable_files(
    tmp_path: Path,
) -> None:
    root = copy_fixture("finetune-app", tmp_path)
    result = scan(ScanOptions(root=root, offline=True, cache_dir=tmp_path / "cache"))
    doc = parse(render(result))
    assert_self_contained(doc)
    assert sorted(rows(doc)) == sorted(component_label(c) for c in result.components)
    assert result.unresolved
    unresolved = doc.by_id("unresolved").one("ul").all("li")
    assert [li.one("code").text() for li in unresolved] == [
        component_label(c) for c in sorted(result.unresolved, key=lambda c: c.key)
    ]
    assert all(li.words().split(": ", 1)[1] for li in unresolved)  # each with its reason
    unknowns = [
        [td.words() for td in tr.all("td")]
        for tr in doc.by_id("unknowns-table").one("tbody").all("tr")
    ]
    assert [u[:2] for u in unknowns] == [["src/finetune_app/broken.py", "crawl"]]
    assert unknowns[0][2].startswith("python: not valid Python")
    assert (
        "Policy the default use profile (no policy was declared"
        in doc.all("dl", class_="facts")[1].words()
    )
    assert f"{len(result.unknowns)} could not be read" in doc.one("ul", class_="counts").words()


# -- escaping ---------------------------------------------------------------------------------

RLO = "\u202e"
HOSTILE_ID = f'evil/<script>alert("x")</script>\'" onmouseover="alert(1)\x1b[31m{RLO}fdp.exe'
HOSTILE_FILE = f'src/<img src=x onerror=alert(1)>{RLO}gnp.py"\x00\x07'


def _hostile_result(*, chain: bool) -> ScanResult:
    evil = Component(
        kind=Kind.MODEL,
        id=HOSTILE_ID,
        revision='v1"><b>',
        licenses=(
            LicenseClaim(
                raw="<i>MIT</i>",
                expression="MIT",
                source="hub</td><td>",
                location="javascript:alert(1)",
            ),
        ),
        base_models=(BaseModelRef(id=f"base/</svg><script>x()</script>{RLO}", source="card"),),
        evidence=(
            Evidence(file=HOSTILE_FILE, line=3, snippet="x = '</pre><script>'", crawler="python"),
        ),
        resolution=Resolution(status=ResolutionStatus.RESOLVED, source="hub"),
    )
    lost = Component(
        kind=Kind.DATASET,
        id="acme/lost\u2066\u2069",
        evidence=(Evidence(file="data.yaml", line=1, crawler="config"),),
        resolution=Resolution(reason="offline </li><script>bad()</script>\nnot cached"),
    )
    report = None
    if chain:
        verdict = ComponentVerdict(
            component=component_label(evil),
            bom_ref=evil.bom_ref,
            governing=PERMISSIVE,
            verdict=Verdict.VIOLATION,
            rules=(
                RuleResult(
                    rule="deny-list", verdict=Verdict.VIOLATION, message="<b>MIT</b> is denied"
                ),
            ),
        )
        report = ChainReport(
            policy_source='pol"icy.toml',
            use={"commercial": "<true>"},
            artifact=verdict.model_copy(update={"component": "artifact:repo", "bom_ref": "root"}),
            components=(verdict,),
            waivers=("<script>w()</script>: reason (approved by a, until 2030-01-01)",),
        )
    return ScanResult(
        tool_version="0",
        source=SourceInfo(
            name="repo<script>", commit="abc", branch='main"><x', remote_url="javascript:alert(1)"
        ),
        components=(lost, evil),
        unknowns=(Unknown(file="bad</td>.py", stage=Stage.CRAWL, reason=f"broken <script>{RLO}x"),),
        chain=report,
        group_by="package",
        groups=(Group(name="<script>g()</script>", path='pkg"/a', components=(evil.bom_ref,)),),
    )


@pytest.mark.parametrize("chain", [True, False])
def test_no_string_from_the_repository_becomes_markup(chain: bool) -> None:
    text = render(_hostile_result(chain=chain))
    doc = parse(text)
    assert_self_contained(doc)
    # The only script is the page's own; no element or attribute came from the data.
    (script,) = doc.all("script")
    assert "alert" not in script.text()
    tags = {n.tag for n in doc.iter()}
    assert tags.isdisjoint({"img", "i", "b", "x"})
    # Bidirectional overrides and control characters are shown, never applied.
    for raw in (RLO, "\x1b", "\x00", "\x07", "\u2066", "\u2069"):
        assert raw not in text
    row = rows(doc)
    evil_label = next(label for label in row if label.startswith("model:evil"))
    assert evil_label == (
        'model:evil/<script>alert("x")</script>\'" onmouseover="alert(1)\\x1b[31m\\u202efdp.exe'
    )
    evil = row[evil_label]
    assert evil.one("tr", class_="main").all("td")[2].words() == 'v1"><b>'
    assert (
        evil.one("tr", class_="main").all("td")[4].words() == "hub</td><td> at javascript:alert(1)"
    )
    evidence = evil.one("ol", class_="evidence").one("li")
    assert (
        evidence.all("code")[0].text()
        == 'src/<img src=x onerror=alert(1)>\\u202egnp.py"\\x00\\x07:3:1'
    )
    assert evidence.all("code")[1].text() == "x = '</pre><script>'"
    assert "acme/lost\\u2066\\u2069" in doc.text()
    assert doc.by_id("unresolved").one("li").words() == (
        "dataset:acme/lost\\u2066\\u2069: offline </li><script>bad()</script>\\x0anot cached"
    )
    (unknown,) = doc.by_id("unknowns-table").one("tbody").all("tr")
    assert [td.text() for td in unknown.all("td")] == [
        "bad</td>.py",
        "crawl",
        "broken <script>\\u202ex",
    ]
    # The lineage node of a base with markup in its id is text in the SVG.
    names = [t.text() for t in doc.all("text", class_="name")]
    assert any(n.startswith("model:base/</svg><script>") for n in names)
    assert doc.one("h1").text() == "AI bill of materials: repo<script>"
    facts = doc.all("dl", class_="facts")[0].words()
    assert "Remote javascript:alert(1)" in facts and 'Branch main"><x' in facts
    assert doc.by_id("groups").one("h3").words() == "<script>g()</script> (1 component)"
    if chain:
        assert 'Policy pol"icy.toml' in doc.all("dl", class_="facts")[1].words()
        assert (
            doc.by_id("waivers")
            .one("ul", class_="waivers")
            .one("li")
            .words()
            .startswith("active <script>w()</script>: reason")
        )
    else:
        assert doc.by_id("verdict").words().startswith("Not computed")
        assert "The license chain was not computed" in doc.by_id("terms").words()


# -- groups, cycles, determinism ---------------------------------------------------------------


def _model(model_id: str, *bases: str, file: str | None = None) -> Component:
    return Component(
        kind=Kind.MODEL,
        id=model_id,
        base_models=tuple(
            BaseModelRef(id=b, relation=Relation.FINETUNE, source="card") for b in bases
        ),
        evidence=(Evidence(file=file, line=1, crawler="python"),) if file else (),
        resolution=Resolution(status=ResolutionStatus.RESOLVED, source="hub"),
    )


def test_one_section_per_sub_project() -> None:
    api, web, shared = (
        _model("acme/api", file="api/app.py"),
        _model("acme/web", file="web/app.py"),
        _model("acme/shared", file="api/x.py"),
    )
    result = ScanResult(
        tool_version="0",
        source=SourceInfo(name="mono"),
        components=(api, shared, web),
        group_by="package",
        groups=(
            Group(name="web", path="web", components=(web.bom_ref,)),
            Group(name="api", path="api", components=tuple(sorted((api.bom_ref, shared.bom_ref)))),
            Group(name="rest", path=".", components=()),
        ),
    )
    doc = parse(render(result))
    sections = doc.by_id("groups").all("section", class_="group")
    assert [s.attrs["data-group"] for s in sections] == [".", "api", "web"]
    assert [s.one("h3").words() for s in sections] == [
        "rest (0 components)",
        "api (2 components)",
        "web (1 component)",
    ]
    assert sections[0].words().endswith("No component.")
    links = {a.words(): a.attrs["href"] for a in sections[1].all("a")}
    assert links == {
        "model:acme/api": f"#c-{api.bom_ref}",
        "model:acme/shared": f"#c-{shared.bom_ref}",
    }
    assert "(grouped by package)" in doc.by_id("groups").words()
    assert "Grouped by package" in doc.all("dl", class_="facts")[0].words()


def test_a_cycle_in_the_lineage_is_drawn_backwards_and_the_page_is_stable() -> None:
    # a -> b -> c -> a, and d derives from itself: a card can say anything.
    components = (
        _model("acme/a", "acme/b", file="app.py"),
        _model("acme/b", "acme/c"),
        _model("acme/c", "acme/a"),
        _model("acme/d", "acme/d", "acme/missing", file="d.py"),
    )
    result = ScanResult(tool_version="0", source=SourceInfo(name="r"), components=components)
    text = render(result)
    doc = parse(text)
    edges = sorted(p.one("title").text() for p in doc.all("path", class_="edge"))
    assert edges == [
        "model:acme/a fine-tuned from model:acme/b",
        "model:acme/b fine-tuned from model:acme/c",
        "model:acme/c fine-tuned from model:acme/a",
        "model:acme/d fine-tuned from model:acme/d",
        "model:acme/d fine-tuned from model:acme/missing",
    ]
    missing = doc.one("g", data_node="model:acme/missing")
    assert missing.attrs["class"] == "node v-none missing"
    assert not missing.all("a")  # not in the scan: nothing to link to
    # Reversing the input changes nothing.
    reordered = result.model_copy(update={"components": tuple(reversed(components))})
    assert render(reordered) == text


def test_the_page_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = render(scan_scenario("lora-llama-service", tmp_path / "a", monkeypatch))
    second = render(scan_scenario("lora-llama-service", tmp_path / "b", monkeypatch))
    assert first == second


def test_the_time_appears_only_outside_reproducible_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _hostile_result(chain=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    facts = parse(render(result, reproducible=False)).all("dl", class_="facts")[0].words()
    assert re.search(r"Generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", facts)
    assert "Generated" not in parse(render(result)).all("dl", class_="facts")[0].words()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    facts = parse(render(result)).all("dl", class_="facts")[0].words()
    assert "Generated 2023-11-14T22:13:20+00:00" in facts


def test_html_from_the_command_line_is_byte_identical_across_runs(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(SCENARIOS / "lora-llama-service", root)
    env = {"HF_HUB_CACHE": str(SCENARIOS / "hf-cache")}
    outputs = []
    for seed in ("1", "2"):
        target = tmp_path / f"report-{seed}.html"
        proc = run_cli(
            "scan", ".", "--offline", "--reproducible", "-o", f"html={target}",
            "-o", f"markdown={tmp_path / f'r-{seed}.md'}",
            cwd=root, env={**env, "PYTHONHASHSEED": seed},
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr  # the declared use is a violation
        assert f"wrote {target} (html)" in proc.stderr
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    assert b'<div class="banner v-violation" id="verdict"' in outputs[0]
    assert "html" in {f.value for f in OutputFormat}
    assert (
        emitter_for(OutputFormat.HTML)
        .emit(_hostile_result(chain=False), EmitOptions(reproducible=True))
        .startswith(b'<!DOCTYPE html>\n<html lang="en">')
    )


# -- in a browser -----------------------------------------------------------------------------


def test_without_chromium_the_browser_tests_fail_under_ci_and_skip_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"is missing\): `make chromium` installs it"):
        chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        chromium()


def _report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, ScanResult]:
    result = scan_scenario("lora-llama-service", tmp_path, monkeypatch)
    page = tmp_path / "report.html"
    page.write_bytes(HtmlEmitter().emit(result, EmitOptions(reproducible=True)))
    return page, result


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_person_sees_the_verdict_the_graph_and_the_table_in_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = chromium()
    page, _ = _report(tmp_path, monkeypatch)
    # The DOM after the script ran.
    dumped = run_once(browser, tmp_path / "profile-dom", ["--dump-dom", page.as_uri()])
    assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    dom = parse("<!DOCTYPE html>" + dumped.stdout.decode("utf-8"))
    assert dom.by_id("verdict").one("span", class_="word").text() == "violation"
    assert "hidden" not in dom.by_id("filters").attrs  # the script ran
    assert dom.by_id("shown").text() == "Showing 3 of 3 components"
    assert [b.attrs["id"].split("-")[1] for b in dom.by_id("components").all("tbody")] == [
        "adapter",
        "model",
        "model",
    ]
    headers = [th.one("button").text() for th in dom.by_id("components").one("thead").all("th")]
    assert headers == [
        "Kind",
        "Component",
        "Revision",
        "License",
        "License source",
        "Verdict",
        "Found at",
    ]
    svg = dom.by_id("lineage-graph")
    assert len(svg.all("g", class_="node")) == 3
    assert len(svg.all("path", class_="edge")) == 2
    # What it looks like.
    shot = tmp_path / "report.png"
    taken = run_once(
        browser,
        tmp_path / "profile-shot",
        [f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars", page.as_uri()],
    )
    assert taken.returncode == 0, taken.stderr.decode(errors="replace")[-2000:]
    print(f"screenshot of the report: {shot}")
    data = shot.read_bytes()
    assert _png_size(data) == (1280, 2000)
    assert len(data) > 50_000  # text, tables and colour, not a blank page


_ORDER = "Array.from(document.querySelectorAll('#components tbody')).map(b => b.id)"
_VISIBLE = (
    "Array.from(document.querySelectorAll('#components tbody')).filter(b => !b.hidden)"
    ".map(b => b.id)"
)


def test_sorting_filtering_and_no_network_in_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = chromium()
    page, result = _report(tmp_path, monkeypatch)
    refs = {c.id: f"c-{c.bom_ref}" for c in result.components}
    lora, instruct, base = (
        refs["acme/support-lora"],
        refs["meta-llama/Llama-3.1-8B-Instruct"],
        refs["meta-llama/Llama-3.1-8B"],
    )
    with DevTools(browser, tmp_path / "profile") as tools:
        tools.open_page()
        tools.call(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        tools.navigate(page.as_uri())
        requested = [
            e["params"]["request"]["url"]
            for e in tools.events
            if e["method"] == "Network.requestWillBeSent"
        ]
        assert requested == [page.as_uri()]  # the page itself, nothing else
        assert tools.evaluate(_ORDER) == [lora, base, instruct]
        # Sort by component id: ascending, then descending.
        tools.click("#components thead th:nth-child(2) button")
        assert tools.evaluate(_ORDER) == [lora, base, instruct]
        assert (
            tools.evaluate(
                "document.querySelector('#components thead th:nth-child(2)').getAttribute('aria-sort')"
            )
            == "ascending"
        )
        tools.click("#components thead th:nth-child(2) button")
        assert tools.evaluate(_ORDER) == [instruct, base, lora]
        # Sort by where it is found: app.py:4, app.py:5, then lineage only.
        tools.click("#components thead th:nth-child(7) button")
        assert tools.evaluate(_ORDER) == [instruct, lora, base]
        # Filter by text, then by kind; the count follows.
        tools.type_into("#filter-text", "INSTRUCT")
        assert tools.evaluate(_VISIBLE) == [instruct]
        assert tools.evaluate("document.getElementById('shown').textContent") == (
            "Showing 1 of 3 components"
        )
        tools.evaluate("document.getElementById('filter-text').value = ''")
        tools.evaluate(
            "(() => { const s = document.getElementById('filter-kind'); s.value = 'adapter';"
            " s.dispatchEvent(new Event('change')); })()"
        )
        assert tools.evaluate(_VISIBLE) == [lora]
        tools.evaluate(
            "(() => { const s = document.getElementById('filter-kind'); s.value = '';"
            " const v = document.getElementById('filter-verdict'); v.value = 'allowed';"
            " v.dispatchEvent(new Event('change')); })()"
        )
        assert tools.evaluate(_VISIBLE) == []
        assert tools.evaluate("document.getElementById('shown').textContent") == (
            "Showing 0 of 3 components"
        )
        # A box of the graph leads to its row and opens the explanation.
        tools.click(f"#lineage-graph a[href='#{base}'] rect")
        assert tools.wait_until(f"location.hash === '#{base}'")
        assert tools.wait_until(f"document.getElementById('{base}').querySelector('details').open")
        # The script ran under the policy, and nothing was blocked or thrown.
        problems = [
            e for e in tools.events if e["method"] in ("Runtime.exceptionThrown", "Log.entryAdded")
        ]
        assert problems == []
        requested = [
            e["params"]["request"]["url"]
            for e in tools.events
            if e["method"] == "Network.requestWillBeSent"
        ]
        assert set(requested) <= {page.as_uri()}

        # Without JavaScript the page is still whole: every row, the controls hidden.
        tools.call("Emulation.setScriptExecutionDisabled", {"value": True})
        tools.navigate(page.as_uri())
        assert tools.evaluate("document.querySelectorAll('#components tbody').length") == 3
        assert tools.evaluate("document.getElementById('filters').hidden") is True
        # What a reader sees (the word is set in capitals by the style sheet).
        assert tools.evaluate("document.getElementById('verdict').innerText").startswith(
            "VIOLATION the declared use breaks"
        )
        tools.call("Emulation.setScriptExecutionDisabled", {"value": False})

        # The policy is what lets the script run: a page whose script differs is blocked.
        tampered = tmp_path / "tampered.html"
        tampered.write_text(page.read_text().replace('"use strict";', '"use strict"; '))
        tools.navigate(tampered.as_uri())
        assert tools.evaluate("document.getElementById('filters').hidden") is True
        messages = [
            e["params"]["entry"]["text"] for e in tools.events if e["method"] == "Log.entryAdded"
        ]
        assert any("Content Security Policy" in m for m in messages), messages

        # The network observation itself works: a page that does load something is seen.
        control = tmp_path / "control.html"
        control.write_text('<!DOCTYPE html><img src="http://example.invalid/x.png">')
        tools.navigate(control.as_uri())
        seen = [
            e["params"]["request"]["url"]
            for e in tools.events
            if e["method"] == "Network.requestWillBeSent"
        ]
        assert "http://example.invalid/x.png" in seen
