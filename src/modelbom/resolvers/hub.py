"""License and lineage of Hugging Face Hub models, adapters and datasets.

:class:`HubResolver` asks the Hub API for one repository per component
(``HfApi.model_info`` / ``dataset_info`` with ``expand=[sha, cardData, gated, tags,
baseModels, ...]``) and turns the answer into facts:

- ``revision``: the commit sha the answer describes;
- ``gated``: ``auto`` or ``manual`` for gated repositories (their metadata is public, so
  their license is still known);
- licenses: the card's ``license`` (one claim per entry of a list; ``other`` keeps
  ``license_name`` and ``license_link``), else the Hub's ``license:`` tags;
- base models and their relation: the card's ``base_model_relation``, else the Hub's
  ``base_model:<relation>:<id>`` tag, else the API's ``baseModels.relation``, else
  ``base`` (property ``base_model_relation_source`` says which: ``card``, ``tag``,
  ``api``, ``default``, comma-joined when parents differ);
- datasets: the card's ``datasets`` and the Hub's ``dataset:`` tags;
- properties ``pipeline_tag``, ``library_name``, ``hub:last_modified``, and
  ``hub:readme`` when the README had to be read.

When the card metadata of the API answer has neither a license nor a base model, the
README is read pinned to the answer's sha and its front matter parsed with
:func:`modelbom.resolvers.cards.parse_front_matter`: from the download directory when it
is already there, else after one HEAD of modelbom's own (size and access, without the
library's retries) through ``hf_hub_download``. A gated repository refuses the download:
that is recorded (``hub:readme``), never a failure; so are a missing, oversized or
invalid README.

Claims and base-model references carry the same ``source`` as the facts: ``hub``, or
``hub (cache)`` when they come from the cache.

Network discipline:

- Requests go only to the configured endpoint (``HF_ENDPOINT``, default
  ``https://huggingface.co``), and the token only with them (``HF_TOKEN`` or
  ``HUGGING_FACE_HUB_TOKEN``; never the token file: ``token=False`` without one), and
  never over plain HTTP except to a loopback address.
- Every request runs under a guard installed as event hooks on huggingface_hub's shared
  HTTP client, active only inside this resolver's calls (a context variable): it refuses
  requests to any other origin (so no cross-host redirect is followed and the token
  cannot leave the endpoint), clamps every timeout to the call's deadline, refuses the
  library's own hidden retries (huggingface_hub retries a failed download for up to a
  minute), asks for uncompressed answers and caps the bytes read (5 MiB for API
  answers, 1 MiB for a README).
- The resolution stage's worker threads (``--workers``, 8 by default) bound how many
  requests are in flight at once. One
  :class:`~modelbom.resolvers.ratelimit.RateLimiter` per resolver caps the rate for all
  of them (default 200 per second: it binds only against a nearby mirror, since eight
  workers waiting on the Hub's round trips stay well below it); a 429 pauses all of them
  until the reset the Hub gave (``RateLimit`` header, plus one second), then the request
  is retried (``max_retries``). 5xx answers are retried likewise, after a short pause.
  The Hub's quotas count requests per five-minute window, so spacing requests out more
  would not let more of them through, only make every scan slower.
- A refused connection, a connect timeout or three timeouts in a row mean the Hub is
  unreachable: :class:`~modelbom.resolvers.base.ResolverUnavailable`, and every later
  call fails at once with the same reason (a circuit breaker), so a black-holed Hub costs
  one timeout, not one per component.

Cache: every answer is stored as the extracted facts (never the raw response) under
source ``hub``, key ``<repo_type>:<id>``, revision = the requested revision or ``""``;
an answer for an unpinned revision is also stored under its sha. With ``--offline`` only
the cache answers (source ``hub (cache)``, ``fetched_at`` the time of the fetch),
whatever its age; no entry gives ``None``. Online, an entry for a pinned commit sha is
used without a request (a commit never changes); entries for branches, tags or no
revision are used for ``max_age_hours`` (24 by default) and fetched again after that;
``--refresh`` fetches again in every case. When the Hub turns out to be unreachable, a
stale entry is used rather than nothing (not under ``--refresh``). Failures are not
cached, nor are answers whose README could not be read for a transient reason.

README downloads go to *download_dir* when given (a directory modelbom owns, e.g. next to
the resolver cache: a README pinned to a sha is then never downloaded twice), else to a
temporary directory created on the first download and removed by :meth:`close` (or
when the resolver is garbage-collected, or at exit). Never to ``~/.cache/huggingface``.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from huggingface_hub import (
    HfApi,
    get_hf_file_metadata,
    get_session,
    hf_hub_download,
    hf_hub_url,
    try_to_load_from_cache,
)
from huggingface_hub import constants as hf_constants
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from pydantic import BaseModel, ConfigDict, ValidationError

from modelbom import __version__
from modelbom.crawlers.ids import hub_id
from modelbom.errors import UsageError
from modelbom.licenses.normalize import normalize_license
from modelbom.model import BaseModelRef, Component, LicenseClaim, Relation
from modelbom.model.finding import Kind
from modelbom.model.text import display_text
from modelbom.redact import redact_url
from modelbom.resolvers.base import (
    ResolveContext,
    Resolved,
    Resolver,
    ResolverError,
    ResolverUnavailable,
)
from modelbom.resolvers.cache import CacheEntry
from modelbom.resolvers.cards import MAX_CARD_BYTES, CardData, CardError, parse_front_matter
from modelbom.resolvers.ratelimit import RateLimiter

if TYPE_CHECKING:  # the same objects, from where the type checker can see them
    import httpx2 as httpx
    from huggingface_hub.utils._http import parse_ratelimit_headers
    from huggingface_hub.utils._validators import validate_repo_id
else:  # public names; `httpx` is httpx2 on huggingface_hub 2.x, httpx on 1.x
    from huggingface_hub.utils import httpx, parse_ratelimit_headers, validate_repo_id

log = logging.getLogger("modelbom.resolvers.hub")

SOURCE = "hub"
CACHED_SOURCE = "hub (cache)"
DEFAULT_ENDPOINT = "https://huggingface.co"
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
"""Cap on an API answer (and on any error body)."""
MAX_README_BYTES = MAX_CARD_BYTES
"""Cap on a downloaded README.md."""

RepoType = Literal["model", "dataset"]
_MODEL_EXPAND: list[Any] = [
    "sha", "cardData", "gated", "tags", "baseModels", "lastModified", "private", "disabled",
    "pipeline_tag", "library_name",
]  # fmt: skip
_DATASET_EXPAND: list[Any] = [
    "sha", "cardData", "gated", "tags", "lastModified", "private", "disabled",
]  # fmt: skip
_RELATIONS = {
    "adapter": Relation.ADAPTER,
    "finetune": Relation.FINETUNE,
    "quantized": Relation.QUANTIZED,
    "merge": Relation.MERGE,
}
_SHA = re.compile(r"^[0-9a-f]{40}$")
_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$")
_RETRY_STATUS = frozenset({500, 502, 503, 504})
_LIBRARY_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_TIMEOUTS_TO_TRIP = 3
_RETRY_PAUSE = 0.5  # seconds before retrying a 5xx, doubled each time
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_PROPERTY = 200  # longest property value taken from an answer

T = TypeVar("T")


# -- the request guard -----------------------------------------------------------------


class _Refused(Exception):
    """Raised by the session hooks: something modelbom does not allow happened."""

    def __init__(
        self, kind: str, *, status: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status
        self.headers = dict(headers or {})


@dataclass
class _Guard:
    """The rules for the requests of one call."""

    origin: tuple[str, str, int]
    deadline: float  # time.monotonic() value
    max_bytes: int
    abort_on_retry_status: bool
    seen: set[tuple[str, str]] = field(default_factory=set)


_ACTIVE: contextvars.ContextVar[_Guard | None] = contextvars.ContextVar(
    "modelbom_hub_guard", default=None
)
_INSTALL_LOCK = threading.Lock()


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return (scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 0))


def _on_request(request: httpx.Request) -> None:
    """Session hook: refuse other origins and library retries; clamp timeouts."""
    guard = _ACTIVE.get()
    if guard is None:
        return
    if _origin(str(request.url)) != guard.origin:
        raise _Refused("cross-host")
    key = (request.method, str(request.url))
    if key in guard.seen:
        raise _Refused("retry")
    guard.seen.add(key)
    remaining = guard.deadline - time.monotonic()
    if remaining <= 0:
        raise _Refused("deadline")
    current = request.extensions.get("timeout") or {}
    clamped = {}
    for phase in ("connect", "read", "write", "pool"):
        value = current.get(phase)
        clamped[phase] = remaining if value is None else min(float(value), remaining)
    request.extensions["timeout"] = clamped
    request.headers["Accept-Encoding"] = "identity"


def _on_response(response: httpx.Response) -> None:
    """Session hook: cap the body, refuse compression and (for downloads) retry statuses."""
    guard = _ACTIVE.get()
    if guard is None:
        return
    status = response.status_code
    if guard.abort_on_retry_status and status in _LIBRARY_RETRY_STATUS:
        raise _Refused("status", status=status, headers=response.headers)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise _Refused("encoding")
    if response.request.method != "HEAD":
        length = response.headers.get("Content-Length")
        if length is not None and length.strip().isdigit() and int(length) > guard.max_bytes:
            raise _Refused("oversized")
    response.stream = _CappedStream(response.stream, guard.max_bytes, guard.deadline)


class _CappedStream(httpx.SyncByteStream):
    """A response body that stops at a byte cap and at a deadline."""

    def __init__(self, inner: Any, max_bytes: int, deadline: float) -> None:
        self._inner = inner
        self._max_bytes = max_bytes
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        total = 0
        for chunk in self._inner:
            total += len(chunk)
            if total > self._max_bytes:
                raise _Refused("oversized")
            if time.monotonic() > self._deadline:
                raise _Refused("deadline")
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _install_hooks() -> None:
    """Add the guard hooks to huggingface_hub's shared client (once per client)."""
    hooks = get_session().event_hooks
    if _on_request in hooks["request"] and _on_response in hooks["response"]:
        return
    with _INSTALL_LOCK:
        if _on_request not in hooks["request"]:
            hooks["request"].append(_on_request)
        if _on_response not in hooks["response"]:
            hooks["response"].append(_on_response)


