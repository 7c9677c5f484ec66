"""The weights crawler and its bounded header readers: real bytes, built by hand."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import random
import struct
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import ModuleType

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.headers import (
    UNRESOLVED_GLOBAL,
    is_dangerous_global,
    read_gguf,
    read_safetensors,
    scan_pickle,
)
from modelbom.crawlers.hf_files import HfFilesCrawler
from modelbom.crawlers.weights import PICKLE_RISK, WeightsCrawler, hub_id_from_url
from modelbom.engine import scan
from modelbom.model import Finding, Kind, Scope
from modelbom.options import ScanOptions
from tests.support import REPO, crawler_golden

MIB = 1024 * 1024

# ------------------------------------------------------------------------------ helpers


def crawl(path: str, data: bytes, *, size: int | None = None) -> list[Finding]:
    """Crawl *data* as the engine would hand it over (a prefix when size > len(data))."""
    real = len(data) if size is None else size
    file = FileInput(path=path, data=data, size=real, truncated=len(data) < real)
    return list(WeightsCrawler().crawl(file))


def model_file(findings: list[Finding]) -> Finding:
    files = [f for f in findings if f.kind is Kind.MODEL_FILE]
    assert len(files) == 1, findings
    return files[0]


def refs(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [
        (f.kind.value, f.id, f.properties.get("relation", ""))
        for f in findings
        if f.kind is not Kind.MODEL_FILE
    ]


def crawl_error(path: str, data: bytes, *, size: int | None = None) -> str:
    with pytest.raises(CrawlError) as info:
        crawl(path, data, size=size)
    return str(info.value)


def st_bytes(header: object, *, raw: bytes | None = None, data: bytes = b"") -> bytes:
    """A safetensors file: u64 length, header JSON (or *raw* header bytes), data."""
    body = raw if raw is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(body)) + body + data


def gguf_str(text: str | bytes, *, v1: bool = False) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<I" if v1 else "<Q", len(raw)) + raw


def gguf_kv_str(key: str, value: str, *, v1: bool = False) -> bytes:
    return gguf_str(key, v1=v1) + struct.pack("<I", 8) + gguf_str(value, v1=v1)


def gguf_kv_u32(key: str, value: int) -> bytes:
    return gguf_str(key) + struct.pack("<II", 4, value)


def gguf_file(kvs: list[bytes], *, version: int = 3, tensors: int = 0) -> bytes:
    """A GGUF header, its key/values and *tensors* tensor infos (one F32 value each)."""
    counts = (
        struct.pack("<II", tensors, len(kvs))
        if version == 1
        else struct.pack("<QQ", tensors, len(kvs))
    )
    infos = b"".join(
        gguf_str(f"t.{i}", v1=version == 1)
        + struct.pack("<II" if version == 1 else "<IQ", 1, 1)
        + struct.pack("<IQ", 0, 32 * i)
        for i in range(tensors)
    )
    return b"GGUF" + struct.pack("<I", version) + counts + b"".join(kvs) + infos


def binunicode(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def short_unicode(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def system_reduce(command: str) -> bytes:
    """``posix.system(command)`` on load, written opcode by opcode (never pickled)."""
    return b"\x80\x02cposix\nsystem\n" + binunicode(command) + b"\x85R."


def state_dict_pickle() -> bytes:
    """A protocol 2 state dict with one tensor, the way torch.save writes data.pkl."""
    return (
        b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01("
        + binunicode("fc.weight")
        + b"ctorch._utils\n_rebuild_tensor_v2\n(("
        + binunicode("storage")
        + b"ctorch\nFloatStorage\n"
        + binunicode("0")
        + binunicode("cpu")
        + b"K\x04tQK\x00K\x04\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtRu."
    )


def zip_bytes(members: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return out.getvalue()


def pb_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pb_field(number: int, body: bytes) -> bytes:
    return pb_varint(number << 3 | 2) + pb_varint(len(body)) + body


# ------------------------------------------------------------------------------ wants


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("model.safetensors", True),
        ("m/q4.GGUF", True),
        ("pytorch_model.bin", True),
        ("ckpt/last.ckpt", True),
        ("clf.joblib", True),
        ("model.onnx", True),
        ("model.keras", True),
        ("model.h5", True),
        ("vectors.npy", True),
        ("gensim/w2v.model", True),
        ("config.json", False),
        ("weights.txt", False),
        ("model.py", False),
    ],
)
def test_wants_weight_extensions(path: str, wanted: bool) -> None:
    assert WeightsCrawler().wants(PurePosixPath(path), 10) is wanted


# ------------------------------------------------------------------------- safetensors


def test_safetensors_metadata_and_tensor_statistics() -> None:
    header = {
        "__metadata__": {
            "format": "pt",
            "modelspec.architecture": "stable-diffusion-xl-v1-base",
            "modelspec.title": "Juggernaut XL",
            "modelspec.license": "creativeml-openrail-m",
            "modelspec.author": "KandooAI",
            "unrelated": "not reported",
        },
        "a.weight": {"dtype": "F16", "shape": [4, 8], "data_offsets": [0, 64]},
        "a.bias": {"dtype": "F32", "shape": [4], "data_offsets": [64, 80]},
    }
    findings = crawl("checkpoints/juggernaut.safetensors", st_bytes(header, data=bytes(80)))
    f = model_file(findings)
    assert f.id == "checkpoints/juggernaut.safetensors"
    assert f.properties == {
        "format": "safetensors",
        "framework": "pt",
        "modelspec.architecture": "stable-diffusion-xl-v1-base",
        "modelspec.author": "KandooAI",
        "modelspec.license": "creativeml-openrail-m",
        "modelspec.title": "Juggernaut XL",
        "tensor_count": "2",
        "parameter_count": "36",
        "dtypes": "F16,F32",
    }
    assert (f.evidence.line, f.evidence.column, f.evidence.crawler) == (1, 1, "weights")
    assert f.evidence.scope is Scope.CODE
    assert refs(findings) == []


def test_kohya_lora_names_its_hub_base_model() -> None:
    header = {
        "__metadata__": {
            "ss_sd_model_name": "stabilityai/stable-diffusion-xl-base-1.0",
            "ss_network_module": "networks.lora",
            "ss_base_model_version": "sdxl_base_v1-0",
            "ss_output_name": "pixel-art",
        },
        "lora_unet_x.lora_down.weight": {"dtype": "F16", "shape": [4, 4], "data_offsets": [0, 32]},
    }
    findings = crawl("loras/pixel-art.safetensors", st_bytes(header, data=bytes(32)))
    assert model_file(findings).properties["kind_hint"] == "adapter"
    assert refs(findings) == [("model", "stabilityai/stable-diffusion-xl-base-1.0", "base")]


@pytest.mark.parametrize(
    "base",
    [
        "/content/drive/sd_xl_base_1.0.safetensors",
        "sd_xl_base_1.0.safetensors",
        "model",
        "your-org/your-model",
    ],
)
def test_kohya_base_that_is_not_a_hub_id_is_only_a_property(base: str) -> None:
    header = {"__metadata__": {"ss_sd_model_name": base}}
    findings = crawl("lora.safetensors", st_bytes(header))
    assert refs(findings) == []
    assert model_file(findings).properties["ss_sd_model_name"] == base


def test_peft_lora_tensor_names_mark_an_adapter() -> None:
    name = "base_model.model.layers.0.q_proj.lora_A.weight"
    header = {name: {"dtype": "F32", "shape": [8, 16], "data_offsets": [0, 512]}}
    f = model_file(crawl("adapter_model.safetensors", st_bytes(header, data=bytes(512))))
    assert f.properties["kind_hint"] == "adapter"


def test_safetensors_duplicate_keys_take_the_last_value() -> None:
    raw = b'{"__metadata__":{"ss_output_name":"first"},"__metadata__":{"ss_output_name":"last"}}'
    f = model_file(crawl("x.safetensors", st_bytes(None, raw=raw)))
    assert f.properties["ss_output_name"] == "last"


def test_safetensors_metadata_strings_are_truncated() -> None:
    header = {"__metadata__": {"modelspec.title": "A" * 50_000}}
    f = model_file(crawl("x.safetensors", st_bytes(header)))
    assert len(f.properties["modelspec.title"]) == 200


def test_safetensors_detected_by_content_behind_another_extension() -> None:
    header = {"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    f = model_file(crawl("model.bin", st_bytes(header, data=bytes(4))))
    assert f.properties["format"] == "safetensors"


@pytest.mark.parametrize(
    ("data", "size", "reason"),
    [
        pytest.param(struct.pack("<Q", 0) + b"{}", None, "declared header length 0", id="zero"),
        pytest.param(
            struct.pack("<Q", 2**63) + b"{}",
            None,
            f"declared header length {2**63} exceeds the 100,000,000-byte limit",
            id="2**63",
        ),
        pytest.param(
            struct.pack("<Q", 100_000_001) + b"{}",
            200_000_000,
            "declared header length 100000001 exceeds the 100,000,000-byte limit",
            id="over-100MB",
        ),
        pytest.param(
            struct.pack("<Q", 4096) + b"{}",
            None,
            "declared header length 4096 exceeds the file size (10 bytes)",
            id="past-file-size",
        ),
        pytest.param(
            struct.pack("<Q", 20 * MIB) + b"{" + bytes(100),
            1 << 34,
            "header larger than the",
            id="past-read-cap",
        ),
        pytest.param(st_bytes([1, 2, 3]), None, "header is not a JSON object", id="array"),
        pytest.param(st_bytes(None, raw=b'"{"'), None, "not a JSON object", id="string"),
        pytest.param(
            st_bytes(None, raw=b'{"a": "\xff\xfe"}'), None, "not valid UTF-8", id="bad-utf8"
        ),
        pytest.param(
            st_bytes(None, raw=b'{"a":' * 100_000), None, "nested too deeply", id="100k-deep"
        ),
        pytest.param(st_bytes(None, raw=b'{"a": tru}'), None, "invalid header JSON", id="bad-json"),
    ],
)
def test_safetensors_lying_or_garbage_headers_are_rejected(
    data: bytes, size: int | None, reason: str
) -> None:
    assert reason in crawl_error("model.safetensors", data, size=size)


def test_safetensors_tensor_data_past_the_end_of_the_file_is_rejected() -> None:
    header = {"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}}
    reason = crawl_error("model.safetensors", st_bytes(header, data=bytes(16)))
    assert (
        reason
        == "tensor 'w' ends at byte 64 of the data, past the end of the file (16 bytes of data)"
    )
    # Only the prefix is at hand, but the file is long enough: fine.
    data = st_bytes(header, data=bytes(16))
    f = model_file(crawl("model.safetensors", data, size=len(data) + 48))
    assert f.properties["parameter_count"] == "16"


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param({"dtype": "F32", "shape": [2, 2]}, id="no-offsets"),
        pytest.param({"dtype": "F32", "shape": [2, 2], "data_offsets": "0-16"}, id="bad-offsets"),
        pytest.param({"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 0]}, id="reversed"),
        pytest.param({"dtype": "F32", "shape": [1 << 40], "data_offsets": [0, 16]}, id="too-many"),
    ],
)
def test_safetensors_parameters_are_counted_only_when_the_file_holds_them(
    entry: dict[str, object],
) -> None:
    f = model_file(crawl("model.safetensors", st_bytes({"w": entry}, data=bytes(16))))
    assert f.properties["tensor_count"] == "1"
    assert "parameter_count" not in f.properties


def test_safetensors_header_length_checked_before_allocating() -> None:
    # 2**40 would make a naive reader try to allocate a terabyte.
    data = struct.pack("<Q", 1 << 40) + b"{}"
    with pytest.raises(CrawlError, match="1099511627776"):
        read_safetensors(data, 1 << 41, capped=True)


@pytest.mark.parametrize("cap", [16 * MIB, 16 * MIB + 8], ids=["engine-cap", "crawler-cap"])
def test_safetensors_read_cap_message_names_the_cap(cap: int) -> None:
    data = struct.pack("<Q", 20 * MIB) + b"{" + bytes(cap - 9)
    reason = crawl_error("big.safetensors", data, size=1 << 34)
    assert reason.startswith("header larger than the 16 MiB read cap")


# -------------------------------------------------------------------------------- GGUF


def tinyllama_kvs() -> list[bytes]:
    hub = "https://huggingface.co"
    return [
        gguf_kv_str("general.architecture", "llama"),
        gguf_kv_str("general.type", "model"),
        gguf_kv_str("general.name", "TinyLlama 1.1B Chat v1.0"),
        gguf_kv_str("general.license", "apache-2.0"),
        gguf_kv_str("general.license.link", "https://www.apache.org/licenses/LICENSE-2.0"),
        gguf_kv_u32("general.base_model.count", 2),
        gguf_kv_str("general.base_model.0.name", "TinyLlama 1.1B Intermediate Step 1431k 3T"),
        gguf_kv_str("general.base_model.0.organization", "TinyLlama"),
        gguf_kv_str(
            "general.base_model.0.repo_url",
            f"{hub}/TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
        ),
        gguf_kv_str("general.base_model.1.name", "Meta Llama"),  # no repo_url: property only
        gguf_kv_u32("general.dataset.count", 3),
        gguf_kv_str("general.dataset.0.repo_url", f"{hub}/cerebras/SlimPajama-627B"),
        gguf_kv_str("general.dataset.1.repo_url", f"{hub}/datasets/HuggingFaceH4/ultrachat_200k"),
        gguf_kv_str("general.dataset.2.repo_url", "https://example.com/data/private"),
        gguf_kv_str("general.source.repo_url", f"{hub}/TinyLlama/TinyLlama-1.1B-Chat-v1.0"),
        gguf_kv_str("general.quantized_by", "TheBloke"),
        gguf_kv_u32("general.file_type", 15),
        # A tokenizer: arrays of strings and of floats, walked over and never kept.
        gguf_str("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, 3)
        + b"".join(gguf_str(t) for t in ("<unk>", "<s>", "</s>")),
        gguf_str("tokenizer.ggml.scores") + struct.pack("<IIQ", 9, 6, 3) + bytes(12),
        gguf_kv_u32("llama.context_length", 2048),
    ]


def test_gguf_v3_general_keys_base_models_and_datasets() -> None:
    findings = crawl("models/tinyllama.Q4_K_M.gguf", gguf_file(tinyllama_kvs(), tensors=201))
    f = model_file(findings)
    assert f.properties["format"] == "gguf"
    assert f.properties["gguf_version"] == "3"
    assert f.properties["tensor_count"] == "201"
    assert f.properties["general.architecture"] == "llama"
    assert f.properties["general.name"] == "TinyLlama 1.1B Chat v1.0"
    assert f.properties["general.license"] == "apache-2.0"
    assert f.properties["general.quantized_by"] == "TheBloke"
    assert f.properties["general.file_type"] == "MOSTLY_Q4_K_M"
    assert f.properties["general.base_model.1.name"] == "Meta Llama"
    assert "llama.context_length" not in f.properties
    assert "kind_hint" not in f.properties
    assert sorted(refs(findings)) == [
        ("dataset", "HuggingFaceH4/ultrachat_200k", ""),
        ("dataset", "cerebras/SlimPajama-627B", ""),
        ("model", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "source"),
        ("model", "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", "base"),
    ]


def test_gguf_adapter_names_the_base_of_the_adapter() -> None:
    kvs = [
        gguf_kv_str("general.type", "adapter"),
        gguf_kv_str("adapter.type", "lora"),
        gguf_kv_u32("general.base_model.count", 1),
        gguf_kv_str(
            "general.base_model.0.repo_url", "https://huggingface.co/meta-llama/Llama-3.2-1B"
        ),
    ]
    findings = crawl("lora.gguf", gguf_file(kvs))
    f = model_file(findings)
    assert (f.properties["kind_hint"], f.properties["adapter.type"]) == ("adapter", "lora")
    assert refs(findings) == [("model", "meta-llama/Llama-3.2-1B", "base-of-adapter")]


def test_gguf_v1_has_32_bit_lengths() -> None:
    data = gguf_file([gguf_kv_str("general.name", "old", v1=True)], version=1)
    assert model_file(crawl("old.gguf", data)).properties["general.name"] == "old"


def test_gguf_array_of_arrays_is_skipped() -> None:
    inner = struct.pack("<IQ", 4, 2) + bytes(8)
    nested = gguf_str("x.nested") + struct.pack("<IIQ", 9, 9, 2) + inner + inner
    data = gguf_file([nested, gguf_kv_str("general.name", "after")])
    assert model_file(crawl("n.gguf", data)).properties["general.name"] == "after"


def test_gguf_metadata_past_the_read_cap() -> None:
    data = gguf_file(tinyllama_kvs())
    reason = crawl_error("big.gguf", data[:200], size=5 * 1024**3)
    assert reason == "GGUF metadata larger than the read cap"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"GGML" + bytes(20), "bad GGUF magic", id="bad-magic"),
        pytest.param(
            b"GGUF" + struct.pack("<IQQ", 99, 0, 0), "unsupported GGUF version 99", id="v99"
        ),
        pytest.param(b"GGUF" + struct.pack(">IQQ", 3, 0, 0), "big-endian GGUF", id="big-endian"),
        pytest.param(
            b"GGUF" + struct.pack("<IQQ", 3, 0, 2**64 - 1),
            f"key/value count {2**64 - 1} exceeds the 100,000 limit",
            id="kv-count-2**64-1",
        ),
        pytest.param(
            b"GGUF" + struct.pack("<IQQ", 3, 0, 1000),
            "key/value count 1000 is more than the file can hold",
            id="kv-count-past-eof",
        ),
        pytest.param(
            gguf_file([struct.pack("<Q", 2**60) + b"general.name" + bytes(13)]),
            "key length 1152921504606846976 exceeds",
            id="key-length-huge",
        ),
        pytest.param(
            gguf_file([gguf_str("general.name") + struct.pack("<IQ", 8, 500) + b"abc" + bytes(8)]),
            "truncated header: string runs past the end of the file",
            id="string-length-past-eof",
        ),
        pytest.param(
            gguf_file([gguf_str("k") + struct.pack("<IIQ", 9, 4, 2**40) + bytes(8)]),
            "array length 1099511627776 exceeds",
            id="array-length-huge",
        ),
        pytest.param(
            gguf_file([gguf_str("k") + struct.pack("<IIQ", 9, 8, 1_000_000) + bytes(16)]),
            "array length 1000000 is more than the file can hold",
            id="string-array-past-eof",
        ),
        pytest.param(
            gguf_file([gguf_str("k") + struct.pack("<IIQIQIQ", 9, 9, 1, 9, 1, 9, 1) + bytes(16)]),
            "GGUF arrays nested deeper than 2",
            id="nested-3",
        ),
        pytest.param(
            gguf_file([gguf_str("k") + struct.pack("<I", 77) + bytes(16)]),
            "unknown GGUF value type 77",
            id="bad-type",
        ),
        pytest.param(
            gguf_file(tinyllama_kvs())[:300],
            "truncated header",
            id="cut-mid-metadata",
        ),
        pytest.param(
            gguf_file([gguf_kv_str("general.name", "x")], tensors=3)[:-40],
            "tensor count 3 is more than the file can hold",
            id="tensor-count-past-eof",
        ),
        pytest.param(
            b"GGUF" + struct.pack("<IQQ", 3, 10_000_000, 0) + bytes(64),
            "tensor count 10000000 is more than the file can hold",
            id="tensor-count-huge",
        ),
    ],
)
def test_gguf_bad_headers_are_rejected(data: bytes, reason: str) -> None:
    assert reason in crawl_error("model.gguf", data)


def test_gguf_reader_never_loops_on_the_declared_count() -> None:
    # 100,000 declared keys in a 40-byte file: rejected before the loop starts.
    data = b"GGUF" + struct.pack("<IQQ", 3, 0, 100_000) + bytes(16)
    started = time.perf_counter()
    with pytest.raises(CrawlError):
        read_gguf(data, len(data))
    assert time.perf_counter() - started < 0.5


# ------------------------------------------------------------------------------ pickle

_AUDIT_EVENTS: list[str] = []
_AUDITING: list[bool] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _AUDITING and event in ("pickle.find_class", "os.system", "subprocess.Popen", "exec"):
        _AUDIT_EVENTS.append(event)


sys.addaudithook(_audit)


def test_posix_system_reduce_is_reported_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = system_reduce(f"touch {marker}")
    _AUDIT_EVENTS.clear()
    _AUDITING.append(True)
    try:
        findings = crawl("third_party/pytorch_model.bin", payload)
    finally:
        _AUDITING.clear()
    f = model_file(findings)
    assert f.properties["format"] == "pickle"
    assert f.properties["risk"] == PICKLE_RISK
    assert f.properties["pickle_globals"] == "posix.system"
    assert f.properties["risk_globals"] == "posix.system"
    assert not marker.exists()
    assert _AUDIT_EVENTS == []


def test_pickle_behind_a_safe_extension_is_detected_by_magic(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    f = model_file(crawl("model.safetensors", system_reduce(f"touch {marker}")))
    assert f.properties["format"] == "pickle"
    assert f.properties["extension_mismatch"] == "named .safetensors but holds pickle"
    assert f.properties["risk_globals"] == "posix.system"
    assert not marker.exists()


def test_stack_global_resolved_through_the_memo() -> None:
    body = (
        short_unicode("builtins")
        + b"\x94"  # MEMOIZE -> 0
        + short_unicode("eval")
        + b"\x94"  # MEMOIZE -> 1
        + b"0"  # POP
        + b"0"  # POP
        + b"h\x00h\x01\x93"  # BINGET 0, BINGET 1, STACK_GLOBAL
        + short_unicode("1+1")
        + b"\x85R."
    )
    result = scan_pickle(b"\x80\x04" + body)
    assert result.globals == {"builtins.eval"}
    assert result.risky_globals == ["builtins.eval"]
    assert not result.partial


@pytest.mark.parametrize(
    "games",
    [
        pytest.param(short_unicode("collections") + b"0", id="pop"),
        pytest.param(b"(" + short_unicode("a") + short_unicode("b") + b"1", id="pop-mark"),
        pytest.param(b"(" + short_unicode("collections") + b"l0", id="list-pop"),
    ],
)
def test_stack_games_do_not_hide_a_stack_global(games: bytes) -> None:
    # The stack holds "os", "system" when STACK_GLOBAL runs, whatever came in between.
    body = short_unicode("os") + short_unicode("system") + games + b"\x93)R."
    result = scan_pickle(b"\x80\x04" + body)
    assert result.globals == {"os.system"}


def test_unresolvable_stack_global_counts_as_dangerous() -> None:
    body = b"K\x01K\x02\x93."  # STACK_GLOBAL over two integers: not statically known
    result = scan_pickle(b"\x80\x04" + body)
    assert result.globals == {UNRESOLVED_GLOBAL}
    assert result.risky_globals == [UNRESOLVED_GLOBAL]


@pytest.mark.parametrize(
    ("name", "dangerous"),
    [
        ("posix.system", True),
        ("os.system", True),
        ("subprocess.Popen", True),
        ("builtins.exec", True),
        ("builtins.getattr", True),
        ("runpy._run_code", True),
        ("collections.OrderedDict", False),
        ("torch._utils._rebuild_tensor_v2", False),
        ("builtins.set", False),
        ("types.FunctionType", True),
        ("types.SimpleNamespace", False),
        ("pathlib.PosixPath", False),
        ("numpy.core.multiarray._reconstruct", False),
    ],
)
def test_dangerous_globals(name: str, dangerous: bool) -> None:
    assert is_dangerous_global(name) is dangerous


def test_legacy_torch_save_globals_after_the_first_pickles() -> None:
    magic = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."  # LONG1 magic number
    protocol = b"\x80\x02M\xe9\x03."  # BININT2 1001
    data = magic + protocol + state_dict_pickle() + b"\x80\x02]q\x00X\x01\x00\x000." + bytes(64)
    f = model_file(crawl("old/model.pth", data))
    assert f.properties["format"] == "pickle"
    assert "torch._utils._rebuild_tensor_v2" in f.properties["pickle_globals"]
    assert "risk_globals" not in f.properties
    assert "pickle_scan" not in f.properties


def test_pickle_cut_by_the_read_cap_keeps_what_it_saw() -> None:
    data = state_dict_pickle()
    cut = data[: data.index(b"ctorch\n")]
    f = model_file(crawl("model.pt", cut, size=3 * 1024**3))
    assert f.properties["pickle_scan"] == "incomplete"
    assert "torch._utils._rebuild_tensor_v2" in f.properties["pickle_globals"]


def test_opcode_cap_stops_the_walk() -> None:
    result = scan_pickle(state_dict_pickle(), max_ops=5)
    assert result.capped
    assert result.partial


@pytest.mark.parametrize(
    ("path", "data"),
    [
        pytest.param("data/features.bin", struct.pack("<64f", *range(64)), id="raw-floats"),
        pytest.param("data/blob.bin", b"\x80\x02\xff\xff\xff\xff" + bytes(64), id="pickle-magic"),
        pytest.param("tokenizer.model", b"\n\x0e\n\x05<unk>" + bytes(64), id="sentencepiece"),
    ],
)
def test_unrecognised_binary_is_not_a_model_file(path: str, data: bytes) -> None:
    assert crawl(path, data) == []


def test_protocol_0_pickle_by_extension() -> None:
    data = b"cos\nsystem\n(S'echo hi'\ntR."
    f = model_file(crawl("legacy/model.pkl", data))
    assert f.properties["risk_globals"] == "os.system"


def test_compressed_joblib_is_flagged_without_inspection() -> None:
    f = model_file(crawl("clf.joblib", b"\x78\x9c" + bytes(32)))
    assert f.properties["format"] == "joblib-compressed"
    assert f.properties["risk"] == PICKLE_RISK


# -------------------------------------------------------------------------------- zips


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"]
)
def test_pytorch_zip_lists_globals_of_its_data_pkl(compression: int) -> None:
    data = zip_bytes(
        [
            ("archive/data.pkl", state_dict_pickle()),
            ("archive/data/0", bytes(16)),
            ("archive/version", b"3\n"),
        ],
        compression=compression,
    )
    f = model_file(crawl("checkpoints/model.pt", data))
    assert f.properties["format"] == "pytorch-zip"
    assert f.properties["pickle_member"] == "archive/data.pkl"
    assert f.properties["pickle_globals"] == (
        "collections.OrderedDict,torch.FloatStorage,torch._utils._rebuild_tensor_v2"
    )
    assert f.properties["risk"] == PICKLE_RISK


def test_pytorch_zip_with_an_exploit_in_data_pkl(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = zip_bytes([("archive/data.pkl", system_reduce(f"touch {marker}"))])
    f = model_file(crawl("model.ckpt", data))
    assert f.properties["risk_globals"] == "posix.system"
    assert not marker.exists()


def test_keras_archive_with_lambda_and_custom_layers() -> None:
    config = {
        "module": "keras",
        "class_name": "Functional",
        "config": {
            "layers": [
                {"module": "keras.layers", "class_name": "Dense", "config": {}},
                {"module": "keras.layers", "class_name": "Lambda", "config": {}},
                {"module": "my_project.layers", "class_name": "Attention", "config": {}},
            ]
        },
    }
    data = zip_bytes(
        [
            ("metadata.json", b'{"keras_version": "3.3.3"}'),
            ("config.json", json.dumps(config).encode()),
            ("model.weights.h5", b"\x89HDF\r\n\x1a\n"),
        ]
    )
    f = model_file(crawl("model.keras", data))
    assert f.properties["format"] == "keras"
    assert f.properties["risk"] == "keras: loading may execute custom/Lambda layers"
    assert f.properties["risk_layers"] == "Lambda,my_project.layers.Attention"


def test_npz_with_object_arrays_is_a_pickle_risk() -> None:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }    \n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\x80\x02]."
    f = model_file(crawl("arrays.npz", zip_bytes([("objs.npy", npy)])))
    assert (f.properties["format"], f.properties["object_arrays"]) == ("npz", "objs.npy")
    assert f.properties["risk"] == PICKLE_RISK


# ----------------------------------------------------------------------- ONNX, npy, h5


def test_onnx_top_level_fields_and_metadata() -> None:
    data = (
        b"\x08\x08"  # ir_version 8
        + pb_field(2, b"pytorch")
        + pb_field(3, b"2.1.0")
        + pb_field(4, b"ai.acme")
        + b"\x28\x03"  # model_version 3
        + pb_field(7, pb_field(2, b"main_graph") + bytes(300))
        + pb_field(8, pb_field(1, b"") + b"\x10\x11")
        + pb_field(14, pb_field(1, b"license") + pb_field(2, b"mit"))
        + pb_field(14, pb_field(1, b"bad key!") + pb_field(2, b"x"))
    )
    f = model_file(crawl("model.onnx", data))
    assert f.properties == {
        "format": "onnx",
        "ir_version": "8",
        "producer": "pytorch 2.1.0",
        "domain": "ai.acme",
        "model_version": "3",
        "opset": "ai.onnx:17",
        "metadata.license": "mit",
    }


def test_onnx_graph_beyond_the_prefix_still_gives_the_header() -> None:
    graph_len = 2 * 1024**3
    data = b"\x08\x09" + pb_field(2, b"pytorch") + b"\x3a" + pb_varint(graph_len) + bytes(64)
    f = model_file(crawl("big.onnx", data, size=graph_len + 100))
    assert (f.properties["ir_version"], f.properties["producer"]) == ("9", "pytorch")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"\x00\x01\x02", "not an ONNX model", id="field-zero"),
        pytest.param(b"\x0f\x01", "not an ONNX model", id="bad-wire-type"),
        pytest.param(b"\x12\x08abc", "runs past the end of the file", id="length-past-eof"),
        pytest.param(b"hello, world", "not an ONNX model", id="text"),
    ],
)
def test_onnx_garbage_is_rejected(data: bytes, reason: str) -> None:
    assert reason in crawl_error("model.onnx", data)


def test_npy_dtype_and_shape() -> None:
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (16, 8), }   \n"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(512)
    f = model_file(crawl("vectors.npy", data))
    assert f.properties == {"format": "npy", "dtype": "<f4", "shape": "16x8"}


def test_npy_object_array_is_scanned_as_a_pickle(tmp_path: Path) -> None:
    header = b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }   \n"
    payload = system_reduce(f"touch {tmp_path / 'pwned'}")
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload
    f = model_file(crawl("objs.npy", data))
    assert f.properties["risk_globals"] == "posix.system"
    assert not (tmp_path / "pwned").exists()


def test_npy_bad_magic_is_an_error() -> None:
    assert "not a .npy file" in crawl_error("x.npy", b"NUMPY\x93" + bytes(32))


def test_keras_h5_and_plain_hdf5() -> None:
    keras = b"\x89HDF\r\n\x1a\n" + bytes(64) + b"keras_version\x00model_config\x00"
    keras += b'{"class_name": "Lambda"}'
    f = model_file(crawl("model.h5", keras))
    assert (f.properties["format"], f.properties["risk_layers"]) == ("keras-h5", "Lambda")
    plain = b"\x89HDF\r\n\x1a\n" + bytes(64)
    assert crawl("data/train.h5", plain) == []
    assert model_file(crawl("best_weights.h5", plain)).properties["format"] == "hdf5"


# ------------------------------------------------------------- truncated, LFS, engine


@pytest.mark.parametrize(
    ("path", "data", "fmt"),
    [
        ("model.safetensors", b"", "safetensors"),
        ("model.safetensors", b"\x10\x00\x00", "safetensors"),
        ("q4.gguf", b"", "gguf"),
        ("q4.gguf", b"GGUF\x03\x00", "gguf"),
        ("model.onnx", b"", "onnx"),
        ("model.pt", b"", "pytorch"),
        ("pytorch_model.bin", b"", "pytorch"),
        ("model.keras", b"", "keras"),
        ("classifier.pkl", b"", "pickle"),
    ],
)
def test_zero_byte_and_truncated_files_are_listed_with_a_guessed_format(
    path: str, data: bytes, fmt: str
) -> None:
    f = model_file(crawl(path, data))
    assert f.properties == {"format": fmt, "header": "truncated"}
    assert f.evidence.confidence < 1.0


@pytest.mark.parametrize("path", ["data/cache.bin", "features.pkl", "data/train.npy"])
def test_zero_byte_file_in_an_ambiguous_container_is_not_a_model(path: str) -> None:
    assert crawl(path, b"") == []


def test_git_lfs_pointer_is_listed_with_its_oid() -> None:
    oid = "sha256:" + "ab" * 32
    data = f"version https://git-lfs.github.com/spec/v1\noid {oid}\nsize 4920734592\n".encode()
    f = model_file(crawl("models/model-00001-of-00002.safetensors", data))
    assert f.properties == {
        "format": "safetensors",
        "storage": "git-lfs-pointer",
        "lfs_oid": oid,
        "lfs_size": "4920734592",
    }


def test_sparse_10_gib_safetensors_reads_only_the_prefix(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    header = {
        "__metadata__": {"format": "pt"},
        "w": {"dtype": "F32", "shape": [1024, 1024], "data_offsets": [0, 4 * MIB]},
    }
    weights = root / "model.safetensors"
    weights.write_bytes(st_bytes(header))
    with weights.open("r+b") as handle:
        handle.truncate(10 * 1024**3)
    started = time.perf_counter()
    result = scan(ScanOptions(root=root, use_git=False), crawlers=[WeightsCrawler()], resolvers=[])
    elapsed = time.perf_counter() - started
    assert elapsed < 10
    assert result.unknowns == ()
    (finding,) = result.findings
    assert finding.id == "model.safetensors"
    assert finding.properties["parameter_count"] == str(1024 * 1024)


def test_hub_ids_from_urls() -> None:
    assert hub_id_from_url("https://huggingface.co/org-a/model-b", dataset=False) == "org-a/model-b"
    assert hub_id_from_url("https://hf.co/org-a/model-b/tree/main", dataset=False) == (
        "org-a/model-b"
    )
    assert hub_id_from_url("https://huggingface.co/datasets/imdb", dataset=True) == "imdb"
    assert hub_id_from_url("https://huggingface.co/datasets/a/b", dataset=False) is None
    assert hub_id_from_url("https://huggingface.co/spaces/a/b", dataset=False) is None
    assert hub_id_from_url("https://github.com/a/b", dataset=False) is None
    assert hub_id_from_url("not a url", dataset=False) is None


# ---------------------------------------------------------------------------- fixtures


def _fixture_script() -> ModuleType:
    path = REPO / "scripts" / "make_weight_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_weight_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_binary_fixtures_match_their_generator() -> None:
    module = _fixture_script()
    main: Callable[[list[str]], int] = module.main
    assert main(["--check"]) == 0


def test_mutated_headers_only_ever_raise_crawl_error() -> None:
    """Bit flips, cuts, random u64s and junk tails of every fixture: no other exception."""
    build: Callable[[], dict[str, bytes]] = _fixture_script().build
    rng = random.Random(20240601)  # noqa: S311 - reproducible test input, not secrets
    crawler = WeightsCrawler()
    for path, original in sorted(build().items()):
        for _ in range(200):
            data = bytearray(original)
            for _ in range(rng.randint(1, 6)):
                choice = rng.random()
                if choice < 0.5 and data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
                elif choice < 0.7:
                    del data[rng.randrange(len(data) + 1) :]
                elif choice < 0.85 and len(data) >= 8:
                    at = rng.randrange(len(data) - 7)
                    data[at : at + 8] = rng.randrange(2**64).to_bytes(8, "little")
                else:
                    data += rng.randbytes(rng.randint(1, 16))
            size = len(data) if rng.random() < 0.7 else len(data) + rng.randrange(1 << 40)
            file = FileInput(path=path, data=bytes(data), size=size, truncated=size > len(data))
            with contextlib.suppress(CrawlError):
                list(crawler.crawl(file))


def test_every_fixture_file_is_small() -> None:
    folder = REPO / "fixtures" / "crawlers" / "model-files"
    sizes = {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*")}
    assert sizes
    assert max(sizes.values()) < 64 * 1024


def test_golden_model_files() -> None:
    result = crawler_golden(
        [HfFilesCrawler(), WeightsCrawler()],
        "crawlers/model-files",
        "crawler-model-files.findings.json",
    )
    files = {f.id for f in result.findings if f.kind is Kind.MODEL_FILE}
    # Traps: other tools' config.json, a Jekyll page, a dataset card, raw data, the
    # components of a vendored pipeline.
    assert "configs" not in files
    assert "docs/blog" not in files
    assert "datasets/support-tickets" not in files
    assert "data/features.bin" not in files
    assert "models/sdxl-turbo/unet" not in files
    assert {u.file for u in result.unknowns} == {
        "broken/card/README.md",
        "broken/future.gguf",
        "broken/lying-header.safetensors",
    }
