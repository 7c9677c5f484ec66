"""Byte prefilters: a file they rule out must yield nothing when fully analysed."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from modelbom.crawlers import FileInput, PythonCrawler
from modelbom.crawlers import python_calls as calls
from modelbom.crawlers.base import CrawlError
from modelbom.crawlers.python import analyze_module, decode_source, may_refer
from modelbom.model import Scope
from tests.support import FIXTURES, REPO

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Real code of every shape: the standard library's packages, modelbom's own code and the
# fixtures (which are full of references).
SOURCES = sorted(
    [
        *(
            p
            for d in ("json", "email", "http", "logging", "asyncio", "unittest")
            for p in (STDLIB / d).glob("*.py")
        ),
        *(REPO / "src").rglob("*.py"),
        *FIXTURES.rglob("*.py"),
    ]
)


def test_the_sample_holds_code_of_both_kinds() -> None:
    ruled_out = [p for p in SOURCES if not may_refer(decode_source(p.read_bytes()))]
    assert 50 < len(ruled_out) < len(SOURCES) - 50


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_a_module_ruled_out_yields_no_finding_and_no_import_to_follow(path: Path) -> None:
    source = decode_source(path.read_bytes())
    if may_refer(source):
        return
    try:
        analysis = analyze_module(source, "pkg/mod.py", scope=Scope.CODE)
    except CrawlError:
        return  # only checked for syntax when ruled out: see the test below
    assert analysis.findings == []
    assert analysis.pending == []


@pytest.mark.parametrize(
    "source",
    [
        *(f'x.{name}("acme/model")' for name in ("from_pretrained", "from_single_file")),
        *(f'{name}("acme/model")' for name in calls.HUB_CLASSES),
        *(f'{name}(model="gpt-4o")' for name in calls.HOSTED_CLASSES),
        *(f'client.{name}(model="gpt-4o")' for name in sorted(calls.HOSTED_METHODS)),
        *(f'p.{name}("acme/lora")' for name in calls.ADAPTER_METHODS),
        'import timm\ntimm.create_model("vit", pretrained=True)',
        'from ollama import chat\nchat("llama3")',
        'mlflow.pyfunc.load_model("openai:/gpt-4o")',
        '# model = AutoModel.from_pretrained("acme/commented")',
        'def f():\n    """>>> load_dataset("acme/data")"""',
        "x = '\uff46rom_pretrained'",  # FULLWIDTH F: not ASCII, never ruled out
    ],
)
def test_every_kind_of_reference_passes_the_prefilter(source: str) -> None:
    assert may_refer(source)


def test_a_provider_uri_is_found_in_a_module_with_nothing_else() -> None:
    data = b'import mlflow\nmlflow.pyfunc.load_model("openai:/gpt-4o")\n'
    (finding,) = PythonCrawler().crawl(FileInput(path="serve.py", data=data, size=len(data)))
    assert (finding.kind.value, finding.id) == ("hosted-model", "gpt-4o")


@pytest.mark.parametrize(
    "source",
    ["def broken(:\n    pass\n", "x = 1\n\x00\n", "print 'python 2'\n", "nonlocal x\n"],
)
def test_a_module_ruled_out_is_still_checked_for_syntax(source: str) -> None:
    """Invalid Python is an Unknown whether or not it could hold a reference."""
    assert not may_refer(source)
    data = source.encode()
    crawler = PythonCrawler()
    try:
        analyze_module(source, "m.py", scope=Scope.CODE)
    except CrawlError as exc:
        with pytest.raises(CrawlError) as raised:
            crawler.crawl(FileInput(path="m.py", data=data, size=len(data)))
        assert str(raised.value) == str(exc)
    else:  # the compiler rejects it, the parser does not: analysed, not an error
        assert list(crawler.crawl(FileInput(path="m.py", data=data, size=len(data)))) == []
        assert crawler.notes() == []