@contextlib.contextmanager
def _guarded(
    origin: tuple[str, str, int], timeout: float, max_bytes: int, *, downloads: bool
) -> Iterator[_Guard]:
    _install_hooks()
    guard = _Guard(origin, time.monotonic() + timeout, max_bytes, downloads)
    token = _ACTIVE.set(guard)
    try:
        yield guard
    finally:
        _ACTIVE.reset(token)


# -- facts and their cache payload -----------------------------------------------------


class _License(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: str
    name: str | None = None
    link: str | None = None
    location: str


class _Parent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    relation: Relation


class _Facts(BaseModel):
    """What one answer says; also the cache payload (plain JSON, no secrets)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    repo_type: RepoType
    id: str
    sha: str | None = None
    gated: str | None = None
    licenses: tuple[_License, ...] = ()
    base_models: tuple[_Parent, ...] = ()
    datasets: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()


# -- the resolver ----------------------------------------------------------------------


class HubResolver(Resolver):
    """Facts from the Hugging Face Hub API for Hub models, adapters and datasets."""

    name = "hub"
    requires_network = True

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
        rate: float = 200.0,
        max_retries: int = 2,
        *,
        download_dir: Path | None = None,
        max_age_hours: float = 24.0,
    ) -> None:
        """*endpoint* defaults to ``$HF_ENDPOINT`` or https://huggingface.co; *token* to
        ``$HF_TOKEN`` or ``$HUGGING_FACE_HUB_TOKEN`` (no token file is ever read).
        *timeout* bounds each call (connect, read and the whole body), *rate* is requests
        per second for all threads, *max_retries* the retries after a 429 or 5xx."""
        if timeout <= 0 or rate <= 0 or max_retries < 0 or max_age_hours < 0:
            raise UsageError(
                "Hub resolver: timeout and rate must be positive,"
                " max_retries and max_age_hours not negative"
            )
        self.endpoint = _check_endpoint(endpoint or os.environ.get("HF_ENDPOINT") or "")
        self._token = _env_token() if token is None else (token.strip() or None)
        if self._token and not _may_carry_token(self.endpoint):
            log.warning("the Hub token is not sent: %s is plain HTTP", self.endpoint)
            self._token = None
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.max_age = timedelta(hours=max_age_hours)
        self._origin = _origin(self.endpoint)
        self._limiter = RateLimiter(rate, burst=max(1, int(rate)))
        self._api = HfApi(
            endpoint=self.endpoint,
            token=False,
            library_name="modelbom",
            library_version=__version__,
        )
        self._context = ResolveContext()
        self._offline = False
        self._lock = threading.Lock()
        self._broken: str | None = None
        self._timeouts_in_a_row = 0
        self._download_dir = download_dir
        self._temp_dir: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def __repr__(self) -> str:
        return f"HubResolver(endpoint={self.endpoint!r}, token={'set' if self._token else None})"

    # -- Resolver interface ------------------------------------------------------------

    def prepare(self, context: ResolveContext) -> None:
        """Keep the context; ``HF_HUB_OFFLINE`` also means offline (cache only)."""
        self._context = context
        self._offline = context.offline or hf_constants.is_offline_mode()

    def resolve(self, component: Component) -> Resolved | None:
        """Facts for a Hub model, adapter or dataset; None for anything else."""
        target = _target(component)
        if target is None:
            return None
        repo_type, repo_id, revision = target
        cached = self._cached(repo_type, repo_id, revision)
        if self._offline:
            return None if cached is None else self._resolved(*cached, source=CACHED_SOURCE)
        refresh = self._context.refresh
        if cached is not None and not refresh and self._fresh(cached[1], revision):
            return self._resolved(*cached, source=CACHED_SOURCE)
        try:
            facts, cacheable = self._fetch(repo_type, repo_id, revision)
        except HFValidationError:
            return None
        except ResolverUnavailable as exc:
            if cached is None or refresh:
                raise
            log.warning("%s %s: %s; using the answer cached %s", repo_type, repo_id, exc, cached[1])
            return self._resolved(*cached, source=CACHED_SOURCE)
        fetched_at = self._context.now()
        if cacheable:
            self._store(facts, revision, fetched_at)
        return self._resolved(facts, fetched_at, source=SOURCE)

    def close(self) -> None:
        """Remove the temporary download directory, if one was created (a later README
        download creates a new one)."""
        with self._lock:
            finalizer, self._finalizer, self._temp_dir = self._finalizer, None, None
        if finalizer is not None:
            finalizer()

    # -- cache -------------------------------------------------------------------------

    def _cached(
        self, repo_type: RepoType, repo_id: str, revision: str | None
    ) -> tuple[_Facts, str] | None:
        cache_ = self._context.cache
        if cache_ is None:
            return None
        entry: CacheEntry | None = cache_.get(SOURCE, f"{repo_type}:{repo_id}", revision or "")
        if entry is None:
            return None
        try:
            facts = _Facts.model_validate(entry.payload)
        except ValidationError:
            return None
        if facts.repo_type != repo_type or facts.id != repo_id:
            return None
        return facts, entry.fetched_at

    def _store(self, facts: _Facts, revision: str | None, fetched_at: str) -> None:
        cache_ = self._context.cache
        if cache_ is None:
            return
        key = f"{facts.repo_type}:{facts.id}"
        payload = facts.model_dump(mode="json")
        cache_.put(SOURCE, key, payload, fetched_at, revision=revision or "")
        if facts.sha is not None and facts.sha != revision:
            cache_.put(SOURCE, key, payload, fetched_at, revision=facts.sha)

    def _fresh(self, fetched_at: str, revision: str | None) -> bool:
        if revision is not None and _SHA.match(revision):
            return True
        try:
            age = _parse_time(self._context.now()) - _parse_time(fetched_at)
        except ValueError:
            return False
        return timedelta(0) <= age < self.max_age

    # -- building Resolved -------------------------------------------------------------

    def _resolved(self, facts: _Facts, fetched_at: str, *, source: str) -> Resolved:
        claims = []
        for lic in facts.licenses:
            expression, needs_review = normalize_license(lic.raw, name=lic.name, link=lic.link)
            claims.append(
                LicenseClaim(
                    raw=lic.raw,
                    expression=expression,
                    name=lic.name,
                    link=lic.link,
                    source=source,
                    location=lic.location,
                    fetched_at=fetched_at,
                    needs_review=needs_review,
                )
            )
        parents = tuple(
            BaseModelRef(id=p.id, relation=p.relation, source=source) for p in facts.base_models
        )
        return Resolved(
            source=source,
            licenses=tuple(claims),
            revision=facts.sha,
            base_models=parents,
            datasets=facts.datasets,
            gated=facts.gated,
            properties=facts.properties,
            fetched_at=fetched_at,
        )

    # -- fetching ----------------------------------------------------------------------

    def _fetch(
        self, repo_type: RepoType, repo_id: str, revision: str | None
    ) -> tuple[_Facts, bool]:
        """The facts of one repository, and whether they may be cached."""
        label = f"{repo_type} {repo_id}"
        token = self._token or False
        call: Callable[[], Any]
        if repo_type == "model":

            def call() -> Any:
                return self._api.model_info(
                    repo_id,
                    revision=revision,
                    expand=_MODEL_EXPAND,
                    timeout=self.timeout,
                    token=token,
                )
        else:

            def call() -> Any:
                return self._api.dataset_info(
                    repo_id,
                    revision=revision,
                    expand=_DATASET_EXPAND,
                    timeout=self.timeout,
                    token=token,
                )

        try:
            info = self._request(label, call, max_bytes=MAX_RESPONSE_BYTES)
        except HFValidationError:
            raise
        except GatedRepoError as exc:
            raise ResolverError(f"{label}: gated, access refused (HTTP {_status(exc)})") from None
        except RepositoryNotFoundError as exc:
            status = _status(exc)
            reason = "not found on the Hub" if status == 404 else "not found or private"
            raise ResolverError(f"{label}: {reason} (HTTP {status})") from None
        except RevisionNotFoundError as exc:
            raise ResolverError(
                f"{label}: revision {revision!r} not found (HTTP {_status(exc)})"
            ) from None
        except HfHubHTTPError as exc:
            status = _status(exc)
            if status in (401, 403):
                raise ResolverError(f"{label}: access refused (HTTP {status})") from None
            raise ResolverError(f"{label}: the Hub answered HTTP {status}") from None
        except (ValueError, TypeError, KeyError, AttributeError):
            raise ResolverError(f"{label}: malformed answer from the Hub (HTTP 200)") from None
        return self._facts(repo_type, repo_id, revision, info)

    def _request(
        self, label: str, call: Callable[[], T], *, max_bytes: int, downloads: bool = False
    ) -> T:
        """Run one guarded call with the rate limit, 429/5xx retries and the breaker.

        HTTP errors that are not retried are re-raised as huggingface_hub raised them;
        transport failures become ResolverError / ResolverUnavailable.
        """
        attempt = 0
        while True:
            with self._lock:
                broken = self._broken
            if broken is not None:
                raise ResolverUnavailable(broken)
            if not self._limiter.acquire(deadline=time.monotonic() + self.timeout):
                raise ResolverError(
                    f"{label}: rate limited (no request slot within {self.timeout:g} s)"
                )
            try:
                with _guarded(self._origin, self.timeout, max_bytes, downloads=downloads):
                    result = call()
            except (HfHubHTTPError, _Refused) as exc:
                status = _status(exc)
                if status == 429:
                    wait = _rate_limit_wait(_headers(exc))
                    self._limiter.back_off(wait)
                    log.info("%s: rate limited by the Hub; every request pauses %g s", label, wait)
                    if attempt < self.max_retries:
                        attempt += 1
                        continue
                    raise ResolverError(f"{label}: rate limited by the Hub (HTTP 429)") from None
                if status in _RETRY_STATUS:
                    if attempt < self.max_retries:
                        attempt += 1
                        time.sleep(_RETRY_PAUSE * 2 ** (attempt - 1))
                        continue
                    raise ResolverError(f"{label}: Hub error (HTTP {status})") from None
                if isinstance(exc, _Refused):
                    raise self._refusal(label, exc, max_bytes) from None
                raise
            except OfflineModeIsEnabled:
                raise self._trip("Hub unreachable: HF_HUB_OFFLINE is set") from None
            except httpx.ConnectTimeout:
                raise self._trip(
                    f"Hub unreachable: connection timed out after {self.timeout:g} s"
                ) from None
            except httpx.TimeoutException:
                raise self._timed_out(label) from None
            except httpx.ConnectError as exc:
                raise self._trip(f"Hub unreachable: {_connect_reason(exc)}") from None
            except httpx.TransportError as exc:
                raise ResolverError(f"{label}: network error ({type(exc).__name__})") from None
            with self._lock:
                self._timeouts_in_a_row = 0
            return result

    def _refusal(self, label: str, exc: _Refused, max_bytes: int) -> ResolverError:
        if exc.kind == "deadline":
            return self._timed_out(label)
        if exc.kind == "status":
            return ResolverError(f"{label}: the Hub answered HTTP {exc.status}")
        reasons = {
            "oversized": f"answer larger than {max_bytes} bytes",
            "cross-host": "redirected to another host (not followed)",
            "encoding": "compressed answer refused",
            "retry": "the Hub failed during the download",
        }
        return ResolverError(f"{label}: {reasons.get(exc.kind, exc.kind)}")

    def _timed_out(self, label: str) -> ResolverError:
        with self._lock:
            self._timeouts_in_a_row += 1
            trip = self._timeouts_in_a_row >= _TIMEOUTS_TO_TRIP
        if trip:
            return self._trip(f"Hub unreachable: {_TIMEOUTS_TO_TRIP} requests in a row timed out")
        return ResolverError(f"{label}: timed out after {self.timeout:g} s")

    def _trip(self, reason: str) -> ResolverUnavailable:
        with self._lock:
            if self._broken is None:
                self._broken = reason
                log.warning(
                    "%s; no further Hub requests in this scan"
                    " (scan with --offline to use only local sources and the cache)",
                    reason,
                )
            return ResolverUnavailable(self._broken)

    # -- turning an answer into facts --------------------------------------------------

    def _facts(
        self, repo_type: RepoType, repo_id: str, revision: str | None, info: Any
    ) -> tuple[_Facts, bool]:
        label = f"{repo_type} {repo_id}"
        try:
            card = _card_of(info)
            raw_tags = getattr(info, "tags", None)
            tags = [t for t in raw_tags if isinstance(t, str)] if isinstance(raw_tags, list) else []
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            raise ResolverError(f"{label}: malformed answer from the Hub (HTTP 200)") from None
        sha_value = getattr(info, "sha", None)
        sha = sha_value if isinstance(sha_value, str) and _SHA.match(sha_value) else None
        page = (
            f"{self.endpoint}/{repo_id}"
            if repo_type == "model"
            else (f"{self.endpoint}/datasets/{repo_id}")
        )
        card_location = f"{page}/blob/{sha or revision or 'main'}/README.md"
        properties: dict[str, str] = {}
        cacheable = True

        if not card.licenses and not card.base_model and sha is not None:
            readme, status, cacheable = self._readme(repo_type, repo_id, sha)
            properties["hub:readme"] = status
            if readme is not None:
                card = _merge_cards(card, readme)

        licenses = _card_licenses(card, card_location)
        if not licenses:
            api_path = "models" if repo_type == "model" else "datasets"
            tags_location = f"{self.endpoint}/api/{api_path}/{repo_id}"
            if sha is not None:
                tags_location += f"/revision/{sha}"
            licenses = [
                _License(raw=t.split(":", 1)[1], location=tags_location)
                for t in tags
                if t.startswith("license:") and t.split(":", 1)[1].strip()
            ]

        parents, relation_source = _parents(card, tags, getattr(info, "base_models", None))
        if relation_source:
            properties["base_model_relation_source"] = relation_source
        datasets = _datasets(card, tags)

        pipeline_tag = _text(getattr(info, "pipeline_tag", None)) or card.pipeline_tag
        library_name = _text(getattr(info, "library_name", None)) or card.library_name
        if pipeline_tag:
            properties["pipeline_tag"] = pipeline_tag
        if library_name:
            properties["library_name"] = library_name
        last_modified = getattr(info, "last_modified", None)
        if isinstance(last_modified, datetime):
            properties["hub:last_modified"] = last_modified.isoformat()
        gated_value = getattr(info, "gated", None)
        gated = gated_value if isinstance(gated_value, str) and gated_value else None
        if gated_value is True:
            gated = "true"

        facts = _Facts(
            repo_type=repo_type,
            id=repo_id,
            sha=sha,
            gated=gated,
            licenses=tuple(licenses),
            base_models=tuple(parents),
            datasets=tuple(datasets),
            properties=tuple(sorted(properties.items())),
        )
        return facts, cacheable

    def _readme(
        self, repo_type: RepoType, repo_id: str, sha: str
    ) -> tuple[CardData | None, str, bool]:
        """The README's card data, a status for ``hub:readme``, and whether it is final."""
        label = f"{repo_type} {repo_id} README.md"
        token = self._token or False
        try:
            folder = self._downloads()
            cached = try_to_load_from_cache(
                repo_id, "README.md", cache_dir=folder, revision=sha, repo_type=repo_type
            )
        except OSError as exc:
            return None, f"failed: {type(exc).__name__}", False
        if isinstance(cached, str):
            return _read_card(Path(cached))
        url = hf_hub_url(
            repo_id, "README.md", repo_type=repo_type, revision=sha, endpoint=self.endpoint
        )
        try:
            meta = self._request(
                label,
                lambda: get_hf_file_metadata(
                    url=url, token=token, timeout=self.timeout, endpoint=self.endpoint
                ),
                max_bytes=MAX_RESPONSE_BYTES,
            )
            if meta.xet_file_data is not None:
                return None, "skipped: stored on Xet", True
            if meta.size is not None and meta.size > MAX_README_BYTES:
                return None, f"skipped: larger than {MAX_README_BYTES} bytes", True
            path = self._request(
                label,
                lambda: hf_hub_download(
                    repo_id,
                    "README.md",
                    repo_type=repo_type,
                    revision=sha,
                    endpoint=self.endpoint,
                    cache_dir=folder,
                    token=token,
                    etag_timeout=self.timeout,
                    library_name="modelbom",
                    library_version=__version__,
                ),
                max_bytes=MAX_README_BYTES,
                downloads=True,
            )
        except GatedRepoError as exc:
            return None, f"refused: gated (HTTP {_status(exc)})", True
        except EntryNotFoundError:
            return None, "absent", True
        except HfHubHTTPError as exc:
            return None, f"failed: HTTP {_status(exc)}", False
        except ResolverError as exc:
            return None, f"failed: {exc}", False
        except (OSError, ValueError, RuntimeError) as exc:  # e.g. LocalEntryNotFoundError
            return None, f"failed: {type(exc).__name__}", False
        return _read_card(Path(path))

    def _downloads(self) -> Path:
        """The directory README downloads go to (created on first use)."""
        with self._lock:
            if self._download_dir is not None:
                self._download_dir.mkdir(parents=True, exist_ok=True)
                return self._download_dir
            if self._temp_dir is None:
                self._temp_dir = Path(tempfile.mkdtemp(prefix="modelbom-hub-"))
                self._finalizer = weakref.finalize(
                    self, shutil.rmtree, str(self._temp_dir), ignore_errors=True
                )
            return self._temp_dir


# -- helpers ---------------------------------------------------------------------------


def _read_card(path: Path) -> tuple[CardData | None, str, bool]:
    """The card data of a downloaded README, a ``hub:readme`` status, and whether it is final."""
    try:
        if path.stat().st_size > MAX_README_BYTES:
            return None, f"skipped: larger than {MAX_README_BYTES} bytes", True
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        return None, f"failed: {type(exc).__name__}", False
    try:
        return parse_front_matter(text), "parsed", True
    except CardError as exc:
        return None, f"invalid: {exc}", True


def _env_token() -> str | None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _check_endpoint(value: str) -> str:
    """A clean http(s) endpoint without credentials, query or fragment."""
    endpoint = (value or DEFAULT_ENDPOINT).strip().rstrip("/")
    parts = urlsplit(endpoint)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise UsageError(f"invalid Hub endpoint: {redact_url(endpoint)}")
    return endpoint


def _may_carry_token(endpoint: str) -> bool:
    """HTTPS, or plain HTTP to a loopback address (a local mirror or a test server)."""
    parts = urlsplit(endpoint)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _target(component: Component) -> tuple[RepoType, str, str | None] | None:
    """(repo type, id, revision) of a component the Hub can answer for, else None."""
    if component.ecosystem not in (None, "huggingface"):
        return None
    repo_type: RepoType
    if component.kind in (Kind.MODEL, Kind.ADAPTER):
        repo_type, repo_id = "model", hub_id(component.id)
    elif component.kind is Kind.DATASET:
        repo_type, repo_id = "dataset", hub_id(component.id, allow_single=True)
    else:
        return None
    if repo_id is None:
        return None
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return None
    revision = component.revision
    if revision is not None and (
        not _REVISION.match(revision) or ".." in revision or "//" in revision
    ):
        return None
    return repo_type, repo_id, revision


def _status(exc: BaseException) -> int | None:
    if isinstance(exc, _Refused):
        return exc.status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _headers(exc: BaseException) -> Mapping[str, str]:
    if isinstance(exc, _Refused):
        return exc.headers
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers if headers is not None else {}


def _rate_limit_wait(headers: Mapping[str, str]) -> float:
    """Seconds to pause everyone after a 429: the reset the Hub gave, plus one."""
    info = parse_ratelimit_headers(headers)
    if info is not None:
        return float(min(max(info.reset_in_seconds, 0), 3600)) + 1.0
    retry_after = str(headers.get("Retry-After", "")).strip()
    if retry_after.isdigit():
        return float(min(int(retry_after), 3600)) + 1.0
    return 2.0


def _connect_reason(exc: BaseException) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if any(s in text for s in ("name or service", "nodename", "getaddrinfo", "name resolution")):
        return "name resolution failed"
    if "ssl" in text or "certificate" in text:
        return "TLS handshake failed"
    return "cannot connect"


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive time")
    return parsed


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return display_text(value.strip()[:_MAX_PROPERTY]) or None


def _card_of(info: Any) -> CardData:
    data = getattr(info, "card_data", None)
    if data is None:
        return CardData()
    if hasattr(data, "to_dict"):
        data = data.to_dict()
    if not isinstance(data, Mapping):
        raise TypeError("cardData is not an object")
    return CardData.from_mapping(data)


def _merge_cards(api: CardData, readme: CardData) -> CardData:
    """The README's metadata, with datasets and tags of both."""
    return readme.model_copy(
        update={
            "datasets": _unique([*readme.datasets, *api.datasets]),
            "tags": _unique([*readme.tags, *api.tags]),
            "pipeline_tag": readme.pipeline_tag or api.pipeline_tag,
            "library_name": readme.library_name or api.library_name,
        }
    )


def _card_licenses(card: CardData, location: str) -> list[_License]:
    licenses = card.licenses
    out: list[_License] = []
    for raw in licenses:
        detailed = raw.lower() == "other" or len(licenses) == 1
        out.append(
            _License(
                raw=raw,
                name=card.license_name if detailed else None,
                link=card.license_link if detailed else None,
                location=location,
            )
        )
    return out


def _parents(card: CardData, tags: Iterable[str], api: object) -> tuple[list[_Parent], str]:
    """Base models with their relation, and which source decided the relation."""
    ids: list[object] = list(card.base_model)
    tag_relation: dict[str, Relation] = {}
    for tag in tags:
        parts = tag.split(":")
        if parts[0] != "base_model" or len(parts) not in (2, 3):
            continue
        ids.append(parts[-1])
        if len(parts) == 3 and parts[1] in _RELATIONS:
            tag_relation.setdefault(parts[2], _RELATIONS[parts[1]])
    api_relation: Relation | None = None
    if isinstance(api, Mapping):
        relation = api.get("relation")
        api_relation = _RELATIONS.get(relation) if isinstance(relation, str) else None
        models = api.get("models")
        if isinstance(models, list):
            ids.extend(m.get("id") for m in models if isinstance(m, Mapping))
    elif isinstance(api, list):
        ids.extend(api)
    card_relation = _RELATIONS.get((card.base_model_relation or "").strip().lower())
    parents: list[_Parent] = []
    sources: list[str] = []
    for candidate in _unique(i for i in ids if isinstance(i, str)):
        parent = hub_id(candidate)
        if parent is None or any(p.id == parent for p in parents):
            continue
        if card_relation is not None:
            relation, source = card_relation, "card"
        elif parent in tag_relation:
            relation, source = tag_relation[parent], "tag"
        elif api_relation is not None:
            relation, source = api_relation, "api"
        else:
            relation, source = Relation.BASE, "default"
        parents.append(_Parent(id=parent, relation=relation))
        if source not in sources:
            sources.append(source)
    return parents, ",".join(sources)


def _datasets(card: CardData, tags: Iterable[str]) -> list[str]:
    candidates = [*card.datasets, *(t.split(":", 1)[1] for t in tags if t.startswith("dataset:"))]
    out: list[str] = []
    for candidate in candidates:
        dataset = hub_id(candidate, allow_single=True)
        if dataset is not None and dataset not in out:
            out.append(dataset)
    return out


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
