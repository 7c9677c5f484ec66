"""Fuzzing the parsers of untrusted input with hypothesis.

Each test builds *near-valid* input (headers whose lengths and counts lie, nested arrays,
huge counts, requirement lines one character away from valid, notebooks with the wrong
shapes) as well as plain random bytes, and hands it to a target of
``tests/fuzz_targets.py``. A target passes when the parser returns a result with the
expected properties or raises its documented error; anything else is a crash.

Two budgets, chosen by ``MODELBOM_FUZZ``:

- unset (``make test``): 150 examples per test, derandomized, so the suite is
  quick and every run tests the same inputs;
- ``long`` (``make fuzz``): thousands of random examples per test
  (``MODELBOM_FUZZ_EXAMPLES``, default 5000), with hypothesis' statistics printed.

Every crash found is fixed in the parser and its input kept under ``fixtures/fuzz/``,
which :func:`test_fuzz_fixtures_replay` runs on every ``make test``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import struct
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelbom.crawlers.headers import GGUF_KEYS
from modelbom.licenses.normalize import hub_license_ids, load_tables
from tests import fuzz_targets as targets

LONG = os.environ.get("MODELBOM_FUZZ") == "long"
EXAMPLES = int(os.environ.get("MODELBOM_FUZZ_EXAMPLES", "5000")) if LONG else 0

# The short budget gives each test a share of about 30 seconds for the whole module on
# an idle machine; the per-example deadline is generous because the machine may not be.
# The long runs keep hypothesis' example database (.hypothesis/), so a failure found
# there is tried first next time; the short runs neither read nor write it.
_DATABASE: dict[str, Any] = {} if LONG else {"database": None}
fuzz = settings(
    max_examples=EXAMPLES or 150,
    deadline=timedelta(seconds=5),
    derandomize=not LONG,
    **_DATABASE,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    print_blob=True,
)

# -- building blocks --------------------------------------------------------------------

HUGE = st.sampled_from([2**31 - 1, 2**32, 2**32 - 1, 2**48, 2**62, 2**63, 2**64 - 1])
SMALL_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=24)  # no surrogates
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), SMALL_TEXT
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(SMALL_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """*base* with a few bytes changed, inserted, deleted, or cut off."""
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        at = draw(st.integers(0, max(len(data), 1) - 1)) if data else 0
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "cut":
            del data[at:]
    return bytes(data)


def near(base: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Valid-looking bytes from *base*, often mutated a little."""
    return base.flatmap(lambda b: st.one_of(st.just(b), mutated(b)))


# -- safetensors ------------------------------------------------------------------------

DTYPES = ["F16", "F32", "BF16", "F64", "I8", "U8", "I64", "BOOL", "F8_E4M3", "F4", "X", ""]
dims = st.one_of(st.integers(0, 64), st.integers(-3, 2**64), HUGE)
shapes = st.one_of(
    st.lists(dims, max_size=5),
    st.lists(st.integers(0, 4), min_size=15, max_size=20),
    json_scalars,
)
offsets = st.one_of(
    st.lists(st.integers(-2, 4096), min_size=2, max_size=2),
    st.lists(st.one_of(st.integers(-2, 2**64), HUGE), max_size=3),
    json_scalars,
)
tensor_entries = st.fixed_dictionaries(
    {},
    optional={
        "dtype": st.one_of(st.sampled_from(DTYPES), json_scalars),
        "shape": shapes,
        "data_offsets": offsets,
    },
)
tensor_names = st.one_of(
    st.sampled_from(["w", "lora_unet_x.lora_down.weight", "a.hada_w1_a", "model.lokr_w1"]),
    SMALL_TEXT,
)


