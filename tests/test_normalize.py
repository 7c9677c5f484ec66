"""License normalisation: Hub ids, ``other`` with names and links, expressions, hostile input."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

from modelbom.licenses import normalize
from modelbom.licenses.normalize import MODELBOM_PREFIX, hub_license_ids, normalize_license

LICENSE_REF = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")
SPDX = get_spdx_licensing()


def data_file() -> dict[str, Any]:
    text = resources.files("modelbom.licenses").joinpath("data/hf_licenses.json").read_text()
    document: dict[str, Any] = json.loads(text)
    return document


def assert_valid_expression(expression: str) -> None:
    """SPDX and ScanCode symbols are known to license-expression; the rest are LicenseRefs."""
    parsed = SPDX.parse(expression, validate=False, strict=True)
    assert parsed is not None
    assert parsed.render() == expression
    for key in SPDX.unknown_license_keys(parsed):
        assert LICENSE_REF.match(key), key
        assert key.startswith(MODELBOM_PREFIX), key
    for key in SPDX.license_keys(parsed):
        assert key in SPDX.known_symbols or LICENSE_REF.match(key), key


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    normalize._normalize.cache_clear()
    yield
    normalize._normalize.cache_clear()


# ----------------------------------------------------------------------------- Hub ids


def test_the_table_holds_every_hub_license_id() -> None:
    ids = set(hub_license_ids())
    expected = {
        "apache-2.0", "mit", "openrail", "openrail++", "creativeml-openrail-m",
        "bigscience-openrail-m", "bigscience-bloom-rail-1.0", "bigcode-openrail-m",
        "cc-by-nc-4.0", "cc-by-nc-nd-3.0", "cdla-sharing-1.0", "cdla-permissive-1.0",
        "cdla-permissive-2.0", "c-uda", "odc-by", "odbl", "pddl", "etalab-2.0", "lgpl-lr",
        "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma",
        "deepfloyd-if-license", "fair-noncommercial-research-license", "apple-amlr",
        "apple-ascl", "h-research", "intel-research", "openmdw-1.0", "grok2-community",
        "eupl-1.2", "gfdl", "unknown", "other",
    }  # fmt: skip
    assert expected <= ids
    assert len(ids) == 82


@pytest.mark.parametrize("hub_id", [i for i in hub_license_ids() if i not in ("unknown", "other")])
def test_every_hub_id_maps_to_a_valid_expression(hub_id: str) -> None:
    expression, _ = normalize_license(hub_id)
    assert expression is not None
    assert_valid_expression(expression)
    assert normalize_license(hub_id.upper()) == normalize_license(hub_id)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("apache-2.0", ("Apache-2.0", False)),
        ("mit", ("MIT", False)),
        ("cc-by-nc-4.0", ("CC-BY-NC-4.0", False)),
        ("agpl-3.0", ("AGPL-3.0-only", False)),
        ("c-uda", ("C-UDA-1.0", False)),
        ("odc-by", ("ODC-By-1.0", False)),
        ("etalab-2.0", ("etalab-2.0", False)),
        ("cdla-permissive-2.0", ("CDLA-Permissive-2.0", False)),
        ("llama2", ("LicenseRef-scancode-llama-2-license-2023", False)),
        ("llama3", ("LicenseRef-modelbom-llama3", False)),
        ("llama3.1", ("LicenseRef-scancode-llama-3.1-license-2024", False)),
        ("llama3.2", ("LicenseRef-scancode-llama-3.2-license-2024", False)),
        ("llama3.3", ("LicenseRef-scancode-llama-3.3-license-2024", False)),
        ("llama4", ("LicenseRef-scancode-llama-4-cla-2025", False)),
        ("gemma", ("LicenseRef-scancode-gemma-tou-2024-04-01", False)),
        ("bigscience-openrail-m", ("LicenseRef-scancode-bigscience-open-rail-m", False)),
        ("bigscience-bloom-rail-1.0", ("LicenseRef-scancode-bigscience-rail-1.0", False)),
        ("bigcode-openrail-m", ("LicenseRef-scancode-bigcode-open-rail-m-v1", False)),
        ("creativeml-openrail-m", ("LicenseRef-scancode-stable-diffusion-2022-08-22", False)),
        ("openrail++", ("LicenseRef-modelbom-openrail-plusplus-m", False)),
        ("apple-amlr", ("LicenseRef-modelbom-apple-amlr", False)),
        (
            "fair-noncommercial-research-license",
            (MODELBOM_PREFIX + "fair-noncommercial-research-license", False),
        ),
        ("openrail", ("LicenseRef-modelbom-openrail", True)),  # a family: no version
        ("gpl", ("LicenseRef-modelbom-gpl", True)),
        ("unknown", (None, True)),
        ("other", ("LicenseRef-modelbom-other", True)),
        ("  Apache-2.0  ", ("Apache-2.0", False)),
    ],
)
def test_hub_ids(raw: str, expected: tuple[str | None, bool]) -> None:
    assert normalize_license(raw) == expected


@pytest.mark.parametrize("section", ["names", "links"])
def test_every_name_and_link_entry_is_a_valid_expression(section: str) -> None:
    entries = data_file()[section]
    assert entries
    for key, entry in entries.items():
        assert entry["expression"], key
        assert_valid_expression(entry["expression"])


def test_every_alias_is_a_valid_expression() -> None:
    for key, expression in data_file()["aliases"].items():
        assert key == " ".join(key.lower().split()), key
        assert_valid_expression(expression)


def test_provenance_is_recorded() -> None:
    provenance = data_file()["provenance"]
    assert provenance["checked"] == "2026-11-23"
    assert "huggingface.co/docs/hub/repositories-licenses" in provenance["hub_ids"]
    assert "30.4.4" in provenance["expressions"]
    note = resources.files("modelbom.licenses").joinpath("data/PROVENANCE.md").read_text()
    assert "2026-11-23" in note
    assert "license-expression **30.4.4**" in note


# ------------------------------------------------------------------------------ other


@pytest.mark.parametrize(
    ("name", "link", "expected"),
    [
        ("flux-1-dev-non-commercial-license", "LICENSE.md", "LicenseRef-scancode-flux-1-nc"),
        ("stabilityai-ai-community", None, "LicenseRef-scancode-stability-ai-community-2024"),
        ("stability-ai-community", None, "LicenseRef-scancode-stability-ai-community-2024"),
        ("tongyi-qianwen", "LICENSE", "LicenseRef-scancode-tongyi-qianwen-2023"),
        ("qwen", None, "LicenseRef-modelbom-qwen"),
        ("qwen-research", None, "LicenseRef-modelbom-qwen-research"),
        ("mrl", None, "LicenseRef-modelbom-mistral-research-license"),
        ("mistral-research", None, "LicenseRef-modelbom-mistral-research-license"),
        ("mnpl", None, "LicenseRef-modelbom-mnpl"),
        ("tii-falcon-license", None, "LicenseRef-modelbom-tii-falcon-license"),
        ("falcon-llm-license", None, "LicenseRef-modelbom-tii-falcon-license"),
        ("deepseek", "LICENSE", "LicenseRef-scancode-deepseek-la-1.0"),
        (
            "Llama 3.1 Community License Agreement",
            None,
            "LicenseRef-scancode-llama-3.1-license-2024",
        ),
        (
            "llama3.1",
            "https://llama.meta.com/llama3_1/license/",
            "LicenseRef-scancode-llama-3.1-license-2024",
        ),
        ("gemma-terms-of-use", None, "LicenseRef-scancode-gemma-tou-2024-04-01"),
        ("nvidia-open-model-license", None, "LicenseRef-scancode-nvidia-open-model-2025-04-28"),
        ("apple-sample-code-license", None, "LicenseRef-modelbom-apple-ascl"),
        ("c4ai-cc-by-nc-4.0", None, "CC-BY-NC-4.0 AND LicenseRef-modelbom-cohere-c4ai-aup"),
        # a standard license under ``other``: the Cohere link adds the acceptable-use policy
        (
            "cc-by-nc-4.0",
            "https://cohere.com/c4ai-cc-by-nc-license",
            "CC-BY-NC-4.0 AND LicenseRef-modelbom-cohere-c4ai-aup",
        ),
        ("apache-2.0", "LICENSE", "Apache-2.0"),
        # no name, but the link is well known
        (
            None,
            "https://www.llama.com/llama3_2/license/",
            "LicenseRef-scancode-llama-3.2-license-2024",
        ),
        (None, "https://ai.google.dev/gemma/terms", "LicenseRef-scancode-gemma-tou-2024-04-01"),
    ],
)
def test_other_with_a_known_name_or_link(name: str | None, link: str | None, expected: str) -> None:
    assert normalize_license("other", name=name, link=link) == (expected, False)


def test_other_with_an_unknown_name_is_flagged() -> None:
    assert normalize_license("other", name="Acme Internal Eval License v2", link="LICENSE") == (
        "LicenseRef-modelbom-other-acme-internal-eval-license-v2",
        True,
    )


def test_other_without_a_name_is_flagged() -> None:
    assert normalize_license("other") == ("LicenseRef-modelbom-other", True)
    assert normalize_license("other", name="  ", link="LICENSE") == (
        "LicenseRef-modelbom-other",
        True,
    )
    assert normalize_license("Other", name="other") == ("LicenseRef-modelbom-other", True)


def test_names_are_understood_without_other() -> None:
    # the license-files crawler reports detected names as they appear on the Hub
    assert normalize_license("flux-1-dev-non-commercial-license") == (
        "LicenseRef-scancode-flux-1-nc",
        False,
    )
    assert normalize_license("Meta Llama 3 Community License Agreement") == (
        "LicenseRef-modelbom-llama3",
        False,
    )


# ------------------------------------------------------------------------ expressions


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("MIT OR Apache-2.0", "MIT OR Apache-2.0"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("apache-2.0 with llvm-exception", "Apache-2.0 WITH LLVM-exception"),
        ("(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("GPL-2.0", "GPL-2.0-only"),
        ("llama3.1 OR apache-2.0", "LicenseRef-scancode-llama-3.1-license-2024 OR Apache-2.0"),
        ("Apache License 2.0 OR MIT License", "Apache-2.0 OR MIT"),
        ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
        ("apache-2.0, cc-by-4.0", "Apache-2.0 AND CC-BY-4.0"),
        (
            "LicenseRef-scancode-llama-3.1-license-2024",
            "LicenseRef-scancode-llama-3.1-license-2024",
        ),
    ],
)
def test_expressions(raw: str, expected: str) -> None:
    assert normalize_license(raw) == (expected, False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("apache 2.0", "Apache-2.0"),
        ("Apache License 2.0", "Apache-2.0"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("MIT License", "MIT"),
        ("The MIT License", "MIT"),
        ("BSD-3", "BSD-3-Clause"),
        ("BSD 2-Clause", "BSD-2-Clause"),
        ("GPLv3", "GPL-3.0-only"),
        ("GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later"),
        ("CC BY-NC 4.0", "CC-BY-NC-4.0"),
        ("cc0", "CC0-1.0"),
        ("Python Software Foundation License", "PSF-2.0"),
    ],
)
def test_aliases(raw: str, expected: str) -> None:
    assert normalize_license(raw) == (expected, False)


def test_an_unknown_term_in_an_expression_is_kept_and_flagged() -> None:
    assert normalize_license("MIT OR Acme-Proprietary") == (
        "MIT OR LicenseRef-modelbom-unknown-acme-proprietary",
        True,
    )


def test_someone_elses_license_ref_is_kept_but_flagged() -> None:
    assert normalize_license("LicenseRef-Acme-1.0") == ("LicenseRef-Acme-1.0", True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("my weird license", "LicenseRef-modelbom-unknown-my-weird-license"),
        ("GNU GPL v3 or later", "LicenseRef-modelbom-unknown-gnu-gpl-v3-or-later"),
        ("(MIT", "LicenseRef-modelbom-unknown-mit"),
        ("MIT AND", "LicenseRef-modelbom-unknown-mit-and"),
        ("MIT WITH Apache-2.0", "LicenseRef-modelbom-unknown-mit-with-apache-2.0"),
        ("()", "LicenseRef-modelbom-unknown"),
        ("Proprietary © Ünïcode Corp.", "LicenseRef-modelbom-unknown-proprietary-n-code-corp"),
        ("x" * 500, "LicenseRef-modelbom-unknown-" + "x" * 60),
    ],
)
def test_anything_else_is_an_unknown_ref(raw: str, expected: str) -> None:
    expression, review = normalize_license(raw)
    assert (expression, review) == (expected, True)
    assert expression is not None and LICENSE_REF.match(expression)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("LLVM-exception", "LicenseRef-modelbom-unknown-llvm-exception"),
        ("classpath-exception-2.0", "LicenseRef-modelbom-unknown-classpath-exception-2.0"),
        ("MIT OR LLVM-exception", "MIT OR LicenseRef-modelbom-unknown-llvm-exception"),
        ("MIT WITH bogus-exception", "LicenseRef-modelbom-unknown-mit-with-bogus-exception"),
    ],
)
def test_an_exception_is_not_a_license_on_its_own(raw: str, expected: str) -> None:
    # SPDX exceptions are valid only after WITH; alone they are not a license.
    assert normalize_license(raw) == (expected, True)


@pytest.mark.parametrize(
    "raw",
    [
        False,
        True,
        None,
        3,
        1.5,
        dt.date(2024, 1, 1),
        "False",
        "no",
        "yes",
        "2024-01-01",
        "null",
        "",
        "   ",
    ],
)
def test_yaml_typing_accidents_need_review(raw: object) -> None:
    assert normalize_license(raw) == (None, True)


# ------------------------------------------------------------------------ hostile input

HOSTILE = {
    "3000-term OR chain": " OR ".join(["MIT", "Apache-2.0", "BSD-3-Clause"] * 1000),
    "100k open parentheses": "(" * 100_000,
    "deep balanced nesting": "(" * 900 + "MIT" + ")" * 900,
    "long whitespace": "MIT" + " " * 200_000 + "OR Apache-2.0",
    "whitespace then garbage": " \t" * 100_000 + "x",
    "many short terms": " OR ".join(f"MIT{i}" for i in range(300)),
    "null bytes": "MIT\x00OR\x00" * 10_000,
    "operators only": "AND OR WITH " * 500,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_never_raises_and_is_cheap(name: str) -> None:
    value = HOSTILE[name]
    # Bounded-time loop: distinct inputs (no memoisation) until 20 are done or 10 s pass.
    done = 0
    deadline = time.monotonic() + 10.0
    while done < 20 and time.monotonic() < deadline:
        expression, review = normalize_license(value + " x" * done, name=value, link=value)
        assert review is True
        if expression is not None:
            assert_valid_expression(expression)
        done += 1
    assert done == 20, f"only {done} normalisations of {name!r} in 10 s"
    assert normalize_license("other", name=value, link=value)[1] is True


def test_license_expression_never_sees_more_than_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    real = normalize._licensing()
    seen: list[int] = []

    class Spy:
        def parse(self, expression: str, **kwargs: Any) -> Any:
            seen.append(len(expression))
            return real.parse(expression, **kwargs)

        def unknown_license_keys(self, parsed: Any) -> Any:
            return real.unknown_license_keys(parsed)

    monkeypatch.setattr(normalize, "_licensing", Spy)
    for value in HOSTILE.values():
        normalize_license(value)
    normalize_license("MIT OR Apache-2.0")
    assert seen, "the spy saw nothing"
    assert max(seen) <= 2_000


def test_normalising_from_many_threads_gives_the_same_answers() -> None:
    inputs = ["MIT OR Apache-2.0", "llama3.1", "apache 2.0", "Apache-2.0 WITH LLVM-exception"]
    inputs += [f"MIT OR Acme-{i}" for i in range(50)]
    expected = [normalize_license(v) for v in inputs]
    normalize._normalize.cache_clear()
    results: list[list[tuple[str | None, bool]]] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [normalize_license(v) for v in inputs]
        with lock:
            results.append(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8
