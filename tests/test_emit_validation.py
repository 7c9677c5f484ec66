"""Format checks of the output validators, and the start-up cost they are there to avoid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema._utils import uniq  # type: ignore[import-untyped]

from modelbom.emit.cyclonedx import SPEC_VERSIONS, validate
from modelbom.emit.validation import (
    MissingFormat,
    format_checker,
    formats_in,
    is_iri_reference,
    unique_items,
)

# Each verdict is the one of the rfc3987-syntax grammar that jsonschema's own
# iri-reference checker uses, so a BOM modelbom accepts passes a consumer's validation.
VALID = [
    "https://huggingface.co/meta-llama/Llama-3.1-8B",
    "https://huggingface.co/datasets/acme/corpus?x=1#frag",
    "http://user:pw@example.com:8080/a/b?c#d",
    "http://127.0.0.1:9/",
    "http://[2001:db8:0:0:0:0:0:1]/",
    "http://[fe80::1:2:3:4:5:6]/",
    "http://[v1.fe]/",
    "urn:air:sdxl:lora:civitai:328553@368189",
    "mailto:legal@example.com",
    "./LICENSE",
    "../docs/licence.md#terms",
    "",
    "#only-fragment",
    "//cdn.example.org/x",
    "https://例え.jp/パス?クエリ",
    "https://example.com/caf\u00e9",
    "https://example.com/?q=\ue000",  # a private-use character, allowed in the query only
    "a:b:c",
]
INVALID = [
    "https://example.com/#\ue000",
    "https://example.com/\ue000",
    "https://example.com/a b",
    "https://example.com/<x>",
    "https://example.com/%zz",
    "https://example.com/%4",
    "http://[::1]/",  # valid in RFC 3987, not in the grammar consumers validate with
    "http://[::ffff:1.2.3.4]/",
    "http://[1:2:3:4:5:6:7:8:9]/",
    "http://[1.2.3.4]/",
    "http://[V1.fe]/",
    "1http://x",
    ":no-scheme",
    "https://example.com/\U0001f600",  # outside the Basic Multilingual Plane
    "https://example.com/\x01",
    "https://example.com/\x02",
    'https://exa"mple.com/',
    "https://example.com/\\path",
    "ht tp://x",
    "https://example.com:80a/",
]


@pytest.mark.parametrize("value", VALID)
def test_valid_iri_references(value: str) -> None:
    assert is_iri_reference(value)


@pytest.mark.parametrize("value", INVALID)
def test_invalid_iri_references(value: str) -> None:
    assert not is_iri_reference(value)


def test_a_long_hostile_value_is_checked_quickly() -> None:
    assert not is_iri_reference("http://" + "a:" * 20_000 + "@" * 3 + "/<")
    assert is_iri_reference("https://example.com/" + "a/" * 50_000)


def test_a_format_without_a_checker_is_an_error_not_a_pass() -> None:
    with pytest.raises(MissingFormat, match="no-such-format"):
        format_checker({"date-time", "no-such-format"})


@pytest.mark.parametrize("version", sorted(SPEC_VERSIONS))
def test_every_format_of_the_cyclonedx_schemas_is_checked(version: str) -> None:
    from cyclonedx.schema import _res

    paths = [_res.BOM_JSON_STRICT[SPEC_VERSIONS[version]], _res.SPDX_JSON, _res.JSF]
    paths.append(_res.CRYPTOGRAPHY_DEFS)
    schemas = []
    for path in paths:
        assert path is not None
        with open(path, encoding="utf-8") as handle:
            schemas.append(json.load(handle))
    formats = formats_in(*schemas)
    assert {"date-time", "iri-reference", "idn-email"} <= formats
    assert set(format_checker(formats).checkers) == formats


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.sampled_from([0.0, 1.0, 1.5])
    | st.text("ab", max_size=2),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text("ab", max_size=1), children, max_size=3)
    ),
    max_leaves=8,
)


def fast_unique(items: list[Any]) -> bool:
    class Draft:
        @staticmethod
        def is_type(instance: object, kind: str) -> bool:
            return isinstance(instance, list)

    return not list(unique_items(Draft(), True, items, {}))


@given(st.lists(JSON, max_size=6))
def test_unique_items_agrees_with_jsonschema(items: list[Any]) -> None:
    assert fast_unique(items) == bool(uniq(items))


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([1, 1.0], False),
        ([True, 1], True),
        ([False, 0, None], True),
        ([{"a": [1, {"b": True}]}, {"a": [1.0, {"b": True}]}], False),
        ([{"a": 1}, {"a": 1, "b": 2}], True),
        ([[1, 2], [2, 1]], True),
    ],
)
def test_unique_items_uses_json_equality(items: list[Any], unique: bool) -> None:
    assert fast_unique(items) is unique


def test_duplicate_components_fail_validation() -> None:
    document = json.loads(bom())
    document["components"].append(dict(document["components"][0]))
    error = validate(json.dumps(document), "1.6")
    assert error is not None and "non-unique" in error


def bom(**component: Any) -> str:
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"timestamp": "2026-01-02T03:04:05Z"},
        "components": [{"type": "library", "name": "x", "bom-ref": "x", **component}],
    }
    return json.dumps(document)


def test_a_well_formed_bom_passes() -> None:
    url = [{"type": "website", "url": "https://huggingface.co/acme/x"}]
    assert validate(bom(externalReferences=url), "1.6") is None


@pytest.mark.parametrize(
    ("component", "message"),
    [
        # a URL is an iri-reference or a bom-link: "not valid under any of the given schemas"
        ({"externalReferences": [{"type": "website", "url": "http://[::1]/"}]}, "'http://[::1]/'"),
        ({"externalReferences": [{"type": "website", "url": "a b"}]}, "'a b' is not valid"),
        ({"authors": [{"name": "a", "email": "no-at-sign"}]}, "idn-email"),
        ({"releaseNotes": {"type": "major", "timestamp": "yesterday"}}, "date-time"),
        ({"unknownField": 1}, "Additional properties"),
    ],
)
def test_a_malformed_bom_fails_with_the_reason(component: dict[str, Any], message: str) -> None:
    error = validate(bom(**component), "1.6")
    assert error is not None and message in error


def test_the_command_line_offers_every_spec_version_the_emitter_writes() -> None:
    from modelbom.emit import CYCLONEDX_VERSIONS

    assert sorted(CYCLONEDX_VERSIONS) == sorted(SPEC_VERSIONS)


def test_the_version_answers_without_importing_the_engine_or_the_validators() -> None:
    code = (
        "import sys, modelbom.cli\n"
        "assert modelbom.cli.main(['--version']) == 0\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(proc.stdout.split())
    assert "modelbom.cli" in loaded
    heavy = {"modelbom.engine", "modelbom.crawlers", "jsonschema", "cyclonedx", "huggingface_hub"}
    assert loaded & heavy == set()


def test_an_installed_rfc3987_syntax_is_imported_only_when_jsonschema_needs_it(
    tmp_path: Path,
) -> None:
    # A package of that name, as another tool may have installed it: it records when it
    # is imported, and accepts only "ok" as an IRI.
    package = tmp_path / "site" / "rfc3987_syntax"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import os\n"
        "open(os.environ['MARKER'], 'a').write('imported\\n')\n"
        "def is_valid_syntax(term, value):\n"
        "    return value == 'ok'\n"
    )
    marker = tmp_path / "marker"
    code = textwrap.dedent(
        """
        import json, os
        from modelbom.emit.cyclonedx import validate
        bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}
        assert validate(json.dumps(bom), "1.6") is None
        print("after validate:", os.path.exists(os.environ["MARKER"]))
        from jsonschema import FormatChecker
        checker = FormatChecker()
        print("jsonschema's own check:", checker.conforms("ok", "iri"), checker.conforms("x:y", "iri"))
        print("after the check:", os.path.exists(os.environ["MARKER"]))
        """
    )
    env = dict(os.environ, MARKER=str(marker), PYTHONPATH=str(tmp_path / "site"))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "after validate: False",
        "jsonschema's own check: True False",
        "after the check: True",
    ]
