"""The fuzz targets: each parser of untrusted input, called the way a scan calls it, plus
the properties its result must have.

Every target takes the raw bytes (and, for header readers, the real file size) and
either returns normally or raises ``AssertionError`` for a broken property. The
documented error of each parser (:class:`~modelbom.crawlers.base.CrawlError`,
:class:`~modelbom.resolvers.cards.CardError`) is an accepted outcome; any other exception
escapes, and is a crash. ``tests/test_fuzz.py`` drives the targets with hypothesis,
``scripts/fuzz_atheris.py`` with atheris, and the crashes found are kept as fixtures under
``fixtures/fuzz/<target>/`` and replayed by the regular test suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

from modelbom.crawlers.base import Crawler, CrawlError, FileInput
from modelbom.crawlers.headers import (
    GGUF_MAX_KV,
    GGUF_MAX_TENSORS,
    SAFETENSORS_MAX_HEADER,
    VALUE_MAX_CHARS,
    read_gguf,
    read_safetensors,
)
from modelbom.crawlers.hf_files import HfFilesCrawler
from modelbom.crawlers.ids import hub_id
from modelbom.crawlers.manifests import ManifestsCrawler
from modelbom.crawlers.manifests_python import parse_requirements_file
from modelbom.crawlers.notebook import NotebookCrawler
from modelbom.crawlers.weights import WeightsCrawler
from modelbom.licenses.normalize import normalize_license
from modelbom.model import Finding, Kind
from modelbom.resolvers.cards import CardError, parse_front_matter

FUZZ_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "fuzz"

# A string planted where a parser must never look (notebook outputs, markdown cells).
CANARY = "canaryorg/canary-leak-model"

# The smallest GGUF tensor info: name length, n_dims, type (4 bytes), offset (8 bytes).
_GGUF_TENSOR_INFO_MIN = {1: 4 + 16, 2: 8 + 16, 3: 8 + 16}
_LICENSE_REF = re.compile(r"^(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+$")
_PYPI_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?$|^[a-z0-9]$")

MANIFEST_NAMES = (
    "requirements.txt",
    "requirements/dev.in",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile",
    "Pipfile.lock",
    "package.json",
    "package-lock.json",
)
WEIGHT_NAMES = (
    "model.safetensors",
    "model.gguf",
    "pytorch_model.bin",
    "model.pt",
    "model.onnx",
    "model.keras",
    "weights.npy",
    "weights.npz",
    "model.h5",
    "model.pkl",
)


# -- shared checks ----------------------------------------------------------------------


def _line_count(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") + 1


def check_findings(findings: Iterable[Finding], data: bytes, path: str) -> list[Finding]:
    """Properties every crawler's findings have: located in the file, valid ids."""
    out = list(findings)
    lines = _line_count(data)
    for finding in out:
        ev = finding.evidence
        assert ev.file == path, (ev.file, path)
        assert 1 <= ev.line <= lines, (ev.line, lines)
        assert len(ev.snippet) <= 200
        hub = finding.ecosystem in (None, "huggingface") and "*" not in finding.id  # a pattern
        if hub and finding.kind in (Kind.MODEL, Kind.ADAPTER, Kind.DATASET):
            # Hub ids as hub_id() accepts them (single segments only where it allows them).
            assert hub_id(finding.id, allow_single=True) == finding.id, finding
        if finding.kind is Kind.LIBRARY and finding.ecosystem == "pypi":
            assert _PYPI_NAME.match(finding.id), finding.id
    return out


def _crawl(crawler: Crawler, path: str, data: bytes, size: int | None = None) -> list[Finding]:
    """One file through *crawler*, then its ``finish``; CrawlError is an accepted outcome."""
    real = len(data) if size is None else max(size, len(data))
    file = FileInput(path=path, data=data, size=real, truncated=len(data) < real)
    found: list[Finding] = []
    try:
        found.extend(crawler.crawl(file))
    except CrawlError as exc:
        assert str(exc), "a CrawlError must give a reason"
    found.extend(crawler.finish())
    return found


# -- header readers ---------------------------------------------------------------------


def safetensors_header(data: bytes, size: int | None = None) -> None:
    """``read_safetensors`` on a prefix of a file of *size* bytes."""
    real = len(data) if size is None else max(size, len(data))
    try:
        header = read_safetensors(data, real, capped=len(data) < real)
    except CrawlError as exc:
        assert str(exc)
        return
    n = header.header_length
    assert 0 < n <= min(SAFETENSORS_MAX_HEADER, real - 8)
    assert header.tensor_count <= n  # every tensor is an entry of the header
    data_bytes = real - 8 - n
    if header.parameter_count is not None:
        # At four bits per value (the smallest dtype), the tensors fit in the file.
        assert header.parameter_count <= 2 * data_bytes, (header.parameter_count, data_bytes)
    for key, value in header.metadata.items():
        assert len(key) <= VALUE_MAX_CHARS and len(value) <= VALUE_MAX_CHARS
    assert len(header.dtypes) <= 32


def gguf_header(data: bytes, size: int | None = None) -> None:
    """``read_gguf`` on a prefix of a file of *size* bytes."""
    real = len(data) if size is None else max(size, len(data))
    try:
        header = read_gguf(data, real)
    except CrawlError as exc:
        assert str(exc)
        return
    assert header.version in (1, 2, 3)
    assert header.kv_count <= GGUF_MAX_KV
    assert header.tensor_count <= GGUF_MAX_TENSORS
    width = 4 if header.version == 1 else 8
    smallest_kv = width + 4 + 1
    fixed = 8 + 2 * width
    # What the header declares fits in the file: the key/values, then the tensor infos.
    room = real - fixed - header.kv_count * smallest_kv
    assert header.tensor_count * _GGUF_TENSOR_INFO_MIN[header.version] <= room, (
        header.tensor_count,
        real,
    )
    for value in header.values.values():
        assert len(value) <= VALUE_MAX_CHARS


