"""The Hugging Face cache resolver: facts from repositories already downloaded locally.

Reads the local Hugging Face hub cache without any network access and without the
huggingface_hub download code. The cache is ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``,
else ``~/.cache/huggingface/hub`` (the constructor's *cache_dir* overrides all three).
Its layout::

    models--{org}--{name}/refs/{branch or tag}     a 40-hex commit sha
    models--{org}--{name}/snapshots/{sha}/...      files, usually symlinks into ../../blobs/
    datasets--{org}--{name}/...                    the same for datasets

The snapshot used: the component's pinned revision (a commit sha, or a branch or tag
through ``refs/``; a pinned revision that is not cached gives nothing, never another
revision), else ``refs/main``, else the only snapshot when there is exactly one.

From that snapshot:

* ``README.md``: card metadata through :func:`modelbom.resolvers.cards.parse_front_matter`
  (``license`` / ``license_name`` / ``license_link`` claims, ``base_model`` with
  ``base_model_relation`` — ``adapter`` on a ``library_name: peft`` card without one —,
  ``datasets``). Malformed metadata raises :class:`ResolverError` naming the file.
* ``adapter_config.json``: ``base_model_name_or_path`` as an adapter's base model.
* ``config.json``: ``_name_or_path`` only as the property ``config_name_or_path`` (it
  records where the config was loaded from when saved, which is not lineage).
* ``LICENSE*``, ``LICENCE*``, ``COPYING*``: the license identified by the license-files
  crawler's fingerprints (:func:`modelbom.crawlers.license_files.identify_license`).

Every read is bounded (1 MiB) and goes through :func:`modelbom.walk.reader.read_path`,
which refuses non-regular files and a symlink swapped in at the last moment. A symlink in
the snapshot is followed only when its target stays inside the repository's own cache
folder. A missing or unreadable file just means that fact is missing. Locations are
``hf-cache:<repo folder>/snapshots/<sha>/<file>``.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from modelbom.crawlers.ids import hub_id
from modelbom.crawlers.license_files import identify_license, license_file_rank
from modelbom.model import BaseModelRef, Component, Kind, LicenseClaim, Relation
from modelbom.resolvers.base import Resolved, Resolver, ResolverError, license_claim
from modelbom.resolvers.cards import CardData, CardError, parse_front_matter
from modelbom.walk.reader import ReadError, read_path

SOURCE = "hf-cache"
MAX_FILE_BYTES = 1024 * 1024

_SHA = re.compile(r"[0-9a-f]{40}")
_SEGMENT = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
_REPO_ID = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})?", re.ASCII)
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}", re.ASCII)
_RELATIONS = {
    "adapter": Relation.ADAPTER,
    "merge": Relation.MERGE,
    "quantized": Relation.QUANTIZED,
    "finetune": Relation.FINETUNE,
}
_MAX_LISTED = 10_000  # directory entries looked at in snapshots/ and a snapshot
_MAX_LICENSE_FILES = 8
_MAX_LIST = 256  # base models / datasets kept from one card
_REPO_TYPES = {Kind.MODEL: "models", Kind.ADAPTER: "models", Kind.DATASET: "datasets"}


def default_cache_dir() -> Path:
    """The hub cache huggingface_hub would use: ``HF_HUB_CACHE``, ``HF_HOME/hub``, default."""
    hub_cache = os.environ.get("HF_HUB_CACHE")
    if hub_cache:
        return Path(hub_cache).expanduser()
    hf_home = os.environ.get("HF_HOME")
    if hf_home:
        return Path(hf_home).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def _is_dir(path: Path) -> bool:
    """A real directory (not a symlink to one)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


class HfCacheResolver(Resolver):
    """Card, adapter config and license facts from the local Hugging Face cache."""

    name = SOURCE
    requires_network = False

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._cache_dir = cache_dir if cache_dir is not None else default_cache_dir()

    def resolve(self, component: Component) -> Resolved | None:
        """Facts from the cached snapshot of *component*; ``None`` if it is not cached."""
        repo_type = _REPO_TYPES.get(component.kind)
        if repo_type is None or component.ecosystem not in (None, "huggingface"):
            return None
        ident = component.id
        if _REPO_ID.fullmatch(ident) is None or "--" in ident or ".." in ident:
            return None
        folder = f"{repo_type}--{ident.replace('/', '--')}"
        repo = self._cache_dir / folder
        if not _is_dir(repo):
            return None
        sha = _snapshot_sha(repo, component.revision)
        if sha is None:
            return None
        snapshot = repo / "snapshots" / sha
        if not _is_dir(snapshot):
            return None
        return _Snapshot(repo, folder, sha).facts()


def _read_ref(repo: Path, ref: str) -> str | None:
    if _REF.fullmatch(ref) is None or ".." in ref or "//" in ref:
        return None
    try:
        text = read_path(repo / "refs" / ref, 256).decode("ascii", errors="replace").strip()
    except ReadError:
        return None
    return text if _SHA.fullmatch(text) else None


def _snapshot_sha(repo: Path, revision: str | None) -> str | None:
    """The commit of the snapshot to read: pinned, else ``refs/main``, else the only one."""
    if revision:
        return revision if _SHA.fullmatch(revision) else _read_ref(repo, revision)
    main = _read_ref(repo, "main")
    if main is not None:
        return main
    found: list[str] = []
    try:
        with os.scandir(repo / "snapshots") as entries:
            for count, entry in enumerate(entries):
                if count >= _MAX_LISTED:
                    break
                if _SHA.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                    found.append(entry.name)
    except OSError:
        return None
    return found[0] if len(found) == 1 else None


