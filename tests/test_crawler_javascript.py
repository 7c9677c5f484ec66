"""The JavaScript/TypeScript crawler: its tokenizer, each pattern, and each trap."""

from __future__ import annotations

import textwrap
from pathlib import PurePosixPath

import pytest

from modelbom.crawlers.base import FileInput
from modelbom.crawlers.javascript import (
    ID,
    NUM,
    PUNCT,
    REGEX,
    STR,
    TPL,
    TPL_PART,
    JavaScriptCrawler,
    findings_from_source,
    tokenize,
)
from modelbom.model import Finding, Kind, Scope
from tests.support import crawler_golden

HF_IMPORT = "import { pipeline, AutoModel, AutoTokenizer } from '@huggingface/transformers';\n"


def crawl(source: str, path: str = "src/app.ts") -> list[Finding]:
    data = textwrap.dedent(source).lstrip("\n").encode()
    return list(JavaScriptCrawler().crawl(FileInput(path=path, data=data, size=len(data))))


def found(source: str, path: str = "src/app.ts") -> list[tuple[str, str, str | None]]:
    return [(f.kind.value, f.id, f.ecosystem) for f in crawl(source, path)]


# -- tokenizer ------------------------------------------------------------------------------


def kinds(text: str) -> list[tuple[str, str]]:
    tokens, _ = tokenize(text)
    return [(t.kind, t.value) for t in tokens]


def test_tokenizer_strings_with_escapes() -> None:
    assert kinds(r"""a('it\'s', "say \"hi\"", '\x41\u0042\u{43}')""") == [
        (ID, "a"),
        (PUNCT, "("),
        (STR, "it's"),
        (PUNCT, ","),
        (STR, 'say "hi"'),
        (PUNCT, ","),
        (STR, "ABC"),
        (PUNCT, ")"),
    ]


def test_tokenizer_template_literals() -> None:
    assert kinds("`plain`") == [(STR, "plain")]
    assert kinds("`${org}/${name}`") == [
        (TPL, ""),
        (PUNCT, "${"),
        (ID, "org"),
        (PUNCT, "}"),
        (TPL_PART, "/"),
        (PUNCT, "${"),
        (ID, "name"),
        (PUNCT, "}"),
        (TPL_PART, ""),
    ]
    # Nesting: an object literal and another template inside a substitution.
    nested = kinds("`a${ {k: `b${c}`}.k }d` + x")
    assert nested[-2:] == [(PUNCT, "+"), (ID, "x")]
    assert (TPL_PART, "d") in nested


def test_tokenizer_comments_are_kept_apart() -> None:
    tokens, comments = tokenize("a // line 'x'\n/* block\n 'y' */ b")
    assert [(t.kind, t.value) for t in tokens] == [(ID, "a"), (ID, "b")]
    assert [c.value for c in comments] == [" line 'x'", " block\n 'y' "]
    text = "a // line 'x'\n/* block\n 'y' */ b"
    assert [text[c.start : c.end] for c in comments] == [c.value for c in comments]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param('x = /"[^"]*"/g; y', [(ID, "x"), (PUNCT, "="), (REGEX, '/"[^"]*"/g')], id="q"),
        pytest.param("f(/[/]'/)", [(ID, "f"), (PUNCT, "("), (REGEX, "/[/]'/")], id="class"),
        pytest.param("return /a\\/b/", [(ID, "return"), (REGEX, "/a\\/b/")], id="return"),
        pytest.param("a / b / c", [(ID, "a"), (PUNCT, "/"), (ID, "b")], id="division"),
        pytest.param("(a) / 2", [(PUNCT, "("), (ID, "a"), (PUNCT, ")"), (PUNCT, "/")], id="paren"),
    ],
)
def test_tokenizer_regex_or_division(source: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(source)[: len(expected)] == expected


def test_tokenizer_numbers_and_offsets() -> None:
    tokens, _ = tokenize("x = 1.5e3 + .5")
    assert [(t.kind, t.value) for t in tokens if t.kind == NUM] == [(NUM, "1.5e3"), (NUM, ".5")]
    assert [(t.start, t.end) for t in tokens][:2] == [(0, 1), (2, 3)]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("'unterminated\nx", id="string"),
        pytest.param("`unterminated ${ a", id="template"),
        pytest.param("/* unterminated", id="comment"),
        pytest.param("x = /unterminated\n", id="regex"),
        pytest.param("}}}}))))", id="closers"),
        pytest.param("(" * 100_000, id="deep-nesting"),
        pytest.param("\x00\xff\ufffd" * 1000, id="garbage"),
    ],
)
def test_tokenizer_survives_broken_input(source: str) -> None:
    tokens, comments = tokenize(source)
    assert isinstance(tokens, list) and isinstance(comments, list)
    assert crawl("// model\n" + source) == []


