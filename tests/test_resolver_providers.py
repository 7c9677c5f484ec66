"""The provider-terms resolver: hosted models get their provider's (and owner's) terms."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from modelbom.crawlers.hosted import PROVIDERS
from modelbom.model import Component, Kind
from modelbom.resolvers.providers import ProviderTermsResolver, load_provider_data

CHECKED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATA = load_provider_data()


def hosted(provider: str | None, model: str) -> Component:
    return Component(kind=Kind.HOSTED_MODEL, id=model, ecosystem=provider)


def https_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname) and "@" not in parts.netloc


# -- the data file ------------------------------------------------------------------------


def test_data_file_states_its_provenance() -> None:
    provenance = DATA["provenance"]
    assert "re-checked" in provenance["method"]
    assert CHECKED.match(provenance["compiled"])


def test_every_provider_the_crawlers_know_is_in_the_table() -> None:
    assert set(DATA["providers"]) == set(PROVIDERS)


@pytest.mark.parametrize("key", sorted(DATA["providers"]))
def test_every_provider_has_terms_urls_checked_dates_and_sourced_restrictions(key: str) -> None:
    entry = DATA["providers"][key]
    assert entry["name"]
    assert entry["terms"], "at least one terms page"
    for term in entry["terms"]:
        assert term["title"] and https_url(term["url"])
    assert CHECKED.match(entry["checked"])
    assert entry["license"] == f"LicenseRef-modelbom-proprietary-{key}"
    assert entry["weights_available"] is False
    for item in entry["restrictions"]:
        assert item["text"], "unknown is written as 'unknown', never left empty"
        assert https_url(item["source"])
        assert CHECKED.match(item["checked"])


def test_family_rules_point_at_known_families_and_families_at_known_providers() -> None:
    families = DATA["families"]
    for provider, rules in DATA["family_rules"].items():
        assert provider in DATA["providers"]
        for pattern, family in rules:
            assert pattern == pattern.lower()
            assert family in families, family
    for key, family in families.items():
        assert family["owner"], key
        if "provider" in family:
            assert family["provider"] in DATA["providers"]
        elif family.get("license") != "unknown":
            assert family["raw"] and https_url(family["location"]), key
            for item in family["restrictions"]:
                assert https_url(item["source"]) and CHECKED.match(item["checked"])


# -- resolving ----------------------------------------------------------------------------


def test_openai_model_gets_the_proprietary_terms_and_the_competing_models_restriction() -> None:
    resolved = ProviderTermsResolver().resolve(hosted("openai", "gpt-4o"))
    assert resolved is not None
    assert resolved.source == "provider-terms"
    assert resolved.fetched_at is None
    (claim,) = resolved.licenses
    assert claim.expression == "LicenseRef-modelbom-proprietary-openai"
    assert claim.raw == "OpenAI Services Agreement"
    assert claim.location == "https://openai.com/policies/services-agreement/"
    assert claim.source == "provider-terms"
    assert claim.fetched_at is None
    props = dict(resolved.properties)
    assert props["provider:terms_checked"] == "2026-11-23"
    assert props["provider:weights_available"] == "false"
    restrictions = [v for k, v in resolved.properties if k.startswith("provider:restriction:")]
    assert restrictions == sorted(restrictions)
    assert any("develop models that compete" in r for r in restrictions)
    assert all("(source: https://" in r for r in restrictions)


@pytest.mark.parametrize(
    ("provider", "model"),
    [("anthropic", "claude-3-5-sonnet-20241022"), ("google", "gemini-1.5-pro")],
)
def test_competing_model_restrictions_of_anthropic_and_google(provider: str, model: str) -> None:
    resolved = ProviderTermsResolver().resolve(hosted(provider, model))
    assert resolved is not None
    texts = [v for k, v in resolved.properties if k.startswith("provider:restriction:")]
    (competing,) = [t for t in texts if " - competing-models: " in t]
    assert "compet" in competing.split(" - competing-models: ")[1]
    assert "unknown" not in competing


def test_unknown_restrictions_are_written_as_unknown() -> None:
    resolved = ProviderTermsResolver().resolve(hosted("mistral", "mistral-large-latest"))
    assert resolved is not None
    texts = [v for k, v in resolved.properties if k.startswith("provider:restriction:")]
    assert any(
        t.startswith("Mistral AI - competing-models: unknown (source: https://") for t in texts
    )


def test_bedrock_llama_gets_the_provider_terms_and_the_llama_license() -> None:
    resolved = ProviderTermsResolver().resolve(
        hosted("aws-bedrock", "meta.llama3-1-70b-instruct-v1:0")
    )
    assert resolved is not None
    bedrock, llama = resolved.licenses
    assert bedrock.expression == "LicenseRef-modelbom-proprietary-aws-bedrock"
    assert llama.expression == "LicenseRef-scancode-llama-3.1-license-2024"
    assert llama.raw == "llama3.1"
    assert llama.name == "Llama 3.1 Community License Agreement"
    assert llama.location == "https://www.llama.com/llama3_1/license/"
    props = dict(resolved.properties)
    assert props["provider:model_family"] == "llama-3.1"
    assert props["provider:model_owner"] == "Meta"
    texts = [v for k, v in resolved.properties if k.startswith("provider:restriction:")]
    assert any(t.startswith("Llama 3.1 Community License Agreement - scale:") for t in texts)
    assert any(t.startswith("Amazon Bedrock (AWS) - data:") for t in texts)


def test_bedrock_claude_adds_anthropic_terms_and_restrictions() -> None:
    resolver = ProviderTermsResolver()
    resolved = resolver.resolve(hosted("aws-bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"))
    assert resolved is not None
    assert [c.expression for c in resolved.licenses] == [
        "LicenseRef-modelbom-proprietary-aws-bedrock",
        "LicenseRef-modelbom-proprietary-anthropic",
    ]
    texts = [v for k, v in resolved.properties if k.startswith("provider:restriction:")]
    assert any(t.startswith("Anthropic - competing-models:") for t in texts)


def test_bedrock_region_prefixed_ids_are_matched_too() -> None:
    resolver = ProviderTermsResolver()
    assert resolver.family_of("aws-bedrock", "us.meta.llama3-2-90b-instruct-v1:0") == "llama-3.2"


def test_amazon_s_own_models_on_bedrock_get_one_claim() -> None:
    resolved = ProviderTermsResolver().resolve(
        hosted("aws-bedrock", "amazon.titan-text-express-v1")
    )
    assert resolved is not None
    assert len(resolved.licenses) == 1
    assert dict(resolved.properties)["provider:model_owner"] == "Amazon"


@pytest.mark.parametrize(
    ("provider", "model", "expression"),
    [
        ("groq", "llama-3.1-8b-instant", "LicenseRef-scancode-llama-3.1-license-2024"),
        ("groq", "gemma2-9b-it", "LicenseRef-scancode-gemma-tou-2024-04-01"),
        ("groq", "mixtral-8x7b-32768", "Apache-2.0"),
        (
            "together",
            "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
            "LicenseRef-scancode-llama-3.1-license-2024",
        ),
        (
            "together",
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "LicenseRef-scancode-llama-3.3-license-2024",
        ),
        ("openrouter", "anthropic/claude-3.5-sonnet", "LicenseRef-modelbom-proprietary-anthropic"),
        ("vertex-ai", "claude-3-5-sonnet@20240620", "LicenseRef-modelbom-proprietary-anthropic"),
    ],
)
def test_hosts_of_third_party_models_add_the_family_claim(
    provider: str, model: str, expression: str
) -> None:
    resolved = ProviderTermsResolver().resolve(hosted(provider, model))
    assert resolved is not None
    assert len(resolved.licenses) == 2
    assert resolved.licenses[0].expression == f"LicenseRef-modelbom-proprietary-{provider}"
    assert resolved.licenses[1].expression == expression


def test_unrecognised_family_on_a_third_party_host_is_unknown_not_guessed() -> None:
    resolved = ProviderTermsResolver().resolve(hosted("together", "someone/new-model-7b"))
    assert resolved is not None
    assert len(resolved.licenses) == 1
    assert dict(resolved.properties)["provider:model_license"].startswith("unknown")


def test_known_owner_with_unknown_license_is_said_so() -> None:
    resolved = ProviderTermsResolver().resolve(hosted("aws-bedrock", "ai21.jamba-1-5-large-v1:0"))
    assert resolved is not None
    assert len(resolved.licenses) == 1
    props = dict(resolved.properties)
    assert props["provider:model_owner"] == "AI21 Labs"
    assert props["provider:model_license"].startswith("unknown")


def test_llama_3_without_a_known_id_leaves_the_expression_to_the_normaliser() -> None:
    resolved = ProviderTermsResolver().resolve(hosted("groq", "llama3-70b-8192"))
    assert resolved is not None
    assert resolved.licenses[1].raw == "llama3"
    assert resolved.licenses[1].name == "Meta Llama 3 Community License Agreement"


@pytest.mark.parametrize(
    "component",
    [
        Component(kind=Kind.HOSTED_MODEL, id="model-x", ecosystem="acme-cloud"),
        Component(kind=Kind.HOSTED_MODEL, id="gpt-4o", ecosystem=None),
        Component(kind=Kind.MODEL, id="openai/whisper-large-v3", ecosystem="openai"),
    ],
    ids=["unknown-provider", "no-provider", "not-hosted"],
)
def test_unknown_provider_or_other_kinds_give_nothing(component: Component) -> None:
    assert ProviderTermsResolver().resolve(component) is None


def test_results_are_stable() -> None:
    resolver = ProviderTermsResolver()
    component = hosted("aws-bedrock", "meta.llama3-1-70b-instruct-v1:0")
    first, second = resolver.resolve(component), ProviderTermsResolver().resolve(component)
    assert first is not None and second is not None
    assert first.model_dump_json() == second.model_dump_json()
    keys = [k for k, _ in first.properties]
    assert keys == sorted(keys)
