"""The license-files crawler: fingerprints of license texts, and folders that hold models."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from modelbom.crawlers.base import Crawler, FileInput
from modelbom.crawlers.hf_files import HfFilesCrawler
from modelbom.crawlers.license_files import (
    LicenseFilesCrawler,
    identify_license,
    license_file_rank,
)
from modelbom.engine import scan
from modelbom.licenses import normalize_license
from modelbom.model import Finding, Kind, ScanResult, Scope
from modelbom.options import ScanOptions

MIB = 1024 * 1024

# Short excerpts of the opening lines of real license texts (never whole texts).
APACHE = """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION
"""
MIT = """MIT License

Copyright (c) 2024 Acme AI

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
"""
BSD3 = """BSD 3-Clause License

Copyright (c) 2023, Acme AI

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
"""
BSD2 = """Copyright (c) 2023, Acme AI
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
"""
GPL3 = """                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
"""
GPL2 = """                    GNU GENERAL PUBLIC LICENSE
                       Version 2, June 1991
"""
LGPL3 = """                   GNU LESSER GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

  This version of the GNU Lesser General Public License incorporates
the terms and conditions of version 3 of the GNU General Public
License, supplemented by the additional permissions listed below.
"""
AGPL3 = """                    GNU AFFERO GENERAL PUBLIC LICENSE
                       Version 3, 19 November 2007
"""
MPL2 = """Mozilla Public License Version 2.0
==================================

1. Definitions
"""
CC_BY_NC = """Attribution-NonCommercial 4.0 International

=======================================================================

Creative Commons Corporation ("Creative Commons") is not a law firm and
"""
CC_BY_SA = "# Attribution-ShareAlike 4.0 International\n\nCreative Commons Corporation\n"
CC_BY = "Attribution 4.0 International\n\nCreative Commons Corporation\n"
CC_BY_NC_SA = "Attribution-NonCommercial-ShareAlike 4.0 International\n\n=====\n"
OPENRAIL_M = """Copyright (c) 2022 Robin Rombach and Patrick Esser and contributors

CreativeML Open RAIL-M
dated August 22, 2022

