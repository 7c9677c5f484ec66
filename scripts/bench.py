"""Benchmark: discovery quality on the corpus, then speed on synthetic repositories.

First the recall and precision of discovery on every repository of
``fixtures/corpus`` against its hand-written expectation. Then scans of synthetic
repositories: wall time, files/s and peak RSS.

Usage: ``python scripts/bench.py [--files N ...]``. Each repository is generated in a
temporary directory with a mix of Python modules (some loading models), configs,
documents and a large sparse weight file; the scan runs in a fresh process so its peak
RSS is measured alone. ``grep -rIl`` over the same tree is timed as the I/O baseline.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY_WITH_MODEL = """import os
from transformers import AutoModel, AutoTokenizer

MODEL = os.getenv("MODEL_{n}", "acme/model-{m}")


def load():
    tok = AutoTokenizer.from_pretrained(MODEL)
    return tok, AutoModel.from_pretrained("acme/other-{m}")
"""
PY_PLAIN = '''"""Module {n}."""


def f{n}(x: int) -> int:
    return x * {n}
'''


def build(root: Path, files: int) -> None:
    """Write *files* files under *root*: 60% Python, the rest configs and docs."""
    for i in range(files):
        sub = root / f"pkg{i % 50}" / f"mod{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        kind = i % 10
        if kind < 2:
            (sub / f"m{i}.py").write_text(PY_WITH_MODEL.format(n=i, m=i % 97))
        elif kind < 6:
            (sub / f"p{i}.py").write_text(PY_PLAIN.format(n=i))
        elif kind < 8:
            (sub / f"c{i}.yaml").write_text(f"name: item{i}\nvalue: {i}\n")
        else:
            (sub / f"d{i}.md").write_text(f"# Document {i}\n\nText.\n")
    weights = root / "weights" / "model.safetensors"
    weights.parent.mkdir()
    with weights.open("wb") as handle:
        handle.truncate(10 * 1024**3)  # sparse: 10 GiB on paper, nothing on disk


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of *command* run as a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # grep exits 1 when nothing matches
        raise SystemExit(f"{command[0]} failed with status {status}")
    return elapsed, usage.ru_maxrss / 1024


def corpus_quality() -> None:
    """Recall and precision of discovery on each corpus repository and overall."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.corpus import repositories, score, total

    scores = [score(name) for name in repositories()]
    print("discovery quality on fixtures/corpus (expected vs found)")
    print(f"{'repository':<24} {'expected':>8} {'found':>6} {'recall':>7} {'precision':>9}")
    for s in [*scores, total(scores)]:
        print(f"{s.name:<24} {s.expected:>8} {s.reported:>6} {s.recall:>7.3f} {s.precision:>9.3f}")
    print()


def main() -> int:
    """Print discovery quality, then build each repository and time the scans."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, nargs="+", default=[2_000, 10_000])
    parser.add_argument("--skip-corpus", action="store_true", help="only the speed figures")
    args = parser.parse_args()
    if not args.skip_corpus:
        corpus_quality()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    header = ("files", "cold s", "warm s", "files/s", "RSS MiB", "grep s", "ratio")
    print("{:>8} {:>8} {:>8} {:>9} {:>8} {:>7} {:>6}".format(*header))
    for count in args.files:
        with tempfile.TemporaryDirectory(prefix="modelbom-bench-") as tmp:
            root = Path(tmp) / "repo"
            root.mkdir()
            build(root, count)
            out = Path(tmp) / "bom.json"
            scan = [sys.executable, "-m", "modelbom", "scan", str(root), "-q", "--offline"]
            scan += ["--cache-dir", str(Path(tmp) / "cache"), "-o", str(out)]
            cold, rss = timed(scan)
            warm, _ = timed(scan)
            grep, _ = timed(["grep", "-rIl", "from_pretrained", str(root)])
            print(
                f"{count:>8} {cold:>8.2f} {warm:>8.2f} {count / warm:>9.0f} {rss:>8.1f} "
                f"{grep:>7.2f} {warm / max(grep, 1e-6):>6.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
