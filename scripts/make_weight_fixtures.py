"""Write the binary fixtures of ``fixtures/crawlers/model-files`` deterministically.

Usage: ``python scripts/make_weight_fixtures.py [--check]``. Every file is built from
literal bytes (``struct.pack``, hand-written pickle opcodes, zips with fixed timestamps),
so running it twice gives identical files; ``--check`` exits 1 when a file on disk
differs from what this script would write. No file is larger than 64 KiB.

The pickles are written opcode by opcode and are never loaded. One of them is a
``posix.system`` REDUCE (its command is a harmless ``echo``) to show how the scanner
reports pickles that run commands when loaded.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "crawlers" / "model-files"
MAX_FIXTURE_BYTES = 64 * 1024
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------- safetensors

_DTYPE_SIZE = {"F16": 2, "BF16": 2, "F32": 4}


def safetensors(tensors: list[tuple[str, str, list[int]]], metadata: dict[str, str]) -> bytes:
    """A safetensors file with zero-filled tensors, in the order given."""
    header: dict[str, object] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, dtype, shape in tensors:
        size = _DTYPE_SIZE[dtype]
        for dim in shape:
            size *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the reference writer pads the header to 8 bytes
    return struct.pack("<Q", len(raw)) + raw + bytes(offset)


def peft_lora() -> bytes:
    """A PEFT LoRA of HuggingFaceTB/SmolLM2-135M-Instruct (one layer, q/v projections)."""
    prefix = "base_model.model.model.layers.0.self_attn"
    return safetensors(
        [
            (f"{prefix}.q_proj.lora_A.weight", "F16", [8, 576]),
            (f"{prefix}.q_proj.lora_B.weight", "F16", [576, 8]),
            (f"{prefix}.v_proj.lora_A.weight", "F16", [8, 576]),
            (f"{prefix}.v_proj.lora_B.weight", "F16", [192, 8]),
        ],
        {"format": "pt"},
    )


def bert_tiny_classifier() -> bytes:
    """The head of a prajjwal1/bert-tiny intent classifier (77 banking intents)."""
    return safetensors(
        [
            ("bert.pooler.dense.bias", "F16", [128]),
            ("bert.pooler.dense.weight", "F16", [128, 128]),
            ("classifier.bias", "F16", [77]),
            ("classifier.weight", "F16", [77, 128]),
        ],
        {"format": "pt"},
    )


def kohya_lora(base: str, output: str, title: str) -> bytes:
    """An SDXL LoRA as kohya-ss sd-scripts writes it, with its training metadata."""
    return safetensors(
        [
            ("lora_unet_down_blocks_1_attentions_0_proj_in.alpha", "F16", []),
            ("lora_unet_down_blocks_1_attentions_0_proj_in.lora_down.weight", "F16", [8, 640]),
            ("lora_unet_down_blocks_1_attentions_0_proj_in.lora_up.weight", "F16", [640, 8]),
        ],
        {
            "modelspec.architecture": "stable-diffusion-xl-v1-base/lora",
            "modelspec.sai_model_spec": "1.0.0",
            "modelspec.title": title,
            "ss_base_model_version": "sdxl_base_v1-0",
            "ss_network_dim": "8",
            "ss_network_module": "networks.lora",
            "ss_output_name": output,
            "ss_sd_model_name": base,
        },
    )


# ---------------------------------------------------------------------------------- GGUF


def gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def gguf_kv(key: str, kind: int, value: object) -> bytes:
    """One GGUF v3 key/value: types 4 (u32), 6 (f32), 8 (string), 9 (array)."""
    out = gguf_string(key) + struct.pack("<I", kind)
    if kind == 4:
        assert isinstance(value, int)
        return out + struct.pack("<I", value)
    if kind == 8:
        assert isinstance(value, str)
        return out + gguf_string(value)
    if kind == 9:
        assert isinstance(value, tuple)
        elem, items = value
        body = struct.pack("<IQ", elem, len(items))
        for item in items:
            body += gguf_string(item) if elem == 8 else struct.pack("<f", item)
        return out + body
    raise ValueError(kind)


def gguf(tensor_count: int, kvs: list[bytes]) -> bytes:
    """A GGUF v3 header and its tensor infos (one F32 value each; the data is left out)."""
    infos = b"".join(
        gguf_string(f"blk.{i}.weight") + struct.pack("<IQIQ", 1, 1, 0, 32 * i)
        for i in range(tensor_count)
    )
    return b"GGUF" + struct.pack("<IQQ", 3, tensor_count, len(kvs)) + b"".join(kvs) + infos


def tinyllama_q4() -> bytes:
    """The header of TinyLlama 1.1B Chat v1.0 quantised to Q4_K_M by llama.cpp."""
    base = "general.base_model.0"
    tokens = ["<unk>", "<s>", "</s>", "<0x00>", "\u2581the", "\u2581a"]
    return gguf(
        201,
        [
            gguf_kv("general.architecture", 8, "llama"),
            gguf_kv("general.type", 8, "model"),
            gguf_kv("general.name", 8, "TinyLlama 1.1B Chat v1.0"),
            gguf_kv("general.license", 8, "apache-2.0"),
            gguf_kv("general.base_model.count", 4, 1),
            gguf_kv(f"{base}.name", 8, "TinyLlama 1.1B Intermediate Step 1431k 3T"),
            gguf_kv(f"{base}.organization", 8, "TinyLlama"),
            gguf_kv(
                f"{base}.repo_url",
                8,
                "https://huggingface.co/TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
            ),
            gguf_kv("general.dataset.count", 4, 3),
            gguf_kv("general.dataset.0.name", 8, "SlimPajama 627B"),
            gguf_kv(
                "general.dataset.0.repo_url", 8, "https://huggingface.co/cerebras/SlimPajama-627B"
            ),
            gguf_kv("general.dataset.1.name", 8, "Starcoderdata"),
            gguf_kv(
                "general.dataset.1.repo_url", 8, "https://huggingface.co/bigcode/starcoderdata"
            ),
            gguf_kv("general.dataset.2.name", 8, "Ultrachat_200k"),
            gguf_kv(
                "general.dataset.2.repo_url",
                8,
                "https://huggingface.co/datasets/HuggingFaceH4/ultrachat_200k",
            ),
            gguf_kv("general.quantized_by", 8, "TheBloke"),
            gguf_kv("llama.context_length", 4, 2048),
            gguf_kv("llama.embedding_length", 4, 2048),
            gguf_kv("general.file_type", 4, 15),
            gguf_kv("tokenizer.ggml.model", 8, "llama"),
            gguf_kv("tokenizer.ggml.tokens", 9, (8, tokens)),
            gguf_kv("tokenizer.ggml.scores", 9, (6, [0.0] * len(tokens))),
            gguf_kv("tokenizer.chat_template", 8, "{% for message in messages %}{% endfor %}"),
        ],
    )


def lora_gguf() -> bytes:
    """A LoRA adapter converted with llama.cpp's convert_lora_to_gguf.py."""
    return gguf(
        56,
        [
            gguf_kv("general.architecture", 8, "llama"),
            gguf_kv("general.type", 8, "adapter"),
            gguf_kv("adapter.type", 8, "lora"),
            gguf_kv("general.name", 8, "Support Lora"),
            gguf_kv("general.base_model.count", 4, 1),
            gguf_kv("general.base_model.0.name", 8, "Llama 3.2 1B Instruct"),
            gguf_kv("general.base_model.0.organization", 8, "Meta Llama"),
            gguf_kv(
                "general.base_model.0.repo_url",
                8,
                "https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct",
            ),
        ],
    )


