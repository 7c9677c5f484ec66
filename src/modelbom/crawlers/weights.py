"""Weights crawler: one ``model-file`` finding per model weight file in the repository.

The crawler is ``prefix_only``: the engine hands it the first 64 KiB of each file, and
at most the first 16 MiB (+ 8 bytes) when a header declares more (two-step read), so the
cost of a scan never grows with the size of the weights. Headers
are parsed by the bounded readers of :mod:`modelbom.crawlers.headers`; nothing is ever
loaded, imported or unpickled.

The format is decided by magic bytes first and by the extension second, so a pickle
named ``model.safetensors`` is reported as a pickle (with ``extension_mismatch``). Files
that no crawler wants by name are sniffed by their first 4 KiB (``wants_content``): a
pickle (protocol 2-5 header and a plausible first opcode), a PyTorch zip (a ``data.pkl``
member among the first local headers) or a 7z archive named ``logo.png`` or without an
extension is taken too, and reported the same way with ``extension_mismatch``; a 7z
archive, which modelbom cannot open, is an Unknown "unsupported archive: 7z, may hide a
pickle" (the "nullifAI" models were 7z-packed pickles). Text names (``notes.txt``) are
read by the text crawlers and so are not sniffed.

* ``safetensors`` (u64 header length + JSON): ``tensor_count``, ``parameter_count``,
  ``dtypes`` and the ``__metadata__`` keys of interest (``format`` is reported as
  ``framework``; ``modelspec.*``; kohya ``ss_*``). A LoRA (``ss_network_module`` or
  ``lora_`` tensor names) gets ``kind_hint: adapter``; a Hub id in ``ss_sd_model_name``
  becomes a ``model`` finding with ``relation: base``.
* ``gguf``: ``general.*`` keys verbatim (``general.file_type`` as its llama.cpp name).
  ``general.base_model.{i}.repo_url`` on huggingface.co -> ``model`` findings with
  ``relation: base`` (``base-of-adapter`` when ``general.type`` is ``adapter``, which also
  sets ``kind_hint: adapter``); ``general.source.repo_url`` -> ``relation: source``;
  ``general.dataset.{i}.repo_url`` -> ``dataset`` findings (llama.cpp writes them without
  ``/datasets/``). Names without a ``repo_url`` stay properties: they are title-cased
  display names, not ids.
* ``pickle`` (protocol header ``\\x80\\x02``-``\\x80\\x05``; protocol 0/1 only for
  ``.pkl``/``.pickle``/``.joblib``), ``pytorch-zip`` (a zip with ``*/data.pkl``, whose
  pickle is walked from the prefix), ``joblib-compressed``, ``npy`` with object arrays:
  always ``risk``, plus ``pickle_globals`` (static imports) and ``risk_globals`` (those
  that can run code). The file is never called safe; ``pickle_scan: incomplete`` says
  the walk could not reach the end of a pickle.
* ``onnx``: ``ir_version``, ``producer``, ``domain``, ``model_version``, ``opset`` and
  ``metadata.<key>`` of ``metadata_props`` (when they lie within the prefix).
* ``keras`` (zip): ``risk``, and ``risk_layers`` for Lambda layers and classes outside
  Keras when ``config.json`` can be read from the prefix; ``keras-h5`` (HDF5 with Keras
  attributes); ``hdf5`` without them only when the name looks like a model's.
* ``npy``: ``dtype``, ``shape``; ``npz``: object arrays are flagged; ``ggml`` (legacy).

Zero-byte and truncated files (the file ends inside the fixed-size part of the header)
and Git LFS pointer files are still reported, with the format guessed from the extension
and ``header: truncated`` or ``storage: git-lfs-pointer``. Headers that lie (declared
lengths beyond the file or the caps, bad magic, garbage JSON) raise
:class:`~modelbom.crawlers.base.CrawlError`, which the engine records as an Unknown.
Unrecognised content in an ambiguous container (``.bin``, ``.model``) gives no finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, NeedBytes, scope_of_path
from modelbom.crawlers.headers import (
    GGUF_MAGIC,
    GGUF_MAX_INDEXED,
    MIB,
    NPY_MAGIC,
    PICKLE_MAGICS,
    ZIP_MAGIC,
    GgufHeader,
    PickleScan,
    SafetensorsHeader,
    ShortFile,
    ZipMember,
    clip,
    keras_risky_layers,
    looks_like_pickle,
    looks_like_safetensors,
    member_bytes,
    read_gguf,
    read_npy,
    read_onnx,
    read_safetensors,
    scan_pickle,
    zip_members,
)
from modelbom.crawlers.ids import hub_id
from modelbom.model import Evidence, Finding, Kind

PICKLE_RISK = "pickle: loading this file can execute arbitrary code"
KERAS_RISK = "keras: loading may execute custom/Lambda layers"
SEVEN_ZIP_REASON = "unsupported archive: 7z, may hide a pickle"

_EXTENSIONS = frozenset(
    {
        ".safetensors", ".gguf", ".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle",
        ".joblib", ".npy", ".npz", ".onnx", ".keras", ".h5", ".hdf5", ".model",
    }
)  # fmt: skip
# The format a file with this extension normally holds, for files too short to tell.
_GUESS = {
    ".safetensors": "safetensors", ".gguf": "gguf", ".bin": "pytorch", ".pt": "pytorch",
    ".pth": "pytorch", ".ckpt": "pytorch", ".pkl": "pickle", ".pickle": "pickle",
    ".joblib": "joblib", ".npy": "npy", ".npz": "npz", ".onnx": "onnx", ".keras": "keras",
    ".h5": "hdf5", ".hdf5": "hdf5",
}  # fmt: skip
# Extensions that hold many things besides models: reported on a guess only when the
# file name looks like a model's.
_AMBIGUOUS = frozenset({".bin", ".model", ".h5", ".hdf5", ".npy", ".npz", ".pkl", ".pickle"})
_MODEL_NAME = re.compile(
    r"model|weight|ckpt|checkpoint|adapter|lora|embedding|classifier|pytorch|diffusion",
    re.IGNORECASE,
)
# Extensions of formats that cannot execute code on load: pickle content there is a lie.
_SAFE_FORMAT_EXTENSIONS = frozenset(
    {".safetensors", ".gguf", ".onnx", ".npy", ".h5", ".hdf5", ".keras", ".npz"}
)
_PICKLE_EXTENSIONS = frozenset({".pkl", ".pickle", ".joblib"})
_TORCH_EXTENSIONS = frozenset({".pt", ".pth", ".ckpt", ".bin"})
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
# Formats whose loading runs a pickle: reported with extension_mismatch when the name
# says otherwise.
_PICKLE_FORMATS = frozenset({"pickle", "pytorch-zip", "joblib-compressed"})
_KERAS_H5_MARKERS = (b"keras_version", b"model_config", b"layer_names")
_GGML_MAGICS = {b"lmgg": "ggml", b"fmgg": "ggmf", b"tjgg": "ggjt"}
_COMPRESSED_MAGICS = (
    b"\x1f\x8b",  # gzip
    b"\xfd7zXZ\x00",  # xz
    b"BZh",  # bz2
    b"\x04\x22\x4d\x18",  # lz4 frame
    b"ZF",  # joblib's old zlib container
    b"\x78\x01",
    b"\x78\x5e",
    b"\x78\x9c",
    b"\x78\xda",  # zlib
)
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
_LFS_OID = re.compile(rb"^oid (sha256:[0-9a-f]{64})$", re.MULTILINE)
_LFS_SIZE = re.compile(rb"^size ([0-9]{1,20})$", re.MULTILINE)
_MAX_GLOBALS = 64
_ZIP_SNIFFED = 256  # archive members whose first bytes are checked for a pickle
_PICKLE_VALID_OPS = 32  # a pickle header followed by this many valid opcodes is a pickle

_SAFETENSORS_KEYS = (
    "modelspec.architecture", "modelspec.title", "modelspec.license", "modelspec.author",
    "modelspec.merged_from", "ss_sd_model_name", "ss_base_model_version", "ss_output_name",
    "ss_network_module",
)  # fmt: skip
_GGUF_COUNT_KEYS = frozenset({"general.base_model.count", "general.dataset.count"})
_GGUF_FILE_TYPES = {
    0: "ALL_F32", 1: "MOSTLY_F16", 2: "MOSTLY_Q4_0", 3: "MOSTLY_Q4_1",
    7: "MOSTLY_Q8_0", 8: "MOSTLY_Q5_0", 9: "MOSTLY_Q5_1", 10: "MOSTLY_Q2_K",
    11: "MOSTLY_Q3_K_S", 12: "MOSTLY_Q3_K_M", 13: "MOSTLY_Q3_K_L", 14: "MOSTLY_Q4_K_S",
    15: "MOSTLY_Q4_K_M", 16: "MOSTLY_Q5_K_S", 17: "MOSTLY_Q5_K_M", 18: "MOSTLY_Q6_K",
}  # fmt: skip
_ONNX_METADATA_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_ONNX_MAX_METADATA = 16
_HUB_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
_HUB_NON_REPO = frozenset(
    {"spaces", "docs", "blog", "papers", "collections", "api", "organizations", "settings"}
)
_HUB_REV_SEGMENTS = frozenset({"tree", "blob", "resolve", "commit", "raw"})

PARSED = 1.0
GUESSED = 0.7  # format taken from the extension: the header could not be read


@dataclass(slots=True)
class _Ref:
    kind: Kind
    id: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Result:
    format: str
    properties: dict[str, str] = field(default_factory=dict)
    refs: list[_Ref] = field(default_factory=list)
    confidence: float = PARSED


def hub_id_from_url(url: str, *, dataset: bool) -> str | None:
    """The repository id in a huggingface.co URL (``/datasets/`` optional for datasets)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or host not in _HUB_HOSTS:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[0] == "datasets":
        if not dataset:
            return None
        segments = segments[1:]
    if not segments or segments[0] in _HUB_NON_REPO:
        return None
    if len(segments) >= 2 and segments[1] in _HUB_REV_SEGMENTS:
        segments = segments[:1]
    return hub_id("/".join(segments[:2]), allow_single=dataset)


