"""Coverage-guided fuzzing of modelbom's parsers with atheris (libFuzzer for Python).

Usage::

    python scripts/fuzz_atheris.py --list
    python scripts/fuzz_atheris.py TARGET [libFuzzer options]   # e.g. -max_total_time=60

The targets are those of ``tests/fuzz_targets.py`` (the hypothesis tests run the same
functions). Only modelbom's own modules are instrumented. Each target gets a working
corpus in ``.fuzz/<target>/corpus`` (git-ignored), seeded from the repository's fixtures
of that kind and from ``fixtures/fuzz/<target>/``; crashing inputs are written to
``.fuzz/<target>/`` as ``crash-<sha1>``. A crash found this way is fixed in the parser
and its input committed as ``fixtures/fuzz/<target>/<short-name>``, where the regular
test suite replays it.

atheris is optional (``pip install -e '.[fuzz]'``); ``make fuzz`` runs this harness for
every target when it is installed, and says so when it is not.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
WORK = REPO / ".fuzz"
MAX_SEED_BYTES = 256 * 1024

# Seed files per target: glob patterns under fixtures/ (the first byte of the weights and
# manifest targets chooses the file name, see tests/fuzz_targets.py).
_SEEDS: dict[str, tuple[str, ...]] = {
    "safetensors": ("**/*.safetensors",),
    "gguf": ("**/*.gguf",),
    "weights": ("crawlers/model-files/**/*",),
    "card": ("**/README.md",),
    "requirements": ("**/requirements*.txt", "**/*.in"),
    "manifest": (
        "**/pyproject.toml",
        "**/poetry.lock",
        "**/uv.lock",
        "**/Pipfile",
        "**/Pipfile.lock",
        "**/package.json",
        "**/package-lock.json",
    ),
    "notebook": ("**/*.ipynb",),
    "license": (),
}
_LICENSE_SEEDS = (
    b"apache-2.0",
    b"MIT OR Apache-2.0",
    b"Apache-2.0 WITH LLVM-exception",
    b"other\x00FLUX.1 [dev] Non-Commercial License\x00https://huggingface.co/x/LICENSE.md",
    b"llama3.1",
    b"GPL-3.0-or-later AND (BSD-3-Clause OR MIT)",
)


def _seed_files(target: str) -> Iterable[tuple[str, bytes]]:
    from tests.fuzz_targets import MANIFEST_NAMES, WEIGHT_NAMES, encode_choice

    for pattern in _SEEDS[target]:
        for path in sorted(FIXTURES.glob(pattern)):
            if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_SEED_BYTES:
                continue
            data = path.read_bytes()
            if target == "weights":
                name = next((n for n in WEIGHT_NAMES if n.endswith(path.suffix)), None)
                if name is None:
                    continue
                data = encode_choice(WEIGHT_NAMES, name, data)
            elif target == "manifest":
                name = next((n for n in MANIFEST_NAMES if n == path.name), None)
                if name is None:
                    continue
                data = encode_choice(MANIFEST_NAMES, name, data)
            yield str(path.relative_to(FIXTURES)), data
    if target == "license":
        for seed in _LICENSE_SEEDS:
            yield seed.decode("utf-8", "replace")[:20], seed
    replayed = FIXTURES / "fuzz" / target
    if replayed.is_dir():
        for path in sorted(replayed.iterdir()):
            yield f"fuzz/{target}/{path.name}", path.read_bytes()


def _prepare(target: str) -> Path:
    """The working corpus of *target*, with every seed in it (named by content)."""
    corpus = WORK / target / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for _, data in _seed_files(target):
        (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)  # noqa: S324
    return corpus


def main(argv: list[str]) -> int:
    """Run one target under libFuzzer; ``--list`` prints the target names."""
    if argv[1:2] == ["--list"]:
        print("\n".join(_SEEDS))
        return 0
    if len(argv) < 2 or argv[1] not in _SEEDS:
        sys.stderr.write(f"usage: {argv[0]} --list | TARGET [libFuzzer options]\n")
        sys.stderr.write(f"targets: {', '.join(_SEEDS)}\n")
        return 2
    try:
        atheris: Any = importlib.import_module("atheris")
    except ImportError:
        sys.stderr.write("atheris is not installed: pip install -e '.[fuzz]'\n")
        return 2
    target = argv[1]
    sys.path.insert(0, str(REPO))
    with atheris.instrument_imports(include=["modelbom"]):  # coverage of modelbom only
        targets = importlib.import_module("tests.fuzz_targets")
    function: Callable[[bytes], None] = targets.TARGETS[target]
    corpus = _prepare(target)
    options = argv[2:]
    if not any(o.startswith("-artifact_prefix=") for o in options):
        options.append(f"-artifact_prefix={WORK / target}/")
    if not any(o.startswith("-timeout=") for o in options):
        options.append("-timeout=10")  # seconds for one input: a hang is a finding too
    print(f"fuzzing {target} with atheris: corpus {corpus}, options {' '.join(options)}")
    sys.stdout.flush()
    atheris.Setup([argv[0], *options, str(corpus)], function)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
