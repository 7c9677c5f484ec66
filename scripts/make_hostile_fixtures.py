"""Write the binary files of ``fixtures/hostile`` (the adversarial input set) deterministically.

Usage: ``python scripts/make_hostile_fixtures.py [--check]``. Every file is built from
literal bytes (``struct.pack``, hand-written pickle opcodes, zip records written field by
field), so running it twice gives identical files; ``--check`` exits 1 when a file on
disk differs from what this script would write. No file is larger than 128 KiB.

Each folder is named after the item of the hostile-input checklist it serves
(``docs/security.md`` has the table). The pickles are written opcode by opcode and are
never loaded; the commands they would run only create a file named ``PWNED`` next to
themselves, so a test can also see that nothing ran. The text fixtures of the same set
are ordinary files in the same folders, written by hand.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
MAX_FIXTURE_BYTES = 128 * 1024
_DOS_DATE = (0, 0x21)  # 1980-01-01 00:00:00 as (time, date)

# -------------------------------------------------------------------------------- pickles


def binunicode(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def short_unicode(text: str) -> bytes:
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw


def system_reduce(command: str, protocol: int = 2) -> bytes:
    """``posix.system(command)`` on load: GLOBAL, argument tuple, REDUCE, STOP."""
    return (
        b"\x80"
        + bytes([protocol])
        + b"cposix\nsystem\nq\x00"
        + binunicode(command)
        + b"\x85q\x01Rq\x02."
    )


def stack_global_system(command: str) -> bytes:
    """Protocol 4: ``os.system`` through STACK_GLOBAL with both names taken from the memo."""
    body = (
        short_unicode("os")
        + b"\x94"  # MEMOIZE -> 0
        + short_unicode("system")
        + b"\x94"  # MEMOIZE -> 1
        + b"00"  # POP, POP: the names live on only in the memo
        + b"h\x00h\x01\x93"  # BINGET 0, BINGET 1, STACK_GLOBAL
        + short_unicode(command)
        + b"\x85R."
    )
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def builtins_exec_pickle(source: str) -> bytes:
    """Protocol 3: ``builtins.exec(source)`` on load."""
    return b"\x80\x03cbuiltins\nexec\n" + binunicode(source) + b"\x85R."


PWN = "touch PWNED"  # relative: what would run creates a file in the working directory
PWN_PY = "open('PWNED', 'w').close()"


# ----------------------------------------------------------------------------------- zips


def _local(
    name: bytes, data: bytes, *, method: int = 0, flags: int = 0, raw: bytes | None = None
) -> bytes:
    """A local file header followed by *raw* (the stored or compressed data)."""
    body = data if raw is None else raw
    crc = zlib.crc32(data)
    return (
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            flags,
            method,
            *_DOS_DATE,
            crc,
            len(body),
            len(data),
            len(name),
            0,
        )
        + name
        + body
    )


def _central(
    name: bytes,
    data: bytes,
    offset: int,
    *,
    method: int = 0,
    flags: int = 0,
    size: int | None = None,
) -> bytes:
    csize = len(data) if size is None else size
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            flags,
            method,
            *_DOS_DATE,
            zlib.crc32(data),
            csize,
            len(data),
            len(name),
            0,
            0,
            0,
            0,
            0o644 << 16,
            offset,
        )
        + name
    )


def _end(entries: int, cd_size: int, cd_offset: int) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, cd_size, cd_offset, 0)


def zip_archive(
    members: list[tuple[str, bytes]],
    *,
    local_names: dict[str, str] | None = None,
    flags: dict[str, int] | None = None,
    deflate: frozenset[str] = frozenset(),
    extra_central: list[tuple[str, str]] | None = None,
) -> bytes:
    """A zip written record by record, so that it can lie where tests need it to.

    *local_names* renames members in their local header only (the central directory,
    which PyTorch reads, keeps the real name); *flags* sets general-purpose bits;
    *extra_central* adds directory entries ``(name, points_at)`` that reuse another
    member's local header.
    """
    local_names = local_names or {}
    flags = flags or {}
    out = io.BytesIO()
    directory = io.BytesIO()
    offsets: dict[str, tuple[int, bytes, int, int]] = {}
    for name, data in members:
        method = 8 if name in deflate else 0
        raw = None
        if method == 8:
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            raw = packer.compress(data) + packer.flush()
        offset = out.tell()
        local = local_names.get(name, name).encode()
        out.write(_local(local, data, method=method, flags=flags.get(name, 0), raw=raw))
        size = len(raw) if raw is not None else len(data)
        offsets[name] = (offset, data, method, size)
        directory.write(
            _central(
                name.encode(), data, offset, method=method, flags=flags.get(name, 0), size=size
            )
        )
    count = len(members)
    for name, target in extra_central or []:
        offset, data, method, size = offsets[target]
        directory.write(_central(name.encode(), data, offset, method=method, size=size))
        count += 1
    cd_offset = out.tell()
    cd = directory.getvalue()
    return out.getvalue() + cd + _end(count, len(cd), cd_offset)


def torch_zip(
    pickle_bytes: bytes,
    prefix: str = "archive",
    *,
    local_names: dict[str, str] | None = None,
    flags: dict[str, int] | None = None,
    deflate: frozenset[str] = frozenset(),
    extra_central: list[tuple[str, str]] | None = None,
) -> bytes:
    """``torch.save`` layout: ``<prefix>/data.pkl`` first, then the small records."""
    members = [
        (f"{prefix}/data.pkl", pickle_bytes),
        (f"{prefix}/byteorder", b"little"),
        (f"{prefix}/version", b"3\n"),
    ]
    return zip_archive(
        members,
        local_names=local_names,
        flags=flags,
        deflate=deflate,
        extra_central=extra_central,
    )


def local_records_only(archive: bytes) -> bytes:
    """*archive* cut before its central directory, as a download cut short leaves it."""
    return archive[: archive.index(b"PK\x01\x02")]


def zip_bomb_torch() -> bytes:
    """data.pkl of 48 MiB (a REDUCE then zero padding) deflated to a few dozen KiB."""
    payload = system_reduce(PWN) + bytes(48 * 1024 * 1024)
    return torch_zip(payload, deflate=frozenset({"archive/data.pkl"}))


def overlapping_torch() -> bytes:
    """Two directory entries share one local header (the "overlapped entries" zip bomb)."""
    return torch_zip(system_reduce(PWN), extra_central=[("archive/data/0", "archive/data.pkl")])


# --------------------------------------------------------------------------- safetensors


def safetensors_raw(header: bytes, declared: int | None = None, tail: bytes = b"") -> bytes:
    n = len(header) if declared is None else declared
    return struct.pack("<Q", n) + header + tail


def safetensors_json(document: object) -> bytes:
    raw = json.dumps(document, separators=(",", ":")).encode()
    return safetensors_raw(raw, tail=bytes(16))


_TENSOR = {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}


# ---------------------------------------------------------------------------------- GGUF


def gguf_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def gguf_header(version: int, tensors: int, kvs: int) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, tensors, kvs)


def gguf_nested_arrays(depth: int) -> bytes:
    """One key whose value is an array of arrays ... *depth* levels deep, one element each."""
    value = struct.pack("<IQ", 4, 1) + struct.pack("<I", 7)  # innermost: [u32 7]
    for _ in range(depth - 1):
        value = struct.pack("<IQ", 9, 1) + value
    return gguf_header(3, 0, 1) + gguf_string("general.nested") + struct.pack("<I", 9) + value


# ------------------------------------------------------------------------------- formats


def tiny_png() -> bytes:
    """A real 1x1 PNG (so the pickle sniffer has a genuine image to leave alone)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00", 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def seven_zip() -> bytes:
    """The signature header of a 7z archive (the body does not matter: it is never opened)."""
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(24) + b"model/pytorch_model.bin"


