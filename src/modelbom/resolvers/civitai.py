"""CivitAI: the permissions, type and base model of models referenced on civitai.com.

Components of ecosystem ``civitai`` are written by the prompts and ComfyUI crawlers with
one of three id shapes:

* ``urn:air:{ecosystem}:{type}:civitai:{modelId}[@{versionId}]`` (an AIR; ecosystem and
  type may be missing),
* ``civitai:{modelId}[@{versionId}]`` (a link to a model page),
* ``civitai-version:{versionId}`` (a download or API link to one version).

A version is looked up with ``GET /model-versions/{versionId}`` (its base model and its
model id), then its model with ``GET /models/{modelId}``: the permissions (CivitAI's
license, which lives only on the model), the name, the type and the creator. A model
referenced without a version gets the base model its versions agree on.

Facts:

* properties ``civitai:allowCommercialUse`` (comma-joined, sorted),
  ``civitai:allowDerivatives``, ``civitai:allowDifferentLicense``,
  ``civitai:allowNoCredit``, ``civitai:baseModel``, ``civitai:type``, ``civitai:name``
  (and ``civitai:modelId``, ``civitai:versionId``, ``civitai:creator``);
* a license claim ``civitai-permissions:<encoding>`` with the expression
  ``LicenseRef-modelbom-civitai-permissions``, located at the model's page;
* the base model, from the curated table ``data/civitai_base_models.json``: its Hub
  repository as a :class:`BaseModelRef` (``adapter`` for LoRA-like types and
  embeddings, ``finetune`` for checkpoints) and its license, and the licenses of what
  it derives from, as further claims (their use restrictions carry down).

Model files committed as Git LFS pointers carry the SHA-256 of the real file
(``lfs_oid``); with ``lookup_hashes=True`` they are looked up with
``GET /model-versions/by-hash/{sha256}``. That sends the hash of a file of the scanned
repository to CivitAI, so it is off by default. No crawler records the hash of a file
it read whole, so other model files are not looked up.

The base URL comes from the constructor, else ``$CIVITAI_API_BASE``, else
``https://civitai.com/api/v1``. A token in ``$CIVITAI_API_TOKEN`` is sent as a bearer
token to that base URL only; it is read for each request and kept nowhere.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from modelbom.model import BaseModelRef, Component, Kind, LicenseClaim, Relation
from modelbom.resolvers.base import (
    ResolveContext,
    Resolved,
    Resolver,
    ResolverError,
)
from modelbom.resolvers.http import (
    Answer,
    CircuitBreaker,
    HttpNotFound,
    JsonClient,
    cached_lookup,
    clean_text,
    license_terms,
)
from modelbom.resolvers.ratelimit import RateLimiter

__all__ = ["CivitaiResolver", "civitai_reference"]

DEFAULT_BASE_URL = "https://civitai.com/api/v1"
PERMISSIONS_LICENSE = "LicenseRef-modelbom-civitai-permissions"
_INT32_MAX = 2**31 - 1
_ECOSYSTEM = "civitai"
_SOURCE = "civitai"

_AIR = re.compile(
    r"^(?:urn:)?air:(?:[A-Za-z0-9_\-/]+:){0,2}civitai:([0-9]{1,12})"
    r"(?:@([0-9]{1,12})(?:\+[0-9]{1,12})?)?(?:\.[A-Za-z0-9_\-]+)?$",
    re.IGNORECASE,
)
_LINK = re.compile(r"^civitai:([0-9]{1,12})(?:@([0-9]{1,12}))?$")
_VERSION_LINK = re.compile(r"^civitai-version:([0-9]{1,12})$")
_DIGITS = re.compile(r"^[0-9]{1,12}$")
_SHA256 = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")
_HASHED_FORMATS = frozenset({"safetensors", "pytorch", "gguf"})

_ADAPTER_TYPES = frozenset(
    {"lora", "locon", "lycoris", "dora", "textualinversion", "hypernetwork", "aestheticgradient"}
)
_FINETUNE_TYPES = frozenset({"checkpoint"})
_MAX_FILES = 32
_MAX_DERIVATION = 4


@dataclass(frozen=True, slots=True)
class CivitaiRef:
    """What a component names on CivitAI: a model, a version, or a file hash."""

    model_id: int | None = None
    version_id: int | None = None
    sha256: str | None = None


def _small_int(text: str | None) -> int | None:
    if text is None or not _DIGITS.match(text):
        return None
    value = int(text)
    return value if 0 < value <= _INT32_MAX else None


def civitai_reference(component: Component, *, hashes: bool = False) -> CivitaiRef | None:
    """The CivitAI model/version a component names, or ``None`` (also for ids > int32).

    With *hashes*, a model file whose properties carry a SHA-256 (``lfs_oid``) names the
    version holding that file.
    """
    props = dict(component.properties)
    if component.ecosystem == _ECOSYSTEM:
        model_text = version_text = None
        for pattern in (_AIR, _LINK):
            match = pattern.match(component.id)
            if match:
                model_text, version_text = match.group(1), match.group(2)
                break
        else:
            match = _VERSION_LINK.match(component.id)
            if match:
                version_text = match.group(1)
            elif component.id.lower().startswith(("urn:air:", "air:", "civitai:")):
                model_text = props.get("civitai_model")
                version_text = props.get("civitai_version")
        if model_text is None and version_text is None:
            return None
        model_id = _small_int(model_text)
        version_id = _small_int(version_text)
        if (model_text is not None and model_id is None) or (
            version_text is not None and version_id is None
        ):
            return None  # an id CivitAI cannot have: never sent
        return CivitaiRef(model_id=model_id, version_id=version_id)
    if hashes and component.kind is Kind.MODEL_FILE:
        if props.get("format") not in _HASHED_FORMATS:
            return None
        for key in ("lfs_oid", "sha256"):
            match = _SHA256.match(props.get(key, ""))
            if match:
                return CivitaiRef(sha256=match.group(1).upper())
    return None


# -- the curated base-model table --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseModelInfo:
    """One entry of ``data/civitai_base_models.json``."""

    name: str
    hub_id: str | None
    license: str
    license_name: str | None
    license_link: str | None
    derived_from: str | None
    note: str


def load_base_models() -> dict[str, BaseModelInfo]:
    """The curated table of CivitAI base models, keyed by CivitAI's ``baseModel`` string."""
    text = (
        resources.files("modelbom.resolvers")
        .joinpath("data", "civitai_base_models.json")
        .read_text(encoding="utf-8")
    )
    data = json.loads(text)
    table: dict[str, BaseModelInfo] = {}
    for name, entry in data["base_models"].items():
        table[name] = BaseModelInfo(
            name=name,
            hub_id=entry.get("hub_id"),
            license=entry.get("license") or "unknown",
            license_name=entry.get("license_name"),
            license_link=entry.get("license_link"),
            derived_from=entry.get("derived_from"),
            note=entry.get("note") or "",
        )
    return table


