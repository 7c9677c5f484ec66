"""Discovery quality on the fixture corpus: recall and precision may never drop.

``fixtures/corpus-levels.json`` records the recall and precision reached per repository
and overall; raise them when discovery improves (``make bench`` prints the figures).
"""

from __future__ import annotations

import json

import pytest

from tests.corpus import REPO, Score, repositories, score, total

LEVELS = json.loads((REPO / "fixtures" / "corpus-levels.json").read_text(encoding="utf-8"))
TARGET = 0.95


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    return {name: score(name) for name in repositories()}


def test_the_corpus_has_at_least_ten_repositories() -> None:
    assert len(repositories()) >= 10
    assert set(repositories()) == set(LEVELS["repositories"])


@pytest.mark.parametrize("name", repositories())
def test_repository_does_not_regress(scores: dict[str, Score], name: str) -> None:
    s = scores[name]
    level = LEVELS["repositories"][name]
    detail = f"missed={list(s.missed)} extra={list(s.extra)}"
    assert s.recall >= level["recall"], detail
    assert s.precision >= level["precision"], detail


def test_overall_meets_the_target(scores: dict[str, Score]) -> None:
    overall = total(list(scores.values()))
    assert overall.recall >= max(TARGET, LEVELS["overall"]["recall"])
    assert overall.precision >= max(TARGET, LEVELS["overall"]["precision"])
