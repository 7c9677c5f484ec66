"""JavaScript and TypeScript crawler: transformers.js models and hosted-API models.

The source is split into tokens by a small tokenizer (comments, strings, template
literals with ``${}`` nesting, regex literals, identifiers, numbers, punctuation), never
evaluated. On the token stream the crawler recognises:

* transformers.js: ``pipeline('task', 'Xenova/model')`` (in files importing
  ``@huggingface/transformers`` or ``@xenova/transformers``) and any
  ``X.from_pretrained('org/model')``: kind ``model``, a Hub id;
* hosted models: OpenAI, Anthropic, Google, Mistral, Cohere, Groq, Together and Bedrock
  SDK calls (``client.chat.completions.create({ model: 'gpt-4o' })``), Vercel AI SDK
  provider functions (``openai('gpt-4o')``, imported from ``@ai-sdk/*``) and AI Gateway
  strings (``generateText({ model: 'openai/gpt-4o' })``), LangChain.js classes
  (``new ChatOpenAI({ model: 'gpt-4o-mini' })``);
* Ollama models (``new ChatOllama({ model: 'llama3.1' })``, ``ollama.chat({ model })``):
  kind ``model`` with ecosystem ``ollama``; Hugging Face Inference models
  (``new HuggingFaceInferenceEmbeddings({ model: 'BAAI/bge-m3' })``): Hub ids;
* a ``model: '...'`` property in any other object literal, when exactly one provider's
  model-name shape fits (confidence 0.8).

Arguments may be literals (confidence 1.0), names bound once to a literal by
``const``/``let``/``var`` or a ``static`` class field anywhere in the file (0.9), or a
literal default after ``||`` / ``??`` (0.8). Call patterns inside comments are reported
with scope ``comment``. Strings that merely mention an id are not references.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

from modelbom.crawlers.base import Crawler, FileInput, scope_of_path
from modelbom.crawlers.hosted import hosted_model, is_known_shape, provider_for_name
from modelbom.crawlers.ids import hub_id
from modelbom.crawlers.lines import LineIndex
from modelbom.model import Evidence, Finding, Kind, Scope

LITERAL = 1.0
CONSTANT = 0.9
DEFAULT = 0.8  # a literal fallback after || or ??, or a bare ``model:`` property

_MAX_LINE = 5_000  # longer lines mean minified or generated code
_MAX_VALUES = 8

_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
_SFC_SUFFIXES = frozenset({".vue", ".svelte"})
_SKIP_DIRS = frozenset({"node_modules", "dist", "build", ".next", ".nuxt", ".svelte-kit"})
_PREFILTER = (b"pipeline", b"from_pretrained", b"model", b"ai-sdk", b"ai-provider")

# -- tokenizer ------------------------------------------------------------------------------

ID, STR, TPL, TPL_PART, NUM, REGEX, PUNCT = "id", "str", "tpl", "tplpart", "num", "re", "p"

# One alternation per token class; the tokenizer dispatches on the group that matched.
# ``/`` (regex or division), backticks and braces are handled by the tokenizer itself.
_MASTER = re.compile(
    r"""
    (?P<ws>[ \t\r\n\f\v\u00a0\ufeff\u2028\u2029]+)
    |(?P<id>[A-Za-z_$\u00c0-\uffff][\w$\u00c0-\uffff]*)
    |(?P<num>\d[\w.]*|\.\d\w*)
    |'(?P<sq>(?:[^'\\\n]|\\[\s\S])*)'?
    |"(?P<dq>(?:[^"\\\n]|\\[\s\S])*)"?
    |//(?P<lc>[^\n]*)
    |/\*(?P<bc>[\s\S]*?)(?:\*/|\Z)
    |(?P<p>=>|\?\.(?!\d)|\.\.\.|[\s\S])
    """,
    re.VERBOSE,
)
_TEMPLATE_CHUNK = re.compile(r"(?:[^`\\$]|\\[\s\S]|\$(?!\{))*")
_ESCAPE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|\r\n|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
# ``<`` and ``>`` are left out: in JSX they start and end tags (``</div>``).
_REGEX_AFTER_PUNCT = frozenset("(,=:[!&|?{};+-*%~^") | {"=>", "${", "..."}
_CONTINUES = frozenset("|?:=+(,[{")
_REGEX_AFTER_WORD = frozenset(
    {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw",
     "instanceof", "yield", "await"}
)  # fmt: skip
_OPENERS = {"(": ")", "[": "]", "{": "}", "${": "}"}


class Token(NamedTuple):
    """One token: its kind, value (decoded for strings) and offsets in the source."""

    kind: str
    value: str
    start: int
    end: int
    newline_before: bool = False


def _unescape(raw: str) -> str:
    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        if body[0] == "u":
            digits = body[2:-1] if body[1:2] == "{" else body[1:]
            code = int(digits, 16)
            return chr(code) if code <= 0x10FFFF else ""
        if body[0] == "x":
            return chr(int(body[1:], 16))
        if body in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""
        return _SIMPLE_ESCAPES.get(body, body)

    return _ESCAPE.sub(one, raw) if "\\" in raw else raw


def _regex_end(text: str, pos: int) -> int | None:
    """End offset of a regex literal whose opening ``/`` is at *pos*, or ``None``."""
    in_class = False
    i = pos + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "\n" or ch == "\r":
            return None
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            i += 1
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1  # flags
            return i
        i += 1
    return None


def tokenize(text: str, base: int = 0) -> tuple[list[Token], list[Token]]:
    """Split *text* into code tokens and comment tokens (offsets shifted by *base*).

    A template literal without substitutions is a ``str`` token; one with ``${}`` is a
    ``tpl`` token, then ``${`` ... ``}`` groups holding the inner tokens and ``tplpart``
    tokens for the text between them. Comment tokens hold the text after ``//`` or
    between ``/*`` and ``*/``. Unterminated strings end at the line end, unterminated
    comments and templates at the end of the text: the tokenizer never fails.
    """
    tokens: list[Token] = []
    comments: list[Token] = []
    append = tokens.append
    braces: list[str] = []  # "{" or "${" for each open brace, to resume templates
    n = len(text)
    pos = 0
    newline = True
    if text.startswith("#!"):
        end = text.find("\n")
        pos = n if end < 0 else end

    def template(start: int, head: bool) -> int:
        """Scan template text from *start*; return the offset after it."""
        nonlocal newline
        chunk = _TEMPLATE_CHUNK.match(text, start)
        end = chunk.end() if chunk else start
        value = _unescape(text[start:end])
        first = start - 1 if head else start
        if text.startswith("${", end):
            append(Token(TPL if head else TPL_PART, value, base + first, base + end, newline))
            append(Token(PUNCT, "${", base + end, base + end + 2, False))
            braces.append("${")
            newline = False
            return end + 2
        close = end + 1 if end < n else end  # the closing backtick (or the end of text)
        append(Token(STR if head else TPL_PART, value, base + first, base + close, newline))
        newline = False
        return close

    while pos < n:
        match = _MASTER.match(text, pos)
        assert match is not None  # the last alternative matches any character
        group = match.lastgroup
        end = match.end()
        if group == "ws":
            if "\n" in match.group() or "\r" in match.group():
                newline = True
        elif group == "id":
            append(Token(ID, match.group(), base + pos, base + end, newline))
            newline = False
        elif group == "sq" or group == "dq":
            append(Token(STR, _unescape(match.group(group)), base + pos, base + end, newline))
            newline = False
        elif group == "num":
            append(Token(NUM, match.group(), base + pos, base + end, newline))
            newline = False
        elif group == "lc" or group == "bc":
            body = match.group(group)
            comments.append(Token("comment", body, base + pos + 2, base + pos + 2 + len(body)))
            if group == "bc" and "\n" in body:
                newline = True
        else:
            ch = match.group()
            if ch == "`":
                pos = template(pos + 1, head=True)
                continue
            if ch == "/":
                prev = tokens[-1] if tokens else None
                regex_ok = (
                    prev is None
                    or newline
                    or (prev.kind == PUNCT and prev.value in _REGEX_AFTER_PUNCT)
                    or (prev.kind == ID and prev.value in _REGEX_AFTER_WORD)
                )
                end_re = _regex_end(text, pos) if regex_ok else None
                if end_re is not None:
                    append(Token(REGEX, text[pos:end_re], base + pos, base + end_re, newline))
                    newline = False
                    pos = end_re
                    continue
            elif ch == "{":
                braces.append("{")
            elif ch == "}" and braces and braces.pop() == "${":
                append(Token(PUNCT, "}", base + pos, base + pos + 1, newline))
                newline = False
                pos = template(pos + 1, head=False)
                continue
            append(Token(PUNCT, ch, base + pos, base + end, newline))
            newline = False
        pos = end
    return tokens, comments


def _brackets(tokens: list[Token]) -> dict[int, int]:
    """Index of the matching closer for every opener (unbalanced ones are left out)."""
    match: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.kind != PUNCT:
            continue
        if token.value in _OPENERS:
            stack.append(index)
        elif token.value in (")", "]", "}"):
            while stack:
                opener = stack.pop()
                if _OPENERS[tokens[opener].value] == token.value:
                    match[opener] = index
                    break
    return match


# -- tables ---------------------------------------------------------------------------------

TRANSFORMERS_JS = ("@huggingface/transformers", "@xenova/transformers")

# SDK packages and the provider their clients talk to.
SDK_PACKAGES: dict[str, str] = {
    "openai": "openai",
    "@azure/openai": "azure-openai",
    "@anthropic-ai/sdk": "anthropic",
    "@google/generative-ai": "google",
    "@google/genai": "google",
    "@google-cloud/vertexai": "vertex-ai",
    "@mistralai/mistralai": "mistral",
    "cohere-ai": "cohere",
    "groq-sdk": "groq",
    "together-ai": "together",
    "@aws-sdk/client-bedrock-runtime": "aws-bedrock",
    "ollama": "ollama",
    "ollama/browser": "ollama",
    "@huggingface/inference": "huggingface",
}
# Methods of SDK clients that take ``{ model: ... }``.
SDK_METHODS = frozenset(
    {
        "create", "parse", "stream", "generate", "complete", "chat", "chatStream", "embed",
        "embeddings", "rerank", "generateContent", "generateContentStream", "embedContent",
        "countTokens", "getGenerativeModel", "generateImages", "pull", "show",
        "textGeneration", "textGenerationStream", "chatCompletion", "chatCompletionStream",
        "featureExtraction", "textToImage", "summarization", "translation",
        "automaticSpeechRecognition", "imageToText", "sentenceSimilarity",
        "textClassification", "tokenClassification", "zeroShotClassification", "fillMask",
        "questionAnswering",
    }
)  # fmt: skip
# Vercel AI SDK provider packages (and community providers) -> provider.
AI_SDK_PACKAGES: dict[str, str] = {
    "@ai-sdk/openai": "openai",
    "@ai-sdk/azure": "azure-openai",
    "@ai-sdk/anthropic": "anthropic",
    "@ai-sdk/google": "google",
    "@ai-sdk/google-vertex": "vertex-ai",
    "@ai-sdk/mistral": "mistral",
    "@ai-sdk/cohere": "cohere",
    "@ai-sdk/groq": "groq",
    "@ai-sdk/togetherai": "together",
    "@ai-sdk/amazon-bedrock": "aws-bedrock",
    "@ai-sdk/deepseek": "deepseek",
    "@ai-sdk/xai": "xai",
    "@ai-sdk/fireworks": "fireworks",
    "@ai-sdk/perplexity": "perplexity",
    "@openrouter/ai-sdk-provider": "openrouter",
    "ollama-ai-provider": "ollama",
    "ollama-ai-provider-v2": "ollama",
}
AI_SDK_METHODS = frozenset(
    {
        "chat", "completion", "responses", "embedding", "textEmbedding", "textEmbeddingModel",
        "languageModel", "chatModel", "image", "imageModel", "transcription", "speech",
    }
)  # fmt: skip
# ``generateText({ model: 'openai/gpt-4o' })``: AI Gateway "provider/model" strings.
AI_FUNCTIONS = frozenset(
    {"generateText", "streamText", "generateObject", "streamObject", "embed", "embedMany"}
)
GATEWAY_PREFIXES: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "vertex": "vertex-ai",
    "mistral": "mistral",
    "cohere": "cohere",
    "groq": "groq",
    "xai": "xai",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "bedrock": "aws-bedrock",
    "amazon": "aws-bedrock",
    "fireworks": "fireworks",
    "togetherai": "together",
}
# LangChain.js classes -> provider ("ollama" and "huggingface" are not hosted APIs).
LANGCHAIN_CLASSES: dict[str, str] = {
    "ChatOpenAI": "openai",
    "OpenAIEmbeddings": "openai",
    "AzureChatOpenAI": "azure-openai",
    "AzureOpenAIEmbeddings": "azure-openai",
    "ChatAnthropic": "anthropic",
    "ChatGoogleGenerativeAI": "google",
    "GoogleGenerativeAIEmbeddings": "google",
    "ChatVertexAI": "vertex-ai",
    "VertexAIEmbeddings": "vertex-ai",
    "ChatMistralAI": "mistral",
    "MistralAIEmbeddings": "mistral",
    "ChatCohere": "cohere",
    "CohereEmbeddings": "cohere",
    "ChatGroq": "groq",
    "ChatTogetherAI": "together",
    "TogetherAIEmbeddings": "together",
    "ChatBedrockConverse": "aws-bedrock",
    "BedrockChat": "aws-bedrock",
    "BedrockEmbeddings": "aws-bedrock",
    "ChatDeepSeek": "deepseek",
    "ChatXAI": "xai",
    "ChatFireworks": "fireworks",
    "ChatOllama": "ollama",
    "Ollama": "ollama",
    "OllamaEmbeddings": "ollama",
    "HuggingFaceInferenceEmbeddings": "huggingface",
    "HuggingFaceInference": "huggingface",
    "HuggingFaceTransformersEmbeddings": "huggingface",
}
# Bedrock runtime commands: ``new ConverseCommand({ modelId: '...' })``.
BEDROCK_COMMANDS = frozenset(
    {
        "InvokeModelCommand", "InvokeModelWithResponseStreamCommand", "ConverseCommand",
        "ConverseStreamCommand",
    }
)  # fmt: skip
MODEL_KEYS = ("model", "modelName", "modelId")
# Providers whose model-name shape :mod:`modelbom.crawlers.hosted` knows.
_SHAPED_PROVIDERS = frozenset(
    {"openai", "anthropic", "google", "mistral", "cohere", "deepseek", "xai"}
)
# Words that sit in a ``model`` field without naming a model.
_GENERIC_NAMES = frozenset(
    {"default", "auto", "latest", "custom", "test", "mock", "fake", "unknown", "local"}
)


def _is_transformers_js(module: str) -> bool:
    return any(name in module for name in TRANSFORMERS_JS)


# -- analysis -------------------------------------------------------------------------------

Values = tuple[tuple[str, float], ...]


@dataclass(slots=True)
class _Context:
    """What the whole file says: imports, client instances and constants."""

    modules: set[str] = field(default_factory=set)
    bindings: dict[str, str] = field(default_factory=dict)  # local name -> module
    instances: dict[str, str] = field(default_factory=dict)  # variable -> provider
    ai_sdk: dict[str, str] = field(default_factory=dict)  # provider function -> provider
    constants: dict[str, set[tuple[str, float]]] = field(default_factory=dict)
    attributes: dict[str, set[tuple[str, float]]] = field(default_factory=dict)

    @property
    def transformers_js(self) -> bool:
        return any(_is_transformers_js(m) for m in self.modules)

    def sdk_providers(self) -> set[str]:
        return {SDK_PACKAGES[m] for m in self.modules if m in SDK_PACKAGES}


@dataclass(frozen=True, slots=True)
class _Hit:
    kind: Kind
    id: str
    ecosystem: str | None
    offset: int
    confidence: float
    revision: str | None = None


class _Stream:
    """A token list with its bracket matches and helpers to read calls and objects."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.match = _brackets(tokens)
        self.opener = {close: open_ for open_, close in self.match.items()}

    def at(self, index: int) -> Token | None:
        return self.tokens[index] if 0 <= index < len(self.tokens) else None

    def is_punct(self, index: int, *values: str) -> bool:
        token = self.at(index)
        return token is not None and token.kind == PUNCT and token.value in values

    def is_word(self, index: int, *values: str) -> bool:
        token = self.at(index)
        return token is not None and token.kind == ID and (not values or token.value in values)

    def split(self, opener: int) -> list[tuple[int, int]]:
        """Spans ``[start, end)`` of the comma-separated items inside a bracket group."""
        close = self.match.get(opener)
        if close is None:
            return []
        spans: list[tuple[int, int]] = []
        start = index = opener + 1
        while index < close:
            token = self.tokens[index]
            if token.kind == PUNCT and token.value in _OPENERS and index in self.match:
                index = self.match[index] + 1
                continue
            if token.kind == PUNCT and token.value == ",":
                spans.append((start, index))
                start = index + 1
            index += 1
        if start < close:
            spans.append((start, close))
        return spans

    def properties(self, span: tuple[int, int]) -> dict[str, tuple[int, int]]:
        """``key -> value span`` of an object literal filling *span* (shorthand included)."""
        start, end = span
        if not self.is_punct(start, "{") or self.match.get(start) != end - 1:
            return {}
        out: dict[str, tuple[int, int]] = {}
        for a, b in self.split(start):
            key = self.tokens[a]
            if key.kind not in (ID, STR):
                continue
            if b - a == 1 and key.kind == ID:
                out.setdefault(key.value, (a, b))  # shorthand: { model }
            elif self.is_punct(a + 1, ":") and a + 2 < b:
                out.setdefault(key.value, (a + 2, b))
        return out

    def chain(self, index: int) -> list[str]:
        """The dotted callee ending at the identifier at *index*: ``a.b.c`` -> [a, b, c]."""
        names = [self.tokens[index].value]
        while self.is_punct(index - 1, ".", "?.") and self.is_word(index - 2):
            index -= 2
            names.insert(0, self.tokens[index].value)
        return names

    def chain_start(self, index: int) -> int:
        while self.is_punct(index - 1, ".", "?.") and self.is_word(index - 2):
            index -= 2
        return index


