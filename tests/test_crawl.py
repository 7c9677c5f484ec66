"""The crawl stage: worker processes, the per-file result cache, revisits, notes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

import pytest

from modelbom.crawl import FileCache, SourceReader, crawl_files, stage
from modelbom.crawl import reader as reader_module
from modelbom.crawl.cache import FILE_NAME
from modelbom.crawlers import Crawler, FileInput, PythonCrawler, default_crawlers
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.engine import scan
from modelbom.model import Evidence, Finding, Kind, ScanResult, Stage
from modelbom.options import ScanOptions
from modelbom.walk import FileEntry, ReadError
from tests.corpus import CORPUS, repositories
from tests.support import copy_fixture

LOADER = 'from transformers import AutoModel\nAutoModel.from_pretrained("acme/model-{n}")\n'


def bom(result: ScanResult) -> bytes:
    return emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions(reproducible=True))


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Crawl in worker processes however few files there are."""
    monkeypatch.setattr(stage, "PARALLEL_MIN_FILES", 0)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Files written before the test's first scan count as settled after a short wait.

    The cache trusts a file's stat only when its times are older than the scan's start
    minus a margin of seconds; the margin is shortened so the test need not sleep long.
    """
    monkeypatch.setattr(reader_module, "RACY_MARGIN_NS", 200_000_000)
    yield


def settle() -> None:
    time.sleep(0.3)


def options(root: Path, cache: Path, **extra: object) -> ScanOptions:
    return ScanOptions(root=root, offline=True, cache_dir=cache, **extra)


# -- serial, parallel and cached scans give the same bytes -----------------------------


@pytest.mark.parametrize("name", repositories())
def test_parallel_and_serial_scans_of_the_corpus_give_the_same_bom(
    name: str, tmp_path: Path, parallel: None
) -> None:
    root = tmp_path / name
    import shutil

    shutil.copytree(CORPUS / name, root, symlinks=True)
    serial = scan(options(root, tmp_path / "c1", crawl_workers=1))
    forked = scan(options(root, tmp_path / "c2", crawl_workers=2))
    assert serial.stats.files_crawled == forked.stats.files_crawled > 0
    assert bom(serial) == bom(forked)


def test_a_warm_scan_gives_the_same_bom_and_crawls_only_what_changed(
    tmp_path: Path, settled: None
) -> None:
    root = copy_fixture("finetune-app", tmp_path)
    settle()
    cold = scan(options(root, tmp_path / "cache"))
    assert cold.stats.files_cached == 0
    warm = scan(options(root, tmp_path / "cache"))
    assert warm.stats.files_cached == warm.stats.files_crawled == cold.stats.files_crawled
    assert bom(warm) == bom(cold)
    # One file changes: only it is crawled again, and the BOM says what it now loads.
    train = root / "src" / "finetune_app" / "train.py"
    train.write_text(train.read_text() + 'AutoModel.from_pretrained("acme/added-model")\n')
    edited = scan(options(root, tmp_path / "cache"))
    assert edited.stats.files_cached == edited.stats.files_crawled - 1
    assert "acme/added-model" in {c.id for c in edited.components}
    assert "acme/added-model" not in {c.id for c in warm.components}


def test_a_file_written_just_before_the_scan_is_not_trusted_to_the_cache(
    tmp_path: Path,
) -> None:
    write(tmp_path / "repo", {"app.py": LOADER.format(n=1), "other.py": LOADER.format(n=2)})
    first = scan(options(tmp_path / "repo", tmp_path / "cache"))
    second = scan(options(tmp_path / "repo", tmp_path / "cache"))
    # Both files are younger than the margin: their stat may not change on a quick edit.
    assert (first.stats.files_cached, second.stats.files_cached) == (0, 0)
    assert bom(first) == bom(second)


def test_refresh_crawls_every_file_again(tmp_path: Path, settled: None) -> None:
    write(tmp_path / "repo", {"app.py": LOADER.format(n=1)})
    settle()
    scan(options(tmp_path / "repo", tmp_path / "cache"))
    refreshed = scan(options(tmp_path / "repo", tmp_path / "cache", refresh=True))
    again = scan(options(tmp_path / "repo", tmp_path / "cache"))
    assert (refreshed.stats.files_cached, again.stats.files_cached) == (0, 1)


class CountingCrawler(Crawler):
    """Reports one model per ``.txt`` file and counts the files it really crawled."""

    name = "counting"
    crawled: ClassVar[list[str]] = []

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".txt"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        CountingCrawler.crawled.append(file.path)
        ident = file.data.decode().strip()
        return [
            Finding(
                kind=Kind.MODEL,
                id=ident,
                evidence=Evidence(file=file.path, line=1, crawler=self.name),
            )
        ]


class CountingCrawlerV2(CountingCrawler):
    """The same crawler after a change of its output: a new version."""

    version = "2"


def test_a_new_crawler_version_crawls_its_files_again(tmp_path: Path, settled: None) -> None:
    write(tmp_path / "repo", {"a.txt": "acme/a", "b.txt": "acme/b"})
    settle()
    CountingCrawler.crawled.clear()
    opts = options(tmp_path / "repo", tmp_path / "cache", crawl_workers=1)
    scan(opts, crawlers=[CountingCrawler()], resolvers=[])
    scan(opts, crawlers=[CountingCrawler()], resolvers=[])
    assert CountingCrawler.crawled == ["a.txt", "b.txt"]
    result = scan(opts, crawlers=[CountingCrawlerV2()], resolvers=[])
    assert CountingCrawler.crawled == ["a.txt", "b.txt", "a.txt", "b.txt"]
    assert result.stats.files_cached == 0


@pytest.mark.parametrize(
    "payload",
    [
        '{"crawled": true, "findings": [{"kind": 3}]}',
        '{"crawled": true, "findings": 5}',
        '{"crawled": true, "notes": {"counting": [1]}}',
        "[1, 2]",
        "not json at all",
    ],
)
def test_an_unreadable_cache_entry_is_dropped_and_the_file_crawled_again(
    tmp_path: Path, settled: None, payload: str
) -> None:
    write(tmp_path / "repo", {"a.txt": "acme/a"})
    settle()
    CountingCrawler.crawled.clear()
    opts = options(tmp_path / "repo", tmp_path / "cache", crawl_workers=1)
    scan(opts, crawlers=[CountingCrawler()], resolvers=[])
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as db:
        db.execute("UPDATE results SET payload = ?", (payload,))
    result = scan(opts, crawlers=[CountingCrawler()], resolvers=[])
    assert [c.id for c in result.components] == ["acme/a"]
    assert CountingCrawler.crawled == ["a.txt", "a.txt"]
    assert scan(opts, crawlers=[CountingCrawler()], resolvers=[]).stats.files_cached == 1


def test_a_corrupt_cache_file_is_moved_aside(tmp_path: Path, settled: None) -> None:
    write(tmp_path / "repo", {"app.py": LOADER.format(n=1)})
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE_NAME).write_bytes(b"this is not a database" * 100)
    settle()
    result = scan(options(tmp_path / "repo", tmp_path / "cache"))
    assert [c.id for c in result.components] == ["acme/model-1"]
    assert (tmp_path / "cache" / (FILE_NAME + ".corrupt")).exists()
    assert scan(options(tmp_path / "repo", tmp_path / "cache")).stats.files_cached == 1


def test_a_cache_found_damaged_while_reading_is_moved_aside(tmp_path: Path, settled: None) -> None:
    files = {f"m{n}.py": LOADER.format(n=n) for n in range(300)}
    write(tmp_path / "repo", files)
    settle()
    scan(options(tmp_path / "repo", tmp_path / "cache"), resolvers=[])
    database = tmp_path / "cache" / FILE_NAME
    data = bytearray(database.read_bytes())
    assert len(data) > 3 * 4096
    data[4096:] = b"\xa5" * (len(data) - 4096)  # the header page is whole, the rows are not
    database.write_bytes(bytes(data))
    result = scan(options(tmp_path / "repo", tmp_path / "cache"), resolvers=[])
    assert len(result.components) == 300
    assert (tmp_path / "cache" / (FILE_NAME + ".corrupt")).exists()
    again = scan(options(tmp_path / "repo", tmp_path / "cache"), resolvers=[])
    assert again.stats.files_cached == 300


@pytest.mark.parametrize("asked", [3, 100])  # a few rows of many: lookups; most: one pass
def test_the_cache_returns_exactly_the_rows_asked_for(tmp_path: Path, asked: int) -> None:
    cache = FileCache(tmp_path / FILE_NAME)
    for n in range(100):
        cache.put(n.to_bytes(16, "big"), f'{{"crawled": true, "n": {n}}}')
    cache.flush()
    keys = [n.to_bytes(16, "big") for n in range(0, 200, 200 // asked)][:asked]
    found = cache.get_many(keys)
    assert found == {
        k: f'{{"crawled": true, "n": {int.from_bytes(k, "big")}}}'
        for k in keys
        if int.from_bytes(k, "big") < 100
    }
    cache.close()


def test_the_cache_evicts_the_results_used_longest_ago(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / FILE_NAME, max_bytes=64 * 1024)
    for n in range(2000):
        cache.put(n.to_bytes(16, "big"), json.dumps({"crawled": True, "pad": "x" * 100}))
    cache.flush()
    assert cache.size() > 64 * 1024
    removed = cache.evict()
    assert removed > 0
    assert cache.size() <= 64 * 1024
    kept = cache.get_many([n.to_bytes(16, "big") for n in range(2000)])
    assert len(kept) == 2000 - removed
    cache.close()


def test_secrets_in_notes_never_reach_the_cache(tmp_path: Path, settled: None) -> None:
    token = "hf_" + "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV"
    write(
        tmp_path / "repo",
        {
            "settings.py": f'TOKEN = "{token}"\nMODEL = "acme/private"\nAutoModel.from_pretrained(MODEL)\n',
            "app.py": "from settings import MODEL\nAutoModel.from_pretrained(MODEL)\n",
        },
    )
    settle()
    result = scan(options(tmp_path / "repo", tmp_path / "cache"))
    assert [(f.evidence.file, f.id) for f in result.findings] == [
        ("app.py", "acme/private"),
        ("settings.py", "acme/private"),
    ]
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").iterdir())
    assert b"acme/private" in stored
    assert token.encode() not in stored


CANARIES = [
    "hf_" + "a1B2c3D4e5F6g7H8i9J0kLmN",
    "api_org_" + "a1B2c3D4e5F6g7H8i9J0kLmN",
    "sk-ant-" + "a1B2c3D4e5F6g7H8i9J0kLmN",
    "sk-proj-" + "a1B2c3D4e5F6g7H8i9J0kLmN",
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV",
    "glpat-" + "a1B2c3D4e5F6g7H8i9J0kLmN",
    "AKIA" + "ABCDEFGHIJKLMNOP",
    "xoxb-" + "1234567890-abcdef",
    "https://user:" + "s3cret@example.com/repo",
]


class NotingCrawler(Crawler):
    """Notes every line of a file, nested, as a careless crawler might."""

    name = "noting"

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return True

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        lines = file.data.decode().splitlines()
        self.note(file.path, {"lines": lines, "by_line": {line: [line] for line in lines}})
        return []


def test_every_token_shape_is_redacted_from_notes(tmp_path: Path, settled: None) -> None:
    write(tmp_path / "repo", {"secrets.txt": "\n".join(f"key: {c}" for c in CANARIES)})
    settle()
    crawler = NotingCrawler()
    scan(options(tmp_path / "repo", tmp_path / "cache"), crawlers=[crawler], resolvers=[])
    ((_, note),) = crawler.notes()
    assert len(note["lines"]) == len(CANARIES)
    assert all("<redacted>" in line for line in note["lines"])
    stored = (tmp_path / "cache" / FILE_NAME).read_text(errors="replace")
    assert "key: <redacted>" in stored
    noted = json.dumps(note) + stored
    secrets = ["a1B2c3D4e5F6g7H8i9J0kLmN", "ABCDEFGHIJKLMNOP", "1234567890-abcdef", "s3cret"]
    assert not [s for s in secrets if s in noted]


# -- worker processes ------------------------------------------------------------------


class KillingCrawler(Crawler):
    """Kills the process that crawls ``die.txt``, as the OS kills one out of memory."""

    name = "killing"

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".txt"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        if file.path == "die.txt" and os.getpid() != MAIN_PID:
            os.kill(os.getpid(), signal.SIGKILL)
        ident = file.data.decode().strip()
        return [
            Finding(
                kind=Kind.MODEL,
                id=ident,
                evidence=Evidence(file=file.path, line=1, crawler=self.name),
            )
        ]


MAIN_PID = os.getpid()


class ExplodingCrawler(Crawler):
    name = "exploding"

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.name == "boom.txt"  # last in walk order: far from die.txt

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        raise ZeroDivisionError("division by zero in a crawler")


def test_a_killed_worker_costs_its_batch_as_unknowns_not_the_scan(
    tmp_path: Path, parallel: None
) -> None:
    files = {f"f{n:03}.txt": f"acme/m{n}" for n in range(100)}
    write(tmp_path / "repo", {**files, "die.txt": "acme/never", "zz/boom.txt": "acme/x"})
    opts = options(tmp_path / "repo", tmp_path / "cache", crawl_workers=2)
    start = time.monotonic()
    result = scan(opts, crawlers=[KillingCrawler(), ExplodingCrawler()], resolvers=[])
    assert time.monotonic() - start < 60
    died = {u.file for u in result.unknowns if "worker process died" in u.reason}
    assert "die.txt" in died
    assert len(died) <= stage._BATCH_FILES * 2  # its batches in flight, nothing more
    found = {c.id for c in result.components}
    assert "acme/never" not in found
    assert {f"acme/m{n}" for n in range(100)} - found == {files[f] for f in died if f in files}
    # A crawler bug in a worker is an Unknown as it is in the main process.
    assert (
        "zz/boom.txt",
        "exploding crawler failed: ZeroDivisionError: division by zero in a crawler",
    ) in {(u.file, u.reason) for u in result.unknowns}
    assert all(u.stage is Stage.CRAWL for u in result.unknowns)


def test_names_imported_across_modules_are_followed_by_workers_too(
    tmp_path: Path, parallel: None
) -> None:
    files = {f"pkg/mod{n}.py": f"def f{n}():\n    return {n}\n" for n in range(60)}
    files["pkg/constants.py"] = 'BASE = "acme/llama-7b"\nALIAS = BASE\n'
    files["pkg/reexport.py"] = "from .constants import ALIAS as MODEL\n"
    files["pkg/train.py"] = "from .reexport import MODEL\nAutoModel.from_pretrained(MODEL)\n"
    write(tmp_path / "repo", files)
    serial = scan(options(tmp_path / "repo", tmp_path / "c1", crawl_workers=1), resolvers=[])
    forked = scan(options(tmp_path / "repo", tmp_path / "c2", crawl_workers=2), resolvers=[])
    for result in (serial, forked):
        assert [(f.id, f.evidence.file) for f in result.findings] == [
            ("acme/llama-7b", "pkg/train.py")
        ]
    # Neither module on the way has a load call: both were analysed only when needed.
    crawler = PythonCrawler()
    scan(options(tmp_path / "repo", tmp_path / "c3", crawl_workers=2), crawlers=[crawler])
    lazy = {path for path, note in crawler.notes() if note.get("lazy")}
    analysed = {path for path, note in crawler.notes() if "exports" in note}
    assert {"pkg/constants.py", "pkg/reexport.py"} <= lazy & analysed
    assert "pkg/mod0.py" in lazy - analysed
    assert bom(serial) == bom(forked)


@dataclass(frozen=True, slots=True)
class BlobEntry(FileEntry):
    """An entry of a git revision: its content is named by a blob id."""

    blob: str = ""


class MemorySource:
    """Bytes served from memory, readable only here: the shape of a revision scan, whose
    blobs come through one ``git cat-file`` process."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self.blobs = blobs
        self.reads: list[tuple[str, int]] = []

    def read(self, entry: FileEntry, limit: int, *, prefix: bool = False) -> bytes:
        self.reads.append((entry.path, os.getpid()))
        data = self.blobs[entry.path]
        if not prefix and len(data) > limit:
            raise ReadError(f"file too large: {len(data)} bytes (limit {limit})")
        return data[:limit]