# -- patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            HF_IMPORT + "const c = await pipeline('sentiment-analysis', "
            "'Xenova/distilbert-base-uncased-finetuned-sst-2-english');",
            [("model", "Xenova/distilbert-base-uncased-finetuned-sst-2-english", None)],
            id="pipeline",
        ),
        pytest.param(
            "import * as transformers from '@xenova/transformers';\n"
            "transformers.pipeline('fill-mask', 'Xenova/bert-base-uncased');",
            [("model", "Xenova/bert-base-uncased", None)],
            id="pipeline-namespace",
        ),
        pytest.param(
            "const { pipeline } = await import('@xenova/transformers');\n"
            "pipeline('asr', `Xenova/whisper-tiny.en`);",
            [("model", "Xenova/whisper-tiny.en", None)],
            id="dynamic-import-plain-template",
        ),
        pytest.param(
            "const { pipeline } = require('@xenova/transformers');\n"
            "pipeline('summarization', 'Xenova/distilbart-cnn-6-6');",
            [("model", "Xenova/distilbart-cnn-6-6", None)],
            id="pipeline-commonjs",
        ),
        pytest.param(
            "AutoModel.from_pretrained('Xenova/gpt2');",
            [("model", "Xenova/gpt2", None)],
            id="from-pretrained",
        ),
        pytest.param(
            "const Groq = require('groq-sdk');\nimport OpenAI from 'openai';\n"
            "class Bot { constructor() { this.client = new Groq(); }\n"
            "  run() { return this.client.chat.completions.create({ model: 'gemma2-9b-it' }); } }",
            [("hosted-model", "gemma2-9b-it", "groq")],
            id="instance-assigned-to-this",
        ),
        pytest.param(
            "AutoTokenizer.from_pretrained('Xenova/t5-small', { revision: 'v1' });",
            [("model", "Xenova/t5-small", None)],
            id="tokenizer",
        ),
        pytest.param(
            "import OpenAI from 'openai';\nconst openai = new OpenAI();\n"
            "await openai.chat.completions.create({ model: 'gpt-4o', messages });",
            [("hosted-model", "gpt-4o", "openai")],
            id="openai-chat",
        ),
        pytest.param(
            "import OpenAI from 'openai';\nconst client = new OpenAI();\n"
            "client.responses.create({model: 'o3-mini', input: 'x'});",
            [("hosted-model", "o3-mini", "openai")],
            id="openai-responses",
        ),
        pytest.param(
            "import OpenAI from 'openai';\nconst openai = new OpenAI();\n"
            "openai.embeddings.create({ model: 'text-embedding-3-small', input });",
            [("hosted-model", "text-embedding-3-small", "openai")],
            id="openai-embeddings",
        ),
        pytest.param(
            "import Anthropic from '@anthropic-ai/sdk';\nconst anthropic = new Anthropic();\n"
            "anthropic.messages.create({ model: 'claude-3-5-sonnet-20241022', max_tokens: 1 });",
            [("hosted-model", "claude-3-5-sonnet-20241022", "anthropic")],
            id="anthropic-messages",
        ),
        pytest.param(
            "import OpenAI from 'openai';\nimport Anthropic from '@anthropic-ai/sdk';\n"
            "class S { private llm = new Anthropic(); run() {\n"
            "  return this.llm.messages.create({ model: 'claude-3-opus-20240229' }); } }",
            [("hosted-model", "claude-3-opus-20240229", "anthropic")],
            id="instance-field-disambiguates",
        ),
        pytest.param(
            "import Groq from 'groq-sdk';\nconst groq = new Groq();\n"
            "groq.chat.completions.create({ model: 'llama-3.1-70b-versatile' });",
            [("hosted-model", "llama-3.1-70b-versatile", "groq")],
            id="groq",
        ),
        pytest.param(
            "import { GoogleGenerativeAI } from '@google/generative-ai';\n"
            "const genAI = new GoogleGenerativeAI(key);\n"
            "const m = genAI.getGenerativeModel({ model: 'gemini-1.5-flash' });",
            [("hosted-model", "gemini-1.5-flash", "google")],
            id="google-generative-ai",
        ),
        pytest.param(
            "import { GoogleGenAI } from '@google/genai';\nconst ai = new GoogleGenAI({});\n"
            "ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'x' });",
            [("hosted-model", "gemini-2.0-flash", "google")],
            id="google-genai",
        ),
        pytest.param(
            "import { Mistral } from '@mistralai/mistralai';\nconst client = new Mistral();\n"
            "client.chat.complete({ model: 'mistral-large-latest', messages });",
            [("hosted-model", "mistral-large-latest", "mistral")],
            id="mistral",
        ),
        pytest.param(
            "import { CohereClient } from 'cohere-ai';\nconst cohere = new CohereClient({});\n"
            "cohere.chat({ model: 'command-r-plus', message: 'x' });",
            [("hosted-model", "command-r-plus", "cohere")],
            id="cohere",
        ),
        pytest.param(
            "import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';\n"
            "client.send(new ConverseCommand({ modelId: "
            "'us.anthropic.claude-3-5-sonnet-20240620-v1:0', messages }));",
            [("hosted-model", "anthropic.claude-3-5-sonnet-20240620-v1:0", "aws-bedrock")],
            id="bedrock",
        ),
        pytest.param(
            "import { openai } from '@ai-sdk/openai';\nstreamText({ model: openai('gpt-4o') });",
            [("hosted-model", "gpt-4o", "openai")],
            id="ai-sdk-openai",
        ),
        pytest.param(
            "import { anthropic } from '@ai-sdk/anthropic';\n"
            "generateText({ model: anthropic('claude-3-haiku-20240307') });",
            [("hosted-model", "claude-3-haiku-20240307", "anthropic")],
            id="ai-sdk-anthropic",
        ),
        pytest.param(
            "import { google } from '@ai-sdk/google';\nconst m = google('gemini-1.5-pro');",
            [("hosted-model", "gemini-1.5-pro", "google")],
            id="ai-sdk-google",
        ),
        pytest.param(
            "import { mistral } from '@ai-sdk/mistral';\nconst m = mistral('mistral-large-latest');",
            [("hosted-model", "mistral-large-latest", "mistral")],
            id="ai-sdk-mistral",
        ),
        pytest.param(
            "import { createOpenAI } from '@ai-sdk/openai';\n"
            "const groqish = createOpenAI({ baseURL: 'https://x' });\nconst m = groqish('gpt-4o-mini');",
            [("hosted-model", "gpt-4o-mini", "openai")],
            id="ai-sdk-factory",
        ),
        pytest.param(
            "import { openai } from '@ai-sdk/openai';\n"
            "embed({ model: openai.embedding('text-embedding-3-small'), value });",
            [("hosted-model", "text-embedding-3-small", "openai")],
            id="ai-sdk-method",
        ),
        pytest.param(
            "import { generateText } from 'ai';\n"
            "generateText({ model: 'anthropic/claude-3-5-sonnet-20241022', prompt });",
            [("hosted-model", "claude-3-5-sonnet-20241022", "anthropic")],
            id="ai-gateway-string",
        ),
        pytest.param(
            "const llm = new ChatOpenAI({ model: 'gpt-4o-mini', temperature: 0 });",
            [("hosted-model", "gpt-4o-mini", "openai")],
            id="langchain-openai",
        ),
        pytest.param(
            "const llm = new ChatOpenAI({ modelName: 'gpt-3.5-turbo' });",
            [("hosted-model", "gpt-3.5-turbo", "openai")],
            id="langchain-model-name",
        ),
        pytest.param(
            "const llm = new ChatAnthropic({ model: 'claude-3-5-haiku-20241022' });",
            [("hosted-model", "claude-3-5-haiku-20241022", "anthropic")],
            id="langchain-anthropic",
        ),
        pytest.param(
            "const llm = new ChatGoogleGenerativeAI({ model: 'gemini-1.5-pro' });",
            [("hosted-model", "gemini-1.5-pro", "google")],
            id="langchain-google",
        ),
        pytest.param(
            "const llm = new ChatMistralAI({ model: 'mistral-small-latest' });",
            [("hosted-model", "mistral-small-latest", "mistral")],
            id="langchain-mistral",
        ),
        pytest.param(
            "const llm = new ChatOllama({ model: 'llama3.1' });",
            [("model", "llama3.1", "ollama")],
            id="langchain-ollama",
        ),
        pytest.param(
            "import ollama from 'ollama';\nawait ollama.chat({ model: 'qwen2.5:7b', messages });",
            [("model", "qwen2.5:7b", "ollama")],
            id="ollama-sdk",
        ),
        pytest.param(
            "const e = new HuggingFaceInferenceEmbeddings({ model: 'BAAI/bge-m3' });",
            [("model", "BAAI/bge-m3", None)],
            id="langchain-hf-embeddings",
        ),
        pytest.param(
            "const cfg = { model: 'claude-3-7-sonnet-20250219', temperature: 0 };",
            [("hosted-model", "claude-3-7-sonnet-20250219", "anthropic")],
            id="bare-model-key",
        ),
        pytest.param(
            "export default { 'model': 'gpt-4.1' }",
            [("hosted-model", "gpt-4.1", "openai")],
            id="bare-quoted-model-key",
        ),
    ],
)
def test_patterns(source: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert found(source) == expected


@pytest.mark.parametrize(
    ("source", "identifier", "confidence"),
    [
        pytest.param(
            HF_IMPORT + "const MODEL_ID = 'Xenova/all-MiniLM-L6-v2';\n"
            "function f() { return pipeline('feature-extraction', MODEL_ID); }",
            "Xenova/all-MiniLM-L6-v2",
            0.9,
            id="constant",
        ),
        pytest.param(
            HF_IMPORT + "export const MODEL_ID: string = 'Xenova/all-MiniLM-L6-v2'\n"
            "AutoModel.from_pretrained(MODEL_ID)",
            "Xenova/all-MiniLM-L6-v2",
            0.9,
            id="typed-constant-no-semicolon",
        ),
        pytest.param(
            HF_IMPORT + "class P {\n  static model = 'Xenova/distilgpt2';\n"
            "  static get() { return pipeline('text-generation', this.model); }\n}",
            "Xenova/distilgpt2",
            0.9,
            id="static-field",
        ),
        pytest.param(
            "import OpenAI from 'openai';\nconst client = new OpenAI();\n"
            "const model = 'gpt-4o';\nclient.chat.completions.create({ model, messages });",
            "gpt-4o",
            0.9,
            id="shorthand-property",
        ),
        pytest.param(
            "import OpenAI from 'openai';\nconst client = new OpenAI();\n"
            "client.chat.completions.create({ model: process.env.MODEL ?? 'gpt-4o-mini' });",
            "gpt-4o-mini",
            0.8,
            id="env-default",
        ),
        pytest.param(
            "const CHAT = opts.model || 'gpt-4o';\nnew ChatOpenAI({ model: CHAT });",
            "gpt-4o",
            0.8,
            id="default-through-constant",
        ),
        pytest.param(
            "const settings = { model: 'gpt-4o-mini' };",
            "gpt-4o-mini",
            0.8,
            id="bare-model-key",
        ),
        pytest.param(
            "import OpenAI from 'openai';\nconst c = new OpenAI({ baseURL: 'http://localhost:11434/v1' });\n"
            "c.chat.completions.create({ model: 'llama3.2' });",
            "llama3.2",
            0.8,
            id="openai-client-with-foreign-model",
        ),
    ],
)
def test_indirection_and_confidence(source: str, identifier: str, confidence: float) -> None:
    (finding,) = crawl(source)
    assert finding.id == identifier
    assert finding.evidence.confidence == confidence


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("console.log('Try Xenova/whisper-tiny');", id="mentioned-in-a-string"),
        pytest.param("fetch('https://huggingface.co/Xenova/whisper-tiny');", id="hub-url"),
        pytest.param("const o = { model: 'default' };", id="model-default"),
        pytest.param("const o = { model: process.env.MODEL };", id="model-from-env"),
        pytest.param("import gpt from 'gpt-4';\nconst x = require('gpt-4o');", id="module-names"),
        pytest.param("const o = { type: 'text/plain', model: 'text/plain' };", id="mime"),
        pytest.param(
            HF_IMPORT + "const org = 'Xenova', name = 'gpt2';\npipeline('x', `${org}/${name}`);",
            id="template-with-substitutions",
        ),
        pytest.param(HF_IMPORT + "pipeline('asr', 'your-org/your-model');", id="placeholder"),
        pytest.param(HF_IMPORT + "pipeline('asr', './models/local');", id="local-path"),
        pytest.param(HF_IMPORT + "pipeline('asr', '/models/whisper');", id="absolute-path"),
        pytest.param(
            "import { pipeline } from 'node:stream/promises';\n"
            "await pipeline(source, 'acme/not-a-model');",
            id="other-pipeline",
        ),
        pytest.param("const openai = (m) => m;\nopenai('gpt-4o');", id="openai-not-from-ai-sdk"),
        pytest.param(
            "import OpenAI from 'openai';\nimport Anthropic from '@anthropic-ai/sdk';\n"
            "getClient().messages.create({ model: 'whatever-model' });",
            id="ambiguous-sdk",
        ),
        pytest.param("const re = /{ model: 'gpt-4o' }/;", id="inside-regex"),
        pytest.param("const s = \"{ model: 'gpt-4o' }\";", id="inside-string"),
        pytest.param("interface Opts { model: string }", id="type-annotation"),
        pytest.param(
            "const x = flag ? { model: a } : b;\nswitch (k) { case 'model': break; }",
            id="not-a-literal",
        ),
        pytest.param("AutoModel.save_pretrained('acme/output-model');", id="save-target"),
    ],
)
def test_traps_are_not_references(source: str) -> None:
    assert found(source) == []


