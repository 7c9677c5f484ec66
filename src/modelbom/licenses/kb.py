"""The license knowledge base as the chain analysis sees it (:class:`~.chain.Knowledge`)."""

from __future__ import annotations

from collections.abc import Mapping

import modelbom.licenses.knowledge as knowledge
from modelbom.licenses.terms import Terms


class KnowledgeBase:
    """Terms, sources and categories from ``licenses/data/terms.yaml``."""

    def terms(self, expression_id: str) -> Terms | None:
        """The terms of one license id; None when the knowledge base has no entry."""
        entry = knowledge.entry_for(expression_id)
        return entry.terms if entry is not None else None

    def source(self, expression_id: str, dimension: str) -> str | None:
        """Where the knowledge base states *dimension* (else the license's own page)."""
        entry = knowledge.entry_for(expression_id)
        if entry is None:
            return None
        fact = next((f for f in entry.facts if f.dimension == dimension), None)
        return fact.source if fact is not None else entry.url

    def civitai(self, properties: Mapping[str, str]) -> Terms:
        """Terms from a CivitAI model's permission properties."""
        return knowledge.terms_for_civitai(properties)[0]

    def category(self, expression_id: str) -> str | None:
        """The license's category (permissive, non-commercial, ...)."""
        entry = knowledge.entry_for(expression_id)
        return entry.category if entry is not None else None
