"""The engine: guards around crawlers and resolvers, limits, merging, scopes."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import ClassVar

from modelbom.crawlers import Crawler, CrawlError, FileInput, NeedBytes, PythonCrawler
from modelbom.engine import scan
from modelbom.model import (
    BaseModelRef,
    Component,
    Evidence,
    Finding,
    Kind,
    LicenseClaim,
    Relation,
    ResolutionStatus,
    Scope,
    Stage,
)
from modelbom.options import ScanOptions
from modelbom.resolvers import ResolveContext, Resolved, Resolver, ResolverError


class ExplodingCrawler(Crawler):
    """A crawler with a bug: it raises on every file it wants."""

    name = "exploding"

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".txt"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        raise ZeroDivisionError("division by zero in a crawler")


class RefusingCrawler(Crawler):
    """A crawler that rejects bad input the documented way."""

    name = "refusing"

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".txt"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        raise CrawlError("not the expected format")


class DocsCrawler(Crawler):
    """Reports one docs-scope finding per markdown file."""

    name = "docs"

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".md"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        ev = Evidence(file=file.path, line=1, crawler=self.name, scope=Scope.DOCS)
        return [Finding(kind=Kind.MODEL, id="acme/only-in-docs", evidence=ev)]


class FixedResolver(Resolver):
    """Knows one component's license; fails on another."""

    name = "fixed"

    def resolve(self, component: Component) -> Resolved | None:
        if component.id == "acme/known":
            license = LicenseClaim(raw="mit", expression="MIT", source=self.name)
            return Resolved(source=self.name, licenses=(license,))
        if component.id == "acme/broken":
            raise ResolverError("source answered 500")
        return None


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_crawler_bug_becomes_an_unknown_and_the_scan_goes_on(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "x", "app.py": 'AutoModel.from_pretrained("acme/model-a")\n'})
    result = scan(ScanOptions(root=tmp_path), crawlers=[ExplodingCrawler(), PythonCrawler()])
    assert [c.id for c in result.components] == ["acme/model-a"]
    (unknown,) = result.unknowns
    assert unknown.file == "a.txt"
    assert unknown.stage is Stage.CRAWL
    assert (
        unknown.reason
        == "exploding crawler failed: ZeroDivisionError: division by zero in a crawler"
    )


def test_a_crawl_error_names_the_crawler_and_the_reason(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "x"})
    result = scan(ScanOptions(root=tmp_path), crawlers=[RefusingCrawler()])
    assert [(u.file, u.reason) for u in result.unknowns] == [
        ("a.txt", "refusing: not the expected format")
    ]


def test_a_file_over_the_size_cap_is_an_unknown(tmp_path: Path) -> None:
    write(
        tmp_path, {"big.py": "x = 1\n" * 100, "small.py": 'AutoModel.from_pretrained("acme/m")\n'}
    )
    result = scan(ScanOptions(root=tmp_path, max_file_bytes=200))
    assert [c.id for c in result.components] == ["acme/m"]
    assert [(u.file, u.stage, u.reason) for u in result.unknowns] == [
        ("big.py", Stage.READ, "file too large: 600 bytes (limit 200)")
    ]
    assert result.incomplete


def test_docs_findings_stay_out_of_components_unless_asked(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "see acme/only-in-docs"})
    default = scan(ScanOptions(root=tmp_path), crawlers=[DocsCrawler()])
    assert len(default.findings) == 1
    assert default.components == ()
    included = scan(ScanOptions(root=tmp_path, include_docs=True), crawlers=[DocsCrawler()])
    assert [c.id for c in included.components] == ["acme/only-in-docs"]