# -- payloads (what the cache holds) ------------------------------------------------------


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _commercial(value: object) -> list[str] | None:
    """``allowCommercialUse``: an array now, a single string in older answers."""
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list):
        values = [v for v in value if isinstance(v, str)]
    else:
        return None
    cleaned = {clean_text(v, 40) for v in values}
    return sorted(v for v in cleaned if v)


def _version_payload(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ResolverError("CivitAI: unexpected answer for a model version")
    model_id = data.get("modelId")
    if not isinstance(model_id, int) or isinstance(model_id, bool):
        raise ResolverError("CivitAI: model version without a model id")
    files: list[dict[str, str]] = []
    raw_files = data.get("files")
    for item in raw_files if isinstance(raw_files, list) else []:
        if not isinstance(item, dict) or len(files) >= _MAX_FILES:
            continue
        hashes = item.get("hashes")
        sha = hashes.get("SHA256") if isinstance(hashes, dict) else None
        name = clean_text(item.get("name"), 200)
        if name:
            entry = {"name": name}
            if isinstance(sha, str) and _SHA256.match(sha):
                entry["sha256"] = sha.upper()
            files.append(entry)
    version_id = data.get("id")
    return {
        "found": True,
        "id": version_id if isinstance(version_id, int) else None,
        "modelId": model_id,
        "name": clean_text(data.get("name")),
        "baseModel": clean_text(data.get("baseModel"), 80),
        "files": files,
    }


def _model_payload(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ResolverError("CivitAI: unexpected answer for a model")
    creator = data.get("creator")
    versions = data.get("modelVersions")
    base_models: set[str] = set()
    for version in versions if isinstance(versions, list) else []:
        if isinstance(version, dict):
            base = clean_text(version.get("baseModel"), 80)
            if base:
                base_models.add(base)
    model_id = data.get("id")
    return {
        "found": True,
        "id": model_id if isinstance(model_id, int) else None,
        "name": clean_text(data.get("name")),
        "type": clean_text(data.get("type"), 40),
        "creator": clean_text(creator.get("username"), 80) if isinstance(creator, dict) else None,
        "allowNoCredit": _bool(data.get("allowNoCredit")),
        "allowCommercialUse": _commercial(data.get("allowCommercialUse")),
        "allowDerivatives": _bool(data.get("allowDerivatives")),
        "allowDifferentLicense": _bool(data.get("allowDifferentLicense")),
        "baseModels": sorted(base_models),
    }


def _flag(value: object) -> str:
    return "unknown" if not isinstance(value, bool) else ("true" if value else "false")


def _commercial_text(commercial: list[str] | None, sep: str) -> str:
    if commercial is None:
        return "unknown"
    return sep.join(commercial) if commercial else "None"


def permissions_encoding(model: dict[str, Any]) -> str:
    """The compact form of a model's permissions, the raw text of its license claim.

    ``civitai-permissions:commercial=Image+Rent;derivatives=true;
    different-license=false;no-credit=true`` (``unknown`` where CivitAI did not say;
    ``commercial=None`` where it allows no commercial use).
    """
    uses = _commercial_text(model.get("allowCommercialUse"), "+")
    return (
        f"civitai-permissions:commercial={uses}"
        f";derivatives={_flag(model.get('allowDerivatives'))}"
        f";different-license={_flag(model.get('allowDifferentLicense'))}"
        f";no-credit={_flag(model.get('allowNoCredit'))}"
    )


# -- the resolver ------------------------------------------------------------------------


class CivitaiResolver(Resolver):
    """License (permissions), type and base model of CivitAI models."""

    name = "civitai"
    requires_network = True

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 10.0,
        max_bytes: int = 5 * 1024 * 1024,
        max_retries: int = 3,
        max_wait: float = 60.0,
        backoff: float = 1.0,
        limiter: RateLimiter | None = None,
        lookup_hashes: bool = False,
        breaker_threshold: int = 2,
    ) -> None:
        url = base_url or os.environ.get("CIVITAI_API_BASE") or DEFAULT_BASE_URL
        self.client = JsonClient(
            url,
            label="CivitAI",
            timeout=timeout,
            max_bytes=max_bytes,
            max_retries=max_retries,
            max_wait=max_wait,
            backoff=backoff,
            limiter=limiter if limiter is not None else RateLimiter(rate=2.0, burst=4),
            auth=_bearer_from_env,
            breaker=CircuitBreaker(threshold=breaker_threshold),
        )
        self.lookup_hashes = lookup_hashes
        self.site_url = _site_url(self.client.base_url)
        self.base_models = load_base_models()
        self._context = ResolveContext()

    def prepare(self, context: ResolveContext) -> None:
        """Keep the scan's context (offline mode, cache, clock)."""
        self._context = context

    def resolve(self, component: Component) -> Resolved | None:
        """Facts about a CivitAI model, version or (opt-in) model file hash."""
        ref = civitai_reference(component, hashes=self.lookup_hashes)
        if ref is None:
            return None
        answers: list[Answer] = []
        version: dict[str, Any] | None = None
        model_id = ref.model_id
        if ref.version_id is not None or ref.sha256 is not None:
            answer = self._version(ref)
            if answer is None:
                return None
            answers.append(answer)
            if not answer.payload.get("found"):
                if ref.sha256 is not None:
                    return None  # a file CivitAI does not know
                raise ResolverError(f"CivitAI: no model version {ref.version_id}")
            version = answer.payload
            model_id = _small_int(str(version.get("modelId")))
        if model_id is None:
            raise ResolverError("CivitAI: model version without a valid model id")
        answer = self._lookup(f"model:{model_id}", ("models", str(model_id)), _model_payload)
        if answer is None:
            return None
        answers.append(answer)
        if not answer.payload.get("found"):
            raise ResolverError(f"CivitAI: no model {model_id}")
        return self._facts(component, answer.payload, version, model_id, answers)

    # -- fetching ---------------------------------------------------------------------

    def _version(self, ref: CivitaiRef) -> Answer | None:
        if ref.sha256 is not None:
            return self._lookup(
                f"by-hash:{ref.sha256}",
                ("model-versions", "by-hash", ref.sha256),
                _version_payload,
            )
        return self._lookup(
            f"model-version:{ref.version_id}",
            ("model-versions", str(ref.version_id)),
            _version_payload,
        )

    def _lookup(
        self, key: str, path: tuple[str, ...], shape: Callable[[object], dict[str, Any]]
    ) -> Answer | None:
        def fetch() -> dict[str, Any]:
            try:
                return shape(self.client.get_json(*path))
            except HttpNotFound:
                return {"found": False}

        return cached_lookup(self._context, _SOURCE, key, fetch)

    # -- facts ------------------------------------------------------------------------

    def _facts(
        self,
        component: Component,
        model: dict[str, Any],
        version: dict[str, Any] | None,
        model_id: int,
        answers: list[Answer],
    ) -> Resolved:
        page = f"{self.site_url}/models/{model_id}"
        if version is not None and isinstance(version.get("id"), int):
            page += f"?modelVersionId={version['id']}"
        fetched_at = min(a.fetched_at for a in answers)
        cached = any(a.cached for a in answers)
        props: dict[str, str] = {"civitai:modelId": str(model_id)}
        if version is not None and isinstance(version.get("id"), int):
            props["civitai:versionId"] = str(version["id"])
        if model.get("allowCommercialUse") is not None:
            props["civitai:allowCommercialUse"] = _commercial_text(model["allowCommercialUse"], ",")
        for key in ("allowDerivatives", "allowDifferentLicense", "allowNoCredit"):
            if isinstance(model.get(key), bool):
                props[f"civitai:{key}"] = _flag(model[key])
        for key in ("name", "type", "creator"):
            if model.get(key):
                props[f"civitai:{key}"] = str(model[key])
        base_name = self._base_model_name(model, version, props)
        licenses = [
            LicenseClaim(
                raw=permissions_encoding(model),
                expression=PERMISSIONS_LICENSE,
                name="CivitAI model permissions",
                link=page,
                source=self.name,
                location=page,
                fetched_at=fetched_at,
                needs_review=False,
            )
        ]
        base_refs: list[BaseModelRef] = []
        if base_name is not None:
            props["civitai:baseModel"] = base_name
            info = self.base_models.get(base_name)
            if info is None:
                props["civitai:baseModelLicense"] = "unknown (not in the curated table)"
            else:
                licenses.extend(self._inherited_licenses(info, fetched_at))
                relation = _relation(model.get("type"))
                if relation is not None and info.hub_id:
                    base_refs.append(
                        BaseModelRef(id=info.hub_id, relation=relation, source="civitai")
                    )
        if component.kind is Kind.MODEL_FILE and version is not None:
            props["civitai:matchedBy"] = "sha256"
        return Resolved(
            source=f"{self.name} (cache)" if cached else self.name,
            licenses=tuple(licenses),
            base_models=tuple(base_refs),
            properties=tuple(sorted(props.items())),
            fetched_at=fetched_at,
        )

    @staticmethod
    def _base_model_name(
        model: dict[str, Any], version: dict[str, Any] | None, props: dict[str, str]
    ) -> str | None:
        if version is not None:
            base = version.get("baseModel")
            return base if isinstance(base, str) and base else None
        bases = model.get("baseModels") or []
        if len(bases) == 1:
            return str(bases[0])
        if len(bases) > 1:
            props["civitai:baseModels"] = ",".join(str(b) for b in bases)
        return None

    def _inherited_licenses(self, info: BaseModelInfo, fetched_at: str) -> list[LicenseClaim]:
        """The license of the base model and of what it derives from, as far as known."""
        claims: list[LicenseClaim] = []
        seen: set[str] = set()
        current: BaseModelInfo | None = info
        while current is not None and current.name not in seen and len(seen) < _MAX_DERIVATION:
            seen.add(current.name)
            if current.license != "unknown":
                location = current.license_link or (
                    f"https://huggingface.co/{current.hub_id}" if current.hub_id else None
                )
                expression, review = license_terms(
                    current.license, name=current.license_name, link=current.license_link
                )
                claims.append(
                    LicenseClaim(
                        raw=current.license,
                        expression=expression,
                        name=current.license_name,
                        link=current.license_link,
                        source=self.name,
                        location=location,
                        fetched_at=None,  # from the curated table, not from CivitAI
                        needs_review=review,
                    )
                )
            parent = current.derived_from
            current = self.base_models.get(parent) if parent else None
        return claims


def _relation(model_type: object) -> Relation | None:
    kind = str(model_type or "").lower()
    if kind in _ADAPTER_TYPES:
        return Relation.ADAPTER
    if kind in _FINETUNE_TYPES:
        return Relation.FINETUNE
    return None


def _bearer_from_env() -> str | None:
    token = os.environ.get("CIVITAI_API_TOKEN", "").strip()
    return f"Bearer {token}" if token else None


def _site_url(base_url: str) -> str:
    """The site a model page lives on: the API base without ``/api/v1``."""
    parts = urlsplit(base_url)
    path = parts.path
    for suffix in ("/api/v1", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    else:
        path = ""
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