# -------------------------------------------------------------------------------- pickles


def binunicode(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def torch_state_dict_pickle() -> bytes:
    """data.pkl of ``torch.save({"fc.weight": ..., "fc.bias": ...})``, protocol 2."""
    out = io.BytesIO()
    out.write(b"\x80\x02")  # PROTO 2
    out.write(b"ccollections\nOrderedDict\nq\x00)Rq\x01(")  # OrderedDict(), MARK
    for index, (name, shape) in enumerate((("fc.weight", (2, 4)), ("fc.bias", (2,)))):
        out.write(binunicode(name))
        out.write(b"ctorch._utils\n_rebuild_tensor_v2\n(")
        out.write(b"(" + binunicode("storage") + b"ctorch\nFloatStorage\n")
        out.write(binunicode(str(index)) + binunicode("cpu"))
        out.write(b"K" + bytes([8 if len(shape) == 2 else 2]) + b"tQ")  # TUPLE, BINPERSID
        out.write(b"K\x00")  # storage offset
        out.write(
            b"".join(b"K" + bytes([d]) for d in shape) + (b"\x86" if len(shape) == 2 else b"\x85")
        )
        strides = (shape[1], 1) if len(shape) == 2 else (1,)
        out.write(
            b"".join(b"K" + bytes([s]) for s in strides) + (b"\x86" if len(shape) == 2 else b"\x85")
        )
        out.write(b"\x89ccollections\nOrderedDict\n)RtR")  # requires_grad, hooks, REDUCE
    out.write(b"u.")  # SETITEMS, STOP
    return out.getvalue()


def fixed_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A stored (uncompressed) zip with fixed timestamps, like torch.save writes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def torch_checkpoint() -> bytes:
    """``torch.save`` zip format: archive/data.pkl plus raw storages."""
    return fixed_zip(
        [
            ("classifier/data.pkl", torch_state_dict_pickle()),
            ("classifier/.format_version", b"1"),
            ("classifier/.storage_alignment", b"64"),
            ("classifier/byteorder", b"little"),
            ("classifier/data/0", bytes(32)),
            ("classifier/data/1", bytes(8)),
            ("classifier/version", b"3\n"),
        ]
    )


def short_str(text: str) -> bytes:
    """SHORT_BINUNICODE followed by MEMOIZE, as protocol 4 writes every string."""
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw + b"\x94"


def sklearn_pickle() -> bytes:
    """A protocol 4 pickle of a scikit-learn LogisticRegression (STACK_GLOBAL + MEMOIZE)."""
    body = b"".join(
        [
            short_str("sklearn.linear_model._logistic"),
            short_str("LogisticRegression"),
            b"\x93\x94)\x81\x94}\x94(",  # STACK_GLOBAL, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK
            short_str("penalty"),
            short_str("l2"),
            short_str("C"),
            b"G" + struct.pack(">d", 1.0),  # BINFLOAT
            short_str("coef_"),
            short_str("numpy.core.multiarray"),
            short_str("_reconstruct"),
            b"\x93\x94",
            short_str("numpy"),
            short_str("ndarray"),
            b"\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94",  # (ndarray, (0,), b"b") REDUCE
            short_str("_sklearn_version"),
            short_str("1.5.2"),
            b"ub.",  # SETITEMS, BUILD, STOP
        ]
    )
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def system_reduce_pickle(command: str) -> bytes:
    """``posix.system(command)`` on load: GLOBAL, argument tuple, REDUCE (never loaded)."""
    return b"\x80\x02cposix\nsystem\nq\x00" + binunicode(command) + b"\x85q\x01Rq\x02."


# --------------------------------------------------------------------------- ONNX / Keras


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pb_bytes(number: int, body: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(body)) + body


def pb_int(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def sentiment_onnx() -> bytes:
    """An ONNX ModelProto as torch.onnx.export writes it (graph reduced to a name)."""
    graph = pb_bytes(2, b"main_graph")  # GraphProto.name
    return b"".join(
        [
            pb_int(1, 8),  # ir_version
            pb_bytes(2, b"pytorch"),
            pb_bytes(3, b"2.1.0"),
            pb_bytes(7, graph),
            pb_bytes(8, pb_bytes(1, b"") + pb_int(2, 17)),  # opset_import
            pb_bytes(14, pb_bytes(1, b"author") + pb_bytes(2, b"acme-ml")),
            pb_bytes(14, pb_bytes(1, b"license") + pb_bytes(2, b"apache-2.0")),
        ]
    )


def keras_model() -> bytes:
    """A Keras 3 ``.keras`` archive whose model has a Lambda layer."""
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "config": {}},
                {"module": "keras.layers", "class_name": "Dense", "config": {"units": 16}},
                {
                    "module": "keras.layers",
                    "class_name": "Lambda",
                    "config": {"function": {"class_name": "__lambda__", "config": {}}},
                },
            ],
        },
    }
    metadata = {"keras_version": "3.3.3", "date_saved": "2024-05-01@10:00:00"}
    return fixed_zip(
        [
            ("metadata.json", json.dumps(metadata).encode()),
            ("config.json", json.dumps(config).encode()),
            ("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(56)),
        ]
    )


def keras_h5() -> bytes:
    """The start of a legacy Keras ``model.save("x.h5")`` file: root attributes."""
    return (
        b"\x89HDF\r\n\x1a\n"
        + bytes(88)
        + b"keras_version\x00\x00\x00" + b"2.15.0\x00\x00"
        + b"backend\x00" + b"tensorflow\x00\x00"
        + b"model_config\x00\x00\x00\x00"
        + b'{"class_name": "Sequential", "config": {"layers": []}}'
    )  # fmt: skip


def npy_float32() -> bytes:
    """A (16, 8) float32 ``.npy`` array of zeros, header padded to 64 bytes."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (16, 8), }"
    header += " " * (64 - 10 - len(header) - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(512)


def lfs_pointer() -> bytes:
    return (
        b"version https://git-lfs.github.com/spec/v1\n"
        b"oid sha256:4b1d1d5c4c9b4c6e0f9e3c0a2b0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d\n"
        b"size 2200119864\n"
    )


def build() -> dict[str, bytes]:
    """Every binary fixture, by path relative to the fixture folder."""
    return {
        "adapters/support-lora/adapter_model.safetensors": peft_lora(),
        "adapters/gguf/support-lora-f16.gguf": lora_gguf(),
        "models/intent-classifier/model.safetensors": bert_tiny_classifier(),
        "models/tinyllama-gguf/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf": tinyllama_q4(),
        "models/sentiment-onnx/model.onnx": sentiment_onnx(),
        "models/keras-classifier/classifier.keras": keras_model(),
        "models/keras-legacy/legacy_model.h5": keras_h5(),
        "models/lfs/model.safetensors": lfs_pointer(),
        "loras/pixel-art-xl.safetensors": kohya_lora(
            "stabilityai/stable-diffusion-xl-base-1.0", "pixel-art-xl", "Pixel Art XL"
        ),
        "loras/local-trained.safetensors": kohya_lora(
            "/content/models/sd_xl_base_1.0.safetensors", "my_style", "my_style"
        ),
        "checkpoints/classifier.pt": torch_checkpoint(),
        "legacy/sklearn/intent_model.pkl": sklearn_pickle(),
        "third_party/suspicious/pytorch_model.bin": system_reduce_pickle("echo modelbom-fixture"),
        "embeddings/item_vectors.npy": npy_float32(),
        "data/features.bin": struct.pack("<64f", *[i / 8 for i in range(64)]),
        "weights/empty.safetensors": b"",
        "broken/lying-header.safetensors": struct.pack("<Q", 1 << 40) + b'{"__metadata__":{}}',
        "broken/future.gguf": b"GGUF" + struct.pack("<IQQ", 4, 0, 0),
    }


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the fixtures; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale: list[str] = []
    for relative, data in sorted(build().items()):
        if len(data) > MAX_FIXTURE_BYTES:
            raise SystemExit(f"{relative}: {len(data)} bytes, over the 64 KiB fixture limit")
        path = ROOT / relative
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(relative)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if stale:
        sys.stderr.write("stale fixtures: " + ", ".join(stale) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