def test_regex_with_quotes_does_not_hide_later_code() -> None:
    source = HF_IMPORT + (
        "const quoted = /\"[^\"]*\"/g; pipeline('fill-mask', 'Xenova/bert-base-cased');\n"
        "const apos = /'/; AutoModel.from_pretrained('Xenova/gpt2');\n"
    )
    assert found(source) == [
        ("model", "Xenova/bert-base-cased", None),
        ("model", "Xenova/gpt2", None),
    ]


def test_evidence_points_at_the_literal() -> None:
    (finding,) = crawl(
        HF_IMPORT
        + """const classifier = await pipeline(
          'sentiment-analysis',
          'Xenova/bert-base-multilingual-uncased-sentiment',
          { revision: 'main' },
        );
        """
    )
    ev = finding.evidence
    assert (ev.file, ev.line, ev.column) == ("src/app.ts", 4, 11)
    assert ev.snippet == "'Xenova/bert-base-multilingual-uncased-sentiment',"
    assert (ev.crawler, ev.confidence, ev.scope) == ("javascript", 1.0, Scope.CODE)
    assert finding.revision == "main"
    assert finding.kind is Kind.MODEL


def test_every_occurrence_is_a_finding() -> None:
    findings = crawl(
        HF_IMPORT + "AutoTokenizer.from_pretrained('Xenova/gpt2');\n"
        "AutoModel.from_pretrained('Xenova/gpt2');\n"
    )
    assert [(f.id, f.evidence.line) for f in findings] == [("Xenova/gpt2", 2), ("Xenova/gpt2", 3)]


