"""Determinism: the same repository gives byte-identical outputs whatever the walk order,
the hash seed or the number of resolver threads.

Every corpus repository and every license scenario is copied into one repository, with
a declared use at its root (so the license chain, verdicts and violations are in the
outputs too) and the scenarios' local Hugging Face cache, and scanned offline in
``--reproducible`` mode by the real command line in fresh interpreters: under three
``PYTHONHASHSEED`` values, each with two different walk orders, alternating one and
eight resolver threads. The CycloneDX BOM, the SARIF log, the Markdown report and the
findings must be the same bytes every time.

How the walk order is changed, without a switch in modelbom for it: each run starts
through ``python -c`` with :data:`SHUFFLING_MAIN`, a few lines of test code that wrap
two functions before modelbom's command line is imported and run. ``os.scandir`` gives
each directory's entries in a shuffled order (the order a file system gives them in is
unspecified anyway), and the walker's result is shuffled before the engine sees it, so
files are crawled, and their findings collected, in a different order in every run. The
wrapper prints how many entries it shuffled, and the test checks that it did, so a
change in modelbom's structure cannot silently turn the shuffling off.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import FIXTURES

SHUFFLING_MAIN = """
import dataclasses, os, random, sys

rng = random.Random(int(os.environ["MODELBOM_TEST_SHUFFLE"]))
real_scandir = os.scandir


class _Listing:
    def __init__(self, entries):
        self._entries = entries

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def __iter__(self):
        return iter(self._entries)

    def close(self):
        pass


def shuffled_scandir(path="."):
    with real_scandir(path) as listing:
        entries = list(listing)
    rng.shuffle(entries)
    return _Listing(entries)


os.scandir = shuffled_scandir

import modelbom.walk
import modelbom.walk.walker as walker

real_walk = walker.walk


def shuffled_walk(root, options=walker.WalkOptions()):
    result = real_walk(root, options)
    entries = list(result.entries)
    rng.shuffle(entries)
    sys.stderr.write(f"test-wrapper: shuffled {len(entries)} walk entries\\n")
    return dataclasses.replace(result, entries=tuple(entries))


walker.walk = shuffled_walk
modelbom.walk.walk = shuffled_walk
import modelbom.walk.source

modelbom.walk.source.walk = shuffled_walk  # the engine lists files through a Source

from modelbom.__main__ import run

sys.argv = ["modelbom", *sys.argv[1:]]
run()
"""

OUTPUTS = {
    "cyclonedx-json": "bom.json",
    "sarif": "scan.sarif",
    "markdown": "report.md",
    "findings-json": "findings.json",
}
SEEDS = ("0", "1", "4242")
SHUFFLES_PER_SEED = 2


@pytest.fixture(scope="module")
def combined_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every corpus repository and scenario in one tree, with a declared use at the root."""
    root = tmp_path_factory.mktemp("determinism") / "everything"
    for fixture in sorted((FIXTURES / "corpus").iterdir()):
        shutil.copytree(fixture, root / "corpus" / fixture.name, symlinks=True)
    for fixture in sorted((FIXTURES / "scenarios").iterdir()):
        if fixture.name != "hf-cache":
            shutil.copytree(fixture, root / "scenarios" / fixture.name, symlinks=True)
    shutil.copy(FIXTURES / "scenarios" / "lora-llama-service" / "modelbom.toml", root)
    return root


def scan_shuffled(
    root: Path, out: Path, *, hash_seed: str, shuffle: int, workers: int
) -> subprocess.CompletedProcess[str]:
    out.mkdir()
    env = dict(os.environ)  # already isolated by tests/conftest.py
    env.update(
        PYTHONHASHSEED=hash_seed,
        MODELBOM_TEST_SHUFFLE=str(shuffle),
        HF_HUB_CACHE=str(FIXTURES / "scenarios" / "hf-cache"),
        SOURCE_DATE_EPOCH="1700000000",
    )
    args = ["scan", str(root), "--offline", "--reproducible", "--workers", str(workers)]
    for fmt, name in OUTPUTS.items():
        args += ["-o", f"{fmt}={out / name}"]
    return subprocess.run(
        [sys.executable, "-c", SHUFFLING_MAIN, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def digests(out: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in OUTPUTS.values()
    }


def test_outputs_are_byte_identical_across_hash_seeds_walk_orders_and_threads(
    combined_repo: Path, tmp_path: Path
) -> None:
    runs: list[tuple[str, dict[str, str]]] = []
    shuffle = 0
    for seed in SEEDS:
        for _ in range(SHUFFLES_PER_SEED):
            shuffle += 1
            workers = 1 if shuffle % 2 else 8
            label = f"seed={seed} shuffle={shuffle} workers={workers}"
            out = tmp_path / f"run-{shuffle}"
            proc = scan_shuffled(
                combined_repo, out, hash_seed=seed, shuffle=shuffle, workers=workers
            )
            # 1: the root's declared use is violated by the Llama scenario; that is fine.
            assert proc.returncode in (0, 1), f"{label}: {proc.stderr}"
            assert "Traceback" not in proc.stderr, proc.stderr
            (shuffled,) = [
                line for line in proc.stderr.splitlines() if line.startswith("test-wrapper:")
            ]
            assert int(shuffled.split()[2]) > 100, shuffled  # the walk really was reordered
            runs.append((label, digests(out)))
    first_label, first = runs[0]
    for label, found in runs[1:]:
        differing = sorted(name for name in OUTPUTS.values() if found[name] != first[name])
        assert not differing, f"{label} differs from {first_label} in {differing}"
    # The outputs are real: every format has content from the whole tree.
    out = tmp_path / "run-1"
    bom = (out / "bom.json").read_text()
    assert '"serialNumber"' not in bom
    assert "meta-llama/Llama-3.1-8B-Instruct" in bom
    assert "violation" in (out / "report.md").read_text()
    assert '"results"' in (out / "scan.sarif").read_text()
