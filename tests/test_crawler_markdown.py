"""The markdown crawler: documentation links and code blocks, all with scope docs."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

import pytest

from modelbom.crawlers.base import FileInput
from modelbom.crawlers.markdown import MarkdownCrawler
from modelbom.model import Finding, Scope
from tests.support import crawler_golden

FENCE = "```"


def crawl(text: str, path: str = "README.md") -> list[Finding]:
    data = textwrap.dedent(text).lstrip("\n").encode()
    return list(MarkdownCrawler().crawl(FileInput(path=path, data=data, size=len(data))))


def found(text: str, path: str = "README.md") -> list[tuple[str, str, int]]:
    return [(f.kind.value, f.id, f.evidence.line) for f in crawl(text, path)]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", True),
        ("docs/guide.md", True),
        ("docs/page.mdx", True),
        ("docs/index.rst", True),
        ("README.txt", True),
        ("readme-dev.txt", True),
        ("requirements.txt", False),
        ("NOTES.txt", False),
        ("train.py", False),
    ],
)
def test_wants_documents(path: str, expected: bool) -> None:
    assert MarkdownCrawler().wants(PurePosixPath(path), 100) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "See [the model](https://huggingface.co/org-a/model-b).",
            [("model", "org-a/model-b", 1)],
            id="model-link",
        ),
        pytest.param(
            "Data: <https://huggingface.co/datasets/org-a/data-b>",
            [("dataset", "org-a/data-b", 1)],
            id="dataset-autolink",
        ),
        pytest.param(
            "Mirror at https://hf.co/org-a/short-host.",
            [("model", "org-a/short-host", 1)],
            id="short-host-trailing-period",
        ),
        pytest.param(
            "Canonical: https://huggingface.co/datasets/squad and https://huggingface.co/gpt2",
            [("dataset", "squad", 1), ("model", "gpt2", 1)],
            id="canonical-names",
        ),
        pytest.param(
            '<a href="https://huggingface.co/org-a/html-link">x</a>',
            [("model", "org-a/html-link", 1)],
            id="html-link",
        ),
        pytest.param(
            "[ref]: https://huggingface.co/org-a/referenced/tree/v2",
            [("model", "org-a/referenced", 1)],
            id="reference-definition",
        ),
    ],
)
def test_links(text: str, expected: list[tuple[str, str, int]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("https://huggingface.co/spaces/org-a/app", id="space"),
        pytest.param("https://huggingface.co/docs/transformers/index", id="docs"),
        pytest.param("https://huggingface.co/blog/llama31", id="blog"),
        pytest.param("https://huggingface.co/papers/2310.16944", id="paper"),
        pytest.param("https://huggingface.co/learn/nlp-course/chapter1/1", id="learn"),
        pytest.param("https://huggingface.co/collections/org-a/c-65f0", id="collection"),
        pytest.param("https://huggingface.co/organizations/org-a/share/x", id="organizations"),
        pytest.param("https://huggingface.co/settings/tokens", id="settings"),
        pytest.param("https://huggingface.co/join", id="join"),
        pytest.param("https://huggingface.co/pricing", id="pricing"),
        pytest.param("https://huggingface.co/models?pipeline_tag=text-generation", id="search"),
        pytest.param("https://huggingface.co/datasets?search=imdb", id="dataset-search"),
        pytest.param("[Our org](https://huggingface.co/org-a)", id="bare-org"),
        pytest.param(
            "![badge](https://huggingface.co/datasets/huggingface/badges/resolve/main/x.svg)",
            id="badge-image",
        ),
        pytest.param("https://huggingface.co/org-a/model-b/resolve/main/fig.png", id="image"),
        pytest.param("https://huggingface.co/your-org/your-model", id="placeholder"),
        pytest.param("https://discuss.huggingface.co/t/org-a/123", id="forum"),
        pytest.param("https://huggingface.co/{org}/{model}", id="template"),
    ],
)
def test_link_traps(text: str) -> None:
    assert found(text) == []


def test_front_matter_is_skipped() -> None:
    text = """
        ---
        base_model: org-a/base
        datasets:
          - org-a/data
        see: https://huggingface.co/org-a/in-front-matter
        ---
        # Card
        Fine-tuned from https://huggingface.co/org-a/base.
        """
    assert found(text) == [("model", "org-a/base", 8)]


def test_python_blocks() -> None:
    text = f"""
        {FENCE}python
        from transformers import AutoModel
        model = AutoModel.from_pretrained("org-a/py-block")
        {FENCE}

        {FENCE}py title="load.py"
        ds = load_dataset("org-a/py-data")
        {FENCE}

        ~~~python
        not valid ( python = AutoModel.from_pretrained("org-a/unparsable")
        ~~~
        """
    assert found(text) == [("model", "org-a/py-block", 3), ("dataset", "org-a/py-data", 7)]


def test_pycon_block_reads_prompts_only() -> None:
    text = f"""
        {FENCE}pycon
        >>> from datasets import load_dataset
        >>> ds = load_dataset(
        ...     "org-a/pycon-data")
        >>> print("org-a/printed")
        org-a/output-line
        {FENCE}
        """
    findings = crawl(text)
    assert [(f.id, f.evidence.line, f.evidence.column) for f in findings] == [
        ("org-a/pycon-data", 4, 9)
    ]


def test_indented_block_in_a_list_keeps_columns() -> None:
    text = f"""
        1. Load:

           {FENCE}py
           m = SentenceTransformer("org-a/listed")
           {FENCE}
        """
    (finding,) = crawl(text)
    assert (finding.id, finding.evidence.line, finding.evidence.column) == ("org-a/listed", 4, 28)


def test_shell_blocks_strip_prompts_and_ignore_output() -> None:
    text = f"""
        {FENCE}console
        $ huggingface-cli download org-a/console-model \\
            --revision v1
        Fetching 3 files: Loading org-b/in-output
        $ git clone https://huggingface.co/spaces/org-a/space
        {FENCE}

        {FENCE}bash
        # ollama run llama3.1:8b
        vllm serve org-a/bash-model --served-model-name chat
        {FENCE}
        """
    findings = crawl(text)
    assert [(f.id, f.evidence.line, f.evidence.column, f.revision) for f in findings] == [
        ("org-a/console-model", 2, 28, "v1"),
        ("llama3.1:8b", 9, 14, None),
        ("org-a/bash-model", 10, 12, None),
    ]
    assert findings[0].evidence.snippet.startswith("$ huggingface-cli download")
    assert {f.evidence.scope for f in findings} == {Scope.DOCS}
    assert {f.evidence.crawler for f in findings} == {"markdown"}


def test_untagged_blocks_are_shell_or_python_by_content() -> None:
    text = f"""
        {FENCE}
        ollama pull org-a/untagged-shell
        {FENCE}

        {FENCE}
        pipe = pipeline("text-generation", model="org-a/untagged-python")
        {FENCE}

        {FENCE}
        The model org-a/plain-text is great.
        {FENCE}
        """
    assert found(text) == [
        ("model", "org-a/untagged-shell", 2),
        ("model", "org-a/untagged-python", 6),
    ]


def test_other_blocks_are_not_run_but_their_links_count() -> None:
    text = f"""
        {FENCE}yaml
        model: https://huggingface.co/org-a/yaml-link
        run: huggingface-cli download org-a/not-a-shell-block
        {FENCE}
        """
    assert found(text) == [("model", "org-a/yaml-link", 2)]


def test_restructuredtext_blocks_and_links() -> None:
    text = """
        Install
        =======

        .. code-block:: bash
           :caption: fetch

           huggingface-cli download org-a/rst-shell

        Load it::

            model = CrossEncoder("org-a/rst-literal")

        See `the card <https://huggingface.co/org-a/rst-link>`_.
        """
    assert found(text, "docs/index.rst") == [
        ("model", "org-a/rst-shell", 7),
        ("model", "org-a/rst-literal", 11),
        ("model", "org-a/rst-link", 13),
    ]


def test_everything_is_docs_scope_even_outside_docs_folders() -> None:
    text = f"See https://huggingface.co/org-a/x\n{FENCE}sh\n# hf download org-a/y\n{FENCE}\n"
    findings = crawl(text, "src/pkg/README.md")
    assert [f.id for f in findings] == ["org-a/x", "org-a/y"]
    assert {f.evidence.scope for f in findings} == {Scope.DOCS}


def test_document_without_blocks_or_links_is_skipped() -> None:
    assert crawl("# Title\n\nNothing to see: org-a/model-b is just text.\n") == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xfe```python\n\x00\x81 from_pretrained(\n", id="binary"),
        pytest.param(b"---\n" + b"a: b\n" * 100_000, id="unterminated-front-matter"),
        pytest.param(b"```bash\n" + b"hf download org-a/x \\\n" * 30_000, id="command-bomb"),
        pytest.param(b"```" * 200_000, id="fence-storm"),
        pytest.param(b"https://huggingface.co/" * 50_000, id="url-storm"),
    ],
)
def test_hostile_documents_do_not_crash(data: bytes) -> None:
    findings = list(MarkdownCrawler().crawl(FileInput(path="x.md", data=data, size=len(data))))
    assert all(f.evidence.scope is Scope.DOCS for f in findings)


def test_golden() -> None:
    result = crawler_golden(
        [MarkdownCrawler()], "crawlers/markdown", "crawler-markdown.findings.json"
    )
    assert not result.unknowns
    # Documentation never makes components unless asked for.
    assert not result.components


def test_javascript_blocks_are_read_too() -> None:
    text = """\
# Classifier

```js
import { pipeline } from '@huggingface/transformers';
const classify = await pipeline('sentiment-analysis', 'Xenova/distilbert-base-uncased-finetuned-sst-2-english');
```
"""
    findings = crawl(text)
    assert [(f.kind.value, f.id, f.evidence.line, f.evidence.scope) for f in findings] == [
        ("model", "Xenova/distilbert-base-uncased-finetuned-sst-2-english", 5, Scope.DOCS)
    ]
