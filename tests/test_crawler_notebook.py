"""The notebook crawler: code cells only, with the notebook line, cell and cell line."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.notebook import NotebookCrawler
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.model import Finding, Kind, Scope
from tests.support import crawler_golden

FAKE_TOKEN = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"  # the one in the fixture notebook


def code(source: str | list[str], outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
    }


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def notebook(*cells: dict[str, Any], language: str = "python") -> dict[str, Any]:
    return {
        "cells": list(cells),
        "metadata": {"kernelspec": {"language": language, "name": "k", "display_name": "K"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def lines(source: str) -> list[str]:
    """A cell source as Jupyter stores it: one string per line."""
    return source.splitlines(keepends=True)


def crawl_text(text: str, path: str = "nb.ipynb") -> list[Finding]:
    data = text.encode()
    return list(NotebookCrawler().crawl(FileInput(path=path, data=data, size=len(data))))


def crawl(doc: dict[str, Any], path: str = "nb.ipynb", *, indent: int | None = 1) -> list[Finding]:
    return crawl_text(json.dumps(doc, indent=indent), path)


def found(*cells: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.kind.value, f.id) for f in crawl(notebook(*cells))]


def test_wants_notebooks_only() -> None:
    crawler = NotebookCrawler()
    assert crawler.wants(PurePosixPath("course/01_intro.ipynb"), 10)
    assert not crawler.wants(PurePosixPath("intro.py"), 10)
    assert crawler.max_bytes == 64 * 1024 * 1024


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param(
            code('from transformers import AutoModel\nm = AutoModel.from_pretrained("org-a/m1")'),
            [("model", "org-a/m1")],
            id="python-cell-one-string",
        ),
        pytest.param(
            code(lines('ds = load_dataset("imdb")\n')),
            [("dataset", "imdb")],
            id="python-cell-line-list",
        ),
        pytest.param(
            code(["!huggingface-cli download org-a/cli-model --local-dir ./m"]),
            [("model", "org-a/cli-model")],
            id="shell-escape",
        ),
        pytest.param(
            code(["!!git clone https://huggingface.co/datasets/org-a/cloned ./data"]),
            [("dataset", "org-a/cloned")],
            id="double-bang",
        ),
        pytest.param(
            code(lines("%%bash\nhf download org-a/bash-cell\n")),
            [("model", "org-a/bash-cell")],
            id="bash-cell-magic",
        ),
        pytest.param(
            code(lines("%%script sh\nollama pull qwen2.5:7b\n")),
            [("model", "qwen2.5:7b")],
            id="script-cell-magic",
        ),
        pytest.param(
            code(lines("%sh\nhuggingface-cli download org-a/databricks-sh\n")),
            [("model", "org-a/databricks-sh")],
            id="databricks-sh",
        ),
        pytest.param(
            code(lines('%%time\nm = AutoModel.from_pretrained("org-a/timed")\n')),
            [("model", "org-a/timed")],
            id="time-cell-magic-is-python",
        ),
        pytest.param(
            code(lines('%time m = AutoModel.from_pretrained("org-a/line-timed")\n')),
            [("model", "org-a/line-timed")],
            id="time-line-magic-is-python",
        ),
        pytest.param(
            code(
                lines(
                    "import os\n"
                    'if not os.path.exists("w"):\n'
                    "    !git clone https://huggingface.co/org-a/indented w\n"
                    'tok = AutoTokenizer.from_pretrained("org-a/after-shell")\n'
                )
            ),
            [("model", "org-a/indented"), ("model", "org-a/after-shell")],
            id="indented-shell-escape-keeps-python-valid",
        ),
        pytest.param(
            code(
                lines(
                    "files = !ls\n"
                    "AutoModel.from_pretrained?\n"
                    'm = AutoModel.from_pretrained("org-a/with-ipython-syntax")\n'
                )
            ),
            [("model", "org-a/with-ipython-syntax")],
            id="shell-assignment-and-help",
        ),
        pytest.param(
            code(lines("!huggingface-cli download \\\n    org-a/continued\nx = 1\n")),
            [("model", "org-a/continued")],
            id="shell-continuation",
        ),
    ],
)
def test_cell_patterns(cell: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert found(cell) == expected


def test_names_are_followed_across_cells() -> None:
    assert found(
        code('MODEL_ID = "org-a/cross-cell"'),
        markdown("Now load it."),
        code("model = AutoModelForCausalLM.from_pretrained(MODEL_ID)"),
    ) == [("model", "org-a/cross-cell")]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "!pip install -q -U transformers==4.44.2 peft",
            [("transformers", "4.44.2", 20), ("peft", None, 41)],
            id="bang-pip-with-flags",
        ),
        pytest.param(
            '%pip install "accelerate>=0.30" Flash_Attn==2.6.3 -r requirements.txt',
            [("accelerate", None, 15), ("flash-attn", "2.6.3", 33)],
            id="magic-pip-normalised",
        ),
        pytest.param(
            "!python -m pip install --index-url https://download.pytorch.org/whl/cu121 torch==2.3.1",
            [("torch", "2.3.1", 75)],
            id="python-m-pip-index-url",
        ),
        pytest.param(
            "!pip install --upgrade pip setuptools wheel sentencepiece",
            [("sentencepiece", None, 45)],
            id="installer-tools-skipped",
        ),
        pytest.param(
            "!pip install git+https://github.com/huggingface/transformers -e . ./pkg x.whl {pkg}",
            [],
            id="urls-paths-and-substitutions-skipped",
        ),
        pytest.param("!pip uninstall -y torch", [], id="uninstall"),
        pytest.param("!pip install numpy==1.*", [("numpy", None, 14)], id="wildcard-not-a-pin"),
        pytest.param(
            "%pip install zope.interface Ruamel.YAML__clib",
            [("zope-interface", None, 14), ("ruamel-yaml-clib", None, 29)],
            id="pep-503-names-as-in-requirements-files",
        ),
    ],
)
def test_pip_install_gives_libraries(
    source: str, expected: list[tuple[str, str | None, int]]
) -> None:
    findings = [f for f in crawl(notebook(code(source))) if f.kind is Kind.LIBRARY]
    assert [(f.id, f.version, f.evidence.column) for f in findings] == expected
    for finding in findings:
        assert finding.ecosystem == "pypi"
        assert finding.properties == {"dependency_scope": "runtime"}


def test_evidence_names_file_line_cell_and_cell_line() -> None:
    doc = notebook(
        markdown("# Title"),
        code(lines('import torch\nm = AutoModel.from_pretrained("org-a/located")\n')),
    )
    text = json.dumps(doc, indent=1)
    (finding,) = crawl_text(text)
    ev = finding.evidence
    raw_lines = text.splitlines()
    assert "org-a/located" in raw_lines[ev.line - 1]
    assert (ev.cell, ev.cell_line, ev.column) == (1, 2, 31)
    assert ev.snippet == 'm = AutoModel.from_pretrained("org-a/located")'
    assert ev.crawler == "notebook"


def test_one_line_notebook_reports_line_one() -> None:
    doc = notebook(code(["x = 1\n", "!hf download org-a/minified"]))
    (finding,) = crawl(doc, indent=None)
    ev = finding.evidence
    assert (ev.line, ev.cell, ev.cell_line, ev.column) == (1, 0, 2, 14)
    assert ev.snippet == "!hf download org-a/minified"


def test_nbformat_3_worksheets() -> None:
    doc = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "source": ["org-a/in-markdown"]},
                    {
                        "cell_type": "code",
                        "input": ["import x\n", 'p = pipeline("fill-mask", "org-a/nb3")'],
                        "language": "python",
                        "outputs": [],
                    },
                ]
            }
        ],
    }
    text = json.dumps(doc, indent=1)
    (finding,) = crawl_text(text)
    assert finding.id == "org-a/nb3"
    assert (finding.evidence.cell, finding.evidence.cell_line) == (1, 2)
    assert "org-a/nb3" in text.splitlines()[finding.evidence.line - 1]


@pytest.mark.parametrize(
    "cells",
    [
        pytest.param(
            [
                code(
                    "print('ok')",
                    outputs=[
                        {
                            "name": "stdout",
                            "output_type": "stream",
                            "text": ["Loading meta-llama/Llama-2-7b-hf\n"],
                        },
                        {
                            "output_type": "display_data",
                            "metadata": {},
                            "data": {
                                "text/html": '<a href="https://huggingface.co/org-a/html">x</a>',
                                "text/plain": "AutoModel.from_pretrained('org-a/plain')",
                            },
                        },
                    ],
                )
            ],
            id="outputs",
        ),
        pytest.param(
            [
                markdown(
                    '`AutoModel.from_pretrained("org-a/md")` and https://huggingface.co/org-a/md'
                )
            ],
            id="markdown-cell",
        ),
        pytest.param(
            [code(lines('%%html\n<a href="https://huggingface.co/org-a/h">x</a>\n'))],
            id="html-cell-magic",
        ),
        pytest.param([code(lines("%md\nUse `hf download org-a/databricks-md`\n"))], id="md-magic"),
        pytest.param(
            [code(lines('trainer.push_to_hub("org-a/output")\nmodel.save_pretrained("out")\n'))],
            id="push-target",
        ),
        pytest.param(
            [code(lines("!huggingface-cli upload org-a/pushed ./out\n!huggingface-cli login\n"))],
            id="upload-and-login",
        ),
    ],
)
def test_traps_are_not_references(cells: list[dict[str, Any]]) -> None:
    assert found(*cells) == []


def test_cell_that_does_not_parse_reports_nothing_and_others_still_do() -> None:
    findings = crawl(
        notebook(
            code('broken = AutoModel.from_pretrained("org-a/broken"'),
            code('ok = AutoModel.from_pretrained("org-a/ok")'),
            code("also broken (((\n!hf download org-a/shell-still-read"),
        )
    )
    assert [(f.id, f.evidence.cell) for f in findings] == [
        ("org-a/ok", 1),
        ("org-a/shell-still-read", 2),
    ]


def test_every_cell_failing_to_parse_is_not_an_error() -> None:
    assert crawl(notebook(code("def ("), code("class"))) == []


def test_non_python_kernel_is_not_read_as_python() -> None:
    doc = notebook(code('library(x)\nm <- from_pretrained("org-a/r")'), language="R")
    assert crawl(doc) == []


def test_scope_follows_the_notebook_path() -> None:
    doc = notebook(code('!pip install peft\nAutoModel.from_pretrained("org-a/ex")'))
    findings = crawl(doc, "examples/demo.ipynb")
    assert {f.evidence.scope for f in findings} == {Scope.EXAMPLE}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"{not json", "not a valid notebook: Expecting property name", id="bad-json"),
        pytest.param(b"[1, 2]", "top level is not a JSON object", id="not-an-object"),
        pytest.param(b'{"nbformat": 4}', "no cells", id="no-cells"),
        pytest.param(b'{"nbformat": 2, "x": []}', "unsupported nbformat 2", id="nbformat-2"),
        pytest.param(b'{"cells": [1]}', "a cell is not a JSON object", id="cell-not-object"),
        pytest.param(
            b'{"cells": [{"cell_type": "code", "source": [1]}]}',
            "source of cell 0 is not text",
            id="source-not-text",
        ),
        pytest.param(b'{"worksheets": [{}]}', "worksheet 0 has no cell list", id="bad-worksheet"),
        pytest.param(b'{"cells": []}\xff', "not UTF-8", id="not-utf8"),
        pytest.param(b"[" * 100_000, "nested too deeply", id="deep-nesting"),
    ],
)
def test_malformed_notebooks_are_crawl_errors(data: bytes, reason: str) -> None:
    with pytest.raises(CrawlError, match=reason):
        list(NotebookCrawler().crawl(FileInput(path="bad.ipynb", data=data, size=len(data))))


def test_large_outputs_are_skipped_not_copied() -> None:
    big = "A" * (8 * 1024 * 1024)
    doc = notebook(
        code(
            '!hf download org-a/with-big-output\nAutoModel.from_pretrained("org-a/big")',
            outputs=[
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/png": big, "text/plain": [FAKE_TOKEN]},
                }
            ],
        )
    )
    findings = crawl(doc)
    assert [f.id for f in findings] == ["org-a/with-big-output", "org-a/big"]
    dumped = json.dumps([f.model_dump(mode="json") for f in findings])
    assert FAKE_TOKEN not in dumped
    assert "AAAA" not in dumped


def test_golden() -> None:
    result = crawler_golden(
        [NotebookCrawler()], "crawlers/notebook", "crawler-notebook.findings.json"
    )
    assert not result.unknowns
    output = emitter_for(OutputFormat.FINDINGS_JSON).emit(result, EmitOptions()).decode()
    assert FAKE_TOKEN not in output
    assert "hf_QwErTy" not in output
    # Ids seen only in outputs and markdown cells are not findings.
    for trap in ("meta-llama/Meta-Llama-3-8B", "google/gemma-2-9b", "intfloat/e5-large-v2"):
        assert f'"{trap}"' not in output
