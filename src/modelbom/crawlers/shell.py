"""Shell-like files: scripts, Dockerfiles, Makefiles, CI workflows, compose files, Modelfiles.

Files are read as text lines, never executed and never parsed as YAML. Continuation lines
(``\\`` at the end of a line) are joined into one command, each command is split into
words with shell quoting rules, and the words of known commands are read for model,
adapter and dataset ids:

* ``huggingface-cli download`` / ``hf download`` (``--repo-type``, ``--revision``);
* ``git clone`` / ``git lfs clone`` of Hub repository URLs;
* ``/resolve/`` and ``/blob/`` file URLs on the Hub (``wget``, ``curl``, ``ADD``, ...);
* serving engines: TGI (``--model-id``), vLLM (``vllm serve``, ``--model``,
  ``--tokenizer``, ``--lora-modules``), SGLang (``--model-path``), lm-evaluation-harness
  (``--model_args pretrained=...``);
* Hugging Face training-script flags (``--model_name_or_path``, ``--dataset_name``, ...);
* Ollama (``ollama pull`` / ``ollama run``, Modelfile ``FROM`` / ``ADAPTER``).

Shell, Dockerfile (``ENV`` / ``ARG``), Makefile (``?=``, ``:=``) and CI ``env`` variables
assigned a literal earlier in the same file are followed into ``$VAR``, ``${VAR}``,
``${VAR:-default}`` and ``$(VAR)``. Push and upload targets, output directories, served
model aliases, chat templates and architecture names are never references.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import PurePosixPath
from urllib.parse import unquote

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.ids import hub_id, is_placeholder
from modelbom.model import Evidence, Finding, Kind, Scope

# Confidence of an id by how it was obtained.
LITERAL = 1.0
VARIABLE = 0.9  # through a variable assigned earlier in the file, or a ${VAR:-default}
INFERRED = 0.9  # a flag whose meaning comes from an engine named elsewhere in the file

_MAX_VALUES = 16  # candidate values tracked per variable and per word
_MAX_DEPTH = 6  # nesting of ${...} defaults, $(...) and sh -c
_MAX_COMMANDS = 5_000  # simple commands in one logical line
_MAX_WORDS = 20_000  # words in one logical line
_MAX_BYTES = 1024 * 1024  # hand-written scripts and CI files are far smaller


class Dialect(Enum):
    """How a file's lines are turned into shell commands."""

    SHELL = "shell"
    MAKE = "make"
    DOCKER = "docker"
    YAML = "yaml"
    MODELFILE = "modelfile"
    JENKINS = "jenkins"
    PROCFILE = "procfile"


_CONFIG_DIALECTS = frozenset({Dialect.DOCKER, Dialect.YAML, Dialect.MODELFILE, Dialect.PROCFILE})


def dialect_of(path: PurePosixPath) -> Dialect | None:
    """The dialect of a file this crawler reads, or ``None`` when it does not read it."""
    name = path.name
    lower = name.lower()
    suffix = path.suffix.lower()
    if suffix in (".sh", ".bash", ".zsh"):
        return Dialect.SHELL
    if (
        name in ("Dockerfile", "Containerfile")
        or name.startswith(("Dockerfile.", "Containerfile."))
        or lower.endswith(".dockerfile")
    ):
        return Dialect.DOCKER
    if name in ("Makefile", "makefile", "GNUmakefile") or suffix == ".mk":
        return Dialect.MAKE
    if name == "Modelfile" or name.startswith("Modelfile.") or name.endswith(".Modelfile"):
        return Dialect.MODELFILE
    if name == "Procfile":
        return Dialect.PROCFILE
    if name == "Jenkinsfile":
        return Dialect.JENKINS
    if suffix in (".yml", ".yaml"):
        parents = path.parent.parts
        if (
            parents[-2:] == (".github", "workflows")
            or lower in (".gitlab-ci.yml", "azure-pipelines.yml", "azure-pipelines.yaml")
            or (parents[-1:] == (".circleci",) and lower in ("config.yml", "config.yaml"))
            or lower.startswith("docker-compose")
            or lower in ("compose.yml", "compose.yaml")
        ):
            return Dialect.YAML
    return None


# -- Hub URLs -------------------------------------------------------------------------------

_HUB_URL = re.compile(
    r"https?://(?:[^/@\s\"'<>]{1,256}@)?(?:www\.)?(?:huggingface\.co|hf\.co)/", re.IGNORECASE
)
# First path segments of huggingface.co that are site pages, not repositories.
_RESERVED_SEGMENTS = frozenset(
    {
        "spaces", "docs", "blog", "papers", "learn", "course", "collections", "organizations",
        "settings", "join", "login", "logout", "pricing", "models", "api", "new", "new-dataset",
        "new-space", "new-collection", "tasks", "chat", "posts", "enterprise", "changelog",
        "inference-endpoints", "inference-api", "privacy", "terms-of-service", "search",
        "notifications", "billing", "welcome", "brand", "careers", "support", "pro", "hub",
        "transformers", "front", "avatars", "security", "status", "sso", "oauth",
    }
)  # fmt: skip
_REPO_SUBPAGES = frozenset(
    {"resolve", "blob", "raw", "tree", "commit", "commits", "discussions", "edit", "blame"}
)
_FILE_PAGES = frozenset({"resolve", "blob", "raw"})
_MAX_URL = 2048  # characters of a URL's path that are read
_URL_END = re.compile(r"[?#\s\"'<>`|()\[\]{}*\\]")


@dataclass(frozen=True, slots=True)
class HubUrl:
    """A Hub repository named by a URL: its kind, id, where the id starts, and any file."""

    kind: Kind
    id: str
    start: int  # index of the id's first character in the text the URL was read from
    revision: str | None
    filename: str | None
    is_file: bool  # a /resolve/, /blob/ or /raw/ URL of one file


