"""Plumbing shared by the remote resolvers: a small JSON-over-HTTP client and cache lookups.

:class:`JsonClient` is built on :mod:`urllib.request` (no extra dependency) and does
what a scanner talking to CivitAI, PyPI or an npm registry must do:

* **Timeouts** on every request: one for connecting (TCP and TLS handshake), one for
  each read, and an overall budget for the whole answer (a server that trickles one
  byte at a time cannot hold a worker forever).
* **A size cap** on every answer (5 MiB unless configured), checked against
  ``Content-Length`` before reading and while reading; gzip answers are inflated in
  bounded steps, so a compressed bomb stops at the cap too.
* **No redirect to another origin** (scheme, host or port): the client follows a few
  redirects on the configured host and refuses the rest, so neither the request nor a
  token can be sent elsewhere.
* **Retries only on 429 and 5xx**, at most ``max_retries`` times. The pause honours
  ``Retry-After`` and is shared by every worker through the
  :class:`~modelbom.resolvers.ratelimit.RateLimiter`; a pause longer than ``max_wait``
  is not waited for (the component gets a "rate limited" reason instead).
* **Error mapping**: a source that cannot be reached at all (connection refused, DNS
  failure, connect timeout) raises :class:`ResolverUnavailable`; anything that went
  wrong for one request (404, 401/403, 5xx, a read timeout, malformed JSON, an answer
  too large) raises :class:`ResolverError` with a short reason (404 is
  :class:`HttpNotFound`, so a resolver can tell "no such thing" from a failure).
* **A circuit breaker**: once the source proved unreachable ``breaker_threshold``
  times in a row, further requests fail at once for ``breaker_cooldown`` seconds
  without opening a socket; then one request is let through to probe it.
* **Proxies** from the environment are honoured (``HTTPS_PROXY``, ``HTTP_PROXY``,
  ``NO_PROXY``), as pip, npm and httpx do; ``proxies={}`` turns them off.
* **Credentials**: a token comes from a callable evaluated per request (resolvers read
  their environment variable there, so no token is kept in an attribute), and is sent
  only to the configured origin, and never over plain HTTP except to a loopback
  address. User information in the base URL (``https://user:pass@mirror``) becomes a
  Basic ``Authorization`` header and is removed from every URL the client shows. No
  URL with credentials and no header value reaches a log line or an exception message.

:func:`cached_lookup` implements the cache rules every remote resolver follows (offline:
cache only; ``refresh``: fetch again; every fetched answer stored with ``context.now()``)
and :func:`license_terms` is the hook to the license normaliser.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import importlib
import ipaddress
import json
import logging
import math
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from modelbom import __version__
from modelbom.model.text import display_text
from modelbom.redact import redact, redact_url
from modelbom.resolvers.base import ResolveContext, ResolverError, ResolverUnavailable
from modelbom.resolvers.ratelimit import RateLimiter

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "Answer",
    "CircuitBreaker",
    "HttpNotFound",
    "JsonClient",
    "cached_lookup",
    "clean_text",
    "license_terms",
]

log = logging.getLogger("modelbom.resolvers.http")

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_REDIRECTS = 5
_ERROR_BODY_LIMIT = 64 * 1024
_CHUNK = 64 * 1024


class HttpNotFound(ResolverError):
    """The server answered 404: the thing asked for does not exist there."""


class _RedirectRefused(Exception):
    """A redirect to another origin (raised inside the opener, mapped by the client)."""


class _TooLarge(Exception):
    """The answer passed the size cap."""


# -- transport ------------------------------------------------------------------------------


class _HTTPConnection(http.client.HTTPConnection):
    """An HTTP connection whose socket switches to the read timeout once connected."""

    def __init__(self, host: str, *, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._read_timeout = read_timeout

    def connect(self) -> None:
        """Connect under the connect timeout, then read under the read timeout."""
        super().connect()
        if self.sock is not None:
            self.sock.settimeout(self._read_timeout)


class _HTTPSConnection(http.client.HTTPSConnection):
    """The TLS variant of :class:`_HTTPConnection` (the handshake is part of connecting)."""

    def __init__(self, host: str, *, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._read_timeout = read_timeout

    def connect(self) -> None:
        """Connect and shake hands under the connect timeout, then switch."""
        super().connect()
        if self.sock is not None:
            self.sock.settimeout(self._read_timeout)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, read_timeout: float) -> None:
        super().__init__()
        self._read_timeout = read_timeout

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_HTTPConnection, read_timeout=self._read_timeout), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    """HTTPS with the default certificate checks; the TLS context (loading the system's
    certificates costs tens of milliseconds) is made on the first HTTPS request, so a
    scan that never reaches a source, such as an offline one, does not pay for it."""

    def __init__(self, read_timeout: float) -> None:
        super().__init__()
        self._read_timeout = read_timeout
        self._tls: ssl.SSLContext | None = None
        self._tls_lock = threading.Lock()

    def _tls_context(self) -> ssl.SSLContext:
        with self._tls_lock:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            return self._tls

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        factory = partial(_HTTPSConnection, read_timeout=self._read_timeout)
        return self.do_open(factory, req, context=self._tls_context())


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to the origin of the request that was redirected."""

    max_redirections = _MAX_REDIRECTS
    max_repeats = 2

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            fp.close()
            raise _RedirectRefused(redact_url(newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port or default)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- circuit breaker ------------------------------------------------------------------------


class CircuitBreaker:
    """Stops calling a source that proved unreachable, for a cool-down period."""

    def __init__(
        self,
        threshold: int = 2,
        cooldown: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._reason = ""

    @property
    def is_open(self) -> bool:
        """Whether requests are refused right now."""
        with self._lock:
            return self._failures >= self.threshold and self._clock() < self._open_until

    def check(self, label: str) -> None:
        """Raise :class:`ResolverUnavailable` while the breaker is open."""
        with self._lock:
            if self._failures >= self.threshold and self._clock() < self._open_until:
                # The same words as the failure that opened the breaker, so that the
                # reason a component records does not depend on which thread asked first.
                raise ResolverUnavailable(f"{label} unreachable: {self._reason}")

    def failure(self, reason: str) -> bool:
        """Record one "could not reach the source" outcome; True when it opens the breaker."""
        with self._lock:
            self._failures += 1
            self._reason = reason
            opened = self._failures == self.threshold
            if self._failures >= self.threshold:
                self._open_until = self._clock() + self.cooldown
            return opened

    def success(self) -> None:
        """The source answered (whatever the status): close the breaker."""
        with self._lock:
            self._failures = 0
            self._open_until = 0.0


# -- the client -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


class JsonClient:
    """GET JSON documents below one base URL; thread-safe, shareable by all workers.

    *label* names the source in reasons ("CivitAI", "PyPI"). *auth* is called for each
    request and returns the ``Authorization`` header value or ``None``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        label: str,
        timeout: float = DEFAULT_TIMEOUT,
        read_timeout: float | None = None,
        total_timeout: float = 60.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_retries: int = 3,
        max_wait: float = 60.0,
        backoff: float = 1.0,
        limiter: RateLimiter | None = None,
        auth: Callable[[], str | None] | None = None,
        proxies: Mapping[str, str] | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{label}: base URL must be an http(s) URL with a host")
        if parts.query or parts.fragment:
            raise ValueError(f"{label}: base URL must not have a query or fragment")
        self.label = label
        self._basic: str | None = None
        if parts.username is not None or parts.password is not None:
            user = unquote(parts.username or "")
            password = unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            self._basic = f"Basic {token}"
        netloc = parts.netloc.rsplit("@", 1)[-1]
        self.base_url = urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))
        self._origin = _origin(self.base_url)
        self._secure_target = parts.scheme.lower() == "https" or _is_loopback(parts.hostname)
        self.timeout = timeout
        self.read_timeout = timeout if read_timeout is None else read_timeout
        self.total_timeout = max(total_timeout, self.timeout, self.read_timeout)
        self.max_bytes = max_bytes
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.backoff = backoff
        self.limiter = limiter if limiter is not None else RateLimiter(rate=5.0, burst=5)
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self._auth = auth
        # Only the handlers needed for http(s): no file:, ftp: or data: handler exists.
        opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(None if proxies is None else dict(proxies)),
            _HTTPHandler(self.read_timeout),
            _HTTPSHandler(self.read_timeout),
            _SameOriginRedirects(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            opener.add_handler(handler)
        self._opener = opener

    def __repr__(self) -> str:
        return f"JsonClient({self.base_url!r}, label={self.label!r})"

    def url(self, *segments: str) -> str:
        """The URL of *segments* below the base URL, each segment percent-encoded.

        ``@`` is kept (npm scopes: ``@scope%2Fname``); ``/`` inside a segment is encoded.
        """
        for segment in segments:
            if segment in ("", ".", "..") or any(ord(ch) < 0x20 for ch in segment):
                raise ResolverError(f"{self.label}: refusing an invalid path segment")
        return "/".join([self.base_url, *(quote(s, safe="@") for s in segments)])

    def get_json(self, *segments: str) -> Any:
        """GET the JSON document at :meth:`url` (*segments*) and return it parsed."""
        url = self.url(*segments)
        shown = redact_url(url)
        attempt = 0
        while True:
            self.breaker.check(self.label)
            if not self.limiter.acquire(deadline=time.monotonic() + self.max_wait):
                raise ResolverError(f"{self.label}: rate limited; gave up waiting")
            reply = self._request(url, shown)
            if reply.status == 200:
                return self._parse(reply.body)
            if reply.status in _RETRY_STATUSES and attempt < self.max_retries:
                wait = _retry_after(reply.headers.get("Retry-After"))
                if wait is None:
                    wait = self.backoff * (2**attempt)
                self.limiter.back_off(wait)
                if wait > self.max_wait:
                    raise ResolverError(self._status_reason(reply.status, wait))
                log.debug(
                    "%s answered %d for %s; retrying in %.1f s",
                    self.label,
                    reply.status,
                    shown,
                    wait,
                )
                attempt += 1
                continue
            if reply.status in _RETRY_STATUSES:
                raise ResolverError(self._status_reason(reply.status) + f" after {attempt} retries")
            if reply.status == 404:
                raise HttpNotFound(f"{self.label}: not found")
            raise ResolverError(self._status_reason(reply.status))

    def _status_reason(self, status: int, wait: float | None = None) -> str:
        if status == 429:
            reason = f"{self.label}: rate limited (HTTP 429)"
            return reason if wait is None else f"{reason}; retry after {math.ceil(wait)} s"
        if status in (401, 403):
            return f"{self.label}: access denied (HTTP {status})"
        if status >= 500:
            return f"{self.label}: server error (HTTP {status})"
        return f"{self.label}: unexpected answer (HTTP {status})"

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "User-Agent": f"modelbom/{__version__}",
        }
        value = self._auth() if self._auth is not None else None
        value = value or self._basic
        if value and self._secure_target:
            headers["Authorization"] = value
        return headers

    def _request(self, url: str, shown: str) -> _Reply:
        # The URL is the checked http(s) base URL plus quoted segments.
        request = urllib.request.Request(url, headers=self._headers(), method="GET")  # noqa: S310
        started = time.monotonic()
        log.debug("%s GET %s", self.label, shown)
        try:
            response = self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            self.breaker.success()
            return _Reply(exc.code, _header_map(exc.headers), _error_body(exc, started + 5.0))
        except _RedirectRefused as exc:
            self.breaker.success()
            raise ResolverError(
                f"{self.label}: refused a redirect to another host ({exc})"
            ) from None
        except urllib.error.URLError as exc:
            reason = _unreachable_reason(exc.reason)
            self._failed(reason)
            log.debug("%s unreachable: %s", self.label, reason)
            raise ResolverUnavailable(f"{self.label} unreachable: {reason}") from None
        except TimeoutError:
            # Connected, but no answer: a hanging source counts towards the breaker.
            self._failed("no answer within the timeout")
            raise ResolverError(f"{self.label}: timed out waiting for an answer") from None
        except (OSError, http.client.HTTPException) as exc:
            self.breaker.success()
            raise ResolverError(f"{self.label}: connection failed ({type(exc).__name__})") from None
        self.breaker.success()
        with response:
            try:
                body = self._read_body(response, started)
            except _TooLarge:
                raise ResolverError(
                    f"{self.label}: answer larger than {self.max_bytes} bytes"
                ) from None
            except TimeoutError:
                self._failed("no answer within the timeout")
                raise ResolverError(f"{self.label}: timed out reading the answer") from None
            except (OSError, http.client.HTTPException, zlib.error) as exc:
                raise ResolverError(
                    f"{self.label}: answer cut short ({type(exc).__name__})"
                ) from None
            if _origin(response.geturl()) != self._origin:  # defence in depth
                raise ResolverError(f"{self.label}: answer came from another host")
            return _Reply(response.status, _header_map(response.headers), body)

    def _failed(self, reason: str) -> None:
        """Count a network failure; say so once when the source is given up on."""
        if self.breaker.failure(reason):
            log.warning(
                "%s unreachable: %s; no further %s requests for %g s"
                " (scan with --offline to use only local sources and the cache)",
                self.label,
                reason,
                self.label,
                self.breaker.cooldown,
            )

    def _read_body(self, response: http.client.HTTPResponse, started: float) -> bytes:
        deadline = started + self.total_timeout
        encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
        declared = response.headers.get("Content-Length")
        if (
            encoding == "identity"
            and declared
            and declared.isdigit()
            and int(declared) > self.max_bytes
        ):
            raise _TooLarge
        if encoding == "identity":
            return _read_limited(response, self.max_bytes, deadline, strict=True)
        if encoding not in ("gzip", "x-gzip"):
            raise ResolverError(f"{self.label}: unsupported content encoding")
        inflater = zlib.decompressobj(wbits=31)
        out: list[bytes] = []
        total = 0
        raw_total = 0
        while True:
            _check_deadline(deadline)
            chunk = response.read1(_CHUNK)
            if not chunk:
                break
            raw_total += len(chunk)
            if raw_total > self.max_bytes:
                raise _TooLarge
            data = chunk
            while data:
                piece = inflater.decompress(data, self.max_bytes - total + 1)
                total += len(piece)
                if total > self.max_bytes:
                    raise _TooLarge
                out.append(piece)
                data = inflater.unconsumed_tail
        tail = inflater.flush()
        total += len(tail)
        if total > self.max_bytes:
            raise _TooLarge
        out.append(tail)
        return b"".join(out)

    def _parse(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise ResolverError(f"{self.label}: malformed JSON in the answer") from None


def _check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError


def _read_limited(stream: Any, limit: int, deadline: float, *, strict: bool = False) -> bytes:
    """Read at most *limit* bytes (with ``strict``, more than that raises _TooLarge)."""
    chunks: list[bytes] = []
    total = 0
    reader = getattr(stream, "read1", None) or stream.read
    while True:
        _check_deadline(deadline)
        chunk = reader(min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            if strict:
                raise _TooLarge
            break
    return b"".join(chunks)[:limit]


def _error_body(exc: urllib.error.HTTPError, deadline: float) -> bytes:
    """The start of an error answer (read only to keep the connection tidy)."""
    try:
        with exc:
            return _read_limited(exc, _ERROR_BODY_LIMIT, deadline)
    except (OSError, http.client.HTTPException, AttributeError, ValueError):
        return b""


def _header_map(headers: Any) -> dict[str, str]:
    if headers is None:
        return {}
    return {str(k).title(): str(v) for k, v in headers.items()}


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _unreachable_reason(reason: object) -> str:
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "connection timed out"
    if isinstance(reason, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return type(reason).__name__


# -- cache rules ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """A payload from the source or from the cache, and when it was fetched."""

    payload: dict[str, Any]
    fetched_at: str
    cached: bool


def cached_lookup(
    context: ResolveContext,
    source: str,
    key: str,
    fetch: Callable[[], dict[str, Any]],
    *,
    revision: str = "",
) -> Answer | None:
    """The answer for *key*: from the cache when allowed, else from *fetch* (then stored).

    Offline, only the cache is consulted (``None`` when it has nothing; *fetch* is never
    called). With ``context.refresh`` the cache is not read, but the fresh answer is
    written. *fetch* returns a plain JSON payload without secrets.
    """
    cache = context.cache
    if cache is not None and (context.offline or not context.refresh):
        entry = cache.get(source, key, revision)
        if entry is not None:
            return Answer(entry.payload, entry.fetched_at, cached=True)
    if context.offline:
        return None
    payload = fetch()
    fetched_at = context.now()
    if cache is not None:
        cache.put(source, key, payload, fetched_at, revision)
    return Answer(payload, fetched_at, cached=False)


def clean_text(value: object, limit: int = 200) -> str | None:
    """A remote string made safe to show: one line, valid UTF-8, redacted, clipped.

    Anything that is not a non-empty string gives ``None``.
    """
    if not isinstance(value, str):
        return None
    text = redact(" ".join(display_text(value).split()))
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# -- license normalisation hook -------------------------------------------------------------


def license_terms(
    raw: str, *, name: str | None = None, link: str | None = None
) -> tuple[str | None, bool]:
    """``(expression, needs_review)`` for a declared license, from the shared normaliser.

    The normaliser (:mod:`modelbom.licenses.normalize`) is imported lazily. Whatever it
    cannot name, and everything while it is not available, gets no expression and is
    flagged for review.
    """
    try:
        module = importlib.import_module("modelbom.licenses.normalize")
    except ImportError:
        return None, True
    normalize: Callable[..., Any] | None = getattr(module, "normalize_license", None)
    if normalize is None:
        return None, True
    result = normalize(raw, name=name, link=link)
    if isinstance(result, tuple):
        expression = result[0] if result else None
        review = bool(result[1]) if len(result) > 1 else False
    elif isinstance(result, str):
        expression, review = result, False
    else:
        expression = getattr(result, "expression", None)
        review = bool(getattr(result, "needs_review", False))
    if not expression:
        return None, True
    return str(expression), review