def _joined(values: Iterable[str], limit: int = _MAX_GLOBALS) -> str:
    items = sorted(set(values))
    text = ",".join(items[:limit])
    return text if len(items) <= limit else f"{text},\u2026(+{len(items) - limit} more)"


def _pickle_properties(scan: PickleScan) -> dict[str, str]:
    props = {"risk": PICKLE_RISK}
    if scan.globals:
        props["pickle_globals"] = _joined(scan.globals)
    risky = scan.risky_globals
    if risky:
        props["risk_globals"] = _joined(risky)
    if scan.partial:
        props["pickle_scan"] = "incomplete"
    return props


class WeightsCrawler(Crawler):
    """Committed model weight files: safetensors, GGUF, pickle/PyTorch, ONNX, Keras, npy."""

    name = "weights"
    version = "1"
    max_bytes = 16 * MIB + 8
    prefix_only = True
    # Most headers fit in the first 64 KiB; a larger safetensors or GGUF header asks for
    # exactly what it declares (NeedBytes), and every other format for the full prefix.
    first_read = 64 * 1024
    # Files no crawler wants by name are sniffed by one page: the same read as less.
    sniff_bytes = 4096

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Files with a weight-file extension (the content decides the format)."""
        return path.suffix.lower() in _EXTENSIONS

    def wants_content(self, path: PurePosixPath, size: int, head: bytes) -> bool:
        """Pickles, PyTorch zips and 7z archives whatever their name (``logo.png``)."""
        return sniffed_format(head) is not None

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Read the header in the prefix and report the file and what it names."""
        if file.data.startswith(_SEVEN_ZIP_MAGIC):
            raise CrawlError(SEVEN_ZIP_REASON)  # before asking for a longer prefix
        if (
            file.extendable
            and file.pure_path.suffix.lower() not in (".safetensors", ".gguf")
            and not looks_like_safetensors(file.data, file.size)
            and file.data[:4] != GGUF_MAGIC
        ):
            # Pickles, zips, ONNX and HDF5 are read from the full prefix.
            raise NeedBytes(self.max_bytes, "model file header larger than the read cap")
        result = analyse(file)
        if result is None:
            return []
        scope = scope_of_path(file.pure_path)

        def evidence(confidence: float) -> Evidence:
            return Evidence(
                file=file.path,
                line=1,
                column=1,
                snippet="",
                crawler=self.name,
                confidence=confidence,
                scope=scope,
            )

        findings = [
            Finding(
                kind=Kind.MODEL_FILE,
                id=file.path,
                evidence=evidence(result.confidence),
                properties={"format": result.format, **result.properties},
            )
        ]
        findings.extend(
            Finding(kind=ref.kind, id=ref.id, evidence=evidence(PARSED), properties=ref.properties)
            for ref in result.refs
        )
        return sorted(findings, key=Finding.sort_key)


