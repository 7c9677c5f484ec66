"""Bounded readers for the headers of model weight files.

Every reader is a pure function over the bytes the engine read (often only a prefix of
the file) plus the file's real size. Nothing here opens a file, imports a framework or
unpickles anything: pickles are walked with :func:`pickletools.genops`, which decodes
opcodes and never executes them.

Untrusted lengths and counts are checked against the bytes remaining, the real file size
and absolute caps *before* anything is sliced, allocated or looped over. Every failure is
a :class:`~modelbom.crawlers.base.CrawlError` naming the reason; :class:`ShortFile` is the
one the weights crawler turns into a finding with ``header: truncated`` instead of an
Unknown (the file ends before the fixed-size part of its header).
"""

from __future__ import annotations

import io
import json
import math
import pickletools
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from modelbom.crawlers.base import CrawlError, NeedBytes

MIB = 1024 * 1024
VALUE_MAX_CHARS = 200  # metadata values are clipped to this many characters


class ShortFile(CrawlError):
    """The file ends inside the fixed-size part of its header (zero-byte or cut off)."""

    def __init__(self, reason: str = "truncated header") -> None:
        super().__init__(reason)


def clip(value: str, limit: int = VALUE_MAX_CHARS) -> str:
    """*value* cut to *limit* characters, with an ellipsis when it was longer."""
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def describe_size(n: int) -> str:
    """A byte count as people say it: ``16 MiB`` when exact, else ``N bytes``."""
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    return f"{n:,} bytes"


