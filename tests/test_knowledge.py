"""The license knowledge base: it loads, covers every id the normaliser produces, and says
what the license texts say on the points a user would notice."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

import pytest
from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

from modelbom.licenses import knowledge
from modelbom.licenses.knowledge import (
    CATEGORIES,
    CIVITAI_LICENSE,
    DIMENSIONS,
    KnowledgeBaseError,
    all_entries,
    entry_for,
    parse_document,
    terms_for,
    terms_for_civitai,
)
from modelbom.licenses.normalize import normalize_license
from modelbom.licenses.terms import UNKNOWN_TERMS, Flag, Permission, Terms

SPDX = get_spdx_licensing()

# Reviewed: ids of these shapes name licenses nobody identified; they resolve to an entry
# of category "unknown" that states nothing.
REVIEWED_UNKNOWN_PREFIXES = ("LicenseRef-modelbom-other", "LicenseRef-modelbom-unknown")


def _json(package: str, name: str) -> dict[str, Any]:
    text = resources.files(package).joinpath("data", name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _license_keys(expression: str) -> list[str]:
    parsed = SPDX.parse(expression, validate=False, strict=True)
    return [str(key) for key in SPDX.license_keys(parsed)]


def _normaliser_expressions() -> set[str]:
    """Every expression the normaliser's tables can produce."""
    tables = _json("modelbom.licenses", "hf_licenses.json")
    found: set[str] = set()
    for section in ("hub_ids", "names", "links"):
        for entry in tables[section].values():
            if entry["expression"] is not None:
                found.add(entry["expression"])
    found.update(str(value) for value in tables["aliases"].values())
    return found


def _resolver_expressions() -> set[str]:
    """Expressions the resolvers write themselves (hosted providers, CivitAI)."""
    providers = _json("modelbom.resolvers", "providers.json")
    found = {provider["license"] for provider in providers["providers"].values()}
    found.update(
        family["expression"]
        for family in providers["families"].values()
        if family.get("expression")
    )
    found.add(CIVITAI_LICENSE)
    bases = _json("modelbom.resolvers", "civitai_base_models.json")["base_models"]
    for base in bases.values():
        expression, _ = normalize_license(
            base["license"], name=base.get("license_name"), link=base.get("license_link")
        )
        if expression is not None:
            found.add(expression)
    return found


def _all_ids() -> list[str]:
    ids = {
        key for e in _normaliser_expressions() | _resolver_expressions() for key in _license_keys(e)
    }
    return sorted(ids)


def _fact(entry_id: str, dimension: str) -> knowledge.Fact:
    entry = entry_for(entry_id)
    assert entry is not None, entry_id
    (fact,) = [fact for fact in entry.facts if fact.dimension == dimension]
    return fact


# -- loading --------------------------------------------------------------------------


def test_every_entry_loads_and_validates() -> None:
    entries = all_entries()
    assert len(entries) > 100
    assert len({entry.id for entry in entries}) == len(entries)
    for entry in entries:
        assert entry.category in CATEGORIES, entry.id
        assert dt.date.fromisoformat(entry.checked) <= dt.date(2030, 1, 1), entry.id
        assert entry.name, entry.id
        assert entry.url is None or entry.url.startswith("https://"), entry.id
        dimensions = [fact.dimension for fact in entry.facts]
        assert len(set(dimensions)) == len(dimensions), entry.id
        assert set(dimensions) <= set(DIMENSIONS), entry.id
        assert entry.terms == knowledge.terms_from_facts(entry.facts), entry.id


def test_every_stated_fact_has_an_https_source() -> None:
    for entry in all_entries():
        for fact in entry.facts:
            assert fact.source.startswith("https://"), (entry.id, fact.dimension)
            assert len(fact.source) > len("https://x"), (entry.id, fact.dimension)


def test_the_file_loads_once() -> None:
    assert knowledge._entries() is knowledge._entries()


def test_every_id_the_normaliser_and_resolvers_produce_has_an_entry() -> None:
    missing = [
        key
        for key in _all_ids()
        if entry_for(key) is None and not key.startswith(REVIEWED_UNKNOWN_PREFIXES)
    ]
    assert missing == []


def test_every_hub_expression_and_alias_is_covered() -> None:
    for expression in sorted(_normaliser_expressions()):
        for key in _license_keys(expression):
            assert entry_for(key) is not None, (expression, key)


