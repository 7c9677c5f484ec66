"""Hosted models: the terms of the provider that serves them, from a curated table.

A hosted model (``gpt-4o`` through OpenAI, ``meta.llama3-1-70b-instruct-v1:0`` on Amazon
Bedrock) has no license file: what governs its use is the provider's terms of service
and usage policy, and, for providers that host models made by others, the model owner's
terms or license as well. None of that can be fetched reliably (the pages are prose), so
it comes from ``data/providers.json``, compiled by hand with the page of every
statement and the date it was checked (see the file's ``provenance``: it must be
re-checked). Nothing here needs the network.

Facts for a component of kind ``hosted-model`` whose ecosystem is a known provider:

* one :class:`LicenseClaim` per applicable terms: the provider's
  (``LicenseRef-modelbom-proprietary-<provider>``, located at its main terms page) and,
  when the model name reveals a family hosted for its owner (``anthropic.claude-*`` on
  Bedrock, ``llama-3.1-*`` on Groq), the owner's terms or the family's license (e.g. the
  Llama 3.1 Community License, ``LicenseRef-scancode-llama-3.1-license-2024``);
* properties ``provider:restriction:NN`` (the restrictions that matter downstream, each
  with its source page and check date, sorted), ``provider:terms_checked`` (the oldest
  check date involved), ``provider:weights_available``, ``provider:terms:NN``,
  ``provider:model_family`` / ``provider:model_owner``, and ``provider:model_license =
  unknown ...`` when a host of third-party models serves a family the table does not
  know. What the table does not know is written as "unknown", never guessed.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from modelbom.crawlers.hosted import hosted_model
from modelbom.model import Component, Kind, LicenseClaim
from modelbom.resolvers.base import Resolved, Resolver
from modelbom.resolvers.http import license_terms

__all__ = ["ProviderTerms", "ProviderTermsResolver", "load_provider_data"]


def load_provider_data() -> dict[str, Any]:
    """The parsed ``data/providers.json``."""
    text = (
        resources.files("modelbom.resolvers")
        .joinpath("data", "providers.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True, slots=True)
class ProviderTerms:
    """The facts for one hosted model, before they become a :class:`Resolved`."""

    claims: tuple[LicenseClaim, ...]
    properties: tuple[tuple[str, str], ...]


class ProviderTermsResolver(Resolver):
    """Licenses and restrictions of hosted models, from the curated provider table."""

    name = "provider-terms"
    requires_network = False

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = data if data is not None else load_provider_data()
        self.providers: dict[str, dict[str, Any]] = self.data["providers"]
        self.families: dict[str, dict[str, Any]] = self.data.get("families", {})
        self.rules: dict[str, list[list[str]]] = self.data.get("family_rules", {})

    def resolve(self, component: Component) -> Resolved | None:
        """The provider's terms (and the model owner's) for a hosted model."""
        if component.kind is not Kind.HOSTED_MODEL:
            return None
        provider_key = component.ecosystem or ""
        provider = self.providers.get(provider_key)
        if provider is None:
            return None
        terms = self.terms_for(provider_key, component.id)
        return Resolved(
            source=self.name, licenses=terms.claims, properties=terms.properties, fetched_at=None
        )

    def family_of(self, provider_key: str, model: str) -> str | None:
        """The family key of *model* served by *provider_key*, by the first matching rule."""
        name = model
        if provider_key == "aws-bedrock":
            name = hosted_model(provider_key, model) or model
        name = name.lower()
        for pattern, family in self.rules.get(provider_key, []):
            if fnmatch.fnmatchcase(name, pattern.lower()):
                return family
        return None

    def terms_for(self, provider_key: str, model: str) -> ProviderTerms:
        """Claims and properties for *model* served by *provider_key* (a known provider)."""
        provider = self.providers[provider_key]
        claims = [self._provider_claim(provider_key)]
        restrictions = self._restrictions(provider["name"], provider)
        dates = [str(provider["checked"])]
        props: dict[str, str] = {
            "provider:name": str(provider["name"]),
            "provider:weights_available": "true" if provider.get("weights_available") else "false",
        }
        for n, term in enumerate(provider["terms"], start=1):
            props[f"provider:terms:{n:02d}"] = f"{term['title']}: {term['url']}"
        family_key = self.family_of(provider_key, model)
        family = self.families.get(family_key) if family_key else None
        if family_key is not None and family is not None:
            props["provider:model_family"] = family_key
            props["provider:model_owner"] = str(family.get("owner", "unknown"))
            owner_key = family.get("provider")
            if owner_key and owner_key in self.providers:
                owner = self.providers[owner_key]
                if owner_key != provider_key:
                    claims.append(self._provider_claim(owner_key))
                    restrictions.extend(self._restrictions(owner["name"], owner))
                    dates.append(str(owner["checked"]))
            elif family.get("license") == "unknown" or not family.get("raw"):
                props["provider:model_license"] = (
                    f"unknown: the license of {family.get('owner', 'this owner')}'s models"
                    " is not in the table"
                )
            else:
                claims.append(self._family_claim(family))
                restrictions.extend(self._restrictions(str(family["name"]), family))
                dates.append(str(family["checked"]))
        elif provider.get("hosts_third_party_models"):
            props["provider:model_license"] = "unknown: the model family is not recognised"
        props["provider:terms_checked"] = min(dates)
        for n, text in enumerate(sorted(set(restrictions)), start=1):
            props[f"provider:restriction:{n:02d}"] = text
        unique: dict[tuple[str | None, str | None], LicenseClaim] = {}
        for claim in claims:
            unique.setdefault((claim.expression, claim.location), claim)
        return ProviderTerms(tuple(unique.values()), tuple(sorted(props.items())))

    def _provider_claim(self, key: str) -> LicenseClaim:
        provider = self.providers[key]
        main = provider["terms"][0]
        return LicenseClaim(
            raw=str(main["title"]),
            expression=str(provider["license"]),
            name=None,
            link=str(main["url"]),
            source=self.name,
            location=str(main["url"]),
            fetched_at=None,
            needs_review=False,
        )

    def _family_claim(self, family: dict[str, Any]) -> LicenseClaim:
        raw = str(family["raw"])
        name = family.get("name")
        location = family.get("location")
        expression = family.get("expression")
        review = False
        if not expression:
            expression, review = license_terms(raw, name=name, link=location)
        return LicenseClaim(
            raw=raw,
            expression=expression,
            name=name,
            link=location,
            source=self.name,
            location=location,
            fetched_at=None,
            needs_review=review,
        )

    @staticmethod
    def _restrictions(owner: str, entry: dict[str, Any]) -> list[str]:
        texts: list[str] = []
        for item in entry.get("restrictions", []):
            topic = item.get("topic", "restriction")
            texts.append(
                f"{owner} - {topic}: {item['text']} (source: {item['source']};"
                f" checked {item['checked']})"
            )
        return texts