@st.composite
def safetensors_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """(prefix, real size): a header with lying lengths, offsets and shapes."""
    header: dict[str, object] = draw(
        st.dictionaries(tensor_names, st.one_of(tensor_entries, json_values), max_size=6)
    )
    if draw(st.booleans()):
        header["__metadata__"] = draw(
            st.one_of(
                st.dictionaries(
                    st.sampled_from(["format", "ss_sd_model_name", "modelspec.title"]) | SMALL_TEXT,
                    json_values,
                    max_size=5,
                ),
                json_values,
            )
        )
    body = json.dumps(header, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    body = draw(
        st.one_of(
            st.just(body),
            st.just(b"[" * 2000),
            st.just(b'{"a":' * 3000),
            st.binary(max_size=64),
            mutated(body),
        )
    )
    body += b" " * draw(st.integers(0, 8))
    declared = draw(
        st.one_of(
            st.just(len(body)),
            st.integers(0, len(body) + 16),
            HUGE,
            st.just(100_000_000),
            st.just(100_000_001),
        )
    )
    data = struct.pack("<Q", declared) + body + bytes(draw(st.integers(0, 600)))
    cut = draw(st.one_of(st.just(len(data)), st.integers(0, len(data))))
    size = draw(st.one_of(st.just(len(data)), st.integers(len(data), 2**40)))
    return data[:cut], size


@fuzz
@given(safetensors_files())
def test_safetensors_header_structured(case: tuple[bytes, int]) -> None:
    targets.safetensors_header(*case)


@fuzz
@given(st.binary(max_size=512), st.one_of(st.none(), st.integers(0, 2**40)))
def test_safetensors_header_random_bytes(data: bytes, size: int | None) -> None:
    targets.safetensors_header(data, size)


# -- GGUF -------------------------------------------------------------------------------

_GGUF_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
gguf_keys = st.one_of(
    st.sampled_from(sorted(GGUF_KEYS)),
    st.builds(
        "general.{}.{}.{}".format,
        st.sampled_from(["base_model", "dataset"]),
        st.integers(0, 100),
        st.sampled_from(["name", "organization", "repo_url"]),
    ),
    SMALL_TEXT,
)
string_values = st.one_of(
    st.sampled_from(["apache-2.0", "llama", "https://huggingface.co/org/model", "adapter"]),
    SMALL_TEXT,
)


@st.composite
def gguf_string(draw: st.DrawFn, width: int, text: str | None = None) -> bytes:
    raw = (text if text is not None else draw(string_values)).encode("utf-8", "surrogatepass")
    length = draw(st.one_of(st.just(len(raw)), st.integers(0, len(raw) + 8), HUGE))
    return struct.pack("<I" if width == 4 else "<Q", length % 2 ** (8 * width)) + raw


@st.composite
def gguf_value(draw: st.DrawFn, width: int, kind: int, depth: int) -> bytes:
    if kind in _GGUF_FIXED:
        return draw(st.binary(min_size=_GGUF_FIXED[kind], max_size=_GGUF_FIXED[kind]))
    if kind == 8:
        return draw(gguf_string(width))
    if kind == 9:
        elem = draw(st.one_of(st.sampled_from([0, 4, 6, 8, 9, 10]), st.integers(0, 2**32 - 1)))
        items = [] if depth > 3 else draw(st.lists(st.just(elem), max_size=4 if elem == 9 else 6))
        count = draw(st.one_of(st.just(len(items)), st.integers(0, 64), HUGE))
        body = b"".join(draw(gguf_value(width, e, depth + 1)) for e in items)
        return (
            struct.pack("<I", elem)
            + struct.pack("<I" if width == 4 else "<Q", count % 2 ** (8 * width))
            + body
        )
    return draw(st.binary(max_size=8))


@st.composite
def gguf_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """(prefix, real size): a GGUF header with lying counts and lengths, nested arrays."""
    version = draw(st.one_of(st.sampled_from([1, 2, 3, 3, 3]), st.integers(0, 2**32 - 1)))
    width = 4 if version == 1 else 8
    kvs = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.one_of(st.sampled_from([4, 8, 8, 9, 9, 6, 10, 7]), st.integers(0, 20)))
        key = draw(gguf_string(width, draw(gguf_keys)))
        kvs.append(key + struct.pack("<I", kind) + draw(gguf_value(width, kind, 0)))
    tensors = draw(st.one_of(st.integers(0, 300), HUGE))
    kv_count = draw(st.one_of(st.just(len(kvs)), st.integers(0, 100), HUGE))
    pack = "<I" if width == 4 else "<Q"
    head = (
        b"GGUF"
        + struct.pack("<I", version)
        + struct.pack(pack, tensors % 2 ** (8 * width))
        + struct.pack(pack, kv_count % 2 ** (8 * width))
    )
    data = head + b"".join(kvs) + bytes(draw(st.integers(0, 2048)))
    data = draw(st.one_of(st.just(data), mutated(data)))
    size = draw(st.one_of(st.just(len(data)), st.integers(len(data), 2**40)))
    return data, size