def test_calls_in_comments_have_comment_scope() -> None:
    findings = crawl(
        HF_IMPORT
        + """
        // const old = await pipeline('translation', 'Xenova/nllb-200-distilled-600M');
        /**
         * @example
         * const tok = await AutoTokenizer.from_pretrained(
         *   'Xenova/t5-small');
         */
        // Try Xenova/whisper-tiny or { model: 'gpt-4o' } here.
        """
    )
    got = [(f.id, f.evidence.line, f.evidence.scope) for f in findings]
    assert got == [
        ("Xenova/nllb-200-distilled-600M", 3, Scope.COMMENT),
        ("Xenova/t5-small", 7, Scope.COMMENT),
    ]


def test_vue_and_svelte_read_only_script_blocks_keeping_lines() -> None:
    source = """
    <template>
      <p>{{ label }}</p>
      <input placeholder="AutoModel.from_pretrained('Xenova/not-in-script')" />
    </template>
    <script setup lang="ts">
    import { AutoModel } from '@huggingface/transformers';
    const m = await AutoModel.from_pretrained('Xenova/in-script');
    </script>
    """
    for path in ("components/Chat.vue", "src/routes/+page.svelte"):
        findings = crawl(source, path)
        assert [(f.id, f.evidence.line, f.evidence.column) for f in findings] == [
            ("Xenova/in-script", 7, 43)
        ]