def test_resolvers_run_in_order_and_failures_are_reasons(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app.py": "\n".join(
                f'AutoModel.from_pretrained("acme/{name}")' for name in ("known", "broken", "other")
            )
        },
    )
    result = scan(
        ScanOptions(root=tmp_path, cache_dir=tmp_path / "cache"), resolvers=[FixedResolver()]
    )
    status = {c.id: (c.resolution.status, c.resolution.reason) for c in result.components}
    assert status["acme/known"] == (ResolutionStatus.RESOLVED, "")
    assert status["acme/broken"] == (ResolutionStatus.UNRESOLVED, "fixed: source answered 500")
    assert status["acme/other"][0] is ResolutionStatus.UNRESOLVED


class LineageResolver(Resolver):
    """A tiny Hub: each model's base, licenses and training data, with a cycle."""

    name = "lineage"
    BASES: ClassVar[dict[str, tuple[str, Relation]]] = {
        "acme/adapter": ("acme/finetune", Relation.ADAPTER),
        "acme/finetune": ("acme/base", Relation.FINETUNE),
        "acme/base": ("acme/finetune", Relation.BASE),  # a cycle, as found in the wild
    }

    def __init__(self) -> None:
        self.offline: bool | None = None
        self.asked: list[str] = []

    def prepare(self, context: ResolveContext) -> None:
        self.offline = context.offline

    def resolve(self, component: Component) -> Resolved | None:
        self.asked.append(component.id)
        license = LicenseClaim(raw="apache-2.0", expression="Apache-2.0", source=self.name)
        if component.kind is Kind.DATASET:
            return Resolved(source=self.name, licenses=(license,))
        base = self.BASES.get(component.id)
        if base is None:
            return None
        return Resolved(
            source=self.name,
            licenses=(license,),
            base_models=(BaseModelRef(id=base[0], relation=base[1], source=self.name),),
            datasets=("acme/corpus",) if component.id == "acme/base" else (),
            revision="a" * 40,
        )