def keras_archive(layers: list[dict[str, object]]) -> bytes:
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": layers},
    }
    metadata = {"keras_version": "3.3.3", "date_saved": "2024-05-01@10:00:00"}
    return zip_archive(
        [
            ("metadata.json", json.dumps(metadata).encode()),
            ("config.json", json.dumps(config).encode()),
            ("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(56)),
        ]
    )


def keras_h5_lambda() -> bytes:
    config = {"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda"}]}}
    return (
        b"\x89HDF\r\n\x1a\n"
        + bytes(88)
        + b"keras_version\x00\x00\x00"
        + b"2.15.0\x00\x00"
        + b"model_config\x00\x00\x00\x00"
        + json.dumps(config).encode()
    )


def build() -> dict[str, bytes]:
    """Every binary fixture, by path relative to fixtures/hostile."""
    return {
        # 11: zero-byte and truncated model files
        "item11-truncated/empty.safetensors": b"",
        "item11-truncated/cut.safetensors": b"\x10\x00\x00",
        "item11-truncated/cut.gguf": b"GGUF\x03\x00",
        "item11-truncated/pytorch_model.bin": b"",
        # 12: safetensors header lengths
        "item12-safetensors-length/zero.safetensors": safetensors_raw(b"", 0, bytes(64)),
        "item12-safetensors-length/two-to-the-63.safetensors": safetensors_raw(
            b'{"__metadata__":{}}', 1 << 63
        ),
        "item12-safetensors-length/beyond-the-file.safetensors": safetensors_raw(
            b'{"__metadata__":{}}', 4096
        ),
        "item12-safetensors-length/over-100mib.safetensors": safetensors_raw(
            b'{"__metadata__":{}}', 200 * 1024 * 1024
        ),
        # 13: safetensors header JSON
        "item13-safetensors-json/invalid.safetensors": safetensors_raw(
            b'{"w": {"dtype": "F16",', tail=bytes(8)
        ),
        "item13-safetensors-json/not-an-object.safetensors": safetensors_raw(
            b"[1, 2, 3]", tail=bytes(8)
        ),
        "item13-safetensors-json/duplicate-keys.safetensors": safetensors_raw(
            b'{"__metadata__":{"format":"pt","format":"tf"},'
            b'"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}}',
            tail=bytes(8),
        ),
        "item13-safetensors-json/deep.safetensors": safetensors_raw(
            b'{"__metadata__":' + b"[" * 100_000, tail=bytes(8)
        ),
        "item13-safetensors-json/long-metadata.safetensors": safetensors_json(
            {"__metadata__": {"format": "pt", "modelspec.title": "A" * 60_000}, "w": _TENSOR}
        ),
        # 14: GGUF headers that lie
        "item14-gguf/bad-magic.gguf": b"GGUE" + struct.pack("<IQQ", 3, 0, 0),
        "item14-gguf/unknown-version.gguf": gguf_header(99, 0, 0),
        "item14-gguf/kv-count-max.gguf": gguf_header(3, 0, (1 << 64) - 1) + bytes(64),
        "item14-gguf/string-beyond-eof.gguf": gguf_header(3, 0, 1)
        + gguf_string("general.name")
        + struct.pack("<IQ", 8, 4096)
        + b"TinyLlama",
        "item14-gguf/nested-arrays.gguf": gguf_nested_arrays(4),
        "item14-gguf/array-count-huge.gguf": gguf_header(3, 0, 1)
        + gguf_string("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", 9, 8, (1 << 64) - 1),
        # 15: pickles that run a command on load, under the usual names
        "item15-pickle/pytorch_model.bin": system_reduce(PWN),
        "item15-pickle/model.pt": torch_zip(system_reduce(PWN)),
        "item15-pickle/last.ckpt": system_reduce(PWN),
        "item15-pickle/classifier.pkl": stack_global_system(PWN),
        # 16: pickles behind other names, and a 7z archive
        "item16-disguised/notes.txt": system_reduce(PWN),
        "item16-disguised/logo.png": builtins_exec_pickle(PWN_PY),
        "item16-disguised/weights": stack_global_system(PWN),
        "item16-disguised/diagram.png": torch_zip(system_reduce(PWN)),
        "item16-disguised/release.7z": seven_zip(),
        "item16-disguised/pytorch_model.bin": seven_zip(),
        "item16-disguised/real.png": tiny_png(),
        "item16-disguised/docs.zip": zip_archive([("index.html", b"<html></html>\n")]),
        # 17: zip bomb, overlapping entries, zip-slip names
        "item17-zip/bomb.pt": zip_bomb_torch(),
        "item17-zip/overlap.pt": overlapping_torch(),
        "item17-zip/slip.pt": torch_zip(system_reduce(PWN), prefix="../../../../tmp/modelbom-slip"),
        # 18: zips zipfile rejects and PyTorch loads
        "item18-lenient-zip/encrypted-flag.pt": torch_zip(
            system_reduce(PWN), flags={"archive/data.pkl": 0x1}
        ),
        "item18-lenient-zip/name-mismatch.pt": torch_zip(
            system_reduce(PWN), local_names={"archive/data.pkl": "archive/notes.md"}
        ),
        "item18-lenient-zip/no-directory.pt": local_records_only(torch_zip(system_reduce(PWN))),
        # 19: Keras models that run code on load
        "item19-keras/lambda.keras": keras_archive(
            [
                {"module": "keras.layers", "class_name": "Dense", "config": {"units": 4}},
                {"module": "keras.layers", "class_name": "Lambda", "config": {}},
            ]
        ),
        "item19-keras/custom-layer.keras": keras_archive(
            [{"module": "evil.layers", "class_name": "Backdoor", "config": {}}]
        ),
        "item19-keras/legacy_model.h5": keras_h5_lambda(),
    }


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the fixtures; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale: list[str] = []
    for relative, data in sorted(build().items()):
        if len(data) > MAX_FIXTURE_BYTES:
            raise SystemExit(f"{relative}: {len(data)} bytes, over the 128 KiB fixture limit")
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
