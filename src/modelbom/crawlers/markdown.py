"""Documentation: references mentioned in Markdown, MDX, reStructuredText and READMEs.

Everything this crawler reports has scope ``docs``: documentation is listed in the
findings but kept out of the BOM's components by default. It reads

* fenced code blocks tagged ``python`` / ``py`` / ``pycon`` (through the Python crawler's
  analysis) and ``bash`` / ``sh`` / ``shell`` / ``console`` blocks (through the shell
  crawler's analysis, ``$`` prompts stripped, output lines of prompted blocks ignored);
  untagged blocks are read as shell when they look like shell, else as Python when they
  parse; reStructuredText ``code-block`` directives and ``::`` literal blocks likewise;
* links to Hub repositories: ``https://huggingface.co/ORG/NAME`` (model) and
  ``https://huggingface.co/datasets/ORG/NAME`` (dataset), also on ``hf.co``.

Links to Spaces, docs, blog posts, papers, collections, organisations, search pages and
images are not references. YAML front matter (a model card's metadata) is skipped: model
cards are another crawler's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from modelbom.crawlers.base import Crawler, CrawlError, FileInput
from modelbom.crawlers.python import findings_from_source
from modelbom.crawlers.shell import find_hub_urls, findings_from_shell, parse_hub_url
from modelbom.model import Evidence, Finding, Scope

_PYTHON_LANGS = frozenset({"python", "py", "python3", "py3", "ipython", "ipython3"})
_PYCON_LANGS = frozenset({"pycon", "pytb-pycon", "python-console"})
_SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "terminal"})
_SHELL_LANGS_ALSO = frozenset({"shellsession", "sh-session", "bash-session"})
_JS_LANGS = frozenset(
    {"js", "javascript", "jsx", "mjs", "cjs", "ts", "typescript", "tsx", "mts", "cts"}
)
_SHELL_COMMANDS = frozenset(
    {
        "huggingface-cli", "hf", "git", "wget", "curl", "ollama", "vllm", "docker", "podman",
        "python", "python3", "pip", "pip3", "text-generation-launcher", "lm_eval", "lm-eval",
        "accelerate", "torchrun", "export", "sudo", "uv", "conda", "make", "bash", "sh",
    }
)  # fmt: skip
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".bmp", ".avif")
_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})[ \t]*\{?\.?([^\s`{}]*)")
_RST_DIRECTIVE = re.compile(r"(\s*)\.\.\s+(?:code-block|code|sourcecode)::\s*(\S*)\s*$")
_PROMPT = re.compile(r"(\s*)(\$ )")
_MAX_CHARS = 2 * 1024 * 1024
# Code blocks (fenced, or reStructuredText literal blocks) or Hub links.
_WORTH_READING = re.compile(rb"```|~~~|::|huggingface\.co|hf\.co")


@dataclass(slots=True)
class _Block:
    """A code block: its language class and the 0-based index of each body line."""

    lang: str  # python | pycon | shell | javascript | plain | other
    lines: list[int]
    strip: int = 0  # indentation to remove from each body line (fence indent)


def _classify(tag: str) -> str:
    tag = tag.lower()
    if tag in _PYTHON_LANGS:
        return "python"
    if tag in _PYCON_LANGS:
        return "pycon"
    if tag in _SHELL_LANGS or tag in _SHELL_LANGS_ALSO:
        return "shell"
    if tag in _JS_LANGS:
        return "javascript"
    return "plain" if not tag else "other"


def _front_matter_end(lines: list[str]) -> int:
    """Number of lines of YAML (``---``) or TOML (``+++``) front matter at the top."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return 0
    fence = lines[0].strip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    for index in range(1, len(lines)):
        if lines[index].strip() in closers:
            return index + 1
    return 0  # unterminated: not front matter