def sniffed_format(head: bytes) -> str | None:
    """The format the first bytes of a file show, for files not named as model files.

    ``pickle``, ``pytorch-zip`` (a ``data.pkl`` member among the local headers in
    *head*) or ``7z``; ``None`` for everything else (text, images, other archives).
    """
    if looks_like_pickle(head):
        return "pickle"
    if head[:4] == ZIP_MAGIC and any(_is_torch_pickle(m.name) for m in zip_members(head)):
        return "pytorch-zip"
    if head.startswith(_SEVEN_ZIP_MAGIC):
        return "7z"
    return None


def _is_torch_pickle(name: str) -> bool:
    return name == "data.pkl" or name.endswith("/data.pkl")


def analyse(file: FileInput) -> _Result | None:
    """What the file is, from its first bytes; ``None`` when it is not a model file."""
    ext = file.pure_path.suffix.lower()
    if file.data.startswith(_LFS_POINTER) and file.size < 1024:
        return _guessed(file, ext, _lfs_properties(file.data))
    try:
        result = _detect(file, ext)
    except ShortFile:
        return _guessed(file, ext, {"header": "truncated"})
    if (
        result is not None
        and result.format in _PICKLE_FORMATS
        and (ext in _SAFE_FORMAT_EXTENSIONS or ext not in _EXTENSIONS)
    ):
        named = f"named {ext}" if ext else "named without an extension"
        result.properties["extension_mismatch"] = f"{named} but holds {result.format}"
    return result