def weights_file(data: bytes, name: str = "model.safetensors", size: int | None = None) -> None:
    """The weights crawler (magic sniffing, every header reader) on one file."""
    findings = check_findings(_crawl(WeightsCrawler(), name, data, size), data, name)
    for finding in findings:
        for key, value in finding.properties.items():
            assert isinstance(key, str) and isinstance(value, str)


# -- model cards ------------------------------------------------------------------------


def card_front_matter(data: bytes) -> None:
    """``parse_front_matter`` (Hub and cached cards) and the hf-files crawler (vendored)."""
    text = data.decode("utf-8", "replace")
    try:
        card = parse_front_matter(text)
    except CardError as exc:
        assert str(exc)
    else:
        for value in (card.license_name, card.license_link, card.pipeline_tag):
            assert value is None or (isinstance(value, str) and len(value) <= 2000)
        for item in (*card.licenses, *card.base_model, *card.datasets, *card.tags):
            assert isinstance(item, str) and 0 < len(item) <= 2000
    check_findings(_crawl(HfFilesCrawler(), "models/x/README.md", data), data, "models/x/README.md")


# -- manifests --------------------------------------------------------------------------


def requirements_text(data: bytes) -> None:
    """``parse_requirements_file`` (never raises) and the manifests crawler on it."""
    text = data.decode("utf-8", "replace")
    parsed = parse_requirements_file(text)
    for req in parsed.requirements:
        assert 0 <= req.offset <= len(text), (req.offset, len(text))
        assert req.name
    name = "requirements.txt"
    check_findings(_crawl(ManifestsCrawler(), name, data), data, name)


def manifest_file(data: bytes, name: str = "pyproject.toml") -> None:
    """A manifest or lock file of the given *name* through the manifests crawler."""
    check_findings(_crawl(ManifestsCrawler(), name, data), data, name)


# -- notebooks --------------------------------------------------------------------------


def notebook_file(data: bytes) -> None:
    """The notebook crawler: code cells only, never outputs or markdown."""
    name = "nb/analysis.ipynb"
    findings = check_findings(_crawl(NotebookCrawler(), name, data), data, name)
    for finding in findings:
        assert CANARY not in finding.id, finding
        assert CANARY not in finding.evidence.snippet, finding
        assert finding.evidence.cell is None or finding.evidence.cell >= 0


# -- licenses ---------------------------------------------------------------------------

_SPDX = get_spdx_licensing()
_KNOWN_KEYS = frozenset(_SPDX.known_symbols)


def valid_expression(expression: str) -> bool:
    """Whether *expression* parses and names only SPDX ids and LicenseRefs."""
    try:
        parsed = _SPDX.parse(expression, validate=False, strict=True)
    except Exception:  # the library raises several unrelated types
        return False
    if parsed is None:
        return False
    keys = [str(key) for key in _SPDX.license_keys(parsed)]
    return bool(keys) and all(k in _KNOWN_KEYS or _LICENSE_REF.match(k) for k in keys)


def license_string(data: bytes) -> None:
    """``normalize_license`` on a declaration (with ``license_name`` / ``license_link``)."""
    text = data.decode("utf-8", "replace")
    raw, _, rest = text.partition("\x00")
    name, _, link = rest.partition("\x00")
    for args in ((raw, None, None), (raw, name or None, link or None), ("other", raw, name)):
        expression, review = normalize_license(args[0], name=args[1], link=args[2])
        assert isinstance(review, bool)
        if expression is None:
            assert review, args
            continue
        assert valid_expression(expression), (args, expression)


# -- registry ---------------------------------------------------------------------------


def _first_byte_choice(options: tuple[str, ...], data: bytes) -> tuple[str, bytes]:
    """Pick a file name from the first byte (used to replay fixtures and by atheris)."""
    if not data:
        return options[0], data
    return options[data[0] % len(options)], data[1:]


def _weights_replay(data: bytes) -> None:
    name, rest = _first_byte_choice(WEIGHT_NAMES, data)
    weights_file(rest, name)


def _manifest_replay(data: bytes) -> None:
    name, rest = _first_byte_choice(MANIFEST_NAMES, data)
    manifest_file(rest, name)


def _split_size(data: bytes) -> tuple[bytes, int | None]:
    """``#size=N\n`` in front of a replayed header gives the real file size (a prefix)."""
    if data.startswith(b"#size="):
        head, _, rest = data.partition(b"\n")
        digits = head[len(b"#size=") :]
        if digits.isdigit():
            return rest, int(digits)
    return data, None


def _safetensors_replay(data: bytes) -> None:
    safetensors_header(*_split_size(data))


def _gguf_replay(data: bytes) -> None:
    gguf_header(*_split_size(data))


# Target name -> a function of the bytes alone (how fixtures are replayed and atheris calls
# them; file names and sizes are taken from the bytes where a target needs them).
TARGETS: dict[str, Callable[[bytes], None]] = {
    "safetensors": _safetensors_replay,
    "gguf": _gguf_replay,
    "weights": _weights_replay,
    "card": card_front_matter,
    "requirements": requirements_text,
    "manifest": _manifest_replay,
    "notebook": notebook_file,
    "license": license_string,
}


def encode_choice(options: tuple[str, ...], name: str, data: bytes) -> bytes:
    """The replay form of (*name*, *data*) for the targets that pick a name by first byte."""
    return bytes([options.index(name)]) + data