def _markdown_blocks(lines: list[str], start: int) -> list[_Block]:
    blocks: list[_Block] = []
    index = start
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent, marker, tag = len(fence.group(1)), fence.group(2), fence.group(3)
        if marker[0] == "`" and "`" in lines[index][fence.end() :]:
            index += 1  # ```inline``` is not a fence
            continue
        body: list[int] = []
        index += 1
        while index < len(lines):
            stripped = lines[index].strip()
            if stripped.startswith(marker[0] * len(marker)) and not stripped.strip(marker[0]):
                break
            body.append(index)
            index += 1
        index += 1
        blocks.append(_Block(_classify(tag), body, indent))
    return blocks


def _rst_blocks(lines: list[str], start: int) -> list[_Block]:
    blocks: list[_Block] = []
    index = start
    while index < len(lines):
        line = lines[index]
        directive = _RST_DIRECTIVE.match(line)
        stripped_line = line.strip()
        literal = stripped_line.endswith("::") and not stripped_line.startswith("..")
        if directive is None and not literal:
            index += 1
            continue
        indent = len(line) - len(line.lstrip())
        lang = _classify(directive.group(2)) if directive else "plain"
        index += 1
        body: list[int] = []
        while index < len(lines):
            current = lines[index]
            stripped = current.strip()
            if stripped and len(current) - len(current.lstrip()) <= indent:
                break
            if directive is not None and not body and stripped.startswith(":"):
                index += 1  # directive options
                continue
            body.append(index)
            index += 1
        while body and not lines[body[-1]].strip():
            body.pop()
        if any(lines[i].strip() for i in body):
            blocks.append(_Block(lang, body))
    return blocks


def _looks_like_shell(lines: list[str], block: _Block) -> bool:
    for index in block.lines:
        text = lines[index].strip()
        if text.startswith("$ "):
            text = text[2:].lstrip()
        first = text.split(None, 1)[0] if text else ""
        if first in _SHELL_COMMANDS:
            return True
    return False