@pytest.mark.parametrize(
    "license_id",
    [
        "LicenseRef-modelbom-other",
        "LicenseRef-modelbom-other-sdxl-0.9-research-license",
        "LicenseRef-modelbom-unknown",
        "LicenseRef-modelbom-unknown-some-text",
    ],
)
def test_reviewed_unknowns_are_unknown(license_id: str) -> None:
    entry = entry_for(license_id)
    assert entry is not None
    assert entry.id == license_id
    assert entry.category == "unknown"
    assert entry.facts == ()
    assert entry.terms == UNKNOWN_TERMS


def test_an_id_without_an_entry_is_unknown() -> None:
    assert entry_for("LicenseRef-someone-else") is None
    assert terms_for("LicenseRef-someone-else") == UNKNOWN_TERMS
    assert entry_for("LicenseRef-modelbom-otherwise") is None


# -- malformed data raises at load ----------------------------------------------------

_GOOD = """
X-1.0:
  name: X
  category: permissive
  url: https://example.org/x
  checked: 2026-11-23
  terms:
    commercial_use: {value: allowed, source: "https://example.org/x"}
"""


def test_a_well_formed_document_parses() -> None:
    entries = parse_document(_GOOD)
    assert entries["X-1.0"].terms.commercial_use is Permission.ALLOWED
    assert entries["X-1.0"].checked == "2026-11-23"


@pytest.mark.parametrize(
    "bad",
    [
        "[]",
        "X: 1",
        "X: {name: X, category: permissive, checked: 2026-11-23, extra: 1}",
        "X: {name: X, category: free, checked: 2026-11-23}",
        "X: {name: X, category: permissive}",
        "X: {name: X, category: permissive, checked: 'last week'}",
        "X: {name: X, category: permissive, checked: 2026-02-30}",
        "X: {name: X, category: permissive, checked: 2026-11-23, url: 'http://x.org'}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {colour: {value: red, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {commercial_use: {value: maybe, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {commercial_use: {value: unknown, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {commercial_use: {value: true, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {commercial_use: {value: allowed, source: 'http://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {commercial_use: {value: allowed}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {user_cap: {value: -1, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {user_cap: {value: lots, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {share_alike: {value: [souls], source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {attribution: {value: credit, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {user_cap_known: {value: true, source: 'https://x.org'}}}",
        "X: {name: X, category: permissive, checked: 2026-11-23, terms: {claims_output_rights: {value: unknown, source: 'https://x.org'}}}",
        "X: [unclosed",
    ],
)
def test_a_malformed_entry_raises(bad: str) -> None:
    with pytest.raises(KnowledgeBaseError):
        parse_document(bad)


def test_unquoted_yes_no_and_null_caps() -> None:
    entries = parse_document(
        "X:\n  name: X\n  category: rail\n  checked: 2026-11-23\n  terms:\n"
        "    restrictions_flow_down: {value: yes, source: 'https://x.org'}\n"
        "    output_training_restricted: {value: no, source: 'https://x.org'}\n"
        "    user_cap: {value: null, source: 'https://x.org'}\n"
    )
    terms = entries["X"].terms
    assert terms.restrictions_flow_down is Flag.YES
    assert terms.output_training_restricted is Flag.NO
    assert terms.user_cap is None
    assert terms.user_cap_known is True
    assert terms.revenue_cap_known is False


# -- what a user would notice ---------------------------------------------------------

_FULLY_KNOWN = ("MIT", "Apache-2.0")


@pytest.mark.parametrize("license_id", _FULLY_KNOWN)
def test_mit_and_apache_are_fully_permissive_and_known(license_id: str) -> None:
    terms = terms_for(license_id)
    assert terms.commercial_use is Permission.ALLOWED
    assert terms.distribution is Permission.ALLOWED
    assert terms.network_service is Permission.ALLOWED
    assert terms.user_cap_known and terms.user_cap is None
    assert terms.revenue_cap_known and terms.revenue_cap_usd is None
    assert terms.use_restrictions == frozenset()
    assert terms.share_alike == frozenset()
    for name in (
        "restrictions_flow_down",
        "source_disclosure_on_network_use",
        "output_training_restricted",
        "api_serving_restricted",
        "claims_output_rights",
    ):
        assert getattr(terms, name) is Flag.NO, name
    entry = entry_for(license_id)
    assert entry is not None
    assert {fact.dimension for fact in entry.facts} == set(DIMENSIONS)


