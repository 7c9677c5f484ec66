"""Recall and precision of discovery over the fixture corpus.

Each repository under ``fixtures/corpus/<name>/`` has a hand-written list of the
references a careful reader finds in it, ``fixtures/corpus-expected/<name>.json``:
``{"findings": [{"kind", "id", "file", "line"}, ...]}``. A finding matches an expected
entry when all four fields are equal. Used by ``tests/test_corpus.py`` (which fails if
either figure drops below the level reached) and by ``make bench`` (which prints them).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from modelbom.engine import scan
from modelbom.options import ScanOptions

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "fixtures" / "corpus"
EXPECTED = REPO / "fixtures" / "corpus-expected"

Key = tuple[str, str, str, int]


@dataclass(frozen=True)
class Score:
    """Matched, reported and expected counts of one repository (or of all)."""

    name: str
    matched: int
    reported: int
    expected: int
    missed: tuple[Key, ...]
    extra: tuple[Key, ...]

    @property
    def recall(self) -> float:
        """Share of the expected references that were found."""
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        """Share of the reported findings that were expected."""
        return self.matched / self.reported if self.reported else 1.0


def repositories() -> list[str]:
    """Names of the corpus repositories that have an expectation file."""
    return sorted(p.stem for p in EXPECTED.glob("*.json") if (CORPUS / p.stem).is_dir())


def expected_keys(name: str) -> set[Key]:
    """The hand-written expectation of one repository."""
    data = json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))
    return {(e["kind"], e["id"], e["file"], int(e["line"])) for e in data["findings"]}


def reported_keys(name: str) -> set[Key]:
    """What modelbom reports for one repository (scanned from a copy outside git)."""
    import shutil

    with tempfile.TemporaryDirectory(prefix="modelbom-corpus-") as tmp:
        root = Path(tmp) / name
        shutil.copytree(CORPUS / name, root, symlinks=True)
        result = scan(ScanOptions(root=root, offline=True))
    return {(f.kind.value, f.id, f.evidence.file, f.evidence.line) for f in result.findings}


def score(name: str) -> Score:
    """Compare the report of one repository with its expectation."""
    expected = expected_keys(name)
    reported = reported_keys(name)
    return Score(
        name=name,
        matched=len(expected & reported),
        reported=len(reported),
        expected=len(expected),
        missed=tuple(sorted(expected - reported)),
        extra=tuple(sorted(reported - expected)),
    )


def total(scores: list[Score]) -> Score:
    """Micro-averaged score over several repositories."""
    return Score(
        name="overall",
        matched=sum(s.matched for s in scores),
        reported=sum(s.reported for s in scores),
        expected=sum(s.expected for s in scores),
        missed=(),
        extra=(),
    )