def test_lineage_is_followed_once_per_component_through_cycles(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": 'PeftModel.from_pretrained(base, "acme/adapter")\n'})
    resolver = LineageResolver()
    result = scan(ScanOptions(root=tmp_path, cache_dir=tmp_path / "cache"), resolvers=[resolver])
    got = {
        (c.kind.value, c.id): (c.resolution.status.value, bool(c.evidence))
        for c in result.components
    }
    assert got == {
        ("adapter", "acme/adapter"): ("resolved", True),
        ("model", "acme/finetune"): ("resolved", False),
        ("model", "acme/base"): ("resolved", False),
        ("dataset", "acme/corpus"): ("resolved", False),
    }
    assert sorted(resolver.asked) == sorted(
        ["acme/adapter", "acme/finetune", "acme/base", "acme/corpus"]
    )
    assert resolver.offline is False
    (adapter,) = [c for c in result.components if c.id == "acme/adapter"]
    assert adapter.base_models[0].relation is Relation.ADAPTER
    assert adapter.resolved_revision == "a" * 40


def test_resolvers_learn_that_the_scan_is_offline(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": 'PeftModel.from_pretrained(base, "acme/adapter")\n'})
    resolver = LineageResolver()
    scan(ScanOptions(root=tmp_path, offline=True, cache_dir=tmp_path / "c"), resolvers=[resolver])
    assert resolver.offline is True


def test_components_merge_every_occurrence_sorted(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "b.py": 'AutoModel.from_pretrained("acme/shared")\n',
            "a.py": 'x = 1\nAutoModel.from_pretrained("acme/shared")\n',
        },
    )
    result = scan(ScanOptions(root=tmp_path))
    (component,) = result.components
    assert [(e.file, e.line) for e in component.evidence] == [("a.py", 2), ("b.py", 1)]
    assert [(f.evidence.file, f.evidence.line) for f in result.findings] == [
        ("a.py", 2),
        ("b.py", 1),
    ]
    assert component.bom_ref == scan(ScanOptions(root=tmp_path)).components[0].bom_ref


class HeaderCrawler(Crawler):
    """A header reader: the first 4 bytes declare how many header bytes follow."""

    name = "header"
    prefix_only = True
    max_bytes = 64
    first_read = 8
    seen: ClassVar[list[int]] = []

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".hdr"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        HeaderCrawler.seen.append(len(file.data))
        declared = int(file.data[:4])
        if len(file.data) < 4 + declared:
            raise NeedBytes(4 + declared, f"header of {declared} bytes past the read cap")
        ident = file.data[4 : 4 + declared].decode()
        ev = Evidence(file=file.path, line=1, crawler=self.name)
        return [Finding(kind=Kind.MODEL, id=ident, evidence=ev)]


def test_a_prefix_crawler_reads_little_first_and_more_only_when_the_header_asks(
    tmp_path: Path,
) -> None:
    HeaderCrawler.seen.clear()
    (tmp_path / "small.hdr").write_bytes(b"0004ac/m" + bytes(1000))
    (tmp_path / "long.hdr").write_bytes(b"0030" + b"acme/" + b"x" * 25 + bytes(1000))
    (tmp_path / "huge.hdr").write_bytes(b"0900" + b"y" * 1000)
    result = scan(ScanOptions(root=tmp_path), crawlers=[HeaderCrawler()], resolvers=[])
    assert sorted(c.id for c in result.components) == ["ac/m", "acme/" + "x" * 25]
    # huge.hdr, long.hdr, small.hdr in walk order: 8 then the 64-byte cap; 8 then 34; 8.
    assert HeaderCrawler.seen == [8, 64, 8, 34, 8]
    assert [(u.file, u.reason) for u in result.unknowns] == [
        ("huge.hdr", "header: header of 900 bytes past the read cap")
    ]


class SniffingCrawler(Crawler):
    """Wants files by their magic bytes whatever their name."""

    name = "sniffing"
    sniff_bytes = 4

    def wants(self, path: PurePosixPath, size: int) -> bool:
        return path.suffix == ".magic"

    def wants_content(self, path: PurePosixPath, size: int, head: bytes) -> bool:
        return head == b"MAG!"

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        ev = Evidence(file=file.path, line=1, crawler=self.name)
        return [Finding(kind=Kind.MODEL_FILE, id=file.path, evidence=ev)]


def test_files_no_crawler_wants_by_name_are_offered_by_their_first_bytes(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_bytes(b"MAG!" + bytes(100))
    (tmp_path / "plain.txt").write_bytes(b"hello, world")
    (tmp_path / "named.magic").write_bytes(b"anything")
    (tmp_path / "empty.png").write_bytes(b"")
    result = scan(ScanOptions(root=tmp_path), crawlers=[SniffingCrawler()], resolvers=[])
    assert sorted(c.id for c in result.components) == ["named.magic", "notes.txt"]
    assert result.stats.files_crawled == 2


def test_a_safetensors_header_longer_than_the_first_read_is_still_read(tmp_path: Path) -> None:
    header = {
        "__metadata__": {"format": "pt", "modelspec.title": "t" * 150_000},
        "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    }
    body = json.dumps(header).encode()
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", len(body)) + body + bytes(16))
    result = scan(ScanOptions(root=tmp_path), resolvers=[])
    (component,) = result.components
    assert component.kind is Kind.MODEL_FILE
    properties = dict(component.properties)
    assert properties["framework"] == "pt"
    assert properties["tensor_count"] == "1"
    assert not result.unknowns


def test_a_file_wanted_by_name_is_still_offered_by_its_bytes_to_the_others(
    tmp_path: Path,
) -> None:
    class TextCrawler(Crawler):
        name = "text"

        def wants(self, path: PurePosixPath, size: int) -> bool:
            return path.suffix == ".txt"

        def crawl(self, file: FileInput) -> Iterable[Finding]:
            return []

    (tmp_path / "notes.txt").write_bytes(b"MAG!" + bytes(100))
    (tmp_path / "plain.txt").write_bytes(b"hello, world")
    result = scan(
        ScanOptions(root=tmp_path), crawlers=[TextCrawler(), SniffingCrawler()], resolvers=[]
    )
    assert [c.id for c in result.components] == ["notes.txt"]
    assert not result.unknowns