class _Snapshot:
    """Reads files of one cached snapshot, inside the repository folder only."""

    def __init__(self, repo: Path, folder: str, sha: str) -> None:
        self.repo = repo
        self.folder = folder
        self.sha = sha
        self.root = repo / "snapshots" / sha
        try:
            self.real_repo = os.path.realpath(repo)
        except OSError:
            self.real_repo = str(repo)

    def location(self, name: str) -> str:
        return f"{SOURCE}:{self.folder}/snapshots/{self.sha}/{name}"

    def read(self, name: str) -> bytes | None:
        """The bytes of a top-level file of the snapshot, or None if absent or unsafe."""
        path = self.root / name
        try:
            info = os.lstat(path)
        except OSError:
            return None
        target = str(path)
        if stat.S_ISLNK(info.st_mode):
            try:
                target = os.path.realpath(path)
            except OSError:
                return None
            if os.path.commonpath([self.real_repo, target]) != self.real_repo:
                return None  # the link leaves the repository's cache folder
        try:
            return read_path(target, MAX_FILE_BYTES)
        except (ReadError, ValueError):
            return None

    def license_files(self) -> list[str]:
        names: list[str] = []
        try:
            with os.scandir(self.root) as entries:
                for count, entry in enumerate(entries):
                    if count >= _MAX_LISTED:
                        break
                    rank = license_file_rank(entry.name)
                    if rank is not None and rank <= 2:
                        names.append(entry.name)
        except OSError:
            return []
        return sorted(names)[:_MAX_LICENSE_FILES]

    def facts(self) -> Resolved | None:
        claims: list[LicenseClaim] = []
        bases: list[BaseModelRef] = []
        datasets: list[str] = []
        properties: list[tuple[str, str]] = []
        card = self.card()
        if card is not None:
            claims.extend(self.card_claims(card))
            bases.extend(_card_bases(card))
            datasets.extend(
                d for d in (hub_id(x, allow_single=True) for x in card.datasets[:_MAX_LIST]) if d
            )
        adapter_base = self.adapter_base()
        if adapter_base is not None:
            bases.append(BaseModelRef(id=adapter_base, relation=Relation.ADAPTER, source=SOURCE))
        name_or_path = self.config_name_or_path()
        if name_or_path is not None:
            properties.append(("config_name_or_path", name_or_path))
        for name in self.license_files():
            data = self.read(name)
            detected = identify_license(data) if data is not None else None
            if detected is not None:
                claims.append(_claim(detected, None, None, self.location(name)))
        if not claims and not bases and not datasets:
            return None
        return Resolved(
            source=SOURCE,
            licenses=tuple(claims),
            revision=self.sha,
            base_models=_merged_bases(bases),
            datasets=tuple(sorted(set(datasets))),
            properties=tuple(properties),
        )

    def card(self) -> CardData | None:
        data = self.read("README.md")
        if data is None:
            return None
        where = self.location("README.md")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ResolverError(f"{where}: not valid UTF-8") from None
        try:
            return parse_front_matter(text, max_bytes=MAX_FILE_BYTES)
        except CardError as exc:
            raise ResolverError(f"{where}: {exc}") from None

    def card_claims(self, card: CardData) -> list[LicenseClaim]:
        where = self.location("README.md")
        raws = card.licenses
        if not raws and (card.license_name or card.license_link):
            raws = ["other"]
        return [_claim(raw, card.license_name, card.license_link, where) for raw in raws[:16]]

    def json_object(self, name: str) -> dict[str, object] | None:
        data = self.read(name)
        if data is None:
            return None
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (ValueError, RecursionError):
            return None  # an unreadable config: that fact is missing
        return document if isinstance(document, dict) else None

    def adapter_base(self) -> str | None:
        document = self.json_object("adapter_config.json")
        value = document.get("base_model_name_or_path") if document else None
        return hub_id(value) if isinstance(value, str) else None

    def config_name_or_path(self) -> str | None:
        document = self.json_object("config.json")
        value = document.get("_name_or_path") if document else None
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
        return None


def _claim(raw: str, name: str | None, link: str | None, location: str) -> LicenseClaim:
    return license_claim(raw, source=SOURCE, name=name, link=link, location=location)


def _card_bases(card: CardData) -> list[BaseModelRef]:
    stated = (card.base_model_relation or "").strip().lower()
    relation = _RELATIONS.get(stated)
    if relation is None:
        peft = (card.library_name or "").strip().lower() == "peft"
        relation = Relation.ADAPTER if peft and not stated else Relation.BASE
    refs = []
    for value in card.base_model[:_MAX_LIST]:
        repo = hub_id(value)
        if repo is not None:
            refs.append(BaseModelRef(id=repo, relation=relation, source=SOURCE))
    return refs


def _merged_bases(bases: list[BaseModelRef]) -> tuple[BaseModelRef, ...]:
    """One reference per parent; a stated relation wins over ``base``."""
    chosen: dict[str, BaseModelRef] = {}
    for ref in bases:
        current = chosen.get(ref.id)
        if current is None or (
            current.relation is Relation.BASE and ref.relation is not Relation.BASE
        ):
            chosen[ref.id] = ref
    return tuple(chosen[key] for key in sorted(chosen))