def test_a_source_only_the_main_process_can_read_keeps_the_crawl_there(
    tmp_path: Path, parallel: None
) -> None:
    blobs = {f"m{n}.py": LOADER.format(n=n).encode() for n in range(30)}
    entries = [
        BlobEntry(p, tmp_path / "absent", len(b), blob=hashlib.sha256(b).hexdigest())
        for p, b in blobs.items()
    ]
    source = MemorySource(blobs)
    for expected_cached in (0, 30):
        cache = FileCache(tmp_path / FILE_NAME)
        outcome = crawl_files(
            entries,
            default_crawlers(),
            reader=SourceReader(source),
            max_file_bytes=1 << 20,
            cache=cache,
            workers=2,
        )
        cache.close()
        assert outcome.cached == expected_cached
        assert sorted(f.id for f in outcome.findings) == sorted(
            f"acme/model-{n}" for n in range(30)
        )
    assert {pid for _, pid in source.reads} == {os.getpid()}
    assert len(source.reads) == 30  # the second scan read nothing: blob ids are exact


class SloppyCrawler(Crawler):
    """Notes something that is not JSON."""

    name = "sloppy"

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".txt"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        self.note(file.path, {"when": object()})
        return []


def test_notes_that_are_not_json_are_a_crawler_failure(tmp_path: Path) -> None:
    write(tmp_path / "repo", {"a.txt": "x"})
    result = scan(
        options(tmp_path / "repo", tmp_path / "cache"), crawlers=[SloppyCrawler()], resolvers=[]
    )
    (unknown,) = result.unknowns
    assert unknown.file == "a.txt"
    assert unknown.reason.startswith("sloppy crawler failed: notes are not JSON")