def _guessed(file: FileInput, ext: str, properties: dict[str, str]) -> _Result | None:
    guess = _GUESS.get(ext)
    if guess is None:
        return None
    if ext in _AMBIGUOUS and not _MODEL_NAME.search(file.pure_path.stem):
        return None
    return _Result(guess, properties, confidence=GUESSED)


def _lfs_properties(data: bytes) -> dict[str, str]:
    props = {"storage": "git-lfs-pointer"}
    oid = _LFS_OID.search(data)
    if oid:
        props["lfs_oid"] = oid.group(1).decode()
    size = _LFS_SIZE.search(data)
    if size:
        props["lfs_size"] = size.group(1).decode()
    return props


def _detect(file: FileInput, ext: str) -> _Result | None:
    data, size = file.data, file.size
    if looks_like_safetensors(data, size):
        return _safetensors(read_safetensors(data, size, capped=file.truncated))
    if data[:4] == GGUF_MAGIC:
        return _gguf(read_gguf(data, size))
    if data[:2] in PICKLE_MAGICS:
        result = _pickle(data, force=ext in _PICKLE_EXTENSIONS)
        if result is not None:
            return result
    if data[:4] == ZIP_MAGIC:
        return _zip(data, ext, torch_named=_torch_named(file.pure_path))
    if data.startswith(_SEVEN_ZIP_MAGIC):
        raise CrawlError(SEVEN_ZIP_REASON)
    if data[:6] == NPY_MAGIC:
        return _npy(data, size)
    if data[:8] == _HDF5_MAGIC:
        return _hdf5(file, ext)
    if data[:4] in _GGML_MAGICS:
        return _Result("ggml", {"ggml_magic": _GGML_MAGICS[data[:4]]})
    if ext in (".joblib", ".pkl") and data.startswith(_COMPRESSED_MAGICS):
        return _Result(
            "joblib-compressed", {"risk": PICKLE_RISK, "pickle_scan": "not inspected (compressed)"}
        )
    return _by_extension(file, ext)


