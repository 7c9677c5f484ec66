"""The ``markdown`` format: a compliance report, rendered from the real engine on the
scenario fixtures; golden for ``lora-llama-service``."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from modelbom import __version__
from modelbom.emit.base import EmitOptions
from modelbom.emit.markdown import MarkdownEmitter, code, escape_item, escape_text
from modelbom.engine import scan
from modelbom.licenses.terms import PERMISSIVE
from modelbom.model import (
    Component,
    Evidence,
    Kind,
    LicenseClaim,
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
from tests.support import FIXTURES, check_golden

SCENARIOS = FIXTURES / "scenarios"
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")


@pytest.fixture(autouse=True)
def _hf_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(SCENARIOS / "hf-cache"))


def render(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, today: date | None = None
) -> str:
    """Scan a copy of the scenario with its own policy, given as the CLI gives it from
    the repository's folder (``modelbom.toml``), and render the report."""
    root = tmp_path / name
    shutil.copytree(SCENARIOS / name, root)
    monkeypatch.chdir(root)
    policy = load_policy(Path("modelbom.toml")) if (root / "modelbom.toml").exists() else None
    result = scan(
        ScanOptions(
            root=root, offline=True, cache_dir=tmp_path / "cache", policy=policy, today=today
        )
    )
    return MarkdownEmitter().emit(result, EmitOptions()).decode("utf-8")


def table_rows(text: str) -> list[list[str]]:
    """Each table row's cells, split where GFM splits them (on unescaped pipes)."""
    return [_UNESCAPED_PIPE.split(line)[1:-1] for line in text.splitlines() if line.startswith("|")]


def outside_code(text: str) -> str:
    """*text* without its code spans, where nothing is markup."""
    return _CODE_SPAN.sub("", text)


def assert_tables_are_rectangular(text: str) -> None:
    blocks: list[list[str]] = []
    previous = False
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous:
                blocks.append([])
            blocks[-1].append(line)
        previous = line.startswith("|")
    assert blocks
    for block in blocks:
        widths = {len(_UNESCAPED_PIPE.split(line)) for line in block}
        assert len(widths) == 1, block


def test_golden_report_of_a_lora_on_llama_in_a_large_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = render("lora-llama-service", tmp_path, monkeypatch)
    assert f"modelbom {__version__} " in text
    text = text.replace(f"modelbom {__version__} ", "modelbom VERSION ")
    check_golden("scenario-lora-llama-service.md", text)


def test_the_report_says_what_a_compliance_officer_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = render("lora-llama-service", tmp_path, monkeypatch)
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Verdict",
        "## Governing terms",
        "## Rules",
        "## Components",
        "## Lineage",
        "## Unresolved",
        "## Could not be read",
        "## Waivers",
        "## Obligations",
    ]
    assert text.startswith("# AI bill of materials: lora-llama-service\n")
    assert "**Violation**" in text
    assert "- Policy: `modelbom.toml`" in text
    assert "  - `monthly_active_users`: 800,000,000" in text
    assert (
        "- **violation** `user-cap`: 800,000,000 monthly active users exceed the cap of"
        " 700,000,000" in text
    )
    assert (
        "| user cap | 700,000,000 | `LicenseRef-scancode-llama-3.1-license-2024` |"
        " `model:meta-llama/Llama-3.1-8B`, `model:meta-llama/Llama-3.1-8B-Instruct` |"
        " `adapter:acme/support-lora`, `model:meta-llama/Llama-3.1-8B-Instruct` |" in text
    )
    assert (
        "- `adapter:acme/support-lora [Apache-2.0]`\n"
        "  - adapter of `model:meta-llama/Llama-3.1-8B-Instruct"
        " [LicenseRef-scancode-llama-3.1-license-2024]`\n"
        "    - fine-tuned from `model:meta-llama/Llama-3.1-8B"
        " [LicenseRef-scancode-llama-3.1-license-2024]`\n"
    ) in text
    assert (
        "`Apache-2.0`; concluded: `Apache-2.0 AND LicenseRef-scancode-llama-3.1-license-2024`"
        in text
    )
    assert_tables_are_rectangular(text)
    assert "<" not in outside_code(text)  # no HTML


def test_the_report_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = render("lora-llama-service", tmp_path / "a", monkeypatch)
    second = render("lora-llama-service", tmp_path / "b", monkeypatch)
    assert first == second


def test_a_waived_rule_is_marked_and_the_waiver_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = render("flux-dev-waived", tmp_path, monkeypatch, today=date(2026, 6, 1))
    assert "**Allowed**: every rule of the declared use is met." in text
    assert "- **waived** `commercial-use`: commercial use is not allowed" in text
    assert (
        "  - waived: legal@example.com, until 2026-06-30: evaluation licence agreed with the"
        " licensor for 2026" in text
    )
    assert (
        "- black-forest-labs/FLUX.1-dev: evaluation licence agreed with the licensor for 2026"
        " (approved by legal@example.com, until 2026-06-30)" in text
    )
    assert "| allowed (waived) |" in text