def test_ctrl_c_ends_a_parallel_scan_promptly_with_exit_130(tmp_path: Path) -> None:
    body = "\n".join(
        f'def load_{k}():\n    return AutoModel.from_pretrained("acme/m{k}")  # model=x'
        for k in range(150)
    )
    root = tmp_path / "repo"
    for n in range(1200):
        write(root, {f"pkg{n % 20}/mod{n}.py": body})
    env = dict(os.environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "modelbom", "scan", str(root), "--offline", "-v", "-o", os.devnull],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            if "worker processes" in line:
                break
        else:
            pytest.fail("the scan never started its workers")
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole group
        start = time.monotonic()
        code = process.wait(timeout=30)
        assert time.monotonic() - start < 10
        assert code == 130
        assert "interrupted" in process.stderr.read()
        time.sleep(0.5)
        with pytest.raises(ProcessLookupError):  # no worker left behind
            os.killpg(process.pid, 0)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_spawned_workers_give_the_same_bom(
    tmp_path: Path, parallel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a process cannot be forked (another thread runs, another platform), workers
    are spawned: the crawlers and the reader travel to them by pickle."""
    import multiprocessing

    from modelbom.crawl import workers

    monkeypatch.setattr(workers, "_context", lambda: multiprocessing.get_context("spawn"))
    root = copy_fixture("finetune-app", tmp_path)
    serial = scan(options(root, tmp_path / "c1", crawl_workers=1))
    spawned = scan(options(root, tmp_path / "c2", crawl_workers=2))
    assert bom(serial) == bom(spawned)