@fuzz
@given(gguf_files())
def test_gguf_header_structured(case: tuple[bytes, int]) -> None:
    targets.gguf_header(*case)


@fuzz
@given(st.binary(max_size=256).map(lambda b: b"GGUF" + b), st.one_of(st.none(), HUGE))
def test_gguf_header_random_bytes(data: bytes, size: int | None) -> None:
    targets.gguf_header(data, size)


# -- the weights crawler (every format, magic sniffing) ----------------------------------

magic_prefixes = st.sampled_from(
    [
        b"",
        b"GGUF\x03\x00\x00\x00",
        b"\x80\x02",
        b"\x80\x04\x95",
        b"PK\x03\x04",
        b"\x93NUMPY\x01\x00",
        b"\x89HDF\r\n\x1a\n",
        b"\x08\x07\x12\x07pytorch",
        b"version https://git-lfs.github.com/spec/v1\n",
        b"lmgg",
    ]
)


@fuzz
@given(
    st.sampled_from(targets.WEIGHT_NAMES),
    st.one_of(
        st.tuples(magic_prefixes, st.binary(max_size=400)).map(lambda t: t[0] + t[1]),
        safetensors_files().map(lambda t: t[0]),
        gguf_files().map(lambda t: t[0]),
    ),
    st.one_of(st.none(), st.integers(0, 2**36)),
)
def test_weights_crawler_on_any_format(name: str, data: bytes, size: int | None) -> None:
    targets.weights_file(data, name, size)


# -- model cards ------------------------------------------------------------------------

card_values = st.one_of(
    st.sampled_from(["mit", "other", "llama3.1", "org/model", "no", "2024-01-01", "~", "''"]),
    SMALL_TEXT.map(json.dumps),
    st.lists(st.sampled_from(["org/a", "b", "mit", "1.5", "null", "[x]"]), max_size=4).map(
        lambda xs: "[" + ", ".join(xs) + "]"
    ),
    st.sampled_from(
        [
            "!!python/object/apply:os.system ['echo x']",
            "!!python/name:os.system",
            "!custom tag",
            "&a [*a, *a]",
            "*undefined",
            "{a: [b, {c: d}]}",
            "[" * 300 + "]" * 300,
            "[" * 5000,
            "|\n  block\n  text",
            '"unterminated',
            "!!binary aGVsbG8=",
            "!!timestamp 2001-12-14",
            "!!set {a, b}",
        ]
    ),
)
card_keys = st.sampled_from(
    [
        "license", "license_name", "license_link", "base_model", "base_model_relation",
        "datasets", "library_name", "pipeline_tag", "tags", "model-index", "language",
        "extra_gated_prompt", "dataset_info", "? complex", "<<", "- item",
    ]
)  # fmt: skip