def _by_extension(file: FileInput, ext: str) -> _Result | None:
    """No magic matched: formats without magic, and clear errors for lying headers."""
    data, size = file.data, file.size
    if ext == ".safetensors":
        return _safetensors(read_safetensors(data, size, capped=file.truncated))
    if ext == ".gguf":
        return _gguf(read_gguf(data, size))
    if ext == ".onnx":
        return _onnx(data, size)
    if ext == ".npy":
        return _npy(data, size)
    if ext in (".keras", ".npz"):
        if size < len(ZIP_MAGIC):
            raise ShortFile()
        raise CrawlError("not a zip archive")
    if ext in (".h5", ".hdf5"):
        if size < len(_HDF5_MAGIC):
            raise ShortFile()
        raise CrawlError("not an HDF5 file")
    if ext in _PICKLE_EXTENSIONS:
        if size == 0:
            raise ShortFile()
        return _pickle(data, force=True)
    if size < 8:
        raise ShortFile()
    return None


def _safetensors(header: SafetensorsHeader) -> _Result:
    meta = header.metadata
    props = {"tensor_count": str(header.tensor_count)}
    if header.parameter_count is not None:
        props["parameter_count"] = str(header.parameter_count)
    if header.dtypes:
        props["dtypes"] = ",".join(header.dtypes)
    if "format" in meta:
        props["framework"] = meta["format"]
    props.update({key: meta[key] for key in _SAFETENSORS_KEYS if meta.get(key)})
    architecture = meta.get("modelspec.architecture", "")
    if header.lora_tensors or meta.get("ss_network_module") or "/lora" in architecture:
        props["kind_hint"] = "adapter"
    refs: list[_Ref] = []
    base = hub_id(meta.get("ss_sd_model_name", ""))
    if base is not None:
        refs.append(_Ref(Kind.MODEL, base, {"relation": "base"}))
    return _Result("safetensors", props, refs)


def _gguf(header: GgufHeader) -> _Result:
    values = header.values
    props = {"gguf_version": str(header.version), "tensor_count": str(header.tensor_count)}
    for key, value in values.items():
        if key in _GGUF_COUNT_KEYS:
            continue
        if key == "general.file_type" and value.isdigit():
            value = _GGUF_FILE_TYPES.get(int(value), value)
        props[key] = value
    adapter = values.get("general.type") == "adapter"
    if adapter:
        props["kind_hint"] = "adapter"
    refs: list[_Ref] = []
    relation = "base-of-adapter" if adapter else "base"
    for index in range(_count(values.get("general.base_model.count"))):
        repo = hub_id_from_url(
            values.get(f"general.base_model.{index}.repo_url", ""), dataset=False
        )
        if repo is not None:
            refs.append(_Ref(Kind.MODEL, repo, {"relation": relation}))
    source = hub_id_from_url(values.get("general.source.repo_url", ""), dataset=False)
    if source is not None:
        refs.append(_Ref(Kind.MODEL, source, {"relation": "source"}))
    for index in range(_count(values.get("general.dataset.count"))):
        repo = hub_id_from_url(values.get(f"general.dataset.{index}.repo_url", ""), dataset=True)
        if repo is not None:
            refs.append(_Ref(Kind.DATASET, repo))
    return _Result("gguf", props, refs)


def _count(value: str | None) -> int:
    """A ``general.*.count`` value, bounded by the number of indexed entries kept."""
    if value is None or not value.isdigit():
        return 0
    return min(int(value), GGUF_MAX_INDEXED)


def _pickle(data: bytes, *, force: bool) -> _Result | None:
    scan = scan_pickle(data)
    if not force and not scan.globals and scan.streams == 0 and scan.ops < _PICKLE_VALID_OPS:
        return None  # a pickle-like first byte pair, then no pickle
    return _Result("pickle", _pickle_properties(scan))


def _torch_named(path: PurePosixPath) -> bool:
    """Whether the name says ``torch.load`` (``.pt``, or a ``.bin`` named like a model)."""
    ext = path.suffix.lower()
    return ext in _TORCH_EXTENSIONS and (ext != ".bin" or _MODEL_NAME.search(path.stem) is not None)


