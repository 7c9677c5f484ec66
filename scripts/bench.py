"""Benchmark: discovery quality on the corpus, then speed, memory and resolution at scale.

Usage: ``python scripts/bench.py [--quick] [--sizes N ...] [--modes git fs] ...``;
``--help`` lists every option.
(``make bench`` runs it with the defaults: repositories of 10,000 and 100,000 files).

1. **Discovery quality**: recall and precision on every repository of
   ``fixtures/corpus`` against its hand-written expectation.
2. **Start-up**: ``python -m modelbom --version`` and a scan of a one-file folder.
3. **Scans of synthetic monorepos** of each size, generated deterministically from a seed
   (see :class:`Generator` for the mix) as git work trees. Each repository is kept in a
   cache folder named after the generator version, the size and the seed
   (``--bench-dir``, default ``$MODELBOM_BENCH_DIR`` or ``~/.cache/modelbom-bench``), so a
   second run does not spend minutes writing and committing 100,000 files again;
   ``--fresh`` regenerates. modelbom scans each repository ``--offline`` in a fresh
   process:

   - **cold**, git mode (the file list from ``git ls-files``): a new, empty
     ``--cache-dir``, nothing remembered from an earlier scan;
   - **warm**, git mode: the same cache again after one Python file changed (the file
     is restored afterwards, also on Ctrl-C or SIGTERM, and a kept repository is reset
     to its commit before use, so it stays as generated);
   - **cold**, file-system mode (``--no-git``: a walk honouring ``.gitignore``), for
     repositories up to ``--fs-up-to`` files (10,000 by default: at 100,000 a second
     cold scan costs minutes and shows the same thing).

   The page cache is warm for every scan and for grep alike: the tree is read once by
   grep before anything is timed, so the figures compare CPU work, not disk reads.
   Printed: wall time, files per second (files modelbom listed / wall time), peak RSS
   (the whole process tree: the largest sum of resident memory seen while polling
   ``/proc`` every 50 ms, or the kernel's peak of the main process if larger), and the
   ratio to the **grep baseline**: ``grep -rIl from_pretrained`` over the same files,
   that is, the same tree with modelbom's default skipped folders (``node_modules``,
   ``.git``, ``.venv`` ...) left out with ``--exclude-dir``.
4. **Weight-file size**: a folder holding one 10 GiB sparse safetensors file and one
   holding a 1 MiB file with the same header: time and RSS must not depend on the size.
5. **Resolution**: 1,000 distinct Hub ids in one Python file, scanned online against the
   fake Hub (``tests/fakehub.py``) on 127.0.0.1 with 50 ms added to every answer, a fresh
   cache: resolution time (first request to last answer), requests, the most in flight
   at once, 429s. Then again with a rate-limit window that answers 429 when used up:
   every id must still resolve, with at most two retries each.

Last, a table of every figure with its target and PASS or MISS. Targets are those for
100,000 files; when only smaller repositories were scanned (``--quick``), the time
targets are scaled to their size and say so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from modelbom.walk.walker import DEFAULT_SKIP_DIRS  # noqa: E402

GENERATOR_VERSION = 1
"""Bump when the generator's output changes: cached repositories of another version are
not reused."""
DEFAULT_SEED = 20_260_101
DEFAULT_SIZES = (10_000, 100_000)
GIB = 1024**3
MIB = 1024**2
PATTERN = "from_pretrained"
TARGET_FILES = 100_000
TARGET_COLD_S = 60.0
TARGET_GREP_RATIO = 4.0
TARGET_WARM_S = 3.0
TARGET_RSS_MIB = 400.0
TARGET_RESOLUTION_S = 15.0
HUB_IDS = 1_000
HUB_LATENCY_S = 0.05
HUB_MAX_RETRIES = 2  # HubResolver's default


# -- measuring a child process --------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One timed child process."""

    wall: float
    rss_mib: float
    returncode: int
    stderr: str


def _children(pid: int) -> list[int]:
    """Direct children of *pid* (from /proc)."""
    found: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    with contextlib.suppress(OSError):
        for task in task_dir.iterdir():
            with contextlib.suppress(OSError):
                found.extend(int(c) for c in (task / "children").read_text().split())
    return found


def _tree_rss(pid: int, page: int) -> int:
    """Resident bytes of *pid* and all its descendants."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
            stack.extend(_children(current))
    return total


def run_timed(command: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """Run *command*; its wall time, its peak RSS (process tree) and its stderr."""
    page = os.sysconf("SC_PAGE_SIZE")
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        peak = 0
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            while not done.wait(0.05):
                peak = max(peak, _tree_rss(proc.pid, page))

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: leave no scan running behind
            done.set()
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - start
        done.set()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    rss = max(peak, usage.ru_maxrss * 1024) / MIB
    return Run(wall=wall, rss_mib=rss, returncode=proc.returncode, stderr=stderr)


def modelbom(*args: str) -> list[str]:
    """The command line of ``python -m modelbom ARGS`` in this interpreter."""
    return [sys.executable, "-m", "modelbom", *args]


_SUMMARY = re.compile(r"scanned \D*?(\d+) files? \((\d+) crawled\)")


def listed_files(stderr: str) -> tuple[int, int]:
    """(files listed, files crawled) from modelbom's summary line."""
    match = _SUMMARY.search(stderr)
    if match is None:
        raise SystemExit(f"no summary in modelbom's output:\n{stderr[-2000:]}")
    return int(match.group(1)), int(match.group(2))


def check(run: Run, what: str) -> Run:
    """*run*, or exit with its stderr when modelbom failed (exit 1 is a policy verdict)."""
    if run.returncode not in (0, 1, 3):
        raise SystemExit(f"{what} failed with exit code {run.returncode}:\n{run.stderr[-3000:]}")
    return run


