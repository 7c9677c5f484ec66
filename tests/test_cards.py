"""Card front matter: the metadata modelbom reads from README.md files it does not trust."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from modelbom.errors import ModelbomError
from modelbom.resolvers.cards import MAX_NODES, CardData, CardError, parse_front_matter

LORA_CARD = """---
license: other
license_name: fake-adapter-license
license_link: LICENSE
base_model: acme/base-llama
base_model_relation: adapter
datasets:
  - acme/instruct
  - imdb
pipeline_tag: text-generation
library_name: peft
tags: [lora, peft]
extra_gated_prompt: Agree to the terms
---
# A LoRA adapter

Some text with --- dashes and a horizontal rule:

---
"""


def test_reads_the_fields_modelbom_uses() -> None:
    card = parse_front_matter(LORA_CARD)
    assert card == CardData(
        license="other",
        license_name="fake-adapter-license",
        license_link="LICENSE",
        base_model=["acme/base-llama"],
        base_model_relation="adapter",
        datasets=["acme/instruct", "imdb"],
        pipeline_tag="text-generation",
        library_name="peft",
        tags=["lora", "peft"],
        extra_gated=True,
    )
    assert card.licenses == ["other"]


def test_a_list_of_licenses_and_of_base_models_stays_a_list() -> None:
    card = parse_front_matter(
        "---\nlicense: [apache-2.0, mit]\nbase_model:\n- acme/a\n- acme/b\n- acme/a\n---\n"
    )
    assert card.license == ["apache-2.0", "mit"]
    assert card.licenses == ["apache-2.0", "mit"]
    assert card.base_model == ["acme/a", "acme/b"]


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff---\nlicense: mit\n---\nbody",
        "---\r\nlicense: mit\r\n---\r\nbody",
        "\n\n  \n---\nlicense: mit\n---\n",
        "---  \nlicense: mit\n---\t\n",
        "---\nlicense: mit\n---",
    ],
    ids=["bom", "crlf", "leading-blank-lines", "trailing-spaces", "no-final-newline"],
)
def test_finds_the_block_despite_bom_crlf_and_blank_lines(text: str) -> None:
    assert parse_front_matter(text).license == "mit"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# Just a README\n\nlicense: mit\n",
        "---\n---\n# empty block\n",
        "---\n# a horizontal rule that is never closed\n",
        "Intro\n---\nlicense: mit\n---\n",
    ],
    ids=["empty", "no-block", "empty-block", "unclosed", "not-at-start"],
)
def test_no_metadata_gives_an_empty_card(text: str) -> None:
    assert parse_front_matter(text) == CardData()


def test_yaml_1_1_scalars_become_their_string_form() -> None:
    card = parse_front_matter(
        "---\nlicense: no\nlicense_name: 2024-01-01\nlicense_link: 1.10\ntags: [yes, 3]\n---\n"
    )
    assert card.license == "false"  # `no` was read as a boolean: the text is lost
    assert card.license_name == "2024-01-01"
    assert card.license_link == "1.1"
    assert card.tags == ["true", "3"]


def test_values_of_the_wrong_shape_are_dropped_not_fatal() -> None:
    card = parse_front_matter(
        "---\nlicense: {a: b}\nbase_model: {id: acme/x}\ndatasets: [[nested], acme/d, null, '']\n"
        "1: non-string key\nself: fine\nlicense_name: ~\n---\n"
    )
    assert card == CardData(datasets=["acme/d"])


def test_duplicate_keys_keep_the_last_value() -> None:
    assert parse_front_matter("---\nlicense: mit\nlicense: apache-2.0\n---\n").license == (
        "apache-2.0"
    )


@pytest.mark.parametrize(
    "text",
    ["---\n- license\n- mit\n---\n", "---\njust a string\n---\n", "---\n42\n---\n"],
    ids=["list", "string", "number"],
)
def test_a_block_that_is_not_a_mapping_is_an_error(text: str) -> None:
    with pytest.raises(CardError, match="not a mapping"):
        parse_front_matter(text)


def test_card_error_is_a_modelbom_error() -> None:
    assert issubclass(CardError, ModelbomError)


def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payloads = [
        f"---\nlicense: !!python/object/apply:os.system ['touch {marker}']\n---\n",
        "---\nlicense: !!python/name:os.system\n---\n",
        f"---\n? !!python/object/apply:os.system ['touch {marker}']\n: x\n---\n",
    ]
    for text in payloads:
        with pytest.raises(CardError, match="unsafe YAML tag"):
            parse_front_matter(text)
    assert not marker.exists()


def test_unknown_tags_are_an_error() -> None:
    with pytest.raises(CardError, match="invalid YAML"):
        parse_front_matter("---\nlicense: !custom mit\n---\n")


def test_malformed_yaml_names_the_problem_and_line() -> None:
    with pytest.raises(CardError, match=r"invalid YAML in card metadata: .*\(line \d+\)"):
        parse_front_matter("---\nlicense: mit\ntags: [apache-2.0\n---\n")


def test_an_alias_bomb_fails_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    text = "---\n" + "\n".join(lines) + "\nlicense: mit\n---\n"
    assert len(text) < 1000
    start = time.monotonic()
    with pytest.raises(CardError, match=f"more than {MAX_NODES} YAML nodes"):
        parse_front_matter(text)
    assert time.monotonic() - start < 1.0


def test_a_self_referencing_document_is_refused() -> None:
    with pytest.raises(CardError, match="YAML nodes"):
        parse_front_matter("---\ntags: &loop [*loop]\n---\n")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    text = "---\nlicense: " + "[" * 5000 + "]" * 5000 + "\n---\n"
    with pytest.raises(CardError):
        parse_front_matter(text)


@pytest.mark.parametrize("closing", ["", "]" * 5000], ids=["unclosed", "closed"])
def test_deep_flow_nesting_is_refused_before_the_yaml_scanner_runs(closing: str) -> None:
    # PyYAML's scanner is quadratic in this depth: 5,000 brackets took it over 40 s.
    text = "---\nlicense: " + "[" * 5000 + closing + "\n---\n"
    started = time.perf_counter()
    with pytest.raises(CardError, match="nests too deeply"):
        parse_front_matter(text)
    assert time.perf_counter() - started < 1
    # Nesting a card really uses is still read.
    assert parse_front_matter("---\nlicense: [[[mit]]]\n---\n").license is None
    assert parse_front_matter("---\ntags: [[a, [b]], c]\n---\n").tags == ["c"]


def test_control_characters_are_a_card_error() -> None:
    with pytest.raises(CardError, match=r"unacceptable character #x0000 \(position 3\)"):
        parse_front_matter("---\na: \x00\n---\n")


def test_escaped_lone_surrogates_become_printable_text() -> None:
    card = parse_front_matter('---\nlicense: "mit\\ud800"\ntags: ["\\udfff"]\n---\n')
    assert card.license == "mit\\ud800"
    assert card.tags == ["\\udfff"]
    assert card.model_dump_json().encode("utf-8")


def test_the_size_cap_applies_before_parsing() -> None:
    big_block = "---\n" + "".join(f"k{i}: v\n" for i in range(200)) + "---\n"
    assert len(big_block) > 1000
    with pytest.raises(CardError, match="larger than 1000 bytes"):
        parse_front_matter(big_block, max_bytes=1000)
    unclosed = "---\nlicense: mit\n" + "x: y\n" * 1000
    with pytest.raises(CardError, match="larger than 1000 bytes"):
        parse_front_matter(unclosed, max_bytes=1000)


def test_a_long_readme_with_a_small_block_is_fine() -> None:
    text = "---\nlicense: mit\n---\n" + "words " * 500_000
    assert parse_front_matter(text).license == "mit"


def test_a_one_mib_block_is_refused_by_default() -> None:
    text = "---\nlicense: mit\npad: '" + "x" * (1024 * 1024) + "'\n---\n"
    with pytest.raises(CardError, match="larger than 1048576 bytes"):
        parse_front_matter(text)


def test_from_mapping_normalises_api_card_data() -> None:
    card = CardData.from_mapping(
        {
            "license": ["cc-by-4.0", 5, None],
            "base_model": "acme/base",
            "datasets": "imdb",
            "extra_gated_fields": {"Company": "text"},
            7: "ignored",
        }
    )
    assert card.license == ["cc-by-4.0", "5"]
    assert card.base_model == ["acme/base"]
    assert card.datasets == ["imdb"]
    assert card.extra_gated is True


def test_card_data_is_frozen() -> None:
    card = parse_front_matter("---\nlicense: mit\n---\n")
    with pytest.raises(ValueError, match="frozen"):
        card.license = "gpl-3.0"  # type: ignore[misc]