class _Analyzer:
    """Finds references in one file's token stream (and again in its comments)."""

    def __init__(self, text: str) -> None:
        tokens, self.comments = tokenize(text)
        self.stream = _Stream(tokens)
        self.context = _Context()
        self._collect(self.stream)

    # -- file-wide tables ---------------------------------------------------------------

    def _collect(self, s: _Stream) -> None:
        tokens = s.tokens
        for i, token in enumerate(tokens):
            if token.kind != ID or s.is_punct(i - 1, ".", "?."):
                continue
            if token.value == "import":
                self._import(s, i)
            elif token.value == "export" and s.is_punct(i + 1, "{", "*"):
                self._export_from(s, i)
            elif token.value == "require" and s.is_punct(i + 1, "("):
                self._require(s, i)
            elif token.value in ("const", "let", "var"):
                self._declaration(s, i)
            elif token.value == "static" and s.is_word(i + 1):
                name = i + 2 if s.is_word(i + 1, "readonly") else i + 1
                self._field(s, name)
            elif token.value == "this" and s.is_punct(i + 1, ".") and s.is_word(i + 2):
                self._field(s, i + 2)
            elif token.value == "new" and s.is_word(i + 1):
                self._instance(s, i)

    def _module_at(self, s: _Stream, index: int) -> str | None:
        token = s.at(index)
        return token.value if token is not None and token.kind == STR else None

    def _import(self, s: _Stream, i: int) -> None:
        ctx = self.context
        module = self._module_at(s, i + 1)
        if module is not None:  # import 'side-effect'
            ctx.modules.add(module)
            return
        if s.is_punct(i + 1, "("):  # dynamic import('m'): bound like require
            self._require(s, i)
            return
        if s.is_punct(i + 1, "."):
            return  # import.meta
        # import a, { b as c }, * as d from 'm'   (bounded look-ahead, one statement)
        j = i + 1
        end = min(len(s.tokens), i + 400)
        while j < end and not s.is_word(j, "from", "import") and not s.is_punct(j, ";", "=", "("):
            j += 1
        module = self._module_at(s, j + 1) if j < end and s.is_word(j, "from") else None
        if module is None:
            return
        ctx.modules.add(module)
        for name in self._clause_names(s, i + 1, j):
            ctx.bindings[name] = module

    def _export_from(self, s: _Stream, i: int) -> None:
        close = s.match.get(i + 1) if s.is_punct(i + 1, "{") else i + 1
        if close is not None and s.is_word(close + 1, "from"):
            module = self._module_at(s, close + 2)
            if module is not None:
                self.context.modules.add(module)

    @staticmethod
    def _clause_names(s: _Stream, start: int, end: int) -> list[str]:
        """Local names bound by an import clause or a destructuring pattern."""
        names: list[str] = []
        j = start
        while j < end:
            token = s.tokens[j]
            if token.kind == ID and token.value not in ("type", "typeof", "as", "default"):
                renamed = s.is_word(j + 1, "as") or s.is_punct(j + 1, ":")
                if not renamed:
                    names.append(token.value)
                    if s.is_punct(j + 1, "="):
                        j += 2  # a default value in a pattern
                else:
                    j += 1
            j += 1
        return names

    def _require(self, s: _Stream, i: int) -> None:
        """``require('m')`` / ``import('m')`` and the names the result is bound to."""
        module = self._module_at(s, i + 2)
        if module is None or not s.is_punct(i + 3, ")"):
            return
        ctx = self.context
        ctx.modules.add(module)
        j = i - 1
        if s.is_word(j, "await"):
            j -= 1
        if not s.is_punct(j, "="):
            return
        target = s.at(j - 1)
        if target is None:
            return
        if target.kind == ID and s.is_word(j - 2, "const", "let", "var"):
            ctx.bindings[target.value] = module
        elif target.kind == PUNCT and target.value == "}":
            opener = s.opener.get(j - 1)
            if opener is not None:
                for name in self._clause_names(s, opener + 1, j - 1):
                    ctx.bindings[name] = module

    def _declaration(self, s: _Stream, i: int) -> None:
        """``const NAME[: Type] = <value>``: constants and client instances."""
        if not s.is_word(i + 1):
            return
        name = s.tokens[i + 1].value
        j = self._skip_annotation(s, i + 2)
        if not s.is_punct(j, "="):
            return
        self._bind(s, name, j + 1, self.context.constants)

    def _field(self, s: _Stream, name_index: int) -> None:
        """``static model = '...'`` (a class field) or ``this.model = '...'``."""
        if not s.is_word(name_index):
            return
        eq_index = self._skip_annotation(s, name_index + 1)
        if s.is_punct(eq_index, "=") and not s.is_punct(eq_index + 1, "="):
            self._bind(s, s.tokens[name_index].value, eq_index + 1, self.context.attributes)

    @staticmethod
    def _skip_annotation(s: _Stream, index: int) -> int:
        """Past a TypeScript ``: Type`` annotation starting at *index*, up to its ``=``."""
        if not s.is_punct(index, ":"):
            return index
        limit = min(len(s.tokens), index + 40)
        while index < limit and not s.is_punct(index, "=", ";"):
            index += 1
        return index

    def _bind(
        self, s: _Stream, name: str, start: int, table: dict[str, set[tuple[str, float]]]
    ) -> None:
        end = self._expression_end(s, start)
        values = self.evaluate(s, (start, end), constants=False)
        if values:
            known = table.setdefault(name, set())
            known.update((v, min(c, CONSTANT)) for v, c in values)
            if len(known) > _MAX_VALUES:
                known.clear()
        # const client = new OpenAI(): remember the provider of the instance.
        if s.is_word(start, "new") and s.is_word(start + 1):
            provider = self._class_provider(s, start + 1)
            if provider:
                self.context.instances[name] = provider
        # const myOpenAI = createOpenAI({...}): an AI SDK provider function.
        callee = s.at(start)
        if (
            callee is not None
            and callee.kind == ID
            and callee.value.startswith("create")
            and callee.value in self.context.bindings
        ):
            module = self.context.bindings[callee.value]
            if module in AI_SDK_PACKAGES:
                self.context.ai_sdk[name] = AI_SDK_PACKAGES[module]

    def _instance(self, s: _Stream, i: int) -> None:
        """``this.client = new OpenAI()`` / ``client = new OpenAI()`` outside declarations."""
        if not s.is_punct(i - 1, "=") or not s.is_word(i - 2):
            return
        provider = self._class_provider(s, i + 1)
        if provider:
            self.context.instances.setdefault(s.tokens[i - 2].value, provider)

    def _class_provider(self, s: _Stream, index: int) -> str | None:
        chain_end = index
        while s.is_punct(chain_end + 1, ".") and s.is_word(chain_end + 2):
            chain_end += 2
        names = s.chain(chain_end)
        module = self.context.bindings.get(names[0])
        if module is None or module not in SDK_PACKAGES:
            return None
        if names[-1] == "AzureOpenAI":
            return "azure-openai"
        return SDK_PACKAGES[module]

    @staticmethod
    def _expression_end(s: _Stream, start: int) -> int:
        """End of the expression starting at *start* (at ``;``, ``,`` or a line break)."""
        index = start
        n = len(s.tokens)
        while index < n:
            token = s.tokens[index]
            if index > start and token.newline_before:
                prev = s.tokens[index - 1]
                continuing = (prev.kind == PUNCT and prev.value in _CONTINUES) or (
                    token.kind == PUNCT and token.value in ("|", "?", ".", "?.", ":")
                )
                if not continuing:
                    return index
            if token.kind == PUNCT:
                if token.value in _OPENERS and index in s.match:
                    index = s.match[index] + 1
                    continue
                if token.value in (";", ",", ")", "]", "}"):
                    return index
            index += 1
        return index

    # -- values ---------------------------------------------------------------------------

    def evaluate(self, s: _Stream, span: tuple[int, int], *, constants: bool = True) -> Values:
        """Candidate string values of the expression in *span*, with the offset used."""
        start, end = span
        if end <= start:
            return ()
        first = s.tokens[start]
        if end - start == 1:
            if first.kind == STR:
                return ((first.value, LITERAL),)
            if first.kind == ID and constants:
                return tuple(sorted(self.context.constants.get(first.value, ())))
            return ()
        # this.model / PipelineSingleton.model: a static field or this.X assignment.
        if end - start == 3 and first.kind == ID and s.is_punct(start + 1, ".") and constants:
            attr = s.tokens[start + 2]
            if attr.kind == ID:
                return tuple(sorted(self.context.attributes.get(attr.value, ())))
        # <anything> || 'literal'   /   <anything> ?? CONSTANT
        last = s.tokens[end - 1]
        if last.kind in (STR, ID) and end - start >= 4:
            pair = s.at(end - 2), s.at(end - 3)
            if all(t is not None and t.kind == PUNCT and t.value == "|" for t in pair) or all(
                t is not None and t.kind == PUNCT and t.value == "?" for t in pair
            ):
                if last.kind == STR:
                    return ((last.value, DEFAULT),)
                if constants:
                    found = self.context.constants.get(last.value, ())
                    return tuple(sorted((v, min(c, DEFAULT)) for v, c in found))
        return ()

    def literal_offset(self, s: _Stream, span: tuple[int, int]) -> int:
        """Offset reported for a value: the string literal in *span*, else its start."""
        start, end = span
        for index in range(end - 1, start - 1, -1):
            if s.tokens[index].kind == STR:
                return s.tokens[index].start
        return s.tokens[start].start

    # -- patterns -------------------------------------------------------------------------

    def scan(self, s: _Stream, *, bare_model_keys: bool) -> list[_Hit]:
        """Every reference in the stream *s* (the file, or one comment's text)."""
        hits: list[_Hit] = []
        used: set[int] = set()  # token indices of values already reported
        for index, token in enumerate(s.tokens):
            if token.kind != ID or not s.is_punct(index + 1, "("):
                continue
            if s.is_punct(index - 1, ".", "?.") and not s.is_word(index - 2):
                continue
            names = s.chain(index)
            start = s.chain_start(index)
            is_new = s.is_word(start - 1, "new")
            args = s.split(index + 1)
            before = len(hits)
            if is_new:
                self._constructor(s, names, args, hits)
            else:
                self._call(s, names, args, hits)
            if len(hits) > before:
                used.update(i for a, b in args for i in range(a, b))
        if bare_model_keys:
            hits.extend(self._bare_model_keys(s, used))
        return hits

    def _report_hub(
        self,
        s: _Stream,
        span: tuple[int, int] | None,
        hits: list[_Hit],
        revision: str | None = None,
    ) -> None:
        if span is None:
            return
        for value, confidence in self.evaluate(s, span):
            repo = hub_id(value)
            if repo is not None:
                offset = self.literal_offset(s, span)
                hits.append(_Hit(Kind.MODEL, repo, None, offset, confidence, revision))

    def _report_hosted(
        self, s: _Stream, provider: str, span: tuple[int, int] | None, hits: list[_Hit]
    ) -> None:
        if span is None:
            return
        if provider == "huggingface":
            self._report_hub(s, span, hits)
            return
        for value, confidence in self.evaluate(s, span):
            name = hosted_model(provider, value)
            if name is None or name.lower() in _GENERIC_NAMES:
                continue
            offset = self.literal_offset(s, span)
            if provider == "ollama":
                hits.append(_Hit(Kind.MODEL, name, "ollama", offset, confidence))
                continue
            if provider in _SHAPED_PROVIDERS and not is_known_shape(provider, name):
                # An OpenAI-compatible client pointed elsewhere: still reported, less sure.
                confidence = min(confidence, DEFAULT)
            hits.append(_Hit(Kind.HOSTED_MODEL, name, provider, offset, confidence))

    def _revision(self, s: _Stream, span: tuple[int, int] | None) -> str | None:
        if span is None:
            return None
        found = s.properties(span).get("revision")
        if found is None:
            return None
        values = self.evaluate(s, found)
        return values[0][0] if len(values) == 1 else None

    @staticmethod
    def _arg(args: list[tuple[int, int]], index: int) -> tuple[int, int] | None:
        return args[index] if len(args) > index else None

    def _model_property(self, s: _Stream, span: tuple[int, int] | None) -> tuple[int, int] | None:
        if span is None:
            return None
        props = s.properties(span)
        for key in MODEL_KEYS:
            if key in props:
                return props[key]
        return None

    def _constructor(
        self, s: _Stream, names: list[str], args: list[tuple[int, int]], hits: list[_Hit]
    ) -> None:
        cls = names[-1]
        if cls in LANGCHAIN_CLASSES:
            span = self._model_property(s, self._arg(args, 0))
            self._report_hosted(s, LANGCHAIN_CLASSES[cls], span, hits)
        elif cls in BEDROCK_COMMANDS:
            props = s.properties(args[0]) if args else {}
            self._report_hosted(s, "aws-bedrock", props.get("modelId"), hits)

    def _call(
        self, s: _Stream, names: list[str], args: list[tuple[int, int]], hits: list[_Hit]
    ) -> None:
        ctx = self.context
        method = names[-1]
        first = self._arg(args, 0)
        if method == "from_pretrained" and len(names) >= 2:
            self._report_hub(s, first, hits, self._revision(s, self._arg(args, 1)))
            return
        if method == "pipeline" and ctx.transformers_js:
            receiver_ok = len(names) == 1 or _is_transformers_js(ctx.bindings.get(names[0], ""))
            if receiver_ok:
                second = self._arg(args, 1)
                self._report_hub(s, second, hits, self._revision(s, self._arg(args, 2)))
            return
        if len(names) == 1 and method in ctx.ai_sdk:
            self._report_hosted(s, ctx.ai_sdk[method], first, hits)
            return
        root = names[0]
        if len(names) == 1 and AI_SDK_PACKAGES.get(ctx.bindings.get(root, "")):
            self._report_hosted(s, AI_SDK_PACKAGES[ctx.bindings[root]], first, hits)
            return
        if len(names) == 2 and method in AI_SDK_METHODS:
            provider = AI_SDK_PACKAGES.get(ctx.bindings.get(root, "")) or ctx.ai_sdk.get(root)
            if provider:
                self._report_hosted(s, provider, first, hits)
                return
        if len(names) == 1 and method in AI_FUNCTIONS and ctx.bindings.get(method) == "ai":
            self._gateway(s, self._model_property(s, first), hits)
            return
        if len(names) >= 2 and method in SDK_METHODS:
            provider = self._sdk_provider(names)
            if provider:
                self._report_hosted(s, provider, self._model_property(s, first), hits)

    def _sdk_provider(self, names: list[str]) -> str | None:
        ctx = self.context
        receivers = names[1:-1] if names[0] == "this" else names[:-1]
        for name in receivers[:1]:
            if name in ctx.instances:
                return ctx.instances[name]
            module = ctx.bindings.get(name)
            if module in SDK_PACKAGES:
                return SDK_PACKAGES[module]
        providers = ctx.sdk_providers() - {"ollama", "huggingface"}
        return providers.pop() if len(providers) == 1 else None

    def _gateway(self, s: _Stream, span: tuple[int, int] | None, hits: list[_Hit]) -> None:
        if span is None:
            return
        for value, confidence in self.evaluate(s, span):
            prefix, _, rest = value.partition("/")
            provider = GATEWAY_PREFIXES.get(prefix)
            name = hosted_model(provider, rest) if provider and rest else None
            if provider and name:
                offset = self.literal_offset(s, span)
                hits.append(_Hit(Kind.HOSTED_MODEL, name, provider, offset, confidence))

    def _bare_model_keys(self, s: _Stream, used: set[int]) -> Iterator[_Hit]:
        """``model: 'gpt-4o'`` in any other object literal, when the shape names a provider."""
        for index, token in enumerate(s.tokens):
            if token.kind not in (ID, STR) or token.value != "model":
                continue
            if not s.is_punct(index + 1, ":") or not s.is_punct(index - 1, "{", ","):
                continue
            end = self._expression_end(s, index + 2)
            if any(i in used for i in range(index + 2, end)):
                continue
            for value, confidence in self.evaluate(s, (index + 2, end)):
                provider = provider_for_name(value.strip())
                name = hosted_model(provider, value) if provider else None
                if provider and name:
                    offset = self.literal_offset(s, (index + 2, end))
                    conf = min(confidence, DEFAULT)
                    yield _Hit(Kind.HOSTED_MODEL, name, provider, offset, conf)

    # -- entry points ---------------------------------------------------------------------

    def code_hits(self) -> list[_Hit]:
        return self.scan(self.stream, bare_model_keys=True)

    def comment_hits(self) -> Iterator[_Hit]:
        for comment in self.comments:
            if "(" not in comment.value:
                continue
            # Blank the leading "*" of JSDoc lines so calls spread over lines still parse.
            text = re.sub(r"(?m)^([ \t]*)\*", lambda m: m.group(1) + " ", comment.value)
            tokens, _ = tokenize(text, base=comment.start)
            yield from self.scan(_Stream(tokens), bare_model_keys=False)