# -- the synthetic repository -------------------------------------------------------------

_WORDS = [
    "account",
    "adapter",
    "batch",
    "buffer",
    "cache",
    "channel",
    "client",
    "config",
    "context",
    "cursor",
    "dataset",
    "decoder",
    "embed",
    "encoder",
    "event",
    "feature",
    "filter",
    "frame",
    "graph",
    "handler",
    "index",
    "job",
    "layer",
    "loader",
    "logger",
    "matrix",
    "metric",
    "model",
    "node",
    "order",
    "packet",
    "parser",
    "pipeline",
    "policy",
    "pool",
    "prompt",
    "queue",
    "record",
    "registry",
    "report",
    "request",
    "result",
    "router",
    "sample",
    "schema",
    "score",
    "session",
    "shard",
    "signal",
    "source",
    "store",
    "stream",
    "task",
    "tensor",
    "token",
    "trace",
    "user",
    "vector",
    "worker",
]
_LICENSES = ("apache-2.0", "mit", "llama3.1", "cc-by-nc-4.0", "openrail++", "gemma", "bsd-3-clause")
_PY_PACKAGES = [
    "numpy",
    "pandas",
    "requests",
    "fastapi",
    "pydantic",
    "sqlalchemy",
    "torch",
    "transformers",
    "datasets",
    "accelerate",
    "peft",
    "scikit-learn",
    "uvicorn",
    "httpx",
    "boto3",
    "redis",
    "celery",
    "pyyaml",
    "tqdm",
    "click",
]
_NPM_PACKAGES = [
    "react",
    "react-dom",
    "lodash",
    "axios",
    "express",
    "chalk",
    "debug",
    "commander",
    "uuid",
    "zod",
    "dayjs",
    "classnames",
    "prop-types",
    "tslib",
    "rxjs",
    "yargs",
    "semver",
    "minimist",
    "ws",
]


def _model_id(rng: random.Random) -> str:
    return f"org-{rng.randrange(40)}/model-{rng.randrange(300)}"


def _dataset_id(rng: random.Random) -> str:
    return f"org-{rng.randrange(40)}/corpus-{rng.randrange(60)}"


def _name(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(_WORDS) for _ in range(parts))


def _py_function(rng: random.Random) -> str:
    name = _name(rng)
    arg, other = rng.sample(_WORDS, 2)
    body = [f'    """Return the {arg} {other} after {rng.choice(_WORDS)} handling."""']
    body.append(f"    result = []  # {rng.choice(_WORDS)} {rng.choice(_WORDS)}")
    for _ in range(rng.randint(3, 12)):
        word = rng.choice(_WORDS)
        body.append(f"    for item in {arg}.{word}s:")
        body.append(f"        if item.{rng.choice(_WORDS)} > {rng.randint(0, 99)}:")
        body.append(f"            result.append(item.{word}_{rng.choice(_WORDS)}())")
    body.append(f"    logger.debug('%s {name}: %d', {other!r}, len(result))")
    body.append("    return result")
    return f"def {name}({arg}: Any, {other}: int = {rng.randint(1, 9)}) -> list[Any]:\n" + (
        "\n".join(body) + "\n"
    )


def _py_class(rng: random.Random) -> str:
    cls = "".join(w.capitalize() for w in rng.sample(_WORDS, 2))
    lines = [f"class {cls}:", f'    """A {rng.choice(_WORDS)} of {rng.choice(_WORDS)}s."""', ""]
    lines.append(f"    limit = {rng.randint(1, 4096)}")
    lines.append("")
    lines.append("    def __init__(self, name: str) -> None:")
    lines.append("        self.name = name")
    lines.append("        self.items: dict[str, int] = {}")
    for _ in range(rng.randint(2, 6)):
        method = _name(rng)
        lines.append("")
        lines.append(f"    def {method}(self, key: str) -> int:")
        lines.append(f'        """The {rng.choice(_WORDS)} count for *key*."""')
        lines.append(f"        value = self.items.get(key, {rng.randint(0, 9)})")
        lines.append("        if value > self.limit:")
        lines.append(f"            raise ValueError(f'{{key}}: {rng.choice(_WORDS)} too large')")
        lines.append("        return value")
    return "\n".join(lines) + "\n"


def _py_model_use(rng: random.Random) -> str:
    kind = rng.randrange(4)
    model = _model_id(rng)
    if kind == 0:
        return (
            "from transformers import AutoModelForCausalLM, AutoTokenizer\n\n\n"
            "def load_model():\n"
            f'    tokenizer = AutoTokenizer.from_pretrained("{model}")\n'
            f'    return tokenizer, AutoModelForCausalLM.from_pretrained("{model}")\n'
        )
    if kind == 1:
        return (
            "from transformers import pipeline\n\n"
            f'CLASSIFIER = pipeline("text-classification", model="{model}")\n'
        )
    if kind == 2:
        return (
            "from datasets import load_dataset\n\n\n"
            "def training_data():\n"
            f'    return load_dataset("{_dataset_id(rng)}", split="train")\n'
        )
    return (
        "from openai import OpenAI\n\n\n"
        "def ask(prompt: str) -> str:\n"
        "    reply = OpenAI().chat.completions.create(\n"
        f'        model="{rng.choice(["gpt-4o", "gpt-4o-mini", "o3-mini"])}",\n'
        '        messages=[{"role": "user", "content": prompt}],\n'
        "    )\n"
        "    return reply.choices[0].message.content or ''\n"
    )