class MarkdownCrawler(Crawler):
    """Markdown, MDX and reStructuredText documents, and ``README*.txt``."""

    name = "markdown"
    version = "1"
    max_bytes = _MAX_CHARS

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """``*.md``, ``*.mdx``, ``*.rst``, and ``*.txt`` named README."""
        suffix = path.suffix.lower()
        if suffix in (".md", ".mdx", ".rst"):
            return True
        return suffix == ".txt" and path.name.lower().startswith("readme")

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Report the references in the document's code blocks and links."""
        if not _WORTH_READING.search(file.data):
            return []
        text = file.data.decode("utf-8", errors="replace")
        if text.startswith("\ufeff"):
            text = " " + text[1:]
        lines = [line.rstrip("\r") for line in text.split("\n")]
        skip = _front_matter_end(lines)
        rst = file.pure_path.suffix.lower() == ".rst"
        blocks = _rst_blocks(lines, skip) if rst else _markdown_blocks(lines, skip)
        findings: list[Finding] = []
        analysed: set[int] = set()
        for block in blocks:
            if block.lang == "plain":
                # An untagged block: shell when it looks like shell, else Python if it
                # parses (Sphinx highlights untagged literal blocks as Python).
                block.lang = "shell" if _looks_like_shell(lines, block) else "python"
            if block.lang in ("python", "pycon"):
                findings.extend(self._python(lines, block, file.path))
            elif block.lang == "shell":
                findings.extend(self._shell(lines, block, file.path))
            elif block.lang == "javascript":
                findings.extend(self._javascript(lines, block, file.path))
            else:
                continue
            analysed.update(block.lines)
        for index in range(skip, len(lines)):
            if index not in analysed:
                findings.extend(self._links(lines[index], index + 1, file.path))
        return sorted(findings, key=Finding.sort_key)

    def _docs(self, finding: Finding, lines: list[str], shift: int = 0) -> Finding:
        """The finding with scope docs, this crawler's name and the document's line."""
        ev = finding.evidence
        evidence = Evidence(
            file=ev.file,
            line=ev.line,
            column=ev.column + shift,
            snippet=lines[ev.line - 1] if 0 < ev.line <= len(lines) else ev.snippet,
            crawler=self.name,
            confidence=ev.confidence,
            scope=Scope.DOCS,
        )
        return finding.model_copy(update={"evidence": evidence})

    def _python(self, lines: list[str], block: _Block, path: str) -> list[Finding]:
        body: list[str] = []
        shifts: list[int] = []
        for index in block.lines:
            line = lines[index]
            if block.lang == "pycon":
                stripped = line.lstrip()
                indent = len(line) - len(stripped)
                if stripped.startswith((">>> ", "... ")):
                    body.append(stripped[4:])
                    shifts.append(indent + 4)
                else:
                    body.append("")  # output, or a bare prompt
                    shifts.append(0)
                continue
            cut = min(block.strip, len(line) - len(line.lstrip(" ")))
            body.append(line[cut:])
            shifts.append(cut)
        if not block.lines or not any(b.strip() for b in body):
            return []
        if block.lang == "python":
            # A block indented as a whole (inside a list item, an RST directive) is
            # dedented so that it parses; columns are shifted back afterwards.
            common = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
            body = [b[common:] for b in body]
            shifts = [s + common for s in shifts]
        try:
            found = findings_from_source("\n".join(body), path, scope=Scope.DOCS)
        except CrawlError:
            return []  # a fragment that is not valid Python
        first = block.lines[0]
        out: list[Finding] = []
        for finding in found:
            k = finding.evidence.line - 1
            moved = finding.model_copy(
                update={"evidence": finding.evidence.model_copy(update={"line": first + k + 1})}
            )
            out.append(self._docs(moved, lines, shifts[k] if 0 <= k < len(shifts) else 0))
        return out

    def _javascript(self, lines: list[str], block: _Block, path: str) -> list[Finding]:
        """A JavaScript or TypeScript block, read by the JavaScript crawler's analysis."""
        from modelbom.crawlers.javascript import findings_from_source as js_findings

        if not block.lines:
            return []
        body = "\n".join(lines[index] for index in block.lines)
        out = []
        for finding in js_findings(body, path, crawler=self.name):
            ev = finding.evidence
            if not 0 < ev.line <= len(block.lines):
                continue
            moved = ev.model_copy(update={"line": block.lines[ev.line - 1] + 1})
            out.append(self._docs(finding.model_copy(update={"evidence": moved}), lines))
        return out

    def _shell(self, lines: list[str], block: _Block, path: str) -> list[Finding]:
        if not block.lines:
            return []
        body = [lines[index] for index in block.lines]
        prompted = any(_PROMPT.match(line) for line in body)
        text_lines: list[str] = []
        continuation = False
        for line in body:
            prompt = _PROMPT.match(line)
            if prompt is not None:
                text_lines.append(prompt.group(1) + "  " + line[prompt.end() :])
            elif not prompted or continuation:
                text_lines.append(line)
            else:
                text_lines.append("")  # command output
            continuation = text_lines[-1].endswith("\\")
        first = block.lines[0]
        try:
            found = findings_from_shell(
                "\n".join(text_lines), path, scope=Scope.DOCS, crawler=self.name, line_offset=first
            )
        except CrawlError:
            return []  # a pathological command line: nothing from this block
        return [self._docs(f, lines) for f in found]

    def _links(self, line: str, number: int, path: str) -> list[Finding]:
        if "huggingface.co" not in line and "hf.co" not in line:
            return []
        out: list[Finding] = []
        for start, end in find_hub_urls(line):
            while end > start and line[end - 1] in ".,;:!?_-":
                end -= 1  # sentence punctuation, emphasis
            if line[start:end].lower().endswith(_IMAGE_SUFFIXES):
                continue
            url = parse_hub_url(line, start, end)
            if url is None:
                continue
            properties = {"filename": url.filename} if url.filename else {}
            out.append(
                Finding(
                    kind=url.kind,
                    id=url.id,
                    revision=url.revision,
                    properties=properties,
                    evidence=Evidence(
                        file=path,
                        line=number,
                        column=url.start + 1,
                        snippet=line,
                        crawler=self.name,
                        confidence=1.0,
                        scope=Scope.DOCS,
                    ),
                )
            )
        return out