def test_llama_3_1_user_cap_and_acceptable_use_policy() -> None:
    terms = terms_for("LicenseRef-scancode-llama-3.1-license-2024")
    assert terms.user_cap == 700_000_000
    assert terms.user_cap_known
    assert terms.commercial_use is Permission.CONDITIONAL
    assert "llama-3.1-acceptable-use-policy" in terms.use_restrictions
    assert terms.restrictions_flow_down is Flag.YES
    assert "display 'Built with Llama'" in terms.attribution
    assert "derivative model names start with 'Llama'" in terms.attribution
    assert "700 million" in (
        _fact("LicenseRef-scancode-llama-3.1-license-2024", "user_cap").note or ""
    )


@pytest.mark.parametrize(
    "license_id",
    [
        "LicenseRef-scancode-llama-2-license-2023",
        "LicenseRef-modelbom-llama3",
        "LicenseRef-scancode-llama-3.1-license-2024",
        "LicenseRef-scancode-llama-3.2-license-2024",
        "LicenseRef-scancode-llama-3.3-license-2024",
        "LicenseRef-scancode-llama-4-cla-2025",
    ],
)
def test_every_llama_license_has_the_700_million_cap(license_id: str) -> None:
    terms = terms_for(license_id)
    assert terms.user_cap == 700_000_000
    assert terms.restrictions_flow_down is Flag.YES
    assert len(terms.use_restrictions) == 1


def test_llama_2_and_3_restrict_training_on_outputs_but_3_1_does_not() -> None:
    assert (
        terms_for("LicenseRef-scancode-llama-2-license-2023").output_training_restricted is Flag.YES
    )
    assert terms_for("LicenseRef-modelbom-llama3").output_training_restricted is Flag.YES
    llama31 = terms_for("LicenseRef-scancode-llama-3.1-license-2024")
    assert llama31.output_training_restricted is Flag.NO


def test_stability_community_revenue_cap() -> None:
    terms = terms_for("LicenseRef-scancode-stability-ai-community-2024")
    assert terms.revenue_cap_usd == 1_000_000
    assert terms.revenue_cap_known
    assert terms.commercial_use is Permission.CONDITIONAL
    assert terms.user_cap_known and terms.user_cap is None
    assert "display 'Powered by Stability AI'" in terms.attribution


def test_flux_dev_is_not_commercial() -> None:
    terms = terms_for("LicenseRef-scancode-flux-1-nc")
    assert terms.commercial_use is Permission.NOT_ALLOWED
    assert terms.output_training_restricted is Flag.YES
    assert terms.claims_output_rights is Flag.NO


@pytest.mark.parametrize(
    "license_id",
    [
        "CC-BY-NC-2.0",
        "CC-BY-NC-3.0",
        "CC-BY-NC-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-NC-ND-4.0",
        "LicenseRef-modelbom-cohere-c4ai-aup",
    ],
)
def test_non_commercial_creative_commons(license_id: str) -> None:
    assert terms_for(license_id).commercial_use is Permission.NOT_ALLOWED
    entry = entry_for(license_id)
    assert entry is not None and entry.category == "non-commercial"


def test_cohere_c4ai_expression_combines_to_known_non_commercial_terms() -> None:
    combined = terms_for("CC-BY-NC-4.0").join(terms_for("LicenseRef-modelbom-cohere-c4ai-aup"))
    assert combined.commercial_use is Permission.NOT_ALLOWED
    assert combined.distribution is Permission.CONDITIONAL
    assert "cohere-c4ai-acceptable-use-policy" in combined.use_restrictions
    assert combined.restrictions_flow_down is Flag.YES


@pytest.mark.parametrize("license_id", ["AGPL-3.0-only", "AGPL-3.0-or-later"])
def test_agpl_network_source_disclosure(license_id: str) -> None:
    terms = terms_for(license_id)
    assert terms.source_disclosure_on_network_use is Flag.YES
    assert terms.network_service is Permission.CONDITIONAL
    assert {"code", "derivatives"} <= terms.share_alike