def python_module(rng: random.Random, with_model: bool) -> str:
    """An ordinary module: imports, a few classes and functions; some load a model."""
    parts = [f'"""The {_name(rng)} {rng.choice(_WORDS)} module."""\n']
    parts.append("from __future__ import annotations\n\nimport logging\nfrom typing import Any\n")
    if with_model:
        parts.append(_py_model_use(rng))
    parts.append("logger = logging.getLogger(__name__)\n")
    parts.extend(
        _py_class(rng) if rng.random() < 0.4 else _py_function(rng)
        for _ in range(rng.randint(2, 6))
    )
    return "\n\n".join(parts)


def notebook(rng: random.Random) -> str:
    """A Jupyter notebook with markdown and code cells, some loading a model."""
    cells: list[dict[str, object]] = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# {_name(rng)} experiments\n"]}
    ]
    for index in range(rng.randint(3, 10)):
        if rng.random() < 0.3:
            source = _py_model_use(rng)
        else:
            source = f"df = pd.read_csv('data/{_name(rng)}.csv')\ndf.describe()\n"
        cells.append(
            {
                "cell_type": "code",
                "execution_count": index + 1,
                "metadata": {},
                "outputs": [],
                "source": source.splitlines(keepends=True),
            }
        )
    document = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4}
    document["nbformat_minor"] = 5
    return json.dumps(document, indent=1) + "\n"


def yaml_config(rng: random.Random) -> str:
    """A training config (some name a model) or a deployment config."""
    if rng.random() < 0.15:
        return (
            f"model_name_or_path: {_model_id(rng)}\n"
            f"dataset_name: {_dataset_id(rng)}\n"
            f"learning_rate: {rng.choice(['1e-4', '2e-5', '5e-5'])}\n"
            f"num_train_epochs: {rng.randint(1, 5)}\n"
            f"per_device_train_batch_size: {rng.choice([4, 8, 16])}\n"
            "bf16: true\n"
        )
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {_name(rng)}"]
    lines += ["spec:", f"  replicas: {rng.randint(1, 6)}", "  template:", "    spec:"]
    lines += ["      containers:"]
    for _ in range(rng.randint(1, 3)):
        lines.append(f"        - name: {rng.choice(_WORDS)}")
        lines.append(f"          image: registry.example.com/{_name(rng)}:{rng.randint(1, 40)}")
        lines.append("          env:")
        for _ in range(rng.randint(2, 6)):
            lines.append(f"            - name: {rng.choice(_WORDS).upper()}_{rng.randint(1, 9)}")
            lines.append(f'              value: "{rng.randint(0, 9999)}"')
    return "\n".join(lines) + "\n"


def json_config(rng: random.Random) -> str:
    """Settings; a few are Hugging Face ``config.json`` files."""
    if rng.random() < 0.1:
        data: dict[str, object] = {
            "_name_or_path": _model_id(rng),
            "architectures": ["LlamaForCausalLM"],
            "hidden_size": rng.choice([2048, 4096]),
            "model_type": "llama",
        }
    else:
        data = {
            rng.choice(_WORDS): {w: rng.randint(0, 1000) for w in rng.sample(_WORDS, 6)}
            for _ in range(rng.randint(2, 6))
        }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def markdown(rng: random.Random) -> str:
    """Documentation prose; a few pages mention a model."""
    lines = [f"# {_name(rng).replace('_', ' ').title()}", ""]
    for _ in range(rng.randint(3, 12)):
        lines.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(12, 30))) + ".")
        lines.append("")
    if rng.random() < 0.05:
        lines += ["```python", _py_model_use(rng).rstrip(), "```", ""]
    return "\n".join(lines)


def requirements(rng: random.Random) -> str:
    chosen = sorted(rng.sample(_PY_PACKAGES, rng.randint(4, 12)))
    return "".join(
        f"{p}=={rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}\n" for p in chosen
    )


def pyproject(rng: random.Random, name: str) -> str:
    deps = ", ".join(f'"{p}>={rng.randint(0, 5)}.0"' for p in rng.sample(_PY_PACKAGES, 5))
    version = f"0.{rng.randint(1, 20)}.0"
    return f'[project]\nname = "{name}"\nversion = "{version}"\ndependencies = [{deps}]\n'


def poetry_lock(rng: random.Random) -> str:
    out = []
    for index in range(rng.randint(120, 220)):
        name = f"{rng.choice(_PY_PACKAGES)}-{rng.choice(_WORDS)}-{index}"
        version = f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.0"
        out.append(
            f'[[package]]\nname = "{name}"\nversion = "{version}"\n'
            f'description = "{" ".join(rng.sample(_WORDS, 6))}"\noptional = false\n'
            f'python-versions = ">=3.8"\nfiles = [\n    {{file = "{name}.whl", '
            f'hash = "sha256:{rng.getrandbits(256):064x}"}},\n]\n'
        )
    return "\n".join(out) + '\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\n'


def package_json(rng: random.Random, name: str) -> str:
    deps = {p: f"^{rng.randint(1, 18)}.{rng.randint(0, 9)}.0" for p in rng.sample(_NPM_PACKAGES, 8)}
    data = {"name": name, "version": "1.0.0", "private": True, "dependencies": deps}
    return json.dumps(data, indent=2) + "\n"