def _scalar_text(value: object) -> str | None:
    """A JSON scalar as text (``true``/``false`` for booleans); ``None`` for containers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, int | float):
        return clip(str(value))
    return None


# --------------------------------------------------------------------------- safetensors

SAFETENSORS_MAX_HEADER = 100_000_000  # the limit of the reference (Rust) implementation
_MAX_DIMS = 16
_MAX_DIM = 1 << 48
_LORA_MARKERS = ("lora_", ".lora.", "hada_w", "lokr_w")


@dataclass(frozen=True, slots=True)
class SafetensorsHeader:
    """What a safetensors header says: metadata strings and tensor statistics."""

    header_length: int
    metadata: dict[str, str]
    tensor_count: int
    parameter_count: int | None  # None when a shape was not a list of sane integers
    dtypes: tuple[str, ...]
    lora_tensors: bool  # tensor names of a LoRA / LyCORIS adapter


def looks_like_safetensors(data: bytes, size: int) -> bool:
    """Cheap sniff: a plausible u64 header length followed by ``{``."""
    if len(data) < 9 or data[8:9] != b"{":
        return False
    n: int = struct.unpack_from("<Q", data, 0)[0]
    return 0 < n <= min(SAFETENSORS_MAX_HEADER, size - 8)


def read_safetensors(data: bytes, size: int, *, capped: bool) -> SafetensorsHeader:
    """Parse the header of a safetensors file from its first bytes.

    *capped* says that *data* is a prefix of a larger file (the read cap was hit).
    """
    if size < 8 or len(data) < 8:
        raise ShortFile()
    (n,) = struct.unpack_from("<Q", data, 0)
    if n == 0:
        raise CrawlError("declared header length 0")
    if n > SAFETENSORS_MAX_HEADER:
        raise CrawlError(
            f"declared header length {n} exceeds the {SAFETENSORS_MAX_HEADER:,}-byte limit"
        )
    if n > size - 8:
        raise CrawlError(f"declared header length {n} exceeds the file size ({size} bytes)")
    if len(data) < 8 + n:
        if capped:
            # The read cap is 16 MiB for the header plus 8 bytes for its length; a first,
            # smaller read asks for the prefix the header needs.
            cap = len(data) - 8 if (len(data) - 8) % MIB == 0 else len(data)
            raise NeedBytes(
                8 + n, f"header larger than the {describe_size(cap)} read cap ({n} bytes declared)"
            )
        raise CrawlError(f"truncated header: {n} bytes declared, {len(data) - 8} present")
    raw = data[8 : 8 + n]
    if raw[:1] != b"{":
        raise CrawlError("header is not a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CrawlError(f"header is not valid UTF-8 (byte {exc.start})") from exc
    try:
        document = json.loads(text)  # duplicate keys: the last one wins, deterministically
    except RecursionError as exc:
        raise CrawlError("header JSON is nested too deeply") from exc
    except MemoryError as exc:
        raise CrawlError("header JSON is too large to parse") from exc
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise CrawlError(f"invalid header JSON: {clip(reason, 120)}") from exc
    if not isinstance(document, dict):
        raise CrawlError("header is not a JSON object")
    return _safetensors_header(n, document, size - 8 - n)


def _tensor_bytes(name: str, offsets: object, data_bytes: int) -> int | None:
    """The byte length of a tensor's data, checked against the data in the file.

    ``None`` when the offsets are missing or malformed (the tensor cannot be located);
    a tensor said to lie past the end of the file is a :class:`CrawlError`.
    """
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(type(o) is int for o in offsets)
        or not 0 <= offsets[0] <= offsets[1]
    ):
        return None
    if offsets[1] > data_bytes:
        raise CrawlError(
            f"tensor {clip(name, 80)!r} ends at byte {offsets[1]} of the data,"
            f" past the end of the file ({data_bytes} bytes of data)"
        )
    length: int = offsets[1] - offsets[0]
    return length


def _safetensors_header(n: int, document: dict[str, object], data_bytes: int) -> SafetensorsHeader:
    metadata: dict[str, str] = {}
    raw_meta = document.get("__metadata__")
    if isinstance(raw_meta, dict):
        for key, value in raw_meta.items():
            text = _scalar_text(value)
            if text is not None:
                metadata[clip(str(key))] = text
    count = 0
    params: int | None = 0
    dtypes: set[str] = set()
    lora = False
    for name, info in document.items():
        if name == "__metadata__" or not isinstance(info, dict):
            continue
        count += 1
        if not lora and any(marker in name for marker in _LORA_MARKERS):
            lora = True
        dtype = info.get("dtype")
        if isinstance(dtype, str) and len(dtypes) < 32:
            dtypes.add(clip(dtype, 16))
        length = _tensor_bytes(str(name), info.get("data_offsets"), data_bytes)
        shape = info.get("shape")
        if (
            params is not None
            and length is not None
            and isinstance(shape, list)
            and len(shape) <= _MAX_DIMS
            and all(type(d) is int and 0 <= d <= _MAX_DIM for d in shape)
            and math.prod(shape) <= 2 * length  # 4 bits a value: the smallest dtype
        ):
            params += math.prod(shape)
        else:
            params = None
    return SafetensorsHeader(
        header_length=n,
        metadata=metadata,
        tensor_count=count,
        parameter_count=params,
        dtypes=tuple(sorted(dtypes)),
        lora_tensors=lora,
    )


# --------------------------------------------------------------------------------- GGUF

GGUF_MAGIC = b"GGUF"
GGUF_MAX_KV = 100_000
GGUF_MAX_TENSORS = 10_000_000
GGUF_MAX_STRING = MIB
GGUF_MAX_KEY = 65_535
GGUF_MAX_ARRAY = 100_000_000
GGUF_MAX_DEPTH = 2  # an array of arrays, no deeper
GGUF_MAX_INDEXED = 64  # general.base_model.{i} / general.dataset.{i} entries kept

_GGUF_STRING = 8
_GGUF_ARRAY = 9
_GGUF_FIXED: dict[int, str] = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
    10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip

GGUF_KEYS = frozenset(
    {
        "general.architecture", "general.name", "general.license", "general.license.name",
        "general.license.link", "general.base_model.count", "general.dataset.count",
        "general.quantized_by", "general.file_type", "general.type", "adapter.type",
        "general.source.repo_url",
    }
)  # fmt: skip
_GGUF_INDEXED = re.compile(
    r"^general\.(?:base_model|dataset)\.([0-9]{1,6})\.(?:name|organization|repo_url)$"
)


@dataclass(frozen=True, slots=True)
class GgufHeader:
    """The preamble of a GGUF file and the ``general.*`` values of interest."""

    version: int
    tensor_count: int
    kv_count: int
    values: dict[str, str]


class _Cursor:
    """A read position over *data*; every read is checked against the bytes available.

    Running past *data* is either the real end of the file (*size*), which means the
    header is truncated or lies, or only the end of the prefix that was read.
    """

    __slots__ = ("data", "pos", "size")

    def __init__(self, data: bytes, size: int) -> None:
        self.data = data
        self.size = size
        self.pos = 0

    def need(self, n: int, what: str) -> None:
        if n <= len(self.data) - self.pos:
            return
        if self.pos + n > self.size:
            raise CrawlError(f"truncated header: {what} runs past the end of the file")
        raise NeedBytes(self.size, "GGUF metadata larger than the read cap")

    def unpack(self, fmt: str, width: int, what: str) -> int | float | bool:
        self.need(width, what)
        value: int | float | bool = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += width
        return value

    def uint(self, width: int, what: str) -> int:
        value = self.unpack("<Q" if width == 8 else "<I", width, what)
        assert isinstance(value, int)
        return value


def read_gguf(data: bytes, size: int) -> GgufHeader:
    """Walk the key/value section of a GGUF file, keeping the ``general.*`` values."""
    if len(data) < 4:
        if size < 4 and GGUF_MAGIC.startswith(data):
            raise ShortFile()
        raise CrawlError("bad GGUF magic")
    if data[:4] != GGUF_MAGIC:
        raise CrawlError("bad GGUF magic")
    if len(data) < 8:
        raise ShortFile()
    (version,) = struct.unpack_from("<I", data, 4)
    if version not in (1, 2, 3):
        (swapped,) = struct.unpack_from(">I", data, 4)
        if swapped in (2, 3):
            raise CrawlError(f"big-endian GGUF (version {swapped}) is not supported")
        raise CrawlError(f"unsupported GGUF version {version}")
    width = 4 if version == 1 else 8  # v1 had 32-bit counts and string lengths
    if len(data) < 8 + 2 * width:
        raise ShortFile()
    cur = _Cursor(data, size)
    cur.pos = 8
    tensor_count = cur.uint(width, "tensor count")
    kv_count = cur.uint(width, "key/value count")
    if tensor_count > GGUF_MAX_TENSORS:
        raise CrawlError(f"tensor count {tensor_count} exceeds the {GGUF_MAX_TENSORS:,} limit")
    if kv_count > GGUF_MAX_KV:
        raise CrawlError(f"key/value count {kv_count} exceeds the {GGUF_MAX_KV:,} limit")
    smallest_kv = width + 4 + 1  # key length, value type, one byte of value
    if kv_count * smallest_kv > size - cur.pos:
        raise CrawlError(f"key/value count {kv_count} is more than the file can hold")
    values: dict[str, str] = {}
    for _ in range(kv_count):
        key = _gguf_string(cur, width, GGUF_MAX_KEY, "key")
        kind = cur.uint(4, "value type")
        wanted = key in GGUF_KEYS or _gguf_indexed(key)
        value = _gguf_value(cur, width, kind, depth=0, keep=wanted)
        if wanted and value is not None:
            values[key] = value
    # The tensor infos follow: each holds at least a name length, a dimension count, a
    # type and an offset, so a count the rest of the file cannot hold is a lie.
    if tensor_count * (width + 16) > size - cur.pos:
        raise CrawlError(f"tensor count {tensor_count} is more than the file can hold")
    return GgufHeader(version=version, tensor_count=tensor_count, kv_count=kv_count, values=values)


def _gguf_indexed(key: str) -> bool:
    match = _GGUF_INDEXED.match(key)
    return match is not None and int(match.group(1)) < GGUF_MAX_INDEXED


def _gguf_string(cur: _Cursor, width: int, cap: int, what: str) -> str:
    n = cur.uint(width, f"{what} length")
    if n > cap:
        raise CrawlError(f"{what} length {n} exceeds the {describe_size(cap)} limit")
    cur.need(n, what)
    raw = cur.data[cur.pos : cur.pos + n]
    cur.pos += n
    return raw.decode("utf-8", errors="replace")


def _gguf_skip_string(cur: _Cursor, width: int) -> None:
    n = cur.uint(width, "string length")
    if n > GGUF_MAX_STRING:
        raise CrawlError(f"string length {n} exceeds the {describe_size(GGUF_MAX_STRING)} limit")
    cur.need(n, "string")
    cur.pos += n


def _gguf_value(cur: _Cursor, width: int, kind: int, *, depth: int, keep: bool) -> str | None:
    """Read (when *keep*) or skip one value of type *kind*; scalars come back as text."""
    if kind in _GGUF_FIXED:
        fmt = _GGUF_FIXED[kind]
        value = cur.unpack(fmt, struct.calcsize(fmt), "value")
        if not keep:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return clip(repr(value) if isinstance(value, float) else str(value))
    if kind == _GGUF_STRING:
        if keep:
            return clip(_gguf_string(cur, width, GGUF_MAX_STRING, "string"))
        _gguf_skip_string(cur, width)
        return None
    if kind == _GGUF_ARRAY:
        _gguf_skip_array(cur, width, depth + 1)
        return None
    raise CrawlError(f"unknown GGUF value type {kind}")


def _gguf_skip_array(cur: _Cursor, width: int, depth: int) -> None:
    if depth > GGUF_MAX_DEPTH:
        raise CrawlError(f"GGUF arrays nested deeper than {GGUF_MAX_DEPTH}")
    elem = cur.uint(4, "array type")
    count = cur.uint(width, "array length")
    if count > GGUF_MAX_ARRAY:
        raise CrawlError(f"array length {count} exceeds the {GGUF_MAX_ARRAY:,} limit")
    if elem in _GGUF_FIXED:
        cur.need(count * struct.calcsize(_GGUF_FIXED[elem]), "array")
        cur.pos += count * struct.calcsize(_GGUF_FIXED[elem])
        return
    if elem == _GGUF_STRING:
        smallest = width  # every element holds at least its length
    elif elem == _GGUF_ARRAY:
        smallest = 4 + width
    else:
        raise CrawlError(f"unknown GGUF array element type {elem}")
    if count * smallest > cur.size - cur.pos:
        raise CrawlError(f"array length {count} is more than the file can hold")
    # Each iteration consumes at least `smallest` bytes, so the loop is bounded by the data.
    for _ in range(count):
        if elem == _GGUF_STRING:
            _gguf_skip_string(cur, width)
        else:
            _gguf_skip_array(cur, width, depth + 1)


# ------------------------------------------------------------------------------- pickle

PICKLE_MAX_OPS = 1_000_000
PICKLE_MAX_STREAMS = 8  # legacy torch.save files are several pickles in a row
_PICKLE_MAX_MEMO = 100_000
PICKLE_MAGICS = frozenset({b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"})
# What can follow PROTO at the start of a pickle: an opcode that needs nothing on the
# stack (a frame, a mark, a global, a constant, an empty container), not a memo PUT.
_PICKLE_LEADING_OPCODES = frozenset(
    op.code.encode("latin-1")[0]
    for op in pickletools.opcodes
    if not op.stack_before and op.name not in ("PROTO", "PUT", "BINPUT", "LONG_BINPUT")
)

_STRING_OPS = frozenset(
    {
        "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE",
        "SHORT_BINUNICODE", "BINUNICODE8",
    }
)  # fmt: skip
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_EXT_OPS = frozenset({"EXT1", "EXT2", "EXT4"})

# Modules a weight file has no business importing: loading such a pickle runs them.
_DANGEROUS_MODULES = frozenset(
    {
        "os", "posix", "nt", "subprocess", "sys", "runpy", "shutil", "socket", "pty",
        "commands", "webbrowser", "importlib", "ctypes", "code", "codeop", "pdb", "bdb",
        "marshal", "pickle", "_pickle", "cPickle", "dill", "urllib", "urllib2",
        "http", "httplib", "requests", "aiohttp", "asyncio", "multiprocessing", "signal",
        "zipimport", "pip", "setuptools", "telnetlib", "ftplib", "smtplib", "tempfile",
        "_posixsubprocess", "posixpath", "ntpath", "platform", "inspect",
    }
)  # fmt: skip
_DANGEROUS_BUILTINS = frozenset(
    {
        "eval", "exec", "execfile", "compile", "open", "__import__", "getattr", "setattr",
        "delattr", "globals", "locals", "vars", "input", "breakpoint", "apply", "file",
    }
)  # fmt: skip
_DANGEROUS_GLOBALS = frozenset(
    {
        "operator.methodcaller", "operator.attrgetter", "torch.load", "torch.hub.load",
        "torch.serialization.load", "numpy.load", "numpy.testing._private.utils.runstring",
        "joblib.load", "types.CodeType", "types.FunctionType", "types.LambdaType",
        "types.MethodType",
    }
)  # fmt: skip
UNRESOLVED_GLOBAL = "<unresolved global>"


@dataclass(slots=True)
class PickleScan:
    """Imports a pickle makes, found statically; nothing was executed to find them."""

    globals: set[str] = field(default_factory=set)
    ops: int = 0
    streams: int = 0  # pickles that ran to their STOP opcode
    capped: bool = False  # the opcode cap stopped the walk

    @property
    def partial(self) -> bool:
        """Whether globals may have been missed: no pickle ran to STOP, or the cap hit."""
        return self.capped or self.streams == 0

    @property
    def risky_globals(self) -> list[str]:
        """The globals that can run commands, open files or import code."""
        return sorted(g for g in self.globals if is_dangerous_global(g))


def looks_like_pickle(head: bytes) -> bool:
    """Cheap sniff: a protocol 2-5 header followed by an opcode a pickle can start with.

    Text never starts with byte 0x80 and common binary formats have other magic bytes,
    so this takes pickles whatever their name and leaves ordinary files alone.
    """
    return head[:2] in PICKLE_MAGICS and len(head) > 2 and head[2] in _PICKLE_LEADING_OPCODES


def is_dangerous_global(name: str) -> bool:
    """Whether a pickle global (``module.name``) is a known way to run code on load."""
    if name == UNRESOLVED_GLOBAL or name in _DANGEROUS_GLOBALS:
        return True
    module, _, attr = name.rpartition(".")
    if module.split(".", 1)[0] in _DANGEROUS_MODULES:
        return True
    return module in ("builtins", "__builtin__") and attr in _DANGEROUS_BUILTINS


def scan_pickle(data: bytes, *, max_ops: int = PICKLE_MAX_OPS) -> PickleScan:
    """Walk the opcodes of the pickle(s) at the start of *data*, collecting globals.

    ``GLOBAL``/``INST`` name their import directly; ``STACK_GLOBAL`` takes the two
    strings pushed before it, followed through the memo. An import that cannot be
    resolved that way (or an extension-registry code) is recorded as
    :data:`UNRESOLVED_GLOBAL`, which counts as dangerous. The walk stops at the end of
    the data, after *max_ops* opcodes, or at the first malformed opcode; whatever was
    collected until then is kept.
    """
    scan = PickleScan()
    stream = io.BytesIO(data)
    while scan.streams < PICKLE_MAX_STREAMS and stream.tell() < len(data):
        start_ops = scan.ops
        try:
            stopped = _scan_one(stream, scan, max_ops)
        except Exception:  # genops raises ValueError and friends on malformed data
            return scan
        if not stopped:
            scan.capped = scan.ops > max_ops
            return scan
        scan.streams += 1
        if scan.ops == start_ops:
            return scan
    return scan


class _Mark:
    """The MARK pushed on the simulated pickle stack."""


_MARK = _Mark()
_StackValue = str | None | _Mark
_MAX_STACK = 1_000_000

# How each opcode moves the unpickler's stack, from pickletools' documentation of it:
# (pops through the topmost MARK first?, items popped, items pushed, pushes a MARK?).
_EFFECTS: dict[str, tuple[bool, int, int, bool]] = {}
for _op in pickletools.opcodes:
    _marked = pickletools.markobject in _op.stack_before
    _popped = _op.stack_before.index(pickletools.markobject) if _marked else len(_op.stack_before)
    _pushes_mark = pickletools.markobject in _op.stack_after
    _EFFECTS[_op.name] = (_marked, _popped, len(_op.stack_after), _pushes_mark)
del _op, _marked, _popped, _pushes_mark
_SPECIAL_OPS = (
    _STRING_OPS | _GET_OPS | _PUT_OPS | _EXT_OPS
    | {"MEMOIZE", "DUP", "STOP", "GLOBAL", "INST", "STACK_GLOBAL"}
)  # fmt: skip


def _scan_one(stream: io.BytesIO, scan: PickleScan, max_ops: int) -> bool:
    """Walk one pickle; return whether it reached STOP within the opcode and stack caps.

    The unpickler's stack is simulated from each opcode's documented stack effect, with
    only strings kept as values (everything else is ``None``), so ``STACK_GLOBAL`` sees
    the two values the real unpickler would, whatever POP/MARK games come before it.
    """
    stack: list[_StackValue] = []
    marks: list[int] = []  # positions of the MARKs in `stack`
    memo: dict[int, str] = {}
    memo_len = 0  # pickle memo indices are handed out in order
    effects = _EFFECTS
    special = _SPECIAL_OPS
    for opcode, arg, _pos in pickletools.genops(stream):
        scan.ops += 1
        if scan.ops > max_ops or len(stack) > _MAX_STACK:
            return False
        name = opcode.name
        pushed: _StackValue = None
        if name in special:
            if name == "STOP":
                return True
            if name == "MEMOIZE" or name in _PUT_OPS:
                index = memo_len if name == "MEMOIZE" else _memo_index(arg)
                memo_len = max(memo_len, index + 1)
                top = stack[-1] if stack else None
                if isinstance(top, str) and len(memo) < _PICKLE_MAX_MEMO:
                    memo[index] = top
                else:
                    memo.pop(index, None)
                continue
            if name == "DUP":
                stack.append(stack[-1] if stack else None)
                continue
            if name in _STRING_OPS:
                pushed = arg if isinstance(arg, str) else None
            elif name in _GET_OPS:
                pushed = memo.get(_memo_index(arg))
            elif name == "STACK_GLOBAL":
                pair = stack[-2:]
                if len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], str):
                    scan.globals.add(clip(f"{pair[0]}.{pair[1]}"))
                else:
                    scan.globals.add(UNRESOLVED_GLOBAL)
            elif name in _EXT_OPS:
                scan.globals.add(UNRESOLVED_GLOBAL)
            else:  # GLOBAL, INST
                module, _, attr = str(arg).partition(" ")
                scan.globals.add(clip(f"{module}.{attr}"))
        to_mark, popped, pushes, pushes_mark = effects[name]
        if to_mark:
            del stack[marks.pop() if marks else 0 :]  # pop through the topmost MARK
        if popped:
            del stack[max(0, len(stack) - popped) :]
        if marks and marks[-1] >= len(stack):
            while marks and marks[-1] >= len(stack):
                marks.pop()
        if pushes_mark:
            marks.append(len(stack))
            stack.append(_MARK)
        elif pushes == 1:
            stack.append(pushed)
        elif pushes:
            stack.extend([None] * pushes)
    return False


def _memo_index(arg: object) -> int:
    return arg if isinstance(arg, int) else -1


# ---------------------------------------------------------------------------------- zip

ZIP_MAGIC = b"PK\x03\x04"
ZIP_MAX_MEMBERS = 10_000
_ZIP_LOCAL = struct.Struct("<IHHHHHIIIHH")
_ZIP64_EXTRA = 0x0001


@dataclass(frozen=True, slots=True)
class ZipMember:
    """A member named by a local file header; ``size`` is None when not recorded there."""

    name: str
    method: int
    offset: int  # where its (compressed) data starts in the file
    size: int | None


def zip_members(data: bytes) -> Iterator[ZipMember]:
    """Members listed by the local file headers found one after another in *data*.

    Only names and positions are read; nothing is extracted. The listing stops at the
    central directory, at the end of the prefix, at a member whose size is recorded only
    in a trailing data descriptor, or after :data:`ZIP_MAX_MEMBERS` members.
    """
    pos = 0
    for _ in range(ZIP_MAX_MEMBERS):
        if data[pos : pos + 4] != ZIP_MAGIC or pos + _ZIP_LOCAL.size > len(data):
            return
        (_sig, _ver, flags, method, _t, _d, _crc, csize, usize, nlen, xlen) = (
            _ZIP_LOCAL.unpack_from(data, pos)
        )
        name_at = pos + _ZIP_LOCAL.size
        start = name_at + nlen + xlen
        if start > len(data):
            return
        name = data[name_at : name_at + nlen].decode(
            "utf-8" if flags & 0x800 else "cp437", errors="replace"
        )
        if csize == 0xFFFFFFFF or usize == 0xFFFFFFFF:
            csize = _zip64_size(data[name_at + nlen : start], csize, usize)
        size: int | None = csize
        if flags & 0x08 and csize == 0:
            size = None  # sizes follow the data in a data descriptor
        yield ZipMember(name=name, method=method, offset=start, size=size)
        if size is None:
            return
        pos = start + size


def _zip64_size(extra: bytes, csize: int, usize: int) -> int:
    """The compressed size from a zip64 extra field (uncompressed size comes first)."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == _ZIP64_EXTRA:
            values = [v for (v,) in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
            if usize == 0xFFFFFFFF and values:
                values.pop(0)
            if csize == 0xFFFFFFFF and values:
                size: int = values[0]
                return size
            return csize
        pos += 4 + length
    return csize


def member_bytes(data: bytes, member: ZipMember, limit: int) -> bytes:
    """Up to *limit* bytes of a member's content, from the prefix only (stored/deflate).

    Decompression is bounded by *limit* whatever the compression ratio; an unsupported
    method or a corrupt stream gives ``b""``.
    """
    end = len(data) if member.size is None else min(len(data), member.offset + member.size)
    if member.offset >= end:
        return b""
    raw = memoryview(data)[member.offset : end]
    if member.method == 0:
        return bytes(raw[:limit])
    if member.method == 8:
        try:
            return zlib.decompressobj(-15).decompress(raw, limit)
        except zlib.error:
            return b""
    return b""


# --------------------------------------------------------------------------------- ONNX

_ONNX_VARINT_FIELDS = frozenset({1, 5})
_ONNX_BYTES_FIELDS = frozenset({2, 3, 4, 6, 7, 8, 14, 20, 25})
_ONNX_KNOWN_FIELDS = _ONNX_VARINT_FIELDS | _ONNX_BYTES_FIELDS
_ONNX_METADATA_MAX = 256


@dataclass(slots=True)
class OnnxHeader:
    """Top-level fields of an ONNX ``ModelProto``; ``complete`` is False when the prefix
    ended before the last field (``metadata_props`` come after the graph)."""

    ir_version: int | None = None
    producer_name: str | None = None
    producer_version: str | None = None
    domain: str | None = None
    model_version: int | None = None
    opsets: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    complete: bool = True


class _End(Exception):
    """The bytes ran out in the middle of a protobuf field."""


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 70, 7):
        if pos >= end:
            raise _End
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
    raise CrawlError("not an ONNX model (invalid protobuf varint)")


def _fields(data: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, value or length, position of the value/body)."""
    while pos < end:
        key, pos = _varint(data, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise CrawlError("not an ONNX model (invalid protobuf field)")
        if wire == 0:
            value, pos = _varint(data, pos, end)
            yield number, wire, value, pos
        elif wire == 2:
            length, body = _varint(data, pos, end)
            yield number, wire, length, body
            pos = body + length
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            yield number, wire, width, pos
            pos += width
        else:
            raise CrawlError("not an ONNX model (unsupported protobuf wire type)")


def read_onnx(data: bytes, size: int) -> OnnxHeader:
    """Read the top-level fields of an ONNX model, skipping over the graph."""
    if size == 0 or not data:
        raise ShortFile()
    header = OnnxHeader()
    seen = 0
    try:
        for number, wire, value, pos in _fields(data, 0, len(data)):
            expected = 0 if number in _ONNX_VARINT_FIELDS else 2
            if number in _ONNX_KNOWN_FIELDS and wire != expected:
                raise CrawlError("not an ONNX model (field of the wrong type)")
            if seen == 0 and number not in _ONNX_KNOWN_FIELDS:
                raise CrawlError("not an ONNX model (unexpected first field)")
            seen += 1
            if wire == 2 and pos + value > size:
                raise CrawlError(f"field {number} of {value} bytes runs past the end of the file")
            if wire == 2 and pos + value > len(data):
                header.complete = False
                break
            _onnx_field(header, data, number, value, pos)
    except _End:
        header.complete = False
    if header.ir_version is None and header.producer_name is None and not header.opsets:
        raise CrawlError("not an ONNX model (no ir_version)")
    return header


def _onnx_text(data: bytes, pos: int, length: int) -> str:
    return clip(data[pos : pos + min(length, 4 * VALUE_MAX_CHARS)].decode("utf-8", "replace"))


def _onnx_field(header: OnnxHeader, data: bytes, number: int, value: int, pos: int) -> None:
    if number == 1:
        header.ir_version = value
    elif number == 5:
        header.model_version = value
    elif number == 2:
        header.producer_name = _onnx_text(data, pos, value)
    elif number == 3:
        header.producer_version = _onnx_text(data, pos, value)
    elif number == 4:
        header.domain = _onnx_text(data, pos, value)
    elif number == 8 and len(header.opsets) < 16:
        domain, version = "ai.onnx", None
        for sub, wire, sub_value, sub_pos in _fields(data, pos, pos + value):
            if wire == 2 and sub_pos + sub_value > pos + value:
                break
            if sub == 1 and wire == 2:
                domain = _onnx_text(data, sub_pos, sub_value) or "ai.onnx"
            elif sub == 2 and wire == 0:
                version = sub_value
        header.opsets.append(f"{domain}:{version}" if version is not None else domain)
    elif number == 14 and len(header.metadata) < _ONNX_METADATA_MAX:
        key = text = None
        for sub, wire, sub_value, sub_pos in _fields(data, pos, pos + value):
            if wire == 2 and sub_pos + sub_value > pos + value:
                break
            if sub == 1 and wire == 2:
                key = _onnx_text(data, sub_pos, sub_value)
            elif sub == 2 and wire == 2:
                text = _onnx_text(data, sub_pos, sub_value)
        if key is not None and text is not None:
            header.metadata[key] = text


# ---------------------------------------------------------------------------------- npy

NPY_MAGIC = b"\x93NUMPY"
_NPY_MAX_HEADER = 65_536
_NPY_DESCR = re.compile(r"""['"]descr['"]\s*:\s*(?:'([^']{1,64})'|"([^"]{1,64})"|(\[))""")
_NPY_OBJECT = re.compile(r"""['"][|<>=]?O[0-9]*['"]""")
_NPY_SHAPE = re.compile(r"""['"]shape['"]\s*:\s*\(([0-9,\sL]{0,200})\)""")


@dataclass(frozen=True, slots=True)
class NpyHeader:
    """The dtype and shape of a ``.npy`` array; ``data_offset`` is where its data begins."""

    version: str
    dtype: str
    shape: str
    data_offset: int
    holds_objects: bool  # object arrays are stored as a pickle after the header


def read_npy(data: bytes, size: int) -> NpyHeader:
    """Parse the ``.npy`` header (a Python dict literal, read with regexes only)."""
    if len(data) < 10:
        if size < 10 and NPY_MAGIC[: len(data)] == data[:6]:
            raise ShortFile()
        raise CrawlError("not a .npy file (bad magic)")
    if data[:6] != NPY_MAGIC:
        raise CrawlError("not a .npy file (bad magic)")
    major, minor = data[6], data[7]
    if major == 1:
        (length,) = struct.unpack_from("<H", data, 8)
        start = 10
    elif major in (2, 3):
        if len(data) < 12:
            raise ShortFile()
        (length,) = struct.unpack_from("<I", data, 8)
        start = 12
    else:
        raise CrawlError(f"unsupported .npy version {major}.{minor}")
    if length > _NPY_MAX_HEADER:
        raise CrawlError(f"declared .npy header length {length} exceeds the 64 KiB limit")
    if start + length > len(data):
        raise CrawlError(f"truncated header: {length} bytes declared")
    text = data[start : start + length].decode("utf-8" if major == 3 else "latin-1", "replace")
    descr = _NPY_DESCR.search(text)
    if descr is None:
        raise CrawlError("not a .npy file (no descr in header)")
    dtype = "structured" if descr.group(3) else (descr.group(1) or descr.group(2))
    shape_match = _NPY_SHAPE.search(text)
    shape = ""
    if shape_match is not None:
        dims = [d.strip().rstrip("L") for d in shape_match.group(1).split(",") if d.strip()]
        shape = "x".join(dims) if dims else "scalar"
    return NpyHeader(
        version=f"{major}.{minor}",
        dtype=dtype,
        shape=shape,
        data_offset=start + length,
        holds_objects=_NPY_OBJECT.search(text) is not None,
    )


# -------------------------------------------------------------------------------- Keras

_KERAS_MAX_NODES = 200_000
_KERAS_MODULES = ("keras", "tf_keras", "tensorflow.keras", "keras_hub", "keras_nlp", "keras_cv")


def keras_risky_layers(config: bytes) -> list[str]:
    """Lambda layers and classes from outside Keras named in a ``.keras`` config.json.

    Loading such a model runs their code (Lambda layers hold marshalled bytecode).
    Unparseable config gives ``[]``: the caller reports the generic Keras risk anyway.
    """
    try:
        document = json.loads(config.decode("utf-8"))
    except (ValueError, RecursionError, MemoryError):
        return []
    found: set[str] = set()
    stack: list[object] = [document]
    seen = 0
    while stack and seen < _KERAS_MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            class_name = node.get("class_name")
            module = node.get("module")
            if class_name == "Lambda":
                found.add("Lambda")
            elif (
                isinstance(class_name, str)
                and isinstance(module, str)
                and not module.startswith(_KERAS_MODULES)
            ):
                found.add(clip(f"{module}.{class_name}", 120))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)[:32]