def test_minified_code_is_skipped() -> None:
    long_line = "var a=1;" * 700 + "AutoModel.from_pretrained('Xenova/minified');"
    assert crawl(long_line, "public/app.js") == []
    assert crawl("AutoModel.from_pretrained('Xenova/ok');\n" + long_line, "public/app.js") == []


def test_scope_follows_the_file_location() -> None:
    source = "AutoModel.from_pretrained('Xenova/gpt2');"
    assert crawl(source, "src/model.test.ts")[0].evidence.scope is Scope.TEST
    assert crawl(source, "examples/demo.js")[0].evidence.scope is Scope.EXAMPLE
    assert crawl(source, "docs/snippet.mjs")[0].evidence.scope is Scope.DOCS


def test_undecodable_bytes_do_not_stop_the_crawl() -> None:
    data = b"\xff\xfe// \x80\x81\nAutoModel.from_pretrained('Xenova/gpt2');\n"
    findings = JavaScriptCrawler().crawl(FileInput("src/a.js", data, len(data)))
    assert [f.id for f in findings] == ["Xenova/gpt2"]


def test_findings_from_source_matches_crawl() -> None:
    source = "AutoModel.from_pretrained('Xenova/gpt2');"
    assert findings_from_source(source, "src/app.ts") == crawl(source)


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("src/app.ts", True),
        ("src/app.tsx", True),
        ("src/app.js", True),
        ("src/app.mjs", True),
        ("src/app.cjs", True),
        ("src/app.jsx", True),
        ("src/app.mts", True),
        ("src/app.cts", True),
        ("components/Chat.vue", True),
        ("src/routes/+page.svelte", True),
        ("node_modules/@xenova/transformers/src/models.js", False),
        ("packages/web/node_modules/x/index.js", False),
        ("dist/index.js", False),
        ("build/static/js/main.js", False),
        (".next/server/app/page.js", False),
        ("public/vendor/lib.min.js", False),
        ("src/app.py", False),
        ("src/data.json", False),
        ("src/dist.ts", True),
    ],
)
def test_wants(path: str, wanted: bool) -> None:
    assert JavaScriptCrawler().wants(PurePosixPath(path), 100) is wanted


def test_golden_javascript_fixture() -> None:
    result = crawler_golden(
        [JavaScriptCrawler()], "crawlers/javascript", "crawler-javascript.findings.json"
    )
    assert result.unknowns == ()
    ids = {f.id for f in result.findings}
    assert "Xenova/minified-should-not-appear" not in ids
    assert "Xenova/build-output-should-not-appear" not in ids
    assert "Xenova/whisper-tiny" not in ids  # only mentioned in traps.ts
    assert not any(f.evidence.file == "src/traps.ts" for f in result.findings)


def test_a_constant_after_nullish_coalescing_is_followed() -> None:
    source = """
        import Anthropic from '@anthropic-ai/sdk';
        const DEFAULT_MODEL = 'claude-3-5-haiku-20241022';
        await new Anthropic().messages.create({ model: process.env.DRAFT_MODEL ?? DEFAULT_MODEL });
        await new Anthropic().messages.create({ model: process.env.OTHER || UNKNOWN_CONSTANT });
    """
    findings = crawl(source)  # the leading blank line is stripped: the call is on line 3
    assert [(f.id, f.evidence.line, f.evidence.confidence) for f in findings] == [
        ("claude-3-5-haiku-20241022", 3, 0.8)
    ]