@st.composite
def card_texts(draw: st.DrawFn) -> bytes:
    lines = [
        f"{draw(card_keys)}:{draw(st.sampled_from([' ', '  ', '']))}{draw(card_values)}"
        for _ in range(draw(st.integers(0, 6)))
    ]
    if draw(st.booleans()):
        bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
        bomb += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}] " for i in range(8)]
        lines += [line.replace("] ", "]").replace("[*", "[*").strip() for line in bomb]
    opening = draw(st.sampled_from(["---\n", "\ufeff---\n", "\n\n---\r\n", "--- \n", "", "---"]))
    closing = draw(st.sampled_from(["\n---\n", "\n---", "", "\n...\n", "\r\n---\r\n"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = opening + newline.join(lines) + closing + draw(SMALL_TEXT)
    return text.encode("utf-8", "surrogatepass")


@fuzz
@given(near(card_texts()))
def test_card_front_matter_structured(data: bytes) -> None:
    targets.card_front_matter(data)


@fuzz
@given(st.binary(max_size=300).map(lambda b: b"---\n" + b))
def test_card_front_matter_random_bytes(data: bytes) -> None:
    targets.card_front_matter(data)


# -- requirements files -----------------------------------------------------------------

req_names = st.one_of(
    st.sampled_from(["torch", "transformers", "Flask_SQLAlchemy", "a", "zope.interface", "-x"]),
    st.text(alphabet="abcXYZ019._-[]@;: ", min_size=1, max_size=12),
)
req_specs = st.one_of(
    st.just(""),
    st.builds(
        "{}{}".format,
        st.sampled_from(["==", "===", ">=", "<", "~=", "!=", "= =", "==="]),
        st.sampled_from(["1.0", "2.*", "1.0.post1", "", "v1", "1.0,<2", "(1.0)"]),
    ),
)
req_tails = st.sampled_from(
    [
        "",
        "; python_version < '3.8'",
        " @ https://user:tok@example.com/pkg-1.0-py3-none-any.whl",
        " @ git+https://github.com/org/repo.git@v1#egg=pkg",
        " --hash=sha256:" + "0" * 64,
        " # comment",
        " \\",
        "[extra1, extra2]",
        "[",
        " ;",
    ]
)
req_option_lines = st.sampled_from(
    [
        "-r other.txt",
        "-rother.txt",
        "--requirement=../x.txt",
        "-c constraints.txt",
        "-e git+https://github.com/org/repo.git#egg=thing",
        "-e .",
        "--index-url https://user:secret@pypi.example/simple",
        "-i",
        "--unknown-option",
        "https://example.com/dist/pkg-1.0-py3-none-any.whl",
        "git+ssh://git@github.com/org/repo.git#egg=thing&subdirectory=x",
        "./local/path",
        "\\",
        "#",
        "",
    ]
)


@st.composite
def requirement_texts(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 3)) == 0:
            lines.append(draw(req_option_lines))
        else:
            lines.append(draw(req_names) + draw(req_specs) + draw(req_tails))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    return text.encode(encoding, "surrogatepass")


@fuzz
@given(near(requirement_texts()))
def test_requirements_structured(data: bytes) -> None:
    targets.requirements_text(data)


@fuzz
@given(st.binary(max_size=300))
def test_requirements_random_bytes(data: bytes) -> None:
    targets.requirements_text(data)


# -- pyproject, Pipfile and the lock files -----------------------------------------------


def toml_value(value: object) -> str:
    """A TOML rendering of a JSON-like value (inline tables and arrays only)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "0.0"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
            + "}"
        )
    return '""'


def toml_document(
    tables: dict[str, dict[str, Any]], arrays: dict[str, list[dict[str, Any]]]
) -> str:
    out: list[str] = []
    for name, table in tables.items():
        out.append(f"[{name}]")
        out.extend(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in table.items())
    for name, items in arrays.items():
        for item in items:
            out.append(f"[[{name}]]")
            out.extend(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in item.items())
    return "\n".join(out) + "\n"


requirement_strings = st.one_of(
    st.sampled_from(["torch>=2", "transformers==4.40.0", "mypkg[a,b]", "x @ https://u:p@h/x", ""]),
    SMALL_TEXT,
)
spec_values = st.one_of(
    st.sampled_from(["^1.0", "*", "==2.0", ">=1,<2", "1.2.3"]),
    st.fixed_dictionaries(
        {},
        optional={
            "version": st.sampled_from(["^1", "1.0", "*", ""]) | SMALL_TEXT,
            "git": st.just("https://user:tok@github.com/o/r.git"),
            "path": st.just("../local"),
            "extras": st.lists(SMALL_TEXT, max_size=2) | json_scalars,
            "optional": st.booleans() | json_scalars,
            "markers": SMALL_TEXT,
        },
    ),
    st.lists(st.fixed_dictionaries({"version": SMALL_TEXT}), max_size=2),
    json_values,
)
dep_tables = st.dictionaries(req_names, spec_values, max_size=4)
lock_packages = st.lists(
    st.fixed_dictionaries(
        {"name": req_names},
        optional={
            "version": st.sampled_from(["1.0", ""]) | json_scalars,
            "category": st.sampled_from(["main", "dev"]),
            "groups": st.lists(st.sampled_from(["main", "dev", "docs"]), max_size=2) | json_scalars,
            "optional": st.booleans(),
            "source": st.fixed_dictionaries(
                {},
                optional={
                    "type": st.just("git"),
                    "url": st.just("https://u:p@h/r.git"),
                    "git": st.just("https://u:p@h/r.git"),
                    "editable": st.just("."),
                    "virtual": st.just("."),
                },
            ),
            "dependencies": st.lists(st.fixed_dictionaries({"name": req_names}), max_size=3),
            "optional-dependencies": st.dictionaries(
                SMALL_TEXT,
                st.lists(st.fixed_dictionaries({"name": req_names}), max_size=2),
                max_size=2,
            ),
            "dev-dependencies": st.dictionaries(
                SMALL_TEXT,
                st.lists(st.fixed_dictionaries({"name": req_names}), max_size=2),
                max_size=2,
            ),
        },
    ),
    max_size=5,
)


@st.composite
def toml_manifests(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(["pyproject.toml", "Pipfile", "poetry.lock", "uv.lock"]))
    if name == "pyproject.toml":
        text = toml_document(
            {
                "project": {
                    "name": draw(req_names),
                    "dependencies": draw(st.lists(requirement_strings, max_size=4)),
                    "optional-dependencies": draw(
                        st.dictionaries(
                            SMALL_TEXT, st.lists(requirement_strings, max_size=3), max_size=2
                        )
                    ),
                },
                "dependency-groups": draw(
                    st.dictionaries(
                        SMALL_TEXT, st.lists(requirement_strings, max_size=3), max_size=2
                    )
                ),
                "tool.poetry.dependencies": draw(dep_tables),
                "tool.poetry.group.dev.dependencies": draw(dep_tables),
                "tool.uv": {"dev-dependencies": draw(st.lists(requirement_strings, max_size=3))},
            },
            {},
        )
    elif name == "Pipfile":
        text = toml_document({"packages": draw(dep_tables), "dev-packages": draw(dep_tables)}, {})
    else:
        text = toml_document({}, {"package": draw(lock_packages)})
    data = text.encode()
    return name, draw(st.one_of(st.just(data), mutated(data)))


@st.composite
def json_manifests(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(["package.json", "package-lock.json", "Pipfile.lock"]))
    npm_specs = st.one_of(
        st.sampled_from(
            [
                "^1.0.0",
                "1.2.3",
                "npm:other@^2",
                "git+https://u:p@h/r.git",
                "file:../x",
                "*",
                "org/repo#v1",
            ]
        ),
        SMALL_TEXT,
    )
    npm_names = st.one_of(st.sampled_from(["react", "@org/pkg", "a", "node_modules/x"]), SMALL_TEXT)
    if name == "package.json":
        doc: object = {
            section: draw(st.dictionaries(npm_names, npm_specs | json_values, max_size=4))
            for section in (
                "dependencies",
                "devDependencies",
                "peerDependencies",
                "optionalDependencies",
            )
        }
    elif name == "package-lock.json":
        entry = st.fixed_dictionaries(
            {},
            optional={
                "version": npm_specs | json_values,
                "name": npm_names,
                "license": SMALL_TEXT | st.fixed_dictionaries({"type": SMALL_TEXT}),
                "dev": st.booleans(),
                "optional": st.booleans(),
                "link": st.booleans(),
                "peer": st.booleans(),
            },
        )
        packages = draw(
            st.dictionaries(
                st.one_of(st.builds("node_modules/{}".format, npm_names), npm_names),
                entry,
                max_size=4,
            )
        )
        nested = st.recursive(
            st.dictionaries(npm_names, entry, max_size=3),
            lambda inner: st.dictionaries(
                npm_names,
                entry.map(dict).flatmap(lambda e: inner.map(lambda d: {**e, "dependencies": d})),
                max_size=3,
            ),
            max_leaves=6,
        )
        doc = draw(
            st.one_of(
                st.just({"lockfileVersion": 3, "packages": packages}),
                nested.map(lambda d: {"lockfileVersion": 1, "dependencies": d}),
            )
        )
    else:
        lock_entry = st.fixed_dictionaries(
            {},
            optional={
                "version": st.sampled_from(["==1.0", "1.0", ""]) | json_scalars,
                "git": st.just("https://u:p@h/r.git"),
                "ref": SMALL_TEXT,
                "markers": SMALL_TEXT,
                "path": st.just("."),
            },
        )
        doc = {
            "default": draw(st.dictionaries(req_names, lock_entry | json_values, max_size=4)),
            "develop": draw(st.dictionaries(req_names, lock_entry, max_size=3)),
        }
    data = json.dumps(doc, indent=draw(st.sampled_from([None, 2]))).encode()
    return name, draw(st.one_of(st.just(data), mutated(data)))


@fuzz
@given(st.one_of(toml_manifests(), json_manifests()))
def test_manifests_structured(case: tuple[str, bytes]) -> None:
    name, data = case
    targets.manifest_file(data, name)


@fuzz
@given(st.sampled_from(targets.MANIFEST_NAMES), st.binary(max_size=300))
def test_manifests_random_bytes(name: str, data: bytes) -> None:
    targets.manifest_file(data, name)


# -- notebooks --------------------------------------------------------------------------

code_lines = st.sampled_from(
    [
        "from transformers import AutoModel",
        'model = AutoModel.from_pretrained("acme/model-a")',
        "name = 'acme/model-b'",
        "m = AutoModel.from_pretrained(name)",
        "!pip install torch==2.1.0 transformers",
        "%pip install -q datasets",
        "%%bash",
        "%%writefile x.py",
        "%time x = 1",
        "%sh pip install y",
        "files = !ls",
        "obj?",
        "def f(:",
        "\t",
        "x = (" * 50,
        "",
    ]
)
canary_code = f'from_pretrained("{targets.CANARY}")'
sources = st.one_of(
    st.lists(code_lines, max_size=6).map(lambda xs: [x + "\n" for x in xs]),
    st.lists(code_lines, max_size=6).map("\n".join),
    json_values,
)
outputs = st.lists(
    st.fixed_dictionaries(
        {
            "output_type": st.sampled_from(["stream", "execute_result", "display_data", "x"]),
            "text": st.just([canary_code, f"{targets.CANARY}\n"]),
            "data": st.just({"text/plain": [canary_code]}),
        }
    ),
    max_size=2,
)
cells = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "code", "markdown", "raw"]) | json_scalars},
    optional={"source": sources, "outputs": outputs, "metadata": json_values},
)
markdown_cell = st.just({"cell_type": "markdown", "source": [f"```python\n{canary_code}\n```"]})


@st.composite
def notebooks(draw: st.DrawFn) -> bytes:
    cell_list = draw(st.lists(st.one_of(cells, markdown_cell), max_size=6))
    language = draw(st.sampled_from([None, "python", "R", "ipython3", ""]))
    metadata: dict[str, object] = {}
    if language is not None:
        metadata["language_info"] = {"name": language}
    shape = draw(st.sampled_from(["v4", "v4", "v3", "odd"]))
    if shape == "v4":
        doc: object = {"cells": cell_list, "metadata": metadata, "nbformat": 4}
    elif shape == "v3":
        for cell in cell_list:
            if "source" in cell:
                cell["input"] = cell.pop("source")
        doc = {"worksheets": [{"cells": cell_list}], "metadata": metadata, "nbformat": 3}
    else:
        doc = draw(json_values)
    text = json.dumps(
        doc, indent=draw(st.sampled_from([None, 1])), ensure_ascii=draw(st.booleans())
    )
    return text.encode("utf-8", "surrogatepass")


@fuzz
@given(near(notebooks()))
def test_notebook_structured(data: bytes) -> None:
    targets.notebook_file(data)


@fuzz
@given(st.binary(max_size=300))
def test_notebook_random_bytes(data: bytes) -> None:
    targets.notebook_file(data)


# -- licenses ---------------------------------------------------------------------------

_tables = load_tables()
license_terms = st.one_of(
    st.sampled_from(sorted(hub_license_ids())),
    st.sampled_from(sorted(_tables.aliases)),
    st.sampled_from(sorted(_tables.names)),
    st.sampled_from(["MIT", "Apache-2.0", "GPL-3.0-or-later", "LicenseRef-x", "LLVM-exception"]),
    st.sampled_from(["AND", "OR", "WITH", "and", "or", "with", "(", ")", ",", "/", ";", "+"]),
    SMALL_TEXT,
)
declarations = st.one_of(
    st.lists(license_terms, max_size=8).map(" ".join),
    st.lists(license_terms, max_size=8).map("".join),
    st.sampled_from(["(" * 3000, "(" * 100 + "MIT" + ")" * 100, " " * 5000 + "x", "MIT OR " * 500]),
    SMALL_TEXT,
)
links = st.one_of(
    st.none(),
    st.sampled_from([f"https://{link}" for link in list(dict(_tables.links))[:40]]),
    SMALL_TEXT,
)


@fuzz
@given(declarations, st.one_of(st.none(), declarations), links)
def test_license_normaliser(raw: str, name: str | None, link: str | None) -> None:
    data = "\x00".join([raw, name or "", link or ""]).encode("utf-8", "surrogatepass")
    targets.license_string(data)


@fuzz
@given(st.binary(max_size=200))
def test_license_normaliser_random_bytes(data: bytes) -> None:
    targets.license_string(data)


# -- replaying what fuzzing found -------------------------------------------------------


def _fixtures() -> list[Any]:
    found = sorted(p for p in targets.FUZZ_FIXTURES.glob("*/*") if p.is_file())
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in found]


@pytest.mark.parametrize("path", _fixtures())
def test_fuzz_fixtures_replay(path: Path) -> None:
    """Every input that once crashed a parser is handled now (see fixtures/fuzz/README.md)."""
    target = targets.TARGETS[path.parent.name]
    target(path.read_bytes())


def test_every_fuzz_fixture_names_a_target() -> None:
    folders = {p.name for p in targets.FUZZ_FIXTURES.iterdir() if p.is_dir()}
    assert folders <= set(targets.TARGETS), folders - set(targets.TARGETS)


def test_the_atheris_harness_fuzzes_the_same_targets() -> None:
    spec = importlib.util.spec_from_file_location(
        "fuzz_atheris", targets.FUZZ_FIXTURES.parent.parent / "scripts" / "fuzz_atheris.py"
    )
    assert spec is not None and spec.loader is not None
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    assert list(harness._SEEDS) == list(targets.TARGETS)