def _script_blocks(text: str) -> str:
    """Keep only the ``<script>`` blocks of a Vue or Svelte file; blank the rest, keeping
    every newline so offsets and line numbers stay those of the file."""
    lower = text.lower()
    keep: list[tuple[int, int]] = []
    for opening in re.finditer(r"<script\b[^>]*>", lower):
        close = lower.find("</script", opening.end())
        keep.append((opening.end(), len(text) if close < 0 else close))
    out: list[str] = []
    cursor = 0
    for start, end in keep:
        if start < cursor:
            continue
        out.append(re.sub(r"[^\n]", " ", text[cursor:start]))
        out.append(text[start:end])
        cursor = end
    out.append(re.sub(r"[^\n]", " ", text[cursor:]))
    return "".join(out)


def _is_minified(text: str) -> bool:
    """A line longer than any a person writes (blanked Vue/Svelte markup does not count)."""
    return any(len(line) > _MAX_LINE and line.strip() for line in text.splitlines())


def findings_from_source(source: str, path: str, *, crawler: str = "javascript") -> list[Finding]:
    """Tokenize *source* (JavaScript or TypeScript) and return its findings."""
    pure = PurePosixPath(path)
    code = _script_blocks(source) if pure.suffix.lower() in _SFC_SUFFIXES else source
    if _is_minified(code):
        return []
    analyzer = _Analyzer(code)
    index = LineIndex(source)
    scope = scope_of_path(pure)
    seen: set[tuple[str, str, int, str | None]] = set()
    findings: list[Finding] = []
    tagged = [(hit, scope) for hit in analyzer.code_hits()]
    tagged += [(hit, Scope.COMMENT) for hit in analyzer.comment_hits()]
    for hit, hit_scope in tagged:
        key = (hit.kind.value, hit.id, hit.offset, hit.ecosystem)
        if key in seen:
            continue
        seen.add(key)
        line, column = index.position(hit.offset)
        findings.append(
            Finding(
                kind=hit.kind,
                id=hit.id,
                revision=hit.revision,
                ecosystem=hit.ecosystem,
                evidence=Evidence(
                    file=path,
                    line=line,
                    column=column,
                    snippet=index.line_text(line),
                    crawler=crawler,
                    confidence=hit.confidence,
                    scope=hit_scope,
                ),
            )
        )
    return sorted(findings, key=Finding.sort_key)


class JavaScriptCrawler(Crawler):
    """JavaScript and TypeScript sources, and the scripts of Vue and Svelte components."""

    name = "javascript"
    version = "1"
    max_bytes = 2 * 1024 * 1024

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Script files outside dependency and build-output folders, minified ones excepted."""
        suffix = path.suffix.lower()
        if suffix not in _SUFFIXES and suffix not in _SFC_SUFFIXES:
            return False
        if any(part in _SKIP_DIRS for part in path.parts[:-1]):
            return False
        return not path.name.lower().endswith((".min.js", ".min.mjs", ".min.cjs"))

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Tokenize the file and report its model references."""
        data = file.data
        if not any(marker in data for marker in _PREFILTER):
            return []
        source = data.decode("utf-8-sig", errors="replace")
        return findings_from_source(source, file.path, crawler=self.name)