@pytest.mark.parametrize(
    ("license_id", "share_alike"),
    [
        ("GPL-2.0-only", {"code", "derivatives"}),
        ("GPL-3.0-or-later", {"code", "derivatives"}),
        ("LGPL-2.1-only", {"code"}),
        ("MPL-2.0", {"code"}),
        ("CC-BY-SA-4.0", {"derivatives"}),
        ("ODbL-1.0", {"data"}),
        ("CDLA-Sharing-1.0", {"data"}),
    ],
)
def test_copyleft_share_alike(license_id: str, share_alike: set[str]) -> None:
    terms = terms_for(license_id)
    assert terms.share_alike == frozenset(share_alike)
    if license_id.startswith(("GPL", "LGPL", "MPL")):
        assert terms.source_disclosure_on_network_use is Flag.NO
        assert terms.commercial_use is Permission.ALLOWED


def test_gemma_prohibited_use_policy() -> None:
    terms = terms_for("LicenseRef-scancode-gemma-tou-2024-04-01")
    assert "gemma-prohibited-use-policy" in terms.use_restrictions
    assert terms.restrictions_flow_down is Flag.YES
    assert terms.claims_output_rights is Flag.NO
    assert terms.user_cap_known and terms.user_cap is None


@pytest.mark.parametrize(
    "license_id",
    [
        "LicenseRef-scancode-stable-diffusion-2022-08-22",
        "LicenseRef-scancode-bigscience-open-rail-m",
        "LicenseRef-scancode-bigscience-rail-1.0",
        "LicenseRef-scancode-bigcode-open-rail-m-v1",
        "LicenseRef-modelbom-openrail-plusplus-m",
        "LicenseRef-modelbom-openrail",
        "LicenseRef-scancode-deepseek-la-1.0",
    ],
)
def test_rail_restrictions_flow_down(license_id: str) -> None:
    terms = terms_for(license_id)
    assert terms.restrictions_flow_down is Flag.YES
    assert len(terms.use_restrictions) == 1
    assert terms.share_alike == frozenset()


def test_creativeml_openrail_m() -> None:
    terms = terms_for("LicenseRef-scancode-stable-diffusion-2022-08-22")
    assert terms.use_restrictions == frozenset({"creativeml-openrail-m-use-restrictions"})
    assert terms.commercial_use is Permission.ALLOWED
    assert terms.claims_output_rights is Flag.NO


@pytest.mark.parametrize(
    "license_id",
    [
        "LicenseRef-modelbom-mistral-research-license",
        "LicenseRef-modelbom-mnpl",
        "LicenseRef-modelbom-qwen-research",
        "LicenseRef-modelbom-tongyi-qianwen-research",
        "LicenseRef-modelbom-apple-amlr",
        "LicenseRef-modelbom-deepfloyd-if-license",
        "LicenseRef-modelbom-fair-noncommercial-research-license",
        "LicenseRef-modelbom-nvidia-source-code-license",
        "LicenseRef-scancode-stability-ai-nc-2023-12-06",
    ],
)
def test_research_and_non_commercial_model_licenses(license_id: str) -> None:
    assert terms_for(license_id).commercial_use is Permission.NOT_ALLOWED


def test_qwen_and_hunyuan_thresholds() -> None:
    assert terms_for("LicenseRef-scancode-tongyi-qianwen-2023").user_cap == 100_000_000
    assert terms_for("LicenseRef-modelbom-qwen").user_cap == 100_000_000
    hunyuan = terms_for("LicenseRef-modelbom-tencent-hunyuan-community")
    assert not hunyuan.user_cap_known  # differs between releases: left unknown
    assert hunyuan.output_training_restricted is Flag.YES


def test_openai_terms_restrict_training_on_outputs() -> None:
    entry = entry_for("LicenseRef-modelbom-proprietary-openai")
    assert entry is not None
    assert entry.category == "proprietary"
    assert entry.terms.output_training_restricted is Flag.YES
    assert entry.terms.distribution is Permission.NOT_ALLOWED
    assert _fact(entry.id, "output_training_restricted").source == (
        "https://openai.com/policies/terms-of-use/"
    )


def test_every_hosted_provider_has_an_entry_from_its_terms() -> None:
    providers = _json("modelbom.resolvers", "providers.json")["providers"]
    for key, provider in providers.items():
        entry = entry_for(provider["license"])
        assert entry is not None, key
        assert entry.category == "proprietary", key
        assert entry.terms.distribution is Permission.NOT_ALLOWED, key
        terms_urls = {term["url"] for term in provider["terms"]}
        restriction_urls = {r["source"] for r in provider["restrictions"]}
        for fact in entry.facts:
            assert fact.source in terms_urls | restriction_urls, (key, fact.dimension)
        competing = [r for r in provider["restrictions"] if r["topic"] == "competing-models"]
        known = bool(competing) and competing[0]["text"] != "unknown"
        expected = Flag.YES if known else Flag.UNKNOWN
        assert entry.terms.output_training_restricted is expected, key