def find_hub_urls(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each Hugging Face URL in *text* (scheme included).

    A URL is cut at :data:`_MAX_URL` characters, so a line full of URL prefixes costs
    linear time.
    """
    for match in _HUB_URL.finditer(text):
        limit = min(len(text), match.end() + _MAX_URL)
        end_match = _URL_END.search(text, match.end(), limit)
        yield match.start(), end_match.start() if end_match else limit


def parse_hub_url(text: str, start: int = 0, end: int | None = None) -> HubUrl | None:
    """Read the Hub URL at ``text[start:end]``; ``None`` for site pages and Spaces.

    Model URLs are ``https://huggingface.co/ORG/NAME``, dataset URLs
    ``https://huggingface.co/datasets/ORG/NAME``; ``/resolve/REV/FILE``, ``/blob/REV/FILE``
    and ``/tree/REV`` give a revision and a file name. ``hf.co`` is the same host.
    """
    match = _HUB_URL.match(text, start)
    if match is None:
        return None
    stop = min(len(text) if end is None else end, match.end() + _MAX_URL)
    end_match = _URL_END.search(text, match.end(), stop)
    path = text[match.end() : end_match.start() if end_match else stop]
    segments = path.split("/")
    starts: list[int] = []
    position = match.end()
    for segment in segments:
        starts.append(position)
        position += len(segment) + 1
    while segments and not segments[-1]:
        segments.pop()
    if not segments:
        return None
    first = segments[0].lower()
    index = 0
    kind = Kind.MODEL
    if first == "datasets":
        kind = Kind.DATASET
        index = 1
    elif first in _RESERVED_SEGMENTS:
        return None
    rest = segments[index:]
    if not rest or not rest[0]:
        return None
    parts = 2 if len(rest) >= 2 and rest[1] not in _REPO_SUBPAGES else 1
    repo = "/".join(rest[:parts])
    if repo.endswith(".git"):
        repo = repo[:-4]
    ident = hub_id(repo, allow_single=kind is Kind.DATASET)
    if ident is None:
        return None
    tail = rest[parts:]
    revision: str | None = None
    filename: str | None = None
    is_file = False
    if len(tail) >= 2 and tail[0] in (*_FILE_PAGES, "tree") and tail[1]:
        revision = unquote(tail[1])
        if tail[0] in _FILE_PAGES and len(tail) >= 3 and tail[2]:
            filename = unquote("/".join(tail[2:]))
            is_file = True
    return HubUrl(kind, ident, starts[index], revision, filename, is_file)


# -- tokenizing -----------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+)(:?[-=])?")
_GITHUB_ENV = re.compile(r"\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}")


@dataclass(frozen=True, slots=True)
class _Lit:
    text: str
    offs: tuple[int, ...]  # offset in the file text of each character


@dataclass(frozen=True, slots=True)
class _Var:
    name: str  # "" when the expansion cannot be followed ($(cmd), ${X%y}, $1 ...)
    off: int
    default: _Word | None = None


@dataclass(frozen=True, slots=True)
class _Word:
    pieces: tuple[_Lit | _Var, ...]
    start: int  # span in the tokenized text, quotes included
    end: int
    raw: str  # quotes removed, variables written as $NAME or ${NAME:-default}

    @property
    def first_offset(self) -> int:
        """Offset in the file of the word's first character."""
        for piece in self.pieces:
            if isinstance(piece, _Lit):
                if piece.offs:
                    return piece.offs[0]
            else:
                return piece.off
        return 0


def _make_word(pieces: Sequence[_Lit | _Var], start: int, end: int) -> _Word:
    parts: list[str] = []
    for piece in pieces:
        if isinstance(piece, _Lit):
            parts.append(piece.text)
        elif piece.default is not None:
            parts.append(f"${{{piece.name}:-{piece.default.raw}}}")
        else:
            parts.append(f"${piece.name or '?'}")
    return _Word(tuple(pieces), start, end, "".join(parts))


class _WordBuilder:
    def __init__(self, start: int) -> None:
        self.start = start
        self.pieces: list[_Lit | _Var] = []
        self.chars: list[str] = []
        self.offs: list[int] = []

    def char(self, ch: str, off: int) -> None:
        self.chars.append(ch)
        self.offs.append(off)

    def run(self, text: str, offs: Sequence[int]) -> None:
        self.chars.append(text)
        self.offs.extend(offs)

    def var(self, var: _Var) -> None:
        self._flush()
        self.pieces.append(var)

    def _flush(self) -> None:
        if self.chars:
            self.pieces.append(_Lit("".join(self.chars), tuple(self.offs)))
            self.chars, self.offs = [], []

    def build(self, end: int) -> _Word:
        self._flush()
        return _make_word(self.pieces, self.start, end)


_PLAIN = re.compile(r"[^\s;&|()`<>'\"\\$]+")
_PLAIN_FLOW = re.compile(r"[^\s;&|()`<>'\"\\$\[\],]+")
_PLAIN_SINGLE = re.compile(r"[^'\"\\$]+")
_PLAIN_DOUBLE = re.compile(r"[^\"\\$]+")


class _Tokenizer:
    """Split one logical command into simple commands of words, shell style.

    ``make`` reads ``$(NAME)`` as a Make variable and ``$$`` as a shell ``$``; ``flow``
    treats ``[``, ``]`` and ``,`` as blanks (exec-form JSON arrays, YAML flow lists);
    ``single`` reads the whole text as one word (a default value, a Make assignment).
    """

    def __init__(
        self,
        text: str,
        offs: Sequence[int],
        *,
        make: bool = False,
        flow: bool = False,
        single: bool = False,
        depth: int = 0,
    ) -> None:
        self.text = text
        self.offs = offs
        self.make = make
        self.flow = flow
        self.single = single
        self.depth = depth
        self.commands: list[list[_Word]] = [[]]
        self.nested: list[list[_Word]] = []  # commands inside $(...)
        self.word: _WordBuilder | None = None
        self.drop_next = False
        self._closing: dict[int, int] | None = None
        self.words = 0
        self.plain = _PLAIN_SINGLE if single else _PLAIN_FLOW if flow else _PLAIN

    def run(self) -> list[list[_Word]]:
        text, n = self.text, len(self.text)
        i = 0
        while i < n:
            ch = text[i]
            if not self.single:
                if ch in " \t\r\n" or (self.flow and ch in "[],"):
                    self._end_word(i)
                    i += 1
                    continue
                if ch in ";&|()`<>":
                    i = self._operator(i)
                    continue
            if ch == "'":
                i = self._single_quoted(i)
            elif ch == '"':
                i = self._double_quoted(i)
            elif ch == "\\":
                if i + 1 < n:
                    self._char(text[i + 1], i + 1, i)
                i += 2
            elif ch == "$":
                i = self._dollar(i, self.make)
            else:
                plain = self.plain.match(text, i)
                end = plain.end() if plain else i + 1
                self._ensure(i).run(text[i:end], self.offs[i:end])
                i = end
        self._end_word(n)
        return [c for c in (*self.commands, *self.nested) if c]

    def word_at(self) -> _Word | None:
        """The single word of a ``single`` tokenizer."""
        commands = self.run()
        return commands[0][0] if commands and commands[0] else None

    # -- building ---------------------------------------------------------------------

    def _ensure(self, at: int) -> _WordBuilder:
        if self.word is None:
            self.word = _WordBuilder(at)
        return self.word

    def _char(self, ch: str, index: int, at: int) -> None:
        self._ensure(at).char(ch, self.offs[index])

    def _end_word(self, at: int) -> None:
        if self.word is not None:
            word = self.word.build(at)
            self.word = None
            if self.drop_next:
                self.drop_next = False
            else:
                self.commands[-1].append(word)
                self.words += 1
                if self.words > _MAX_WORDS:
                    raise CrawlError(f"a command line has more than {_MAX_WORDS} words")

    def _new_command(self) -> None:
        if self.commands[-1]:
            self.commands.append([])
            if len(self.commands) + len(self.nested) > _MAX_COMMANDS:
                raise CrawlError(f"a command line has more than {_MAX_COMMANDS} commands")

    def _operator(self, i: int) -> int:
        text, n = self.text, len(self.text)
        ch = text[i]
        if ch in "<>" or (ch == "&" and i + 1 < n and text[i + 1] == ">"):
            word = self.word
            if word is not None and not word.pieces and "".join(word.chars).isdigit():
                self.word = None  # the file descriptor of 2>
            self._end_word(i)
            j = i + 1
            while j < n and text[j] in "<>&|":
                j += 1
            if text[j - 1] == "&" and j < n and (text[j].isdigit() or text[j] == "-"):
                while j < n and (text[j].isdigit() or text[j] == "-"):
                    j += 1
            else:
                self.drop_next = True  # the redirection target is a file name
            return j
        self._end_word(i)
        self.drop_next = False
        self._new_command()
        j = i + 1
        while j < n and text[j] in ";&|":
            j += 1
        return j

    def _single_quoted(self, i: int) -> int:
        builder = self._ensure(i)
        end = self.text.find("'", i + 1)
        if end < 0:
            end = len(self.text)
        builder.run(self.text[i + 1 : end], self.offs[i + 1 : end])
        return end + 1

    def _double_quoted(self, i: int) -> int:
        self._ensure(i)
        text, n = self.text, len(self.text)
        j = i + 1
        while j < n:
            ch = text[j]
            if ch == '"':
                return j + 1
            if ch == "\\" and j + 1 < n and text[j + 1] in '$`"\\':
                self._char(text[j + 1], j + 1, i)
                j += 2
            elif ch == "$":
                j = self._dollar(j, self.make)
            else:
                plain = _PLAIN_DOUBLE.match(text, j)
                end = plain.end() if plain else j + 1
                self._ensure(i).run(text[j:end], self.offs[j:end])
                j = end
        return n

    def _match(self, i: int) -> int:
        """Index of the bracket closing the ``{`` or ``(`` at *i*, or -1.

        All pairs are found in one pass the first time, so a text full of unclosed
        brackets costs linear time.
        """
        if self._closing is None:
            closing: dict[int, int] = {}
            braces: list[int] = []
            parens: list[int] = []
            for j, ch in enumerate(self.text):
                if ch == "{":
                    braces.append(j)
                elif ch == "(":
                    parens.append(j)
                elif ch == "}" and braces:
                    closing[braces.pop()] = j
                elif ch == ")" and parens:
                    closing[parens.pop()] = j
            self._closing = closing
        return self._closing.get(i, -1)

    def _sub(self, start: int, end: int, *, single: bool) -> _Tokenizer:
        return _Tokenizer(
            self.text[start:end],
            self.offs[start:end],
            make=self.make,
            single=single,
            depth=self.depth + 1,
        )

    def _dollar(self, i: int, make: bool) -> int:
        text, n = self.text, len(self.text)
        nxt = text[i + 1] if i + 1 < n else ""
        off = self.offs[i]
        if make and nxt == "$":
            return self._dollar(i + 1, False)  # $$ in a recipe is the shell's $
        if nxt == "{":
            close = self._match(i + 1)
            if close < 0:
                self._char("$", i, i)
                return i + 1
            self._ensure(i).var(self._braced(i + 2, close, off))
            return close + 1
        if nxt == "(":
            close = self._match(i + 1)
            if close < 0:
                self._char("$", i, i)
                return i + 1
            inner = text[i + 2 : close]
            if make and _NAME.fullmatch(inner):
                self._ensure(i).var(_Var(inner, off))
            else:
                self._ensure(i).var(_Var("", off))
                if self.depth < _MAX_DEPTH and not make:
                    self.nested.extend(self._sub(i + 2, close, single=False).run())
                    if len(self.nested) > _MAX_COMMANDS:
                        raise CrawlError(f"a command line has more than {_MAX_COMMANDS} commands")
            return close + 1
        name = _NAME.match(text, i + 1)
        if name:
            self._ensure(i).var(_Var(name.group(), off))
            return name.end()
        if nxt and (nxt.isdigit() or nxt in "@*#?$!-"):
            self._ensure(i).var(_Var("", off))
            return i + 2
        self._char("$", i, i)
        return i + 1

    def _braced(self, start: int, end: int, off: int) -> _Var:
        inner = self.text[start:end]
        if inner.startswith("{"):
            env = _GITHUB_ENV.fullmatch(inner)  # GitHub Actions ${{ env.NAME }}
            return _Var(env.group(1) if env else "", off)
        match = _BRACED.match(inner)
        if match is None:
            return _Var("", off)
        name, op = match.group(1), match.group(2)
        if match.end() == len(inner) and not op:
            return _Var(name, off)
        if not op or self.depth >= _MAX_DEPTH:
            return _Var("", off)
        default = self._sub(start + match.end(), end, single=True).word_at()
        return _Var(name, off, default)


def shell_words(text: str) -> list[list[tuple[str, int]]]:
    """Split *text* into simple commands of ``(word, offset)`` pairs.

    Quotes are removed; a variable is written ``$NAME``; *offset* is the index in
    *text* of the word's first character after any opening quote.
    """
    tokens = _Tokenizer(text, range(len(text))).run()
    return [[(word.raw, word.first_offset) for word in command] for command in tokens]


# -- the analyser ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cand:
    """One possible value of a word, with the file offset of each character."""

    text: str
    offs: tuple[int, ...]
    conf: float
    resolved: bool = True

    def cut(self, start: int, end: int | None = None) -> _Cand:
        stop = len(self.text) if end is None else end
        return _Cand(self.text[start:stop], self.offs[start:stop], self.conf, self.resolved)


@dataclass(slots=True)
class _Item:
    """One logical line of the file, ready for the tokenizer."""

    text: str
    offs: list[int]
    comment: bool
    kind: str = "shell"  # shell | assign | assign-default | unset
    name: str = ""
    flow: bool = False


@dataclass(slots=True)
class _Buffer:
    chars: list[str] = field(default_factory=list)
    offs: list[int] = field(default_factory=list)
    first_line: str = ""

    def add(self, text: str, offs: Sequence[int]) -> None:
        self.chars.append(text)
        self.offs.extend(offs)

    @property
    def text(self) -> str:
        return "".join(self.chars)


_WRAPPERS = frozenset(
    {"sudo", "env", "exec", "nohup", "time", "command", "nice", "stdbuf", "xargs", "srun"}
)
_RUNNERS = frozenset(
    {"uv", "poetry", "pipenv", "pixi", "conda", "mamba", "micromamba", "hatch", "pdm", "rye"}
)
_RUNNER_VALUE_FLAGS = frozenset({"-n", "--name", "-p", "--prefix", "-e", "--env", "--with"})
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash"})
_DECLARE = frozenset({"export", "declare", "typeset", "local", "readonly"})
_PYTHON = re.compile(r"python(?:\d(?:\.\d+)?)?")
_LAUNCHERS = frozenset({"accelerate", "torchrun", "deepspeed"})

_HF_CLI_VALUE_FLAGS = frozenset(
    {
        "--repo-type", "--revision", "--cache-dir", "--local-dir", "--local-dir-use-symlinks",
        "--token", "--max-workers", "--etag-timeout", "--format",
    }
)  # fmt: skip
_HF_CLI_LIST_FLAGS = frozenset({"--include", "--exclude"})
_GIT_VALUE_FLAGS = frozenset(
    {
        "-b", "--branch", "--depth", "-o", "--origin", "--reference", "-c", "--config",
        "--filter", "-j", "--jobs", "--separate-git-dir", "--template", "-u", "--upload-pack",
        "--shallow-since", "--shallow-exclude", "--recurse-submodules",
    }
)  # fmt: skip
_OLLAMA_VALUE_FLAGS = frozenset({"--keepalive", "--format", "--dimensions"})

# Engine flags naming a model, by engine; the main model takes --revision.
_ENGINE_FLAGS: dict[str, dict[str, bool]] = {
    "vllm": {"--model": True, "--tokenizer": False, "--speculative-model": False},
    "tgi": {"--model-id": True},
    "sglang": {"--model-path": True, "--model": True, "--tokenizer-path": False},
}
_ENGINE_ADAPTER_FLAGS = {
    "vllm": "--lora-modules",
    "tgi": "--lora-adapters",
    "sglang": "--lora-paths",
}
_IMAGES = (
    ("tgi", re.compile(r"text-generation-inference|text-embeddings-inference")),
    ("vllm", re.compile(r"(?:^|/)vllm-openai(?:[:@]|$)")),
    ("sglang", re.compile(r"(?:^|/)lmsysorg/sglang(?:[:@]|$)")),
)
_FILE_ENGINES = (
    (
        "tgi",
        re.compile(r"text-(?:generation-(?:inference|launcher)|embeddings-(?:inference|router))"),
    ),
    ("vllm", re.compile(r"vllm/vllm-openai|vllm\.entrypoints|\bvllm\s+serve\b")),
    ("sglang", re.compile(r"lmsysorg/sglang|sglang\.launch_server")),
)

# Flags of the Hugging Face example and training scripts (transformers, diffusers, trl),
# normalised to dashes: (kind, whether a single-segment id is acceptable).
_GENERIC_FLAGS: dict[str, Kind] = {
    "--model-name-or-path": Kind.MODEL,
    "--pretrained-model-name-or-path": Kind.MODEL,
    "--pretrained-vae-model-name-or-path": Kind.MODEL,
    "--teacher-model-name-or-path": Kind.MODEL,
    "--tokenizer-name": Kind.MODEL,
    "--tokenizer-name-or-path": Kind.MODEL,
    "--adapter-name-or-path": Kind.ADAPTER,
    "--dataset-name": Kind.DATASET,
}
_GENERIC_MAIN = frozenset({"--model-name-or-path", "--pretrained-model-name-or-path"})
_DATASET_BUILDERS = frozenset(
    {
        "json", "csv", "parquet", "text", "arrow", "pandas", "sql", "xml", "webdataset",
        "imagefolder", "audiofolder", "videofolder",
    }
)  # fmt: skip

_INTERESTING = re.compile(
    r"huggingface|hf|ollama|vllm|sglang|text-generation|text-embeddings|lm.eval"
    r"|name.or.path|dataset.name|tokenizer.name",
    re.IGNORECASE,
)
_INTERESTING_BYTES = re.compile(_INTERESTING.pattern.encode(), re.IGNORECASE)
_GENERIC_HINT = re.compile(r"name.or.path|dataset.name|tokenizer.name", re.IGNORECASE)
_URL_HINT = re.compile(r"huggingface\.co|hf\.co", re.IGNORECASE)
_IMAGE_HINT = re.compile(r"text-(?:generation|embeddings)-inference|vllm-openai|lmsysorg/sglang")

_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_MAKE_ASSIGNMENT = re.compile(
    r"\s*(?:(?:export|override|private)\s+)*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(\?=|::?=|:::=|\+=|!=|=)\s*"
)
_YAML_PREFIX = re.compile(
    r"\s*(?:-\s+)*(?:(?:[A-Za-z_][\w.\-]*|\"[^\"]*\"|'[^']*')\s*:(?:\s+|$))?(?:-\s+)*"
)
_YAML_ENV = re.compile(r"(\s*(?:-\s+)?)([A-Z_][A-Z0-9_]*)(\s*:\s+)(\S.*?)\s*$")
_YAML_LIST_KEY = re.compile(r"(\s*)(?:-\s+)?(?:command|args|entrypoint)\s*:\s*$")
_PROCFILE_PREFIX = re.compile(r"\s*[A-Za-z0-9_.\-]+\s*:\s*")
_JENKINS_SH = re.compile(r"(\s*sh\s*\(?\s*(?:script\s*:\s*)?)(['\"])(.*)\2\s*\)?\s*$")
_DOCKER_INSTRUCTION = re.compile(r"\s*([A-Za-z]+)(?:\s+|$)")
_DOCKER_RUN_FLAGS = re.compile(r"(?:--[\w\-]+(?:=\S*)?\s+)*")
_DOCKER_SKIP = frozenset(
    {
        "FROM", "LABEL", "COPY", "WORKDIR", "EXPOSE", "USER", "VOLUME", "HEALTHCHECK",
        "SHELL", "STOPSIGNAL", "MAINTAINER",
    }
)  # fmt: skip
_MODELFILE_LINE = re.compile(r"\s*(FROM|ADAPTER)\s+(\S+)", re.IGNORECASE)
_LOCAL_SUFFIXES = (
    ".gguf", ".ggml", ".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".onnx", ".tar", ".zip",
)  # fmt: skip
_OLLAMA_NAME = re.compile(
    r"[A-Za-z0-9][\w.\-]*(?::[0-9]+)?(?:/[A-Za-z0-9][\w.\-]*){0,2}(?::[A-Za-z0-9_][\w.\-]{0,127})?"
)
_HUB_SHORT = ("hf.co/", "huggingface.co/")


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _norm_flag(flag: str) -> str:
    return flag.lower().replace("_", "-")


def _is_local_path(value: str) -> bool:
    low = value.lower()
    return (
        value.startswith((".", "/", "~", "$"))
        or "\\" in value
        or re.match(r"[A-Za-z]:[/\\]", value) is not None
        or low.endswith(_LOCAL_SUFFIXES)
    )


def _split_assignment(word: _Word) -> tuple[str, _Word] | None:
    """``NAME=value`` -> (NAME, value word)."""
    first = word.pieces[0] if word.pieces else None
    if not isinstance(first, _Lit):
        return None
    match = _ASSIGNMENT.match(first.text)
    if match is None:
        return None
    cut = match.end()
    rest: list[_Lit | _Var] = []
    if cut < len(first.text):
        rest.append(_Lit(first.text[cut:], first.offs[cut:]))
    rest.extend(word.pieces[1:])
    return match.group(1), _make_word(rest, word.start, word.end)


def _split_flag(word: _Word) -> tuple[str, _Word | None]:
    """``--flag=value`` -> (flag, value word); ``--flag`` -> (flag, None)."""
    first = word.pieces[0] if word.pieces else None
    if not isinstance(first, _Lit) or "=" not in first.text:
        return word.raw, None
    cut = first.text.index("=")
    rest: list[_Lit | _Var] = []
    if cut + 1 < len(first.text):
        rest.append(_Lit(first.text[cut + 1 :], first.offs[cut + 1 :]))
    rest.extend(word.pieces[1:])
    return first.text[:cut], _make_word(rest, word.start, word.end)


@dataclass(frozen=True, slots=True)
class _Flag:
    name: str  # normalised: lower case, dashes
    value: _Word | None
    index: int  # index of the flag word in the argument list
    inline: bool  # --flag=value


def _flags(args: Sequence[_Word]) -> list[_Flag]:
    """Every ``--flag value`` / ``--flag=value`` / ``-f value`` in *args*."""
    out: list[_Flag] = []
    for index, word in enumerate(args):
        raw = word.raw
        if not raw.startswith("-") or raw == "-":
            continue
        name, value = _split_flag(word)
        inline = value is not None
        if value is None and index + 1 < len(args) and not args[index + 1].raw.startswith("-"):
            value = args[index + 1]
        out.append(_Flag(_norm_flag(name), value, index, inline))
    return out


def _positionals(
    args: Sequence[_Word], value_flags: frozenset[str], list_flags: frozenset[str] = frozenset()
) -> list[_Word]:
    """The arguments that are neither flags nor flag values."""
    out: list[_Word] = []
    skip = False
    in_list = False
    for word in args:
        raw = word.raw
        if skip:
            skip = False
            continue
        if raw.startswith("-") and raw != "-":
            in_list = False
            name, inline = _split_flag(word)
            norm = _norm_flag(name)
            if norm in list_flags:
                in_list = True
            elif inline is None and norm in value_flags:
                skip = True
            continue
        if not in_list:
            out.append(word)
    return out


def _render(word: _Word, chars: list[str], offs: list[int]) -> None:
    """Write *word* back as shell text (variables as ``${NAME}``), with file offsets."""
    for piece in word.pieces:
        if isinstance(piece, _Lit):
            chars.append(piece.text)
            offs.extend(piece.offs)
            continue
        head = f"${{{piece.name}" if piece.name else "$?"
        chars.append(head)
        offs.extend([piece.off] * len(head))
        if not piece.name:
            continue
        if piece.default is not None:
            chars.append(":-")
            offs.extend([piece.off] * 2)
            _render(piece.default, chars, offs)
        chars.append("}")
        offs.append(piece.off)


class _Analyzer:
    """Reads one file's logical lines in order, tracking variables and reporting ids."""

    def __init__(
        self, text: str, path: str, scope: Scope, crawler: str, line_offset: int, dialect: Dialect
    ) -> None:
        self.text = text
        self.path = path
        self.scope = scope
        self.crawler = crawler
        self.line_offset = line_offset
        self.dialect = dialect
        self.starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)
        self.vars: dict[str, tuple[tuple[str, float], ...]] = {}
        self.hot: set[str] = set()  # variables whose values name a tool, host or engine
        self.file_engines = frozenset(e for e, pattern in _FILE_ENGINES if pattern.search(text))
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, str, int, str]] = set()

    # -- positions and reporting ----------------------------------------------------------

    def _position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.starts)
        while lo < hi:  # bisect_right
            mid = (lo + hi) // 2
            if self.starts[mid] <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo, offset - self.starts[lo - 1] + 1

    def _line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def _emit(
        self,
        kind: Kind,
        ident: str,
        offset: int,
        confidence: float,
        comment: bool,
        *,
        revision: str | None = None,
        ecosystem: str | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        line, column = self._position(offset)
        key = (kind.value, ident, offset, revision or "")
        if key in self._seen:
            return
        self._seen.add(key)
        self.findings.append(
            Finding(
                kind=kind,
                id=ident,
                revision=revision,
                ecosystem=ecosystem,
                properties=properties or {},
                evidence=Evidence(
                    file=self.path,
                    line=line + self.line_offset,
                    column=column,
                    snippet=self._line_text(line),
                    crawler=self.crawler,
                    confidence=confidence,
                    scope=Scope.COMMENT if comment else self.scope,
                ),
            )
        )

    def _report(
        self,
        cand: _Cand,
        kind: Kind,
        comment: bool,
        *,
        cap: float = LITERAL,
        revision: str | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        if not cand.resolved or not cand.offs:
            return
        allow_single = kind is Kind.DATASET
        if kind is Kind.DATASET and cand.text.lower() in _DATASET_BUILDERS:
            return
        ident = hub_id(cand.text, allow_single=allow_single)
        if ident is None:
            return
        self._emit(
            kind,
            ident,
            cand.offs[0],
            min(cand.conf, cap),
            comment,
            revision=revision,
            properties=properties,
        )

    # -- variables ------------------------------------------------------------------------

    def _expand(self, word: _Word | None, depth: int = 0) -> list[_Cand]:
        if word is None:
            return []
        results = [_Cand("", (), LITERAL)]
        for piece in word.pieces:
            options = (
                [_Cand(piece.text, piece.offs, LITERAL)]
                if isinstance(piece, _Lit)
                else self._var_options(piece, depth)
            )
            combined: list[_Cand] = []
            for left in results:
                for right in options:
                    combined.append(
                        _Cand(
                            left.text + right.text,
                            left.offs + right.offs,
                            min(left.conf, right.conf),
                            left.resolved and right.resolved,
                        )
                    )
                    if len(combined) >= _MAX_VALUES:
                        break
                if len(combined) >= _MAX_VALUES:
                    break
            results = combined
        return results

    def _var_options(self, var: _Var, depth: int) -> list[_Cand]:
        options = [
            _Cand(value, (var.off,) * len(value), min(conf, VARIABLE))
            for value, conf in self.vars.get(var.name, ())
            if var.name
        ]
        if var.default is not None and depth < _MAX_DEPTH:
            options.extend(
                replace(cand, conf=min(cand.conf, VARIABLE))
                for cand in self._expand(var.default, depth + 1)
            )
        if not options:
            token = f"${var.name or '?'}"
            options.append(_Cand(token, (var.off,) * len(token), LITERAL, resolved=False))
        return options

    def _single(self, word: _Word | None) -> str | None:
        cands = [c for c in self._expand(word) if c.resolved and c.text]
        return cands[0].text if len(cands) == 1 else None

    def _assign(
        self, name: str, word: _Word | None, comment: bool, *, only_new: bool = False
    ) -> None:
        if comment or (only_new and name in self.vars):
            return
        values: dict[str, float] = {}
        for cand in self._expand(word):
            if cand.resolved and cand.text:
                values[cand.text] = max(cand.conf, values.get(cand.text, 0.0))
        self.vars[name] = tuple(sorted(values.items()))[:_MAX_VALUES]
        if any(_INTERESTING.search(value) for value in values):
            self.hot.add(name)
        else:
            self.hot.discard(name)
        if (
            name == "MODEL_ID"
            and "tgi" in self.file_engines
            and self.dialect in (Dialect.YAML, Dialect.DOCKER)
        ):
            # TGI reads its model from the MODEL_ID environment variable.
            for cand in self._expand(word):
                self._report(cand, Kind.MODEL, comment, cap=INFERRED)

    # -- lines into logical items ---------------------------------------------------------

    def run(self) -> list[Finding]:
        if self.dialect is Dialect.MODELFILE:
            self._modelfile()
        else:
            for item in self._items():
                self._item(item)
        return sorted(self.findings, key=Finding.sort_key)

    def _lines(self) -> Iterator[tuple[int, str]]:
        for index, start in enumerate(self.starts):
            end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else len(self.text)
            yield start, self.text[start:end].rstrip("\r")

    @staticmethod
    def _comment_at(line: str) -> int:
        """Index of the ``#`` starting a comment in *line*, or -1."""
        quote = ""
        i, n = 0, len(line)
        while i < n:
            ch = line[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\" and quote == '"':
                    i += 1
            elif ch in "'\"":
                quote = ch
            elif ch == "\\":
                i += 1
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                return i
            i += 1
        return -1

    def _items(self) -> Iterator[_Item]:
        code_buf: _Buffer | None = None
        comment_buf: _Buffer | None = None
        list_buf: _Buffer | None = None
        list_indent = -1
        for start, line in self._lines():
            hash_at = self._comment_at(line)
            code = line if hash_at < 0 else line[:hash_at]
            code_offs = range(start, start + len(code))
            if hash_at >= 0:
                comment = line[hash_at + 1 :]
                comment_offs = range(start + hash_at + 1, start + len(line))
                if comment_buf is None:
                    comment_buf = _Buffer(first_line=comment)
                if comment.endswith("\\"):
                    comment_buf.add(comment[:-1] + " ", comment_offs)
                else:
                    comment_buf.add(comment, comment_offs)
                    yield from self._logical(comment_buf, comment=True)
                    comment_buf = None
            elif comment_buf is not None:
                yield from self._logical(comment_buf, comment=True)
                comment_buf = None
            if self.dialect is Dialect.YAML:
                if list_buf is not None:
                    stripped = code.lstrip()
                    indent = len(code) - len(stripped)
                    if not stripped:
                        continue
                    if stripped.startswith("-") and indent >= list_indent and code_buf is None:
                        value, value_offs = self._yaml_value(stripped, code_offs[indent:])
                        list_buf.add(value + " ", [*value_offs, start + len(code)])
                        continue
                    yield from self._logical(list_buf, comment=False)
                    list_buf = None
                key = _YAML_LIST_KEY.fullmatch(code)
                if key and code_buf is None:
                    list_buf = _Buffer(first_line=line)
                    list_indent = len(key.group(1))
                    continue
            text, offs = self._physical(code, code_offs)
            if code_buf is None:
                code_buf = _Buffer(first_line=line)
            if text.endswith("\\") and not text.endswith("\\\\"):
                code_buf.add(text[:-1] + " ", offs)
                continue
            code_buf.add(text, offs)
            yield from self._logical(code_buf, comment=False)
            code_buf = None
        for buf, is_comment in ((code_buf, False), (comment_buf, True), (list_buf, False)):
            if buf is not None:
                yield from self._logical(buf, comment=is_comment)

    @staticmethod
    def _yaml_value(text: str, offs: Sequence[int]) -> tuple[str, Sequence[int]]:
        """Strip a YAML line's ``- `` / ``key:`` prefix and a quoted scalar's quotes."""
        prefix = _YAML_PREFIX.match(text)
        cut = prefix.end() if prefix else 0
        value, value_offs = text[cut:].rstrip(), offs[cut:]
        value_offs = value_offs[: len(value)]
        quoted = len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]
        if quoted and value[0] not in value[1:-1]:
            return value[1:-1], value_offs[1:-1]
        return value, value_offs

    def _physical(self, code: str, offs: Sequence[int]) -> tuple[str, Sequence[int]]:
        """A physical line's command text, by dialect."""
        if self.dialect is Dialect.YAML:
            env = _YAML_ENV.fullmatch(code)
            if env and not env.group(4).startswith(("|", ">", "{", "[", "&", "*")):
                # KEY: value  ->  KEY=value
                name_at = len(env.group(1))
                value_at = env.end(3)
                value, value_offs = self._yaml_value(env.group(4), offs[value_at:])
                name = env.group(2)
                text = f"{name}={value}"
                new_offs = [*offs[name_at : name_at + len(name)], offs[value_at - 1], *value_offs]
                return text, new_offs
            return self._yaml_value(code, offs)
        if self.dialect is Dialect.PROCFILE:
            prefix = _PROCFILE_PREFIX.match(code)
            if prefix:
                return code[prefix.end() :], offs[prefix.end() :]
        if self.dialect is Dialect.JENKINS:
            step = _JENKINS_SH.match(code)
            if step:
                return step.group(3), offs[step.start(3) : step.end(3)]
        return code, offs

    def _logical(self, buf: _Buffer, *, comment: bool) -> Iterator[_Item]:
        """Items of one logical line: commands or assignments, by dialect."""
        text, offs = buf.text, buf.offs
        if comment and not _INTERESTING.search(text):
            return
        if self.dialect is Dialect.DOCKER:
            yield from self._docker(text, offs, comment)
        elif self.dialect is Dialect.MAKE:
            yield from self._make(text, offs, buf.first_line, comment)
        else:
            yield _Item(text, offs, comment, flow=text.lstrip().startswith("["))

    def _docker(self, text: str, offs: list[int], comment: bool) -> Iterator[_Item]:
        match = _DOCKER_INSTRUCTION.match(text)
        if match is None:
            return
        instruction = match.group(1).upper()
        cut = match.end()
        if instruction == "ONBUILD":
            match = _DOCKER_INSTRUCTION.match(text, cut)
            if match is None:
                return
            instruction, cut = match.group(1).upper(), match.end()
        rest, rest_offs = text[cut:], offs[cut:]
        if instruction in _DOCKER_SKIP:
            return
        if instruction in ("ENV", "ARG"):
            first = rest.split(None, 1)
            if instruction == "ENV" and first and "=" not in first[0] and len(first) == 2:
                value_at = len(rest) - len(rest.lstrip()) + len(first[0])
                value_at += len(rest[value_at:]) - len(rest[value_at:].lstrip())
                yield _Item(rest[value_at:], rest_offs[value_at:], comment, "assign", first[0])
            else:
                yield _Item(rest, rest_offs, comment)
            return
        if instruction == "RUN":
            flags = _DOCKER_RUN_FLAGS.match(rest)
            if flags:
                rest, rest_offs = rest[flags.end() :], rest_offs[flags.end() :]
        if instruction in ("RUN", "CMD", "ENTRYPOINT", "ADD"):
            yield _Item(rest, rest_offs, comment, flow=rest.lstrip().startswith("["))
            return
        yield _Item(text, offs, comment)  # heredoc bodies and unknown lines are shell

    def _make(self, text: str, offs: list[int], first_line: str, comment: bool) -> Iterator[_Item]:
        if first_line.startswith("\t") or comment:
            stripped = text.lstrip()
            cut = len(text) - len(stripped)
            while cut < len(text) and text[cut] in "@+-":
                cut += 1
            if not comment or not _MAKE_ASSIGNMENT.match(text):
                yield _Item(text[cut:], offs[cut:], comment)
            return
        match = _MAKE_ASSIGNMENT.match(text)
        if match is None or match.group(1).startswith(".") or not _NAME.fullmatch(match.group(1)):
            return
        op = match.group(2)
        value, value_offs = text[match.end() :].rstrip(), offs[match.end() :]
        kind = {"?=": "assign-default", "+=": "unset", "!=": "unset"}.get(op, "assign")
        yield _Item(value, value_offs[: len(value)], comment, kind, match.group(1))

    # -- items ----------------------------------------------------------------------------

    def _item(self, item: _Item) -> None:
        make = self.dialect is Dialect.MAKE
        if item.kind != "shell":
            if item.kind == "unset":
                if not item.comment:
                    self.vars[item.name] = ()
                return
            word = _Tokenizer(item.text, item.offs, make=make, single=True).word_at()
            self._assign(item.name, word, item.comment, only_new=item.kind == "assign-default")
            return
        commands = _Tokenizer(item.text, item.offs, make=make, flow=item.flow).run()
        for words in commands:
            self._simple(words, item.comment, 0)

    def _simple(self, words: Sequence[_Word], comment: bool, depth: int) -> None:
        i = 0
        while i < len(words):
            split = _split_assignment(words[i])
            if split is None:
                break
            self._assign(split[0], split[1], comment)
            i += 1
        i = self._skip_wrappers(words, i)
        if i >= len(words):
            return
        if _basename(words[i].raw) in _DECLARE:
            for word in words[i + 1 :]:
                split = _split_assignment(word)
                if split is not None:
                    self._assign(split[0], split[1], comment)
            return
        joined = " ".join(w.raw for w in words[i:])
        hot_var = any(
            isinstance(p, _Var) and p.name in self.hot for w in words[i:] for p in w.pieces
        )
        args_only = words[i].raw.startswith("-") and bool(self.file_engines)
        if not (hot_var or args_only or _INTERESTING.search(joined)):
            return  # nothing this command could name
        prog = _basename(words[i].raw)
        args = list(words[i + 1 :])
        raws = [w.raw for w in args]
        sub = raws[0] if raws else ""
        if self._is_push(prog, raws):
            return
        if prog in _SHELLS and depth < _MAX_DEPTH:
            self._shell_c(args, comment, depth)
        if prog in ("huggingface-cli", "hf") and sub == "download":
            self._hf_download(args[1:], comment)
        elif prog == "git":
            self._git(args, comment)
        elif prog == "ollama" and sub in ("pull", "run"):
            self._ollama(args[1:], comment)
        if prog.startswith("-"):
            args = list(words[i:])
            engines, cap = set(self.file_engines), INFERRED
        else:
            engines, cap = self._engines(prog, words[i:], joined), LITERAL
        for engine in sorted(engines):
            self._engine(engine, prog, args, cap, comment)
        if hot_var or _GENERIC_HINT.search(joined):
            self._generic(args, comment)
        if hot_var or _URL_HINT.search(joined):
            self._file_urls(words[i:], comment)

    @staticmethod
    def _skip_wrappers(words: Sequence[_Word], i: int) -> int:
        while i < len(words):
            name = _basename(words[i].raw)
            if name in _WRAPPERS:
                i += 1
            elif name in _RUNNERS and i + 1 < len(words) and words[i + 1].raw == "run":
                i += 2
            elif name == "uvx":
                i += 1
            else:
                return i
            while i < len(words):
                raw = words[i].raw
                if raw in _RUNNER_VALUE_FLAGS:
                    i += 2
                elif raw.startswith("-") or _split_assignment(words[i]) is not None:
                    i += 1
                else:
                    break
        return i

    @staticmethod
    def _is_push(prog: str, raws: Sequence[str]) -> bool:
        sub = raws[0] if raws else ""
        return (
            (prog in ("huggingface-cli", "hf") and sub in ("upload", "upload-large-folder"))
            or (prog in ("docker", "podman") and sub == "push")
            or (prog == "git" and "push" in raws[:3])
            or (prog == "ollama" and sub in ("push", "create", "cp", "rm"))
        )

    def _shell_c(self, args: Sequence[_Word], comment: bool, depth: int) -> None:
        """``sh -c 'script'``: the script is read as commands of its own."""
        for index, word in enumerate(args[:-1]):
            raw = word.raw
            if raw.startswith("-") and not raw.startswith("--") and "c" in raw:
                chars: list[str] = []
                offs: list[int] = []
                _render(args[index + 1], chars, offs)
                make = self.dialect is Dialect.MAKE
                tokenizer = _Tokenizer("".join(chars), offs, make=make, depth=depth + 1)
                for words in tokenizer.run():
                    self._simple(words, comment, depth + 1)
                return

    # -- commands -------------------------------------------------------------------------

    def _hf_download(self, args: Sequence[_Word], comment: bool) -> None:
        repo_type = "model"
        revision: str | None = None
        for flag in _flags(args):
            if flag.name == "--repo-type":
                repo_type = (self._single(flag.value) or "model").lower()
            elif flag.name == "--revision":
                revision = self._single(flag.value)
        if repo_type not in ("model", "dataset"):
            return  # spaces are applications
        kind = Kind.DATASET if repo_type == "dataset" else Kind.MODEL
        positionals = _positionals(args, _HF_CLI_VALUE_FLAGS, _HF_CLI_LIST_FLAGS)
        if not positionals:
            return
        files = [f for f in positionals[1:] if f.raw]
        properties: dict[str, str] = {}
        if len(files) == 1:
            name = self._single(files[0])
            if name and "$" not in name:
                properties["filename"] = name
        for cand in self._expand(positionals[0]):
            self._report(cand, kind, comment, revision=revision, properties=properties)

    def _git(self, args: Sequence[_Word], comment: bool) -> None:
        index = 0
        while index < len(args) and args[index].raw in ("-c", "-C"):
            index += 2
        raws = [w.raw for w in args[index:]]
        if raws[:1] == ["clone"] or raws[:2] == ["submodule", "add"]:
            rest = args[index + (1 if raws[0] == "clone" else 2) :]
        elif raws[:2] == ["lfs", "clone"]:
            rest = args[index + 2 :]
        else:
            return
        branch: str | None = None
        for flag in _flags(rest):
            if flag.name in ("-b", "--branch"):
                branch = self._single(flag.value)
        positionals = _positionals(rest, _GIT_VALUE_FLAGS)
        if not positionals:
            return
        for cand in self._expand(positionals[0]):
            self._clone_url(cand, branch, comment)

    def _clone_url(self, cand: _Cand, branch: str | None, comment: bool) -> None:
        text = cand.text
        shift = 0
        for host in ("git@hf.co:", "git@huggingface.co:"):
            if text.startswith(host):
                text = "https://huggingface.co/" + text[len(host) :]
                shift = len(host) - len("https://huggingface.co/")
        url = parse_hub_url(text)
        if url is None or url.is_file or not cand.resolved:
            return
        offset = cand.offs[min(url.start + shift, len(cand.offs) - 1)]
        self._emit(url.kind, url.id, offset, cand.conf, comment, revision=branch or url.revision)

    def _ollama(self, args: Sequence[_Word], comment: bool) -> None:
        positionals = _positionals(args, _OLLAMA_VALUE_FLAGS)
        if positionals:
            for cand in self._expand(positionals[0]):
                self._ollama_ref(cand, Kind.MODEL, comment)

    def _ollama_ref(self, cand: _Cand, kind: Kind, comment: bool) -> None:
        """An Ollama model name, or a Hub repository through ``hf.co/ORG/NAME[:QUANT]``."""
        text = cand.text
        if not cand.resolved or not text or not cand.offs:
            return
        low = text.lower()
        for scheme in ("https://", "http://"):
            if low.startswith(scheme):
                text, low, cand = text[len(scheme) :], low[len(scheme) :], cand.cut(len(scheme))
        for host in _HUB_SHORT:
            if low.startswith(host):
                name, _, quant = text[len(host) :].partition(":")
                ident = hub_id(name)
                if ident is None:
                    return
                properties = {"quantization": quant} if quant and quant != "latest" else {}
                offset = cand.offs[len(host)]
                self._emit(kind, ident, offset, cand.conf, comment, properties=properties)
                return
        if _is_local_path(text) or not _OLLAMA_NAME.fullmatch(text):
            return
        base = text.split(":", 1)[0] if text.count(":") == 1 else text.rsplit(":", 1)[0]
        segments = base.split("/")
        if any(is_placeholder(s) for s in segments) or base.replace(".", "").isdigit():
            return
        self._emit(kind, text, cand.offs[0], cand.conf, comment, ecosystem="ollama")

    def _engines(self, prog: str, words: Sequence[_Word], joined: str) -> set[str]:
        engines: set[str] = set()
        if prog == "vllm":
            engines.add("vllm")
        elif prog in ("text-generation-launcher", "text-embeddings-router"):
            engines.add("tgi")
        elif prog in ("lm_eval", "lm-eval"):
            engines.add("lm_eval")
        if _PYTHON.fullmatch(prog) or prog in _LAUNCHERS:
            raws = [w.raw for w in words]
            for index, raw in enumerate(raws[:-1]):
                if raw == "-m":
                    root = raws[index + 1].split(".", 1)[0]
                    if root in ("vllm", "sglang", "lm_eval"):
                        engines.add(root)
                    break
        if _IMAGE_HINT.search(joined):
            for word in words:
                raw = word.raw
                for engine, pattern in _IMAGES:
                    if pattern.search(raw):
                        engines.add(engine)
        return engines

    def _engine(
        self, engine: str, prog: str, args: Sequence[_Word], cap: float, comment: bool
    ) -> None:
        flags = _flags(args)
        if engine == "lm_eval":
            for flag in flags:
                if flag.name == "--model-args":
                    for cand in self._expand(flag.value):
                        self._model_args(cand, comment, cap)
            return
        revision: str | None = None
        for flag in flags:
            if flag.name == "--revision":
                revision = self._single(flag.value)
        table = _ENGINE_FLAGS[engine]
        raws = [w.raw for w in args[:2]]
        serve = engine == "vllm" and prog == "vllm" and len(raws) == 2 and raws[0] == "serve"
        if serve and not raws[1].startswith("-"):
            for cand in self._expand(args[1]):
                self._report(cand, Kind.MODEL, comment, cap=cap, revision=revision)
        adapter_flag = _ENGINE_ADAPTER_FLAGS[engine]
        for flag in flags:
            if flag.name in table:
                main = table[flag.name]
                for cand in self._expand(flag.value):
                    rev = revision if main else None
                    self._report(cand, Kind.MODEL, comment, cap=cap, revision=rev)
            elif flag.name == adapter_flag:
                self._adapters(args, flag, cap, comment)
            elif engine == "tgi" and flag.name in ("-e", "--env") and flag.value is not None:
                split = _split_assignment(flag.value)
                if split is not None and split[0] == "MODEL_ID":
                    for cand in self._expand(split[1]):
                        self._report(cand, Kind.MODEL, comment, cap=cap, revision=revision)

    def _adapters(self, args: Sequence[_Word], flag: _Flag, cap: float, comment: bool) -> None:
        """``--lora-modules name=org/adapter ...`` and ``--lora-adapters a,b``."""
        values: list[_Word] = []
        if flag.inline and flag.value is not None:
            values.append(flag.value)
        else:
            for word in args[flag.index + 1 :]:
                if word.raw.startswith("-"):
                    break
                values.append(word)
        for word in values:
            for cand in self._expand(word):
                position = 0
                for part in cand.text.split(","):
                    piece = cand.cut(position, position + len(part))
                    position += len(part) + 1
                    if "=" in piece.text:
                        piece = piece.cut(piece.text.index("=") + 1)
                    self._report(piece, Kind.ADAPTER, comment, cap=cap)

    def _model_args(self, cand: _Cand, comment: bool, cap: float) -> None:
        """lm-evaluation-harness ``--model_args pretrained=ID,revision=R,peft=ID``."""
        parts: list[tuple[str, _Cand]] = []
        position = 0
        for part in cand.text.split(","):
            key, eq, _ = part.partition("=")
            if eq:
                start = position + len(key) + 1
                parts.append((key.strip(), cand.cut(start, position + len(part))))
            position += len(part) + 1
        revision = next((v.text for k, v in parts if k == "revision" and v.resolved), None)
        for key, value in parts:
            if key == "pretrained":
                self._report(value, Kind.MODEL, comment, cap=cap, revision=revision)
            elif key == "tokenizer":
                self._report(value, Kind.MODEL, comment, cap=cap)
            elif key == "peft":
                self._report(value, Kind.ADAPTER, comment, cap=cap)

    def _generic(self, args: Sequence[_Word], comment: bool) -> None:
        flags = _flags(args)
        if not any(f.name in _GENERIC_FLAGS for f in flags):
            return
        revision: str | None = None
        config: str | None = None
        for flag in flags:
            if flag.name in ("--model-revision", "--revision"):
                revision = self._single(flag.value)
            elif flag.name == "--dataset-config-name":
                config = self._single(flag.value)
        for flag in flags:
            kind = _GENERIC_FLAGS.get(flag.name)
            if kind is None:
                continue
            rev = revision if flag.name in _GENERIC_MAIN else None
            props = {"config": config} if kind is Kind.DATASET and config else None
            for cand in self._expand(flag.value):
                self._report(cand, kind, comment, revision=rev, properties=props)

    def _file_urls(self, words: Sequence[_Word], comment: bool) -> None:
        """``.../resolve/REV/FILE`` and ``.../blob/REV/FILE`` URLs in any command."""
        for word in words:
            raw = word.raw.lower()
            if "huggingface.co" not in raw and "hf.co" not in raw and "$" not in raw:
                continue
            for cand in self._expand(word):
                if not cand.resolved:
                    continue
                for start, end in find_hub_urls(cand.text):
                    url = parse_hub_url(cand.text, start, end)
                    if url is None or not url.is_file:
                        continue
                    properties = {"filename": url.filename} if url.filename else {}
                    self._emit(
                        url.kind,
                        url.id,
                        cand.offs[url.start],
                        cand.conf,
                        comment,
                        revision=url.revision,
                        properties=properties,
                    )

    # -- Modelfile ------------------------------------------------------------------------

    def _modelfile(self) -> None:
        """``FROM name[:tag]`` and ``ADAPTER name``; triple-quoted blocks are skipped."""
        in_block = False
        for start, line in self._lines():
            quotes = line.count('"""')
            if in_block:
                in_block = quotes % 2 == 0
                continue
            if quotes % 2 == 1:
                in_block = True
            stripped = line.lstrip()
            comment = stripped.startswith("#")
            body_at = len(line) - len(stripped) + (1 if comment else 0)
            match = _MODELFILE_LINE.match(line, body_at)
            if match is None:
                continue
            value = match.group(2)
            if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
                value_at, value = match.start(2) + 1, value[1:-1]
            else:
                value_at = match.start(2)
            kind = Kind.MODEL if match.group(1).upper() == "FROM" else Kind.ADAPTER
            offs = tuple(range(start + value_at, start + value_at + len(value)))
            self._ollama_ref(_Cand(value, offs, LITERAL), kind, comment)


def findings_from_shell(
    text: str, path: str, *, scope: Scope, crawler: str = "shell", line_offset: int = 0
) -> list[Finding]:
    """Findings in shell-like *text*; *path* chooses the dialect (plain shell by default).

    Lines are numbered from ``line_offset + 1``; columns are those of *text*. Commands
    inside comments are reported with :attr:`Scope.COMMENT`. Raises :class:`CrawlError`
    on a pathological command line (thousands of commands or words on one line).
    """
    dialect = dialect_of(PurePosixPath(path)) or Dialect.SHELL
    if dialect is not Dialect.MODELFILE and not _INTERESTING.search(text):
        return []
    return _Analyzer(text, path, scope, crawler, line_offset, dialect).run()


class ShellCrawler(Crawler):
    """Shell scripts, Dockerfiles, Makefiles, CI workflows, compose files and Modelfiles."""

    name = "shell"
    version = "1"
    max_bytes = _MAX_BYTES

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Files whose name says they hold shell commands (or a Modelfile)."""
        return dialect_of(path) is not None

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Read the file as text lines and report the references in its commands."""
        dialect = dialect_of(file.pure_path) or Dialect.SHELL
        if dialect is not Dialect.MODELFILE and not _INTERESTING_BYTES.search(file.data):
            return []
        text = file.data.decode("utf-8", errors="replace")
        if text.startswith("\ufeff"):
            text = " " + text[1:]  # keep columns: the BOM is not part of the first line
        scope = scope_of_path(file.pure_path)
        if scope is Scope.CODE and dialect in _CONFIG_DIALECTS:
            scope = Scope.CONFIG
        return findings_from_shell(text, file.path, scope=scope, crawler=self.name)