Section I: PREAMBLE
"""
OPENRAIL_PP = (
    "CreativeML Open RAIL++-M License\ndated July 26, 2023\n\nCopyright (c) 2023 Stability AI\n"
)
BLOOM = "BigScience RAIL License v1.0\ndated May 19, 2022\n\nThis is a license (the “License”)\n"
BIGSCIENCE_M = "BigScience Open RAIL-M License\ndated August 18, 2022\n"
LLAMA2 = "LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date: July 18, 2023\n"
LLAMA3 = (
    "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024\n"
)
LLAMA31 = "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n"
LLAMA32 = (
    "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\nLlama 3.2 Version Release Date: September 25, 2024\n"
)
LLAMA33 = (
    "LLAMA 3.3 COMMUNITY LICENSE AGREEMENT\nLlama 3.3 Version Release Date: December 6, 2024\n"
)
LLAMA4 = "LLAMA 4 COMMUNITY LICENSE AGREEMENT\nLlama 4 Version Effective Date: April 5, 2025\n"
LLAMA31_POLICY = (
    "# Llama 3.1 Acceptable Use Policy\n\nMeta is committed to promoting safe and fair use\n"
)
GEMMA = "Gemma Terms of Use\n\nLast modified: April 1, 2024\n"
STABILITY = "STABILITY AI COMMUNITY LICENSE AGREEMENT\n\nLast Updated: July 5, 2024\n"
FLUX = (
    "FLUX.1 [dev] Non-Commercial License\n\nBlack Forest Labs, Inc. (“we” or “our” or “Company”)\n"
)
TONGYI = "Tongyi Qianwen LICENSE AGREEMENT\n\nTongyi Qianwen Release Date: August 3, 2023\n"
QWEN = "Qwen LICENSE AGREEMENT\n\nQwen LICENSE AGREEMENT Release Date: September 19, 2024\n"
QWEN_RESEARCH = "Qwen RESEARCH LICENSE AGREEMENT\n\nRelease Date: September 19, 2024\n"
MRL = "# Mistral AI Research License\n\nIf You want to use a Mistral Model, a Derivative\n"
MNPL = "# Mistral AI Non-Production License\n\n## 1. Scope and acceptance\n"
FALCON = "Falcon 2 11B TII License Version 1.0\n\nMay 2024\n"
DEEPSEEK = "DEEPSEEK LICENSE AGREEMENT\n\nVersion 1.0, 23 October 2023\n"
NVIDIA = "NVIDIA Open Model License Agreement\n\nLast Modified: June 16, 2024\n"
NOTICE = "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved.\n"
REUSE = "SPDX-FileCopyrightText: 2024 Acme AI\n\nSPDX-License-Identifier: CC-BY-4.0\n"
UNKNOWN_TEXT = "ACME MODEL EVALUATION TERMS\n\nYou may evaluate this model for 30 days.\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (APACHE, "apache-2.0"), (MIT, "mit"), (BSD3, "bsd-3-clause"), (BSD2, "bsd-2-clause"),
        (GPL3, "gpl-3.0"), (GPL2, "gpl-2.0"), (LGPL3, "lgpl-3.0"), (AGPL3, "agpl-3.0"),
        (MPL2, "mpl-2.0"), (CC_BY_NC, "cc-by-nc-4.0"), (CC_BY_SA, "cc-by-sa-4.0"),
        (CC_BY, "cc-by-4.0"), (CC_BY_NC_SA, "cc-by-nc-sa-4.0"),
        (OPENRAIL_M, "creativeml-openrail-m"), (OPENRAIL_PP, "openrail++"),
        (BLOOM, "bigscience-bloom-rail-1.0"), (BIGSCIENCE_M, "bigscience-openrail-m"),
        (LLAMA2, "llama2"), (LLAMA3, "llama3"), (LLAMA31, "llama3.1"), (LLAMA32, "llama3.2"),
        (LLAMA33, "llama3.3"), (LLAMA4, "llama4"), (LLAMA31_POLICY, "llama3.1"),
        (GEMMA, "gemma"), (STABILITY, "stabilityai-ai-community"),
        (FLUX, "flux-1-dev-non-commercial-license"), (TONGYI, "tongyi-qianwen"),
        (QWEN, "qwen"), (QWEN_RESEARCH, "qwen-research"), (MRL, "mistral-research"),
        (MNPL, "mnpl"), (FALCON, "falcon-2-11b-license"), (DEEPSEEK, "deepseek"),
        (NVIDIA, "nvidia-open-model-license"), (NOTICE, "llama3.1"), (REUSE, "CC-BY-4.0"),
        (UNKNOWN_TEXT, None), ("", None), ("\x00\xff\xfe binary", None),
    ],
)  # fmt: skip
def test_identify_license(text: str, expected: str | None) -> None:
    data = text.encode("utf-8", errors="surrogateescape")
    assert identify_license(data) == expected


@pytest.mark.parametrize(
    "text",
    [APACHE, MIT, LLAMA3, LLAMA31, LLAMA4, FLUX, STABILITY, QWEN, MRL, FALCON, DEEPSEEK, NVIDIA],
)
def test_every_detected_name_normalises_without_review(text: str) -> None:
    detected = identify_license(text.encode())
    assert detected is not None
    expression, review = normalize_license(detected)
    assert expression is not None and not review


def test_a_title_wins_over_a_license_mentioned_further_down() -> None:
    text = LLAMA31 + "\n" * 40 + "Portions are licensed under the Apache License, Version 2.0.\n"
    assert identify_license(text.encode()) == "llama3.1"


def test_only_the_start_of_a_huge_text_is_read() -> None:
    text = ("lorem ipsum " * 3000) + LLAMA31  # the title beyond the first 16 KiB
    assert identify_license(text.encode()) is None


@pytest.mark.parametrize(
    ("name", "rank"),
    [
        ("LICENSE", 0), ("LICENSE.md", 0), ("license.txt", 0), ("LICENCE", 0),
        ("LICENSE-MODEL", 1), ("LICENSE_weights_data", 1), ("COPYING", 2), ("COPYING.LESSER", 2),
        ("model.safetensors.license", 3), ("NOTICE", 4), ("USE_POLICY.md", 5),
        ("LICENSES", None), ("licensed.py", None), ("license.py", None),
        ("license_check.ts", None), ("LICENSE.json", None), ("LICENSE.APACHE2", 0), ("README.md", None), (".license", None),
    ],
)  # fmt: skip
def test_license_file_names(name: str, rank: int | None) -> None:
    assert license_file_rank(name) == rank


def test_wants_license_files_and_never_weights() -> None:
    crawler = LicenseFilesCrawler()
    assert crawler.wants(PurePosixPath("models/x/LICENSE"), 11_000)
    assert not crawler.wants(PurePosixPath("models/x/LICENSE"), MIB + 1)
    assert not crawler.wants(PurePosixPath("models/x/model.safetensors"), 5 * 1024 * MIB)
    assert not crawler.wants(PurePosixPath("models/x/model-q4_k_m.gguf"), 10)
    assert not crawler.wants(PurePosixPath("models/x/adapter_config.json"), 10)
    assert crawler.wants(PurePosixPath("models/x/config.json"), 500)  # checked for markers
    assert not crawler.wants(PurePosixPath("src/app.py"), 10)


# ------------------------------------------------------------------------ whole scans


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def run(root: Path, *, with_hf_files: bool = False) -> ScanResult:
    crawlers: list[Crawler] = [LicenseFilesCrawler()]
    if with_hf_files:
        crawlers.insert(0, HfFilesCrawler())
    return scan(ScanOptions(root=root, use_git=False), crawlers=crawlers, resolvers=[])


def license_findings(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.evidence.crawler == "license-files"]


MODEL_CONFIG = (
    '{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048}\n'
)


def test_a_folder_with_weights_and_a_license_gets_the_license(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "LICENSE": MIT,  # the code repository's own license
            "src/app.py": "print('hi')\n",
            "models/support-bot/LICENSE": LLAMA31,
            "models/support-bot/USE_POLICY.md": LLAMA31_POLICY,
            "models/support-bot/model.safetensors": b"\x00" * 16,
        },
    )
    findings = license_findings(run(root))
    assert len(findings) == 1
    finding = findings[0]
    assert finding.kind is Kind.MODEL_FILE
    assert finding.id == "models/support-bot"
    assert finding.properties == {
        "license": "llama3.1",
        "license_file": "models/support-bot/LICENSE",
    }
    assert finding.evidence.file == "models/support-bot/LICENSE"
    assert finding.evidence.line == 1
    assert finding.evidence.snippet == "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT"
    assert finding.evidence.scope is Scope.CONFIG


def test_a_code_repository_license_alone_gives_nothing(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "LICENSE": APACHE,
            "config.json": '{"port": 8080, "debug": false}\n',  # some app's config
            "data/labels.bin": b"\x01\x02",  # not a model by its name
            "vendor/lib/LICENSE": MIT,
            "vendor/lib/index.js": "module.exports = 1\n",
        },
    )
    assert license_findings(run(root)) == []


def test_a_model_config_makes_a_model_folder(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {"models/phi/config.json": MODEL_CONFIG, "models/phi/LICENSE.md": MIT},
    )
    findings = license_findings(run(root))
    assert [(f.id, f.properties["license"]) for f in findings] == [("models/phi", "mit")]


def test_license_in_a_parent_folder_does_not_apply(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {"models/LICENSE": GEMMA, "models/gemma-2b/model.gguf": b"GGUF"},
    )
    assert license_findings(run(root)) == []


def test_a_model_at_the_root_uses_the_id_hf_files_gives_it(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "config.json": MODEL_CONFIG,
            "model-00001-of-00002.safetensors": b"\x00" * 8,
            "model-00002-of-00002.safetensors": b"\x00" * 8,
            "LICENSE": LLAMA32,
        },
    )
    result = run(root, with_hf_files=True)
    findings = license_findings(result)
    assert [(f.id, f.properties["license"]) for f in findings] == [("config.json", "llama3.2")]
    # ... so it merges into the component hf-files made for the root config
    components = {c.id: c for c in result.components}
    assert ("license", "llama3.2") in components["config.json"].properties
    assert ("format", "transformers-config") in components["config.json"].properties


def test_a_root_with_only_weights_uses_the_first_weight_file(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {"b.gguf": b"GGUF", "a.gguf": b"GGUF", "LICENSE": APACHE})
    assert [f.id for f in license_findings(run(root))] == ["a.gguf"]


def test_it_merges_with_the_folder_component_of_hf_files(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "models/sketch/README.md": "---\nlicense: other\nlicense_name: flux-1-dev-non-commercial-license\n---\n",
            "models/sketch/model_index.json": '{"_class_name": "FluxPipeline", "_diffusers_version": "0.32.0"}\n',
            "models/sketch/LICENSE.md": FLUX,
        },
    )
    result = run(root, with_hf_files=True)
    folder = [c for c in result.components if c.id == "models/sketch"]
    assert len(folder) == 1
    props = dict(folder[0].properties)
    assert props["license_file"] == "models/sketch/LICENSE.md"
    assert ("license", "flux-1-dev-non-commercial-license") in folder[0].properties
    assert {ev.crawler for ev in folder[0].evidence} == {"hf-files", "license-files"}


def test_one_finding_per_distinct_license_best_file_first(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "weights/LICENSE-MIT": MIT,
            "weights/LICENSE-APACHE": APACHE,
            "weights/NOTICE": "This product includes software under the Apache License, Version 2.0.\n",
            "weights/COPYING": UNKNOWN_TEXT,
            "weights/encoder.onnx": b"\x08\x07",
        },
    )
    findings = license_findings(run(root))
    assert sorted((f.properties["license_file"], f.properties["license"]) for f in findings) == [
        ("weights/LICENSE-APACHE", "apache-2.0"),
        ("weights/LICENSE-MIT", "mit"),
    ]
    assert {f.id for f in findings} == {"weights"}


def test_an_unidentified_license_is_reported_as_unknown(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {
            "ckpt/LICENSE.txt": UNKNOWN_TEXT,
            "ckpt/NOTICE": "Acme\n",
            "ckpt/pytorch_model.bin": b"\x80\x02",
        },
    )
    findings = license_findings(run(root))
    assert [(f.properties["license_file"], f.properties["license"]) for f in findings] == [
        ("ckpt/LICENSE.txt", "unknown")
    ]
    assert findings[0].evidence.confidence < 0.9


def test_scope_follows_the_folder(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo", {"tests/fixtures/tiny/LICENSE": MIT, "tests/fixtures/tiny/m.pt": b"PK"}
    )
    findings = license_findings(run(root))
    assert [f.evidence.scope for f in findings] == [Scope.TEST]


def test_crawl_never_fails_on_binary_or_huge_lines() -> None:
    crawler = LicenseFilesCrawler()
    crawler.wants(PurePosixPath("m/model.safetensors"), 100)
    assert crawler.wants(PurePosixPath("m/LICENSE"), 10)
    blob = b"\xff\xfe\x00" * 100_000 + b"\n" + b"x" * 500_000
    assert list(crawler.crawl(FileInput("m/LICENSE", blob, len(blob)))) == []
    findings = list(crawler.finish())
    assert [f.properties["license"] for f in findings] == ["unknown"]
    assert len(findings[0].evidence.snippet) <= 200