def _zip(data: bytes, ext: str, *, torch_named: bool) -> _Result | None:
    members = list(zip_members(data))
    names = [m.name for m in members]
    if not members:
        props = {"header": "unparseable archive (may still be loadable)"}
        if ext in _TORCH_EXTENSIONS:
            props["risk"] = PICKLE_RISK
        return _Result("zip", props)
    pickled = _first(members, _is_torch_pickle)
    if pickled is None:
        pickled = _first(members, lambda n: n.lower().endswith((".pkl", ".pickle")))
    torch = pickled is not None and _is_torch_pickle(pickled.name)
    if pickled is None:
        # Names can lie: PyTorch finds data.pkl through the central directory, whose
        # names need not match the local headers read here. Look at the contents.
        pickled = next(
            (m for m in members[:_ZIP_SNIFFED] if looks_like_pickle(member_bytes(data, m, 3))),
            None,
        )
        torch = pickled is not None and torch_named
    if pickled is not None:
        scan = scan_pickle(member_bytes(data, pickled, len(data)))
        props = _pickle_properties(scan)
        props["pickle_member"] = clip(pickled.name)
        return _Result("pytorch-zip" if torch else "zip", props)
    if ext == ".keras" or ("config.json" in names and "metadata.json" in names):
        props = {"risk": KERAS_RISK}
        config = _first(members, lambda n: n == "config.json")
        if config is not None:
            layers = keras_risky_layers(member_bytes(data, config, 4 * MIB))
            if layers:
                props["risk_layers"] = ",".join(layers)
        return _Result("keras", props)
    if ext == ".npz" or all(n.endswith(".npy") for n in names):
        return _npz(data, members)
    if torch_named:
        # torch.load unpickles whatever the archive's directory calls data.pkl.
        return _Result(
            "zip",
            {
                "zip_members": str(len(members)),
                "header": "no pickle found in the archive (may still be loadable)",
                "risk": PICKLE_RISK,
            },
        )
    if ext in (".keras", ".npz"):
        return _Result("zip", {"zip_members": str(len(members))})
    return None


def _first(members: list[ZipMember], predicate: Callable[[str], bool]) -> ZipMember | None:
    return next((m for m in members if predicate(m.name)), None)


def _npz(data: bytes, members: list[ZipMember]) -> _Result:
    objects: list[str] = []
    for member in members[:256]:
        try:
            header = read_npy(member_bytes(data, member, 4096), 1 << 62)
        except CrawlError:
            continue
        if header.holds_objects:
            objects.append(member.name)
    props = {"arrays": str(len(members))}
    if objects:
        props["risk"] = PICKLE_RISK
        props["object_arrays"] = _joined(objects, 16)
    return _Result("npz", props)


def _npy(data: bytes, size: int) -> _Result:
    header = read_npy(data, size)
    props = {"dtype": header.dtype}
    if header.shape:
        props["shape"] = header.shape
    if header.holds_objects:
        props.update(_pickle_properties(scan_pickle(data[header.data_offset :])))
    return _Result("npy", props)


def _hdf5(file: FileInput, ext: str) -> _Result | None:
    data = file.data
    if any(marker in data for marker in _KERAS_H5_MARKERS):
        props = {"risk": KERAS_RISK}
        if b'"class_name": "Lambda"' in data:
            props["risk_layers"] = "Lambda"
        return _Result("keras-h5", props)
    if ext in (".h5", ".hdf5") and _MODEL_NAME.search(file.pure_path.stem):
        return _Result("hdf5")
    return None


def _onnx(data: bytes, size: int) -> _Result:
    header = read_onnx(data, size)
    props: dict[str, str] = {}
    if header.ir_version is not None:
        props["ir_version"] = str(header.ir_version)
    if header.producer_name:
        producer = header.producer_name
        if header.producer_version:
            producer = f"{producer} {header.producer_version}"
        props["producer"] = clip(producer)
    if header.domain:
        props["domain"] = header.domain
    if header.model_version is not None:
        props["model_version"] = str(header.model_version)
    if header.opsets:
        props["opset"] = ",".join(header.opsets)
    kept = 0
    for key, value in sorted(header.metadata.items()):
        if kept < _ONNX_MAX_METADATA and _ONNX_METADATA_KEY.match(key):
            props[f"metadata.{key}"] = value
            kept += 1
    return _Result("onnx", props)