def test_without_a_policy_the_default_use_profile_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = render("nc-finetune", tmp_path, monkeypatch)
    assert "- Policy: default use profile (no policy was declared" in text
    assert "- **review** `training-data`" in text
    assert "  - trained on `dataset:acme/nc-instructions [CC-BY-NC-4.0]`" in text


def _hostile_result(*, chain: bool) -> ScanResult:
    evil = Component(
        kind=Kind.MODEL,
        id="evil|org/<b>model</b>\n# heading",
        revision="v1|2",
        licenses=(LicenseClaim(raw="a|b", expression="MIT", source="hub", location="x|y\nz"),),
        evidence=(Evidence(file="src/a|b.py", line=3, crawler="python"),),
        resolution=Resolution(status=ResolutionStatus.RESOLVED, source="hub"),
    )
    lost = Component(
        kind=Kind.DATASET,
        id="acme/lost",
        evidence=(Evidence(file="data.yaml", line=1, crawler="config"),),
        resolution=Resolution(reason="offline | not\ncached"),
    )
    report = None
    if chain:
        verdict = ComponentVerdict(
            component="model:evil|org",
            bom_ref=evil.bom_ref,
            governing=PERMISSIVE,
            verdict=Verdict.VIOLATION,
            rules=(
                RuleResult(rule="deny-list", verdict=Verdict.VIOLATION, message="MIT | denied"),
            ),
        )
        report = ChainReport(
            artifact=verdict.model_copy(update={"component": "artifact:repo", "bom_ref": "root"}),
            components=(verdict,),
            waivers=("1. first | waiver",),
        )
    return ScanResult(
        tool_version="0",
        source=SourceInfo(name="repo|x"),
        components=(lost, evil),
        unknowns=(Unknown(file="bad|file.py", stage=Stage.CRAWL, reason="broken | really\nso"),),
        chain=report,
    )


@pytest.mark.parametrize("chain", [True, False])
def test_tables_escape_pipes_and_line_breaks(chain: bool) -> None:
    text = MarkdownEmitter().emit(_hostile_result(chain=chain), EmitOptions()).decode()
    assert_tables_are_rectangular(text)
    rows = table_rows(text)
    (evil_row,) = [r for r in rows if "evil" in "".join(r)]
    assert evil_row[1].strip() == "`evil\\|org/<b>model</b> # heading`"
    assert evil_row[2].strip() == "`v1\\|2`"
    (unknown_row,) = [r for r in rows if "bad" in "".join(r)]
    assert [c.strip() for c in unknown_row] == ["`bad\\|file.py`", "crawl", "broken \\| really so"]
    # No line of the report starts a heading, a quote or HTML that the data brought in.
    assert not any(line.startswith(("# heading", "<", ">")) for line in text.splitlines())
    assert "<" not in outside_code(text)
    assert "- `dataset:acme/lost`: offline \\| not cached" not in text  # pipes outside tables
    assert "- `dataset:acme/lost`: offline | not cached" in text
    if chain:
        assert "Path: `artifact -> model:evil|org/<b>model</b> # heading`" in text
        assert "- 1\\. first | waiver" in text
    else:
        assert text.count("The license chain was not computed for this scan") == 5


def test_escaping_helpers() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code(" padded ") == "`  padded  `"
    assert code("") == "(empty)"
    assert escape_text("*x* [y](z) <i>&amp; ~~s~~ $m$ \\") == (
        "\\*x\\* \\[y\\](z) \\<i\\>\\&amp; \\~\\~s\\~\\~ \\$m\\$ \\\\"
    )
    assert escape_text("one\ntwo\r\nthree\u2028four") == "one two three four"
    assert escape_item("# not a heading") == "\\# not a heading"
    assert escape_item("- not a list") == "\\- not a list"
    assert escape_item("12) not ordered") == "12\\) not ordered"
    assert escape_item("> not a quote") == "\\> not a quote"


def test_a_term_imposed_by_many_components_names_five_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    lines = [f'AutoModel.from_pretrained("acme/model-{i}")' for i in range(7)]
    (tmp_path / "app.py").write_text("\n".join(lines) + "\n")
    result = scan(ScanOptions(root=tmp_path, offline=True, cache_dir=tmp_path / "cache"))
    report = MarkdownEmitter().emit(result, EmitOptions()).decode("utf-8")
    (row,) = [line for line in report.splitlines() if line.startswith("| license | unknown")]
    imposed = row.split(" | ")[3]
    assert imposed.count("`model:acme/model-") == 5
    assert imposed.endswith("and 2 more")
    # The component table still lists all seven.
    assert report.count("| model | `acme/model-") == 7