def package_lock(rng: random.Random, name: str, count: int) -> str:
    packages: dict[str, object] = {"": {"name": name, "version": "1.0.0"}}
    for index in range(count):
        pkg = f"{rng.choice(_NPM_PACKAGES)}-{rng.choice(_WORDS)}-{index}"
        packages[f"node_modules/{pkg}"] = {
            "version": f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
            "resolved": f"https://registry.npmjs.org/{pkg}/-/{pkg}-1.0.0.tgz",
            "integrity": f"sha512-{rng.getrandbits(384):096x}",
            "license": rng.choice(["MIT", "ISC", "Apache-2.0", "BSD-3-Clause"]),
        }
    data = {"name": name, "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    return json.dumps(data, indent=2) + "\n"


def javascript(rng: random.Random) -> str:
    """An application module; a few call a model."""
    lines = [f"import {{ {rng.choice(_WORDS)} }} from './{rng.choice(_WORDS)}.js';", ""]
    if rng.random() < 0.03:
        lines += [
            "import { pipeline } from '@huggingface/transformers';",
            f"export const classify = await pipeline('sentiment-analysis', '{_model_id(rng)}');",
            "",
        ]
    for _ in range(rng.randint(2, 8)):
        name = _name(rng).replace("_", "")
        lines.append(f"export function {name}(items, limit = {rng.randint(1, 99)}) {{")
        lines.append(f"  const out = items.filter((x) => x.{rng.choice(_WORDS)} < limit);")
        lines.append(f"  return out.map((x) => ({{ ...x, {rng.choice(_WORDS)}: true }}));")
        lines.append("}")
        lines.append("")
    return "\n".join(lines)


def minified_js(rng: random.Random, size: int) -> str:
    """One long line of minified code, about *size* bytes."""
    chunks = []
    total = 0
    while total < size:
        a, b = rng.choice("abcdefghij"), rng.choice("klmnopqrst")
        chunk = (
            f"var {a}{rng.randrange(999)}=function({b}){{return {b}.{rng.choice(_WORDS)}"
            f"?{b}.map(function(e){{return e*{rng.randrange(97)}}}):null}};"
        )
        chunks.append(chunk)
        total += len(chunk)
    return "".join(chunks) + "\n"


def safetensors_header(metadata: dict[str, str], tensor_bytes: int) -> bytes:
    """The length prefix and JSON header of a safetensors file with one F16 tensor."""
    header = {
        "__metadata__": metadata,
        "weight": {"dtype": "F16", "shape": [tensor_bytes // 2], "data_offsets": [0, tensor_bytes]},
    }
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def write_safetensors(path: Path, tensor_bytes: int, metadata: dict[str, str]) -> None:
    """A safetensors file whose header is valid; the data is a hole (sparse) or zeros."""
    header = safetensors_header(metadata, tensor_bytes)
    with path.open("wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + tensor_bytes)


def gguf_file(rng: random.Random) -> bytes:
    """A GGUF v3 header with general.* metadata and no tensors."""

    def string(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<Q", len(raw)) + raw

    def kv(key: str, value: str) -> bytes:
        return string(key) + struct.pack("<I", 8) + string(value)

    base = _model_id(rng)
    kvs = [
        kv("general.architecture", "llama"),
        kv("general.name", f"Model {rng.randrange(1000)}"),
        kv("general.license", rng.choice(_LICENSES)),
        string("general.base_model.count") + struct.pack("<I", 4) + struct.pack("<I", 1),
        kv("general.base_model.0.repo_url", f"https://huggingface.co/{base}"),
    ]
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs)


@dataclass
class Layout:
    """How many files of each kind a repository of *total* files gets."""

    total: int
    services: int = 0
    webapps: int = 0
    node_modules: int = 0
    app_js: int = 0
    vendored_min_js: int = 0
    notebooks: int = 0
    yaml: int = 0
    json: int = 0
    markdown: int = 0
    data: int = 0
    weights: int = 0
    python: int = 0

    @classmethod
    def of(cls, total: int) -> Layout:
        layout = cls(total)
        layout.services = max(4, total // 1000)
        layout.webapps = max(1, total // 25_000)
        layout.node_modules = total // 4
        layout.app_js = total * 6 // 100
        layout.vendored_min_js = max(3, total // 2500)
        layout.notebooks = max(5, total // 150)
        layout.yaml = total * 4 // 100
        layout.json = total * 3 // 100
        layout.markdown = total * 5 // 100
        layout.data = total * 3 // 100
        layout.weights = max(4, total // 5000)
        fixed = (
            layout.node_modules
            + layout.app_js
            + layout.vendored_min_js
            + layout.notebooks
            + layout.yaml
            + layout.json
            + layout.markdown
            + layout.data
            + layout.weights
            + 1  # the 10 GiB weight file
            + 2  # .gitignore, README.md
            + layout.services * 4  # pyproject.toml, requirements.txt, README.md, __init__.py
            + (layout.services + 4) // 5  # poetry.lock of every fifth service
            + layout.webapps * 2  # package.json, package-lock.json
        )
        layout.python = total - fixed
        if layout.python < layout.services:
            raise SystemExit(f"{total} files are too few for a realistic repository (>= 2000)")
        return layout


class Generator:
    """Writes a deterministic synthetic monorepo of exactly *total* files.

    The mix, for 100,000 files: 100 Python services (``services/svc-NNN``: a package of
    ordinary modules, about 2% of them loading a model or dataset or calling a hosted
    model, plus tests, ``pyproject.toml``, ``requirements.txt``, a ``poetry.lock`` in
    every fifth), web apps with ``package.json``, a large ``package-lock.json``,
    JavaScript modules and vendored minified bundles, and a ``node_modules`` tree of a
    quarter of all files (ignored by git, skipped by modelbom); notebooks, YAML and JSON
    configs (some naming models), Markdown docs, CSV/text/PNG data, small safetensors and
    GGUF files with real headers, and one sparse 10 GiB safetensors file with a valid
    header (``models/big/``, untracked, as a downloaded model usually is).
    """

    def __init__(self, root: Path, total: int, seed: int) -> None:
        self.root = root
        self.layout = Layout.of(total)
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.written = 0
        self.bytes = 0

    def write(self, rel: str, content: str | bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
        self.written += 1
        self.bytes += len(data)

    def build(self) -> None:
        rng, lay = self.rng, self.layout
        self.write(".gitignore", "node_modules/\n__pycache__/\n*.pyc\n.venv/\n")
        self.write("README.md", "# Monorepo\n\nServices, web apps, research notebooks.\n")
        services = [f"services/svc-{i:03d}" for i in range(lay.services)]
        for index, svc in enumerate(services):
            package = f"svc_{index:03d}"
            self.write(f"{svc}/pyproject.toml", pyproject(rng, package))
            self.write(f"{svc}/requirements.txt", requirements(rng))
            self.write(f"{svc}/README.md", markdown(rng))
            self.write(f"{svc}/src/{package}/__init__.py", f'"""The {package} service."""\n')
            if index % 5 == 0:
                self.write(f"{svc}/poetry.lock", poetry_lock(rng))
        for index in range(lay.python):
            number = index % lay.services
            package = f"svc_{number:03d}"
            if rng.random() < 0.2:
                rel = f"services/svc-{number:03d}/tests/test_{_name(rng)}_{index}.py"
            else:
                sub = rng.choice(["api", "core", "jobs", "models", "utils"])
                rel = f"services/svc-{number:03d}/src/{package}/{sub}/{_name(rng)}_{index}.py"
            self.write(rel, python_module(rng, with_model=rng.random() < 0.02))
        self._web()
        for index in range(lay.notebooks):
            self.write(f"research/notebooks/{_name(rng)}_{index}.ipynb", notebook(rng))
        for index in range(lay.yaml):
            where = rng.choice(
                ["deploy/k8s", "configs/train", f"services/svc-{index % lay.services:03d}/config"]
            )
            self.write(f"{where}/{_name(rng)}_{index}.yaml", yaml_config(rng))
        for index in range(lay.json):
            self.write(f"configs/settings/{_name(rng)}_{index}.json", json_config(rng))
        for index in range(lay.markdown):
            self.write(f"docs/{rng.choice(_WORDS)}/{_name(rng)}_{index}.md", markdown(rng))
        self._data()
        self._weights()

    def _web(self) -> None:
        rng, lay = self.rng, self.layout
        apps = [f"web/app-{i}" for i in range(lay.webapps)]
        for app in apps:
            self.write(f"{app}/package.json", package_json(rng, app.replace("/", "-")))
            self.write(
                f"{app}/package-lock.json",
                package_lock(rng, app.replace("/", "-"), 400 + lay.total // 200),
            )
        for index in range(lay.app_js):
            ext = rng.choice([".js", ".ts", ".jsx"])
            self.write(f"{apps[index % len(apps)]}/src/{_name(rng)}_{index}{ext}", javascript(rng))
        for index in range(lay.vendored_min_js):
            size = rng.randint(50_000, 400_000)
            rel = f"{apps[index % len(apps)]}/static/vendor/{_name(rng)}-{index}.min.js"
            self.write(rel, minified_js(rng, size))
        left = lay.node_modules
        index = 0
        while left > 0:
            app = apps[index % len(apps)]
            pkg = f"{rng.choice(_NPM_PACKAGES)}-{rng.choice(_WORDS)}-{index}"
            base = f"{app}/node_modules/{pkg}"
            if rng.random() < 0.3:
                base = f"{app}/node_modules/{rng.choice(_NPM_PACKAGES)}/node_modules/{pkg}"
            files = {
                f"{base}/package.json": package_json(rng, pkg),
                f"{base}/index.js": javascript(rng),
                f"{base}/lib/{rng.choice(_WORDS)}.js": javascript(rng),
                f"{base}/README.md": markdown(rng),
                f"{base}/LICENSE": "MIT License\n\nPermission is hereby granted, free of charge.\n",
            }
            for rel, content in list(files.items())[:left]:
                self.write(rel, content)
                left -= 1
            index += 1

    def _data(self) -> None:
        rng = self.rng
        for index in range(self.layout.data):
            kind = index % 3
            if kind == 0:
                rows = "\n".join(
                    ",".join(str(rng.randint(0, 999)) for _ in range(6)) for _ in range(60)
                )
                self.write(f"data/tables/{_name(rng)}_{index}.csv", "a,b,c,d,e,f\n" + rows + "\n")
            elif kind == 1:
                self.write(f"data/text/{_name(rng)}_{index}.txt", markdown(rng))
            else:
                png = b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(1000, 6000))
                self.write(f"data/images/{_name(rng)}_{index}.png", png)

    def _weights(self) -> None:
        rng = self.rng
        for index in range(self.layout.weights):
            if index % 2 == 0:
                metadata = {"format": "pt", "modelspec.license": rng.choice(_LICENSES)}
                header = safetensors_header(metadata, 4096)
                self.write(f"models/small-{index}/model.safetensors", header + bytes(4096))
            else:
                self.write(f"models/quant-{index}/model.Q4_K_M.gguf", gguf_file(rng))
        big = self.root / "models" / "big" / "model.safetensors"
        big.parent.mkdir(parents=True, exist_ok=True)
        write_safetensors(big, 10 * GIB, {"format": "pt"})
        self.written += 1


def _git(root: Path, *args: str) -> None:
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, stdout=subprocess.DEVNULL)


@dataclass(frozen=True)
class BenchRepo:
    """A generated repository and what it holds."""

    root: Path
    files: int
    bytes: int
    touch: str  # the file the warm scan changes


def generated(base: Path, total: int, seed: int, fresh: bool) -> BenchRepo:
    """The repository of *total* files, from the cache folder or written now."""
    name = f"repo-g{GENERATOR_VERSION}-n{total}-s{seed}"
    folder = base / name
    marker = folder / "bench.json"
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if not marker.is_file():
        if folder.exists():
            shutil.rmtree(folder)  # an interrupted generation
        building = base / f".{name}.{os.getpid()}"
        root = building / "repo"
        root.mkdir(parents=True)
        started = time.perf_counter()
        print(f"generating {total:,} files in {folder} ...", flush=True)
        gen = Generator(root, total, seed)
        gen.build()
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "-A", "--", ".", ":(exclude)models/big")
        _git(
            root,
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "commit",
            "-q",
            "-m",
            "synthetic monorepo",
        )
        touch = next(str(p.relative_to(root)) for p in sorted((root / "services").rglob("*.py")))
        info = {"files": gen.written, "bytes": gen.bytes, "touch": touch}
        (building / "bench.json").write_text(json.dumps(info))
        building.rename(folder)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    info = json.loads(marker.read_text())
    root = folder / "repo"
    # A run killed during its warm scan leaves the changed file behind: put back what the
    # commit holds (tracked files only; the untracked weight file is left alone).
    _git(root, "checkout", "-q", "--", ".")
    return BenchRepo(root, int(info["files"]), int(info["bytes"]), str(info["touch"]))


# -- the figures ------------------------------------------------------------------------------


@dataclass
class Figure:
    """One line of the final table."""

    name: str
    value: str
    target: str
    ok: bool | None  # None: no target, shown for information


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.figures.append(Figure(name, value, target, ok))

    def print(self) -> None:
        print("targets")
        width = max(len(f.name) for f in self.figures)
        print(f"{'figure':<{width}}  {'value':>22}  {'target':<22} result")
        for f in self.figures:
            result = "" if f.ok is None else ("PASS" if f.ok else "MISS")
            print(f"{f.name:<{width}}  {f.value:>22}  {f.target:<22} {result}")


def grep_baseline(root: Path) -> float:
    """Seconds of ``grep -rIl`` over the files modelbom lists (best of two, cache warm)."""
    command = ["grep", "-rIl"]
    command += [f"--exclude-dir={d}" for d in sorted(DEFAULT_SKIP_DIRS)]
    command += [PATTERN, str(root)]
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False)  # warm the page cache
    return min(run_timed(command).wall for _ in range(2))


@contextlib.contextmanager
def one_file_changed(path: Path) -> Iterator[None]:
    """Append a line to *path* for the duration, then restore it byte for byte."""
    original = path.read_bytes()
    path.write_bytes(original + f"# changed by the benchmark at {time.time()}\n".encode())
    try:
        yield
    finally:
        path.write_bytes(original)


@dataclass(frozen=True)
class ScanFigures:
    mode: str
    cold: Run
    warm: Run | None
    listed: int
    crawled: int


def scan_args(repo: BenchRepo, mode: str, cache: Path, out: Path) -> list[str]:
    """``modelbom scan`` arguments for an offline scan of *repo* in *mode*."""
    args = [str(repo.root), "--offline", "--cache-dir", str(cache), "-o", str(out)]
    return [*args, "--no-git"] if mode == "fs" else args


def scan_repo(repo: BenchRepo, mode: str, work: Path, warm: bool) -> ScanFigures:
    """A cold and (with *warm*) a warm offline scan of *repo* in *mode* (``git``/``fs``)."""
    args = scan_args(repo, mode, work / f"cache-{mode}", work / f"bom-{mode}.json")
    cold = check(run_timed(modelbom("scan", *args)), f"cold {mode} scan")
    listed, crawled = listed_files(cold.stderr)
    again = None
    if warm:
        with one_file_changed(repo.root / repo.touch):
            again = check(run_timed(modelbom("scan", *args)), f"warm {mode} scan")
    return ScanFigures(mode, cold, again, listed, crawled)


def profile_scan(repo: BenchRepo, mode: str, work: Path, path: Path) -> None:
    """One more cold scan, under cProfile (not timed: the profiler slows it down)."""
    args = scan_args(repo, mode, work / "cache-profile", work / "bom-profile.json")
    command = [sys.executable, "-m", "cProfile", "-o", str(path), "-m", "modelbom", "scan", *args]
    check(run_timed(command), "profiled scan")
    print_profile(path)


def bench_size(
    total: int, args: argparse.Namespace, report: Report, scale: float, largest: bool
) -> None:
    repo = generated(args.bench_dir, total, args.seed, args.fresh)
    grep = grep_baseline(repo.root)
    print(
        f"\nrepository of {repo.files:,} files ({repo.bytes / MIB:,.0f} MiB written, "
        f"plus a sparse 10 GiB weight file): {repo.root}"
    )
    print(f"grep -rIl {PATTERN} over the same files: {grep:.2f} s")
    print(
        f"{'mode':<5} {'scan':<5} {'listed':>8} {'crawled':>8} {'wall s':>8} {'files/s':>8} "
        f"{'RSS MiB':>8} {'x grep':>7}"
    )
    results: list[ScanFigures] = []
    with tempfile.TemporaryDirectory(prefix="modelbom-bench-") as tmp:
        for mode in args.modes:
            if mode == "fs" and total > args.fs_up_to:
                print(f"fs    (not timed above {args.fs_up_to:,} files: --fs-up-to)")
                continue
            figures = scan_repo(repo, mode, Path(tmp), warm=mode == "git")
            results.append(figures)
            runs = [("cold", figures.cold)]
            if figures.warm is not None:
                runs.append(("warm", figures.warm))
            for label, run in runs:
                print(
                    f"{mode:<5} {label:<5} {figures.listed:>8,} {figures.crawled:>8,} "
                    f"{run.wall:>8.2f} {figures.listed / run.wall:>8,.0f} {run.rss_mib:>8.0f} "
                    f"{run.wall / grep:>7.1f}"
                )
        if args.profile is not None:
            profile_scan(repo, args.modes[0], Path(tmp), args.profile)
    if not largest:
        return
    size = f"{total // 1000}k"
    scaled = "" if scale == 1.0 else " (scaled)"
    for figures in results:
        cold_target = TARGET_COLD_S * scale
        report.add(
            f"{size} cold scan, {figures.mode}",
            f"{figures.cold.wall:.1f} s",
            f"< {cold_target:.0f} s{scaled}",
            figures.cold.wall < cold_target,
        )
        ratio = figures.cold.wall / grep
        report.add(
            f"{size} cold scan / grep, {figures.mode}",
            f"{ratio:.1f}x ({grep:.2f} s)",
            f"<= {TARGET_GREP_RATIO:.0f}x",
            ratio <= TARGET_GREP_RATIO,
        )
        if figures.warm is not None:
            report.add(
                f"{size} warm re-scan, 1 file changed, {figures.mode}",
                f"{figures.warm.wall:.1f} s",
                f"< {TARGET_WARM_S:.0f} s",
                figures.warm.wall < TARGET_WARM_S,
            )
        rss = max(figures.cold.rss_mib, figures.warm.rss_mib if figures.warm else 0.0)
        report.add(
            f"{size} peak RSS, {figures.mode}",
            f"{rss:.0f} MiB",
            f"< {TARGET_RSS_MIB:.0f} MiB",
            rss < TARGET_RSS_MIB,
        )


def bench_weights(report: Report) -> None:
    """One 10 GiB sparse safetensors file against a 1 MiB one with the same header."""
    print("\nweight-file size (best of three scans of a folder holding one file)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="modelbom-bench-weights-") as tmp:
        for label, size in (("10 GiB", 10 * GIB), ("1 MiB", MIB)):
            folder = Path(tmp) / label.replace(" ", "")
            folder.mkdir()
            write_safetensors(folder / "model.safetensors", size, {"format": "pt"})
            runs = [
                check(
                    run_timed(
                        modelbom(
                            "scan",
                            str(folder),
                            "--offline",
                            "--no-git",
                            "-o",
                            os.devnull,
                            "--cache-dir",
                            str(Path(tmp) / f"cache-{label}-{i}"),
                        )
                    ),
                    f"scan of the {label} file",
                )
                for i in range(3)
            ]
            wall = min(r.wall for r in runs)
            rss = min(r.rss_mib for r in runs)
            rows.append((wall, rss))
            print(f"{label:>7}: {wall:.2f} s, {rss:.0f} MiB")
    (big_wall, big_rss), (small_wall, small_rss) = rows
    same_time = abs(big_wall - small_wall) <= max(0.5, 0.25 * small_wall)
    same_rss = abs(big_rss - small_rss) <= 8
    report.add(
        "10 GiB vs 1 MiB weight file: time",
        f"{big_wall:.2f} / {small_wall:.2f} s",
        "within 0.5 s or 25%",
        same_time,
    )
    report.add(
        "10 GiB vs 1 MiB weight file: RSS",
        f"{big_rss:.0f} / {small_rss:.0f} MiB",
        "within 8 MiB",
        same_rss,
    )


def bench_startup(report: Report) -> None:
    """``--version`` and a scan of a one-file folder, best of three."""
    with tempfile.TemporaryDirectory(prefix="modelbom-bench-startup-") as tmp:
        root = Path(tmp) / "tiny"
        root.mkdir()
        (root / "app.py").write_text('model = AutoModel.from_pretrained("acme/tiny")\n')
        version = min(run_timed(modelbom("--version")).wall for _ in range(3))
        tiny = min(
            check(
                run_timed(
                    modelbom(
                        "scan",
                        str(root),
                        "--offline",
                        "-q",
                        "-o",
                        os.devnull,
                        "--cache-dir",
                        str(Path(tmp) / f"cache-{i}"),
                    )
                ),
                "scan of a one-file folder",
            ).wall
            for i in range(3)
        )
    print(f"\nstart-up: --version {version:.2f} s, scan of a one-file folder {tiny:.2f} s")
    report.add("start-up: modelbom --version", f"{version:.2f} s")
    report.add("start-up: scan of one file (offline)", f"{tiny:.2f} s")


def _hub_env(endpoint: str, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HF_", "HUGGING_FACE", "MODELBOM_", "CIVITAI_"))
    }
    closed = "http://127.0.0.1:9"  # the other sources: refused at once
    env.update(
        {
            "HF_ENDPOINT": endpoint,
            "HF_HOME": str(home / "hf-home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
            "CIVITAI_API_BASE": closed,
            "MODELBOM_PYPI_URL": closed,
            "MODELBOM_NPM_REGISTRY": closed,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    return env


@dataclass(frozen=True)
class Resolution:
    wall: float
    span: float
    requests: int
    in_flight: int
    limited: int
    unresolved: int
    most_per_id: int


def resolve_ids(work: Path, limit: int | None) -> Resolution:
    """Scan a file naming HUB_IDS Hub models online against the fake Hub."""
    from tests.fakehub import FakeHub, RateLimitWindow

    root = work / "ids"
    root.mkdir(parents=True)
    ids = [f"bench-org/model-{i:04d}" for i in range(HUB_IDS)]
    lines = [f'm{i} = AutoModel.from_pretrained("{rid}")' for i, rid in enumerate(ids)]
    (root / "models.py").write_text("\n".join(lines) + "\n")
    window = RateLimitWindow(limit=limit, window=2.0) if limit else None
    with FakeHub(latency=HUB_LATENCY_S, rate_limit=window) as hub:
        for index, rid in enumerate(ids):
            card: dict[str, object] = {"license": _LICENSES[index % len(_LICENSES)]}
            if index % 10 == 1:  # a fine-tune of another id of the set: lineage, no new id
                card["base_model"] = ids[index - 1]
            hub.add_model(rid, card_data=card)
        command = modelbom(
            "scan", str(root), "--cache-dir", str(work / "cache"), "-o", str(work / "bom.json")
        )
        run = check(run_timed(command, env=_hub_env(hub.url, work)), "online scan")
        seen = hub.requests
        in_flight = hub.max_in_flight
    unresolved = int(re.search(r"(\d+) unresolved", run.stderr).group(1))  # type: ignore[union-attr]
    span = seen[-1].at - seen[0].at + HUB_LATENCY_S if seen else 0.0
    counts = Counter(r.repo_id for r in seen if r.kind == "api")
    return Resolution(
        wall=run.wall,
        span=span,
        requests=len(seen),
        in_flight=in_flight,
        limited=sum(r.rate_limited for r in seen),
        unresolved=unresolved,
        most_per_id=max(counts.values(), default=0),
    )


def bench_resolution(report: Report) -> None:
    print(f"\nresolution: {HUB_IDS:,} Hub ids, fake Hub with {HUB_LATENCY_S * 1000:.0f} ms latency")
    print(
        f"{'quota':<22} {'scan s':>7} {'resolve s':>9} {'requests':>8} {'in flight':>9} "
        f"{'429s':>5} {'unresolved':>10}"
    )
    rows: list[tuple[str, Resolution]] = []
    for label, limit in (("none", None), ("150 per 2 s window", 150)):
        with tempfile.TemporaryDirectory(prefix="modelbom-bench-hub-") as tmp:
            res = resolve_ids(Path(tmp), limit)
        rows.append((label, res))
        print(
            f"{label:<22} {res.wall:>7.2f} {res.span:>9.2f} {res.requests:>8,} {res.in_flight:>9} "
            f"{res.limited:>5} {res.unresolved:>10}"
        )
    plain, limited = rows[0][1], rows[1][1]
    report.add(
        f"{HUB_IDS:,} Hub ids resolved (50 ms latency)",
        f"{plain.span:.1f} s, {plain.in_flight} in flight",
        f"< {TARGET_RESOLUTION_S:.0f} s",
        plain.span < TARGET_RESOLUTION_S and plain.unresolved == 0,
    )
    report.add(
        "... with 429s: all resolved, retries <= cap",
        f"{limited.limited} 429s, {limited.span:.1f} s, <= {limited.most_per_id - 1} retries",
        f"0 unresolved, <= {HUB_MAX_RETRIES} retries",
        limited.unresolved == 0
        and limited.limited > 0
        and limited.most_per_id <= 1 + HUB_MAX_RETRIES,
    )


# -- corpus quality and the machine -----------------------------------------------------------


def corpus_quality() -> None:
    """Recall and precision of discovery on each corpus repository and overall."""
    from tests.corpus import repositories, score, total

    scores = [score(name) for name in repositories()]
    print("discovery quality on fixtures/corpus (expected vs found)")
    print(f"{'repository':<24} {'expected':>8} {'found':>6} {'recall':>7} {'precision':>9}")
    for s in [*scores, total(scores)]:
        print(f"{s.name:<24} {s.expected:>8} {s.reported:>6} {s.recall:>7.3f} {s.precision:>9.3f}")
    print()


def machine() -> str:
    """CPU model, cores, memory and load, as the figures depend on them."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory} RAM, load {load}; "
        f"python {platform.python_version()}"
    )


def _sizes(args: argparse.Namespace) -> list[int]:
    if args.quick:
        return [10_000]
    return list(args.sizes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=list(DEFAULT_SIZES),
        metavar="N",
        help="repository sizes in files",
    )
    parser.add_argument("--quick", action="store_true", help="only the 10,000-file repository")
    parser.add_argument("--modes", nargs="+", choices=["git", "fs"], default=["git", "fs"])
    parser.add_argument(
        "--fs-up-to",
        type=int,
        default=10_000,
        metavar="N",
        help="time the file-system mode (--no-git, cold) only for repositories up to N files",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--bench-dir", type=Path, default=None, help="where generated repositories are kept"
    )
    parser.add_argument("--fresh", action="store_true", help="regenerate the repositories")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="FILE",
        help="cProfile one more cold scan of the smallest size into FILE",
    )
    for part in ("corpus", "startup", "weights", "resolution"):
        parser.add_argument(f"--skip-{part}", action="store_true")
    args = parser.parse_args(argv)
    # On SIGTERM (a timeout, a kill), unwind like on Ctrl-C, so that the file changed for
    # the warm scan is restored and temporary folders are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if args.bench_dir is None:
        env = os.environ.get("MODELBOM_BENCH_DIR")
        args.bench_dir = Path(env) if env else Path.home() / ".cache" / "modelbom-bench"
    args.bench_dir.mkdir(parents=True, exist_ok=True)

    print(f"machine: {machine()}\n", flush=True)
    if not args.skip_corpus:
        corpus_quality()
    report = Report()
    if not args.skip_startup:
        bench_startup(report)
    sizes = sorted(_sizes(args))
    for index, total in enumerate(sizes):
        largest = index == len(sizes) - 1
        profile = args.profile if index == 0 else None
        run_args = argparse.Namespace(**{**vars(args), "profile": profile})
        bench_size(total, run_args, report, scale=min(1.0, total / TARGET_FILES), largest=largest)
    if not args.skip_weights:
        bench_weights(report)
    if not args.skip_resolution:
        bench_resolution(report)
    print(f"\nmachine at the end: {machine()}\n")
    report.print()
    return 0


def print_profile(path: Path, top: int = 25) -> None:
    """The functions with the most cumulative time in a cProfile file."""
    import pstats

    print(f"\nprofile of the first cold scan ({path}), top {top} by cumulative time:")
    stats = pstats.Stats(str(path), stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