def test_the_civitai_placeholder_has_no_fixed_terms() -> None:
    entry = entry_for(CIVITAI_LICENSE)
    assert entry is not None
    assert entry.category == "civitai-permissions"
    assert entry.terms == UNKNOWN_TERMS


# -- CivitAI permissions --------------------------------------------------------------


def _civitai(**values: str) -> tuple[Terms, tuple[knowledge.Fact, ...]]:
    return terms_for_civitai({f"civitai:{key}": value for key, value in values.items()})


def test_civitai_no_commercial_use() -> None:
    terms, facts = _civitai(allowCommercialUse="None")
    assert terms.commercial_use is Permission.NOT_ALLOWED
    assert terms.api_serving_restricted is Flag.YES
    assert {fact.source for fact in facts} == {"civitai"}


def test_civitai_images_only_is_conditional() -> None:
    terms, facts = _civitai(allowCommercialUse="Image")
    assert terms.commercial_use is Permission.CONDITIONAL
    (commercial,) = [fact for fact in facts if fact.dimension == "commercial_use"]
    assert "outputs only" in (commercial.note or "")


def test_civitai_rent_and_sell() -> None:
    terms, _ = _civitai(allowCommercialUse="Image,Rent,RentCivit,Sell")
    assert terms.commercial_use is Permission.ALLOWED
    assert terms.network_service is Permission.ALLOWED
    assert terms.api_serving_restricted is Flag.NO
    terms, _ = _civitai(allowCommercialUse="Image+RentCivit")  # the claim's encoding
    assert terms.commercial_use is Permission.CONDITIONAL
    assert terms.network_service is Permission.CONDITIONAL
    assert terms.api_serving_restricted is Flag.YES
    terms, _ = _civitai(allowCommercialUse="Sell")
    assert terms.commercial_use is Permission.CONDITIONAL


def test_civitai_derivatives_credit_and_license() -> None:
    terms, _ = _civitai(
        allowDerivatives="false", allowNoCredit="false", allowDifferentLicense="false"
    )
    assert terms.distribution is Permission.NOT_ALLOWED
    assert terms.attribution == frozenset({"credit the creator"})
    assert terms.share_alike == frozenset({"derivatives"})
    terms, _ = _civitai(allowDerivatives="true", allowNoCredit="true", allowDifferentLicense="true")
    assert terms.distribution is Permission.CONDITIONAL
    assert terms.attribution == frozenset()
    assert terms.share_alike == frozenset()


def test_civitai_missing_or_unreadable_properties_stay_unknown() -> None:
    terms, facts = terms_for_civitai({})
    assert terms == UNKNOWN_TERMS
    assert facts == ()
    terms, facts = _civitai(allowCommercialUse="unknown", allowDerivatives="maybe")
    assert terms == UNKNOWN_TERMS
    assert facts == ()
    terms, _ = _civitai(allowCommercialUse="Image,Lease")
    assert terms.commercial_use is Permission.UNKNOWN


def test_civitai_source_is_the_model_page() -> None:
    _, facts = terms_for_civitai(
        {
            "civitai:allowCommercialUse": "None",
            "civitai:modelId": "4201",
            "civitai:versionId": "130072",
        }
    )
    assert {fact.source for fact in facts} == {
        "https://civitai.com/models/4201?modelVersionId=130072"
    }
    _, facts = terms_for_civitai(
        {"civitai:allowNoCredit": "false", "civitai:page": "https://civitai.example/models/7"}
    )
    assert {fact.source for fact in facts} == {"https://civitai.example/models/7"}


def test_civitai_terms_join_with_a_base_model() -> None:
    civitai, _ = _civitai(allowCommercialUse="Image", allowDerivatives="true")
    base = terms_for("LicenseRef-scancode-stable-diffusion-2022-08-22")
    combined = civitai.join(base)
    assert combined.commercial_use is Permission.CONDITIONAL
    assert "creativeml-openrail-m-use-restrictions" in combined.use_restrictions


def test_the_shipped_file_reads_the_same_with_libyaml() -> None:
    text = resources.files("modelbom.licenses").joinpath("data/terms.yaml").read_text("utf-8")
    assert parse_document(text, fast=True) == parse_document(text)
