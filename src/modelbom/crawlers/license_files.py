"""License files crawler: the license of a model folder, from the LICENSE file next to it.

A folder that holds model artifacts and a license file gets the license that file
states. The crawler wants files named ``LICENSE``, ``LICENSE.*``, ``LICENSE-*``,
``LICENCE*``, ``COPYING*``, ``NOTICE``, ``USE_POLICY.md`` and ``*.license`` (REUSE) up to
1 MiB, and identifies the license by fingerprint: the distinctive title or first
sentence of the text (Apache 2.0, MIT, BSD, the GNU licenses, MPL 2.0, Creative Commons
4.0, the RAIL family, Llama 2/3/3.1/3.2/3.3/4, Gemma, Stability AI Community, FLUX.1
[dev], Tongyi Qianwen / Qwen, Mistral, Falcon, DeepSeek, NVIDIA Open Model), or by an
``SPDX-License-Identifier:`` line. Otherwise the license is ``unknown``.

Which folders hold model artifacts is decided from paths in :meth:`wants`, which never
asks for those files: weights (``*.safetensors``, ``*.gguf``, ``*.pt``, ``*.pth``,
``*.ckpt``, ``*.onnx``, and ``*.bin`` whose name says model, weights, adapter,
checkpoint, ...), ``adapter_config.json`` and ``model_index.json``. Decision: a
``config.json`` is only an artifact when it is a transformers or diffusers config, the
same test the hf-files crawler makes, so the crawler wants it (up to 1 MiB) and checks
its bytes for ``"architectures"``, ``"model_type"``, ``"auto_map"`` or
``"_diffusers_version"``; any other tool's ``config.json`` next to a LICENSE makes no
model folder.

In :meth:`LicenseFilesCrawler.finish`, each folder with both gets one ``model-file``
finding per distinct license (properties ``license_file`` and ``license``, line 1, on the
license file), with the id the hf-files crawler gives the folder so that the findings
merge into the folder's component: the folder's path; at the root, where hf-files names
components after their files, the root's primary artifact (``model_index.json``,
``adapter_config.json``, ``config.json``, else the first weight file). When a folder has
several license files for the same license, the best-named one is kept (``LICENSE`` over
``COPYING`` over ``NOTICE`` over ``USE_POLICY.md``); an unidentified file is reported only
when no file of the folder was identified. A license file in a folder without model
artifacts (a code repository's own LICENSE) gives nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from modelbom.crawlers.base import Crawler, FileInput, scope_of_path
from modelbom.crawlers.headers import MIB, clip
from modelbom.model import Evidence, Finding, Kind, Scope

UNKNOWN = "unknown"
IDENTIFIED = 0.9  # a fingerprint, not a declaration
UNIDENTIFIED = 0.5

_WINDOW = 16 * 1024  # titles and first sentences sit at the top of a license text
_MAX_RECORDS = 10_000
_WEIGHT_SUFFIXES = frozenset({".safetensors", ".gguf", ".pt", ".pth", ".ckpt", ".onnx"})
_BIN_HINTS = (
    "model", "weight", "adapter", "checkpoint", "ckpt", "lora", "embeds", "ggml", "diffusion",
    "pytorch",
)  # fmt: skip
_CODE_SUFFIXES = frozenset(
    {
        ".py", ".pyi", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs",
        ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".rb", ".php", ".swift",
        ".sh", ".json", ".yaml", ".yml", ".toml", ".xml", ".css", ".scss", ".vue", ".svelte",
        ".png", ".jpg", ".svg", ".pdf",
    }
)  # fmt: skip
_METADATA = ("model_index.json", "adapter_config.json", "config.json")  # root preference
_MODEL_CONFIG_MARKERS = (
    b'"architectures"',
    b'"model_type"',
    b'"auto_map"',
    b'"_diffusers_version"',
)
_SPDX_TAG = "spdx-license-identifier:"
_SPDX_LINE = re.compile(r"SPDX-License-Identifier:[ \t]*([^\r\n]{1,200})", re.IGNORECASE)
_MARKUP = str.maketrans(dict.fromkeys("#*_=`>|\t\r\n\f\v\u00a0", " "))

# (phrase in the lower-cased, whitespace-collapsed text, license as a card would say it).
# The phrase found earliest in the text wins: a title precedes any mention of another
# license further down.
_FINGERPRINTS: tuple[tuple[str, str], ...] = (
    ("apache license version 2.0, january 2004", "apache-2.0"),
    ("apache license, version 2.0", "apache-2.0"),
    ("permission is hereby granted, free of charge, to any person obtaining a copy", "mit"),
    ("distribute this software for any purpose with or without fee is hereby granted", "isc"),
    ("this is free and unencumbered software released into the public domain", "unlicense"),
    ("boost software license - version 1.0", "bsl-1.0"),
    ("cc0 1.0 universal", "cc0-1.0"),
    ("gnu affero general public license version 3", "agpl-3.0"),
    ("gnu lesser general public license version 3", "lgpl-3.0"),
    ("gnu lesser general public license version 2.1", "lgpl-2.1"),
    ("gnu general public license version 3", "gpl-3.0"),
    ("gnu general public license version 2", "gpl-2.0"),
    ("mozilla public license version 2.0", "mpl-2.0"),
    ("mozilla public license, version 2.0", "mpl-2.0"),
    ("eclipse public license - v 2.0", "epl-2.0"),
    ("attribution-noncommercial-sharealike 4.0 international", "cc-by-nc-sa-4.0"),
    ("attribution-noncommercial-noderivatives 4.0 international", "cc-by-nc-nd-4.0"),
    ("attribution-noncommercial 4.0 international", "cc-by-nc-4.0"),
    ("attribution-sharealike 4.0 international", "cc-by-sa-4.0"),
    ("attribution-noderivatives 4.0 international", "cc-by-nd-4.0"),
    ("attribution 4.0 international", "cc-by-4.0"),
    ("attribution-noncommercial-sharealike 3.0 unported", "cc-by-nc-sa-3.0"),
    ("attribution-noncommercial 3.0 unported", "cc-by-nc-3.0"),
    ("attribution-sharealike 3.0 unported", "cc-by-sa-3.0"),
    ("attribution 3.0 unported", "cc-by-3.0"),
    ("creativeml open rail++-m", "openrail++"),
    ("open rail++-m license", "openrail++"),
    ("creativeml open rail-m", "creativeml-openrail-m"),
    ("bigscience rail license v1.0", "bigscience-bloom-rail-1.0"),
    ("bigscience open rail-m license", "bigscience-openrail-m"),
    ("bigcode open rail-m v1 license agreement", "bigcode-openrail-m"),
    ("llama 2 community license", "llama2"),
    ("llama 2 acceptable use policy", "llama2"),
    ("meta llama 3 community license", "llama3"),
    ("llama 3 community license", "llama3"),
    ("meta llama 3 acceptable use policy", "llama3"),
    ("llama 3.1 community license", "llama3.1"),
    ("llama 3.1 acceptable use policy", "llama3.1"),
    ("llama 3.2 community license", "llama3.2"),
    ("llama 3.2 acceptable use policy", "llama3.2"),
    ("llama 3.3 community license", "llama3.3"),
    ("llama 3.3 acceptable use policy", "llama3.3"),
    ("llama 4 community license", "llama4"),
    ("llama 4 acceptable use policy", "llama4"),
    ("gemma terms of use", "gemma"),
    ("gemma prohibited use policy", "gemma"),
    ("stability ai community license", "stabilityai-ai-community"),
    ("flux.1 [dev] non-commercial license", "flux-1-dev-non-commercial-license"),
    ("tongyi qianwen research license agreement", "tongyi-qianwen-research"),
    ("tongyi qianwen license agreement", "tongyi-qianwen"),
    ("qwen research license agreement", "qwen-research"),
    ("qwen license agreement", "qwen"),
    ("mistral ai research license", "mistral-research"),
    ("mistral ai non-production license", "mnpl"),
    ("falcon 2 11b tii license", "falcon-2-11b-license"),
    ("falcon-180b tii license", "falcon-180b-license"),
    ("falcon 180b tii license", "falcon-180b-license"),
    ("tii falcon-llm license", "falcon-llm-license"),
    ("tii falcon license", "tii-falcon-license"),
    ("falcon-llm license", "falcon-llm-license"),
    ("deepseek license agreement", "deepseek"),
    ("nvidia open model license", "nvidia-open-model-license"),
)
_BSD = "redistribution and use in source and binary forms"


def identify_license(data: bytes) -> str | None:
    """The license a license text states, as a card would name it; ``None`` if unknown.

    Looks at the first 16 KiB only. The result is a Hub license id (``apache-2.0``,
    ``llama3.1``), a ``license_name`` of the Hub (``flux-1-dev-non-commercial-license``),
    or the value of an ``SPDX-License-Identifier:`` line; all are understood by
    :func:`modelbom.licenses.normalize.normalize_license`.
    """
    raw = data[:_WINDOW].decode("utf-8", errors="replace")
    text = " ".join(raw.translate(_MARKUP).lower().split())
    best: tuple[int, int, str] | None = None  # (position, -length, license)
    for phrase, license_ in _FINGERPRINTS:
        position = text.find(phrase)
        if position >= 0 and (best is None or (position, -len(phrase)) < best[:2]):
            best = (position, -len(phrase), license_)
    bsd = text.find(_BSD)
    if bsd >= 0 and (best is None or bsd < best[0]):
        best = (bsd, -len(_BSD), _bsd_variant(text))
    tag = text.find(_SPDX_TAG)
    if tag >= 0 and (best is None or tag < best[0]):
        match = _SPDX_LINE.search(raw)
        value = match.group(1).strip().rstrip("*/#-> ").strip() if match else ""
        if value:
            return clip(value)
    return best[2] if best is not None else None


def _bsd_variant(text: str) -> str:
    if "all advertising materials mentioning" in text:
        return "BSD-4-Clause"
    if "neither the name" in text or "names of its contributors may be used" in text:
        return "bsd-3-clause"
    return "bsd-2-clause"


def license_file_rank(name: str) -> int | None:
    """How good a license file name is (lower is better); ``None`` if it is not one."""
    lower = name.lower()
    rank = _name_rank(lower)
    if rank is not None and PurePosixPath(lower).suffix in _CODE_SUFFIXES:
        return None  # license.py, license_check.ts, license.json: code about licenses
    return rank


def _name_rank(lower: str) -> int | None:
    for prefix in ("license", "licence"):
        rest = lower.removeprefix(prefix)
        if rest != lower and (not rest or rest[0] in ".-_"):
            return 0 if not rest or rest[0] == "." else 1
    if lower.startswith("copying"):
        return 2
    if lower.endswith(".license") and len(lower) > len(".license"):
        return 3
    if lower in ("notice", "notice.txt", "notice.md"):
        return 4
    if lower == "use_policy.md":
        return 5
    return None


def _weight_file(path: PurePosixPath) -> bool:
    suffix = path.suffix.lower()
    if suffix in _WEIGHT_SUFFIXES:
        return True
    if suffix == ".bin":
        stem = path.stem.lower()
        return any(hint in stem for hint in _BIN_HINTS)
    return False


@dataclass(frozen=True, slots=True)
class _LicenseFile:
    path: str
    folder: str
    license: str | None
    rank: int
    first_line: str
    scope: Scope


class LicenseFilesCrawler(Crawler):
    """License files next to model artifacts: the folder's license."""

    name = "license-files"
    version = "1"
    max_bytes = MIB

    def wants(self, path: PurePosixPath, size: int) -> bool:
        """License files up to 1 MiB; model configs to check. Artifacts are only noted."""
        if path.name in ("adapter_config.json", "model_index.json"):
            self.note(path.as_posix(), {"metadata": True})
            return False
        if path.name == "config.json":
            return size <= self.max_bytes  # a model's config, or some other tool's?
        if _weight_file(path):
            self.note(path.as_posix(), {"weights": True})
            return False
        return license_file_rank(path.name) is not None and size <= self.max_bytes

    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Identify a license file (noted for :meth:`finish`); note model configs."""
        path = file.pure_path
        if path.name == "config.json":
            if any(marker in file.data for marker in _MODEL_CONFIG_MARKERS):
                self.note(file.path, {"metadata": True})
            return []
        rank = license_file_rank(path.name)
        if rank is None:
            return []
        first = file.data.split(b"\n", 1)[0][:400].decode("utf-8", errors="replace")
        scope = scope_of_path(path)
        scope = Scope.CONFIG if scope is Scope.CODE else scope
        self.note(
            file.path,
            {
                "license": identify_license(file.data),
                "rank": rank,
                "first_line": first.rstrip("\r"),
                "scope": scope.value,
            },
        )
        return []

    def finish(self) -> Iterable[Finding]:
        """One finding per distinct license of each folder that also holds model artifacts.

        Notes: ``{"weights": true}`` for a weight file and ``{"metadata": true}`` for a
        model's metadata file (both from :meth:`wants`, a ``config.json`` after a look at
        its keys), and the identified license of each license file.
        """
        by_folder: dict[str, list[_LicenseFile]] = {}
        metadata: dict[str, set[str]] = {}  # folder -> metadata file names
        weights: dict[str, list[str]] = {}  # folder -> weight files (paths)
        records = 0
        for path, note in self.notes():
            pure = PurePosixPath(path)
            folder = pure.parent.as_posix()
            if note.get("metadata"):
                metadata.setdefault(folder, set()).add(pure.name)
            elif note.get("weights"):
                weights.setdefault(folder, []).append(path)
            elif "rank" in note and records < _MAX_RECORDS:
                records += 1
                record = _LicenseFile(
                    path=path,
                    folder=folder,
                    license=note["license"],
                    rank=note["rank"],
                    first_line=note["first_line"],
                    scope=Scope(note["scope"]),
                )
                by_folder.setdefault(folder, []).append(record)
        findings: list[Finding] = []
        for folder, records_of in by_folder.items():
            ident = _component_id(folder, metadata.get(folder, set()), weights.get(folder, []))
            if ident is None:
                continue
            findings.extend(self._finding(ident, record) for record in _chosen(records_of))
        return sorted(findings, key=Finding.sort_key)

    def _finding(self, ident: str, record: _LicenseFile) -> Finding:
        identified = record.license is not None
        return Finding(
            kind=Kind.MODEL_FILE,
            id=ident,
            properties={"license_file": record.path, "license": record.license or UNKNOWN},
            evidence=Evidence(
                file=record.path,
                line=1,
                column=1,
                snippet=record.first_line,
                crawler=self.name,
                confidence=IDENTIFIED if identified else UNIDENTIFIED,
                scope=record.scope,
            ),
        )


def _component_id(folder: str, metadata: set[str], weights: list[str]) -> str | None:
    """The id hf-files (or weights) gives the folder's component; None without artifacts."""
    if not metadata and not weights:
        return None
    if folder not in ("", "."):
        return folder
    for name in _METADATA:
        if name in metadata:
            return name
    return min(weights)


def _chosen(records: list[_LicenseFile]) -> list[_LicenseFile]:
    """The best-named file of each identified license; the best unknown one if none is."""
    ordered = sorted(records, key=lambda r: (r.rank, r.path))
    identified: dict[str, _LicenseFile] = {}
    for record in ordered:
        if record.license is not None:
            identified.setdefault(record.license, record)
    if identified:
        return list(identified.values())
    return ordered[:1]
