"""A small fake Hugging Face Hub for tests: the requests huggingface_hub 2.x makes, on 127.0.0.1.

Usage::

    with FakeHub() as hub:
        hub.add_model("org/base", card_data={"license": "mit"})
        hub.add_model("org/gated", card_data={"license": "llama3.1"}, gated="manual")
        hub.inject("org/slow", Fault(delay=3.0))
        hub.inject("*", Fault(status=429, times=1))      # the next request, whatever repo
        api = HfApi(endpoint=hub.url)
        ...
        hub.requests_for("org/base")                      # what the fake saw

Served (what huggingface_hub 2.4.0 asks for):

- ``GET /api/models/{id}`` and ``/api/models/{id}/revision/{rev}`` (likewise
  ``/api/datasets/...``). Repeated ``expand`` (or ``expand[]``) parameters return only
  the listed keys plus ``id`` and ``_id``, as the Hub does.
- ``HEAD`` and ``GET /{id}/resolve/{rev}/{file}`` and ``/datasets/{id}/resolve/...``
  with ``X-Repo-Commit``, a quoted ``ETag`` (git blob sha1) and ``Content-Length`` (also
  on HEAD). Model files answer ``307`` to ``/api/resolve-cache/models/{id}/{sha}/{file}``
  first, like the real Hub; dataset files answer directly.
- Errors carry ``X-Error-Code`` (``RepoNotFound``, ``GatedRepo``, ``RevisionNotFound``,
  ``EntryNotFound``) and ``X-Error-Message``; gated repositories answer their metadata
  but refuse files (401 without a token, 403 with one). ``429`` carries ``RateLimit`` and
  ``RateLimit-Policy`` headers.

Faults (:class:`Fault`) are injected per repository id, or for every request with
``"*"``: an HTTP status, a delay, a malformed JSON body, an oversized body (with or
without ``Content-Length``), a redirect. Every request is recorded
(:class:`SeenRequest`), including whether it carried an ``Authorization`` header.

Two server-wide options model a real Hub at scale: ``FakeHub(latency=0.05)`` adds that
many seconds to every answer (the round trip of a distant server), and
``FakeHub(rate_limit=RateLimitWindow(limit=300, window=2.0))`` answers 429 to every
request beyond *limit* in a fixed window (the first opens when the first request
arrives), with the Hub's ``RateLimit`` headers giving the seconds left in the window. :attr:`FakeHub.max_in_flight` is the most requests it was
answering at once.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

import yaml

RepoType = Literal["model", "dataset"]
_API_PREFIX = {"model": "/api/models/", "dataset": "/api/datasets/"}
_RESOLVE_CACHE = "/api/resolve-cache/models/"


@dataclass
class Fault:
    """Misbehaviour for the requests of one repository (or of all, with id ``"*"``)."""

    status: int | None = None
    """Answer with this HTTP status (429 adds RateLimit headers)."""
    code: str | None = None
    """The ``X-Error-Code`` header sent with *status* (``GatedRepo``, ``RepoNotFound``...)."""
    message: str = "fault injected by the fake Hub"
    times: int | None = None
    """Apply to the next *times* matching requests only; None: to every one."""
    skip: int = 0
    """Let this many matching requests through before the fault starts to apply."""
    on: Literal["any", "api", "file"] = "any"
    """Which requests: API metadata (``/api/...``), files (``/resolve/``), or both."""
    delay: float = 0.0
    """Seconds to wait before answering (interrupted when the server stops)."""
    malformed_json: bool = False
    """Answer 200 with a body that is not JSON."""
    oversized: int | None = None
    """Answer 200 with a body of this many bytes."""
    hide_length: bool = False
    """With *oversized*: send no Content-Length and close the connection after the body."""
    rate_limit_reset: int = 1
    """``t=`` of the RateLimit header of a 429."""
    rate_limit_policy: tuple[int, int] = (500, 300)
    """``q=`` and ``w=`` of the RateLimit-Policy header of a 429."""
    redirect_to: str | None = None
    """Answer 307 with this Location."""

    def applies_to(self, kind: str) -> bool:
        """Whether the fault covers a request of *kind* (``api`` or ``file``)."""
        return self.on in ("any", kind)


@dataclass(frozen=True)
class RateLimitWindow:
    """The Hub's fixed-window quota: *limit* requests per *window* seconds, then 429."""

    limit: int
    window: float


@dataclass
class FakeRepo:
    """One repository the fake Hub serves."""

    repo_id: str
    repo_type: RepoType = "model"
    sha: str = ""
    card_data: dict[str, Any] | None = None
    gated: str | bool = False
    tags: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    base_models: dict[str, Any] | None = None
    revisions: dict[str, str] = field(default_factory=dict)
    private: bool = False
    pipeline_tag: str | None = None
    library_name: str | None = None
    last_modified: str = "2024-05-01T12:00:00.000Z"
    extra: dict[str, Any] = field(default_factory=dict)

    def sha_for(self, revision: str) -> str | None:
        """The commit a revision names, or None when the repository has no such revision."""
        if revision in ("main", self.sha):
            return self.sha
        if revision in self.revisions:
            return self.revisions[revision]
        if revision in self.revisions.values():
            return revision
        return None

    def info(self, sha: str) -> dict[str, Any]:
        """The full API body (before ``expand`` filtering)."""
        body: dict[str, Any] = {
            "_id": hashlib.sha1(self.repo_id.encode()).hexdigest()[:24],  # noqa: S324
            "id": self.repo_id,
            "author": self.repo_id.split("/")[0] if "/" in self.repo_id else None,
            "sha": sha,
            "private": self.private,
            "disabled": False,
            "gated": self.gated,
            "lastModified": self.last_modified,
            "createdAt": "2024-01-01T00:00:00.000Z",
            "tags": list(self.tags),
            "siblings": [{"rfilename": name} for name in sorted(self.files)],
            "downloads": 0,
            "likes": 0,
        }
        if self.repo_type == "model":
            body["modelId"] = self.repo_id
            body["library_name"] = self.library_name
            body["pipeline_tag"] = self.pipeline_tag
            if self.base_models is not None:
                body["baseModels"] = self.base_models
        if self.card_data is not None:
            body["cardData"] = self.card_data
        body.update(self.extra)
        return body


@dataclass(frozen=True)
class SeenRequest:
    """One request the fake Hub received."""

    method: str
    path: str
    query: Mapping[str, Sequence[str]]
    kind: str  # api, file, other
    repo_type: str | None
    repo_id: str | None
    revision: str | None
    filename: str | None
    authorization: str | None
    at: float  # time.monotonic() when it arrived
    faulted: bool = False  # an injected fault answered it
    rate_limited: bool = False  # the rate-limit window was used up: answered 429

    @property
    def authorized(self) -> bool:
        """Whether the request carried an Authorization header."""
        return self.authorization is not None


def card_readme(card_data: Mapping[str, Any] | None, body: str = "# Model card\n") -> str:
    """A README.md text with *card_data* as YAML front matter."""
    if not card_data:
        return body
    return "---\n" + yaml.safe_dump(dict(card_data), sort_keys=False) + "---\n" + body


def fake_sha(text: str) -> str:
    """A deterministic 40-hex commit sha for *text*."""
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324


class FakeHub:
    """A fake Hub server on 127.0.0.1 (a free port), started and stopped as a context manager."""

    def __init__(self, *, latency: float = 0.0, rate_limit: RateLimitWindow | None = None) -> None:
        """*latency*: seconds added to every answer; *rate_limit*: a fixed-window quota
        (one window for all requests, API and files alike)."""
        self._lock = threading.Lock()
        self._repos: dict[tuple[str, str], FakeRepo] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._seen: list[SeenRequest] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.latency = latency
        self.rate_limit = rate_limit
        self._window_start: float | None = None  # the first request opens the first window
        self._window: tuple[int, int] = (0, 0)  # (window number, requests in it)
        self._in_flight = 0
        self._max_in_flight = 0

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeHub:
        """Start serving in a background thread."""
        handler = type("_BoundHandler", (_Handler,), {"hub": self})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (pending delays are cut short)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The endpoint, e.g. ``http://127.0.0.1:43521``."""
        if self._server is None:
            raise RuntimeError("the fake Hub is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- content -----------------------------------------------------------------------

    def add_model(self, repo_id: str, **kwargs: Any) -> FakeRepo:
        """Serve a model repository; keyword arguments as :meth:`add_repo`."""
        return self.add_repo(repo_id, repo_type="model", **kwargs)

    def add_dataset(self, repo_id: str, **kwargs: Any) -> FakeRepo:
        """Serve a dataset repository; keyword arguments as :meth:`add_repo`."""
        return self.add_repo(repo_id, repo_type="dataset", **kwargs)

    def add_repo(
        self,
        repo_id: str,
        *,
        repo_type: RepoType = "model",
        card_data: dict[str, Any] | None = None,
        readme: str | bytes | None = None,
        sha: str | None = None,
        gated: str | bool = False,
        tags: Sequence[str] = (),
        siblings: Sequence[str] = (),
        files: Mapping[str, bytes] | None = None,
        base_models: dict[str, Any] | None = None,
        revisions: Mapping[str, str] | None = None,
        pipeline_tag: str | None = None,
        library_name: str | None = None,
        private: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> FakeRepo:
        """Serve a repository.

        *card_data* is the API's ``cardData``; the README is *readme* when given, else
        one whose front matter is *card_data*. *siblings* adds empty files; *files* adds
        files with content. *base_models* is the API's ``baseModels`` object, e.g.
        ``{"relation": "adapter", "models": [{"id": "org/base"}]}``.
        """
        if readme is None:
            readme = card_readme(card_data)
        content = readme.encode() if isinstance(readme, str) else readme
        all_files = dict.fromkeys(siblings, b"")
        all_files.update(files or {})
        all_files["README.md"] = content
        repo = FakeRepo(
            repo_id=repo_id,
            repo_type=repo_type,
            sha=sha or fake_sha(f"{repo_type}:{repo_id}"),
            card_data=card_data,
            gated=gated,
            tags=list(tags),
            files=all_files,
            base_models=base_models,
            revisions=dict(revisions or {}),
            private=private,
            pipeline_tag=pipeline_tag,
            library_name=library_name,
            extra=dict(extra or {}),
        )
        with self._lock:
            self._repos[(repo_type, repo_id)] = repo
        return repo

    def repo(self, repo_id: str, repo_type: RepoType = "model") -> FakeRepo | None:
        """A served repository."""
        with self._lock:
            return self._repos.get((repo_type, repo_id))

    # -- faults and log ----------------------------------------------------------------

    def inject(self, repo_id: str, fault: Fault) -> None:
        """Add a fault for *repo_id* (``"*"``: every request). Earlier faults match first."""
        with self._lock:
            self._faults.setdefault(repo_id, []).append(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._faults.clear()

    @property
    def requests(self) -> list[SeenRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._seen)

    def requests_for(self, repo_id: str) -> list[SeenRequest]:
        """The requests that named *repo_id*."""
        return [r for r in self.requests if r.repo_id == repo_id]

    def reset_log(self) -> None:
        """Forget the requests received so far (and the most answered at once)."""
        with self._lock:
            self._seen.clear()
            self._max_in_flight = self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests the server was answering at the same time."""
        with self._lock:
            return self._max_in_flight

    # -- used by the handler -----------------------------------------------------------

    def _record(self, request: SeenRequest) -> None:
        with self._lock:
            self._seen.append(request)

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _over_quota(self, now: float) -> int | None:
        """Seconds until the window resets when this request is over the quota, else None."""
        quota = self.rate_limit
        if quota is None:
            return None
        with self._lock:
            if self._window_start is None:
                self._window_start = now
            elapsed = now - self._window_start
            number = int(elapsed // quota.window)
            current, count = self._window
            count = count + 1 if number == current else 1
            self._window = (number, count)
        if count <= quota.limit:
            return None
        return max(1, math.ceil((number + 1) * quota.window - elapsed))

    def _take_fault(self, repo_id: str | None, kind: str) -> Fault | None:
        with self._lock:
            candidates = [*self._faults.get(repo_id or "", []), *self._faults.get("*", [])]
            for fault in candidates:
                if not fault.applies_to(kind):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is None:
                    return fault
                if fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _lookup(self, repo_type: str, repo_id: str) -> FakeRepo | None:
        with self._lock:
            return self._repos.get((repo_type, repo_id))

    def _split_id(self, repo_type: str, rest: str) -> tuple[str, str]:
        """Split ``org/name/tail`` (or ``name/tail``) into a known id and the tail."""
        parts = rest.split("/")
        two = "/".join(parts[:2])
        if len(parts) >= 2 and self._lookup(repo_type, two) is not None:
            return two, "/".join(parts[2:])
        return parts[0], "/".join(parts[1:])

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


@dataclass(frozen=True)
class _Route:
    kind: str  # api, file, other
    repo_type: str | None = None
    repo_id: str | None = None
    revision: str | None = None
    filename: str | None = None
    cache_hop: bool = False  # the /api/resolve-cache/ target of a redirect


class _Handler(BaseHTTPRequestHandler):
    """Request handler; ``hub`` is bound by :meth:`FakeHub.start`."""

    hub: FakeHub
    protocol_version = "HTTP/1.1"
    server_version = "FakeHub/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        """Serve API metadata and files."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Serve file metadata."""
        self._serve(head=True)

    # -- routing -----------------------------------------------------------------------

    def _route(self, path: str) -> _Route:
        for repo_type, prefix in _API_PREFIX.items():
            if path.startswith(prefix):
                rest = unquote(path[len(prefix) :])
                if "/revision/" in rest:
                    repo_id, revision = rest.split("/revision/", 1)
                    return _Route("api", repo_type, repo_id, revision)
                return _Route("api", repo_type, rest, None)
        if path.startswith(_RESOLVE_CACHE):
            repo_id, tail = self.hub._split_id("model", path[len(_RESOLVE_CACHE) :])
            sha, _, filename = tail.partition("/")
            return _Route("file", "model", repo_id, sha, unquote(filename), cache_hop=True)
        if "/resolve/" in path:
            head, tail = path.split("/resolve/", 1)
            repo_type = "model"
            if head.startswith("/datasets/"):
                repo_type, head = "dataset", head[len("/datasets") :]
            revision, _, filename = tail.partition("/")
            return _Route(
                "file", repo_type, unquote(head.lstrip("/")), unquote(revision), unquote(filename)
            )
        return _Route("other")

    def _serve(self, *, head: bool) -> None:
        self.hub._enter()
        try:
            self.hub._wait(self.hub.latency)
            self._answer(head=head)
        finally:
            self.hub._leave()

    def _answer(self, *, head: bool) -> None:
        parts = urlsplit(self.path)
        route = self._route(parts.path)
        reset = None if route.kind == "other" else self.hub._over_quota(time.monotonic())
        fault = None
        if reset is not None and self.hub.rate_limit is not None:
            limit, window = self.hub.rate_limit.limit, math.ceil(self.hub.rate_limit.window)
            fault = Fault(status=429, rate_limit_reset=reset, rate_limit_policy=(limit, window))
        elif route.kind != "other":
            fault = self.hub._take_fault(route.repo_id, route.kind)
        self.hub._record(
            SeenRequest(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                kind=route.kind,
                repo_type=route.repo_type,
                repo_id=route.repo_id,
                revision=route.revision,
                filename=route.filename,
                authorization=self.headers.get("Authorization"),
                at=time.monotonic(),
                faulted=fault is not None and reset is None,
                rate_limited=reset is not None,
            )
        )
        if route.kind == "other" or route.repo_type is None or route.repo_id is None:
            self._error(404, "EntryNotFound", "no such route", head=head)
            return
        if fault is not None and self._apply_fault(fault, route, head=head):
            return
        repo = self.hub._lookup(route.repo_type, route.repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found", head=head)
            return
        sha = repo.sha_for(route.revision or "main")
        if sha is None:
            self._error(404, "RevisionNotFound", "Invalid rev id", head=head)
            return
        if route.kind == "api":
            self._api(repo, sha, parse_qs(parts.query), head=head)
        else:
            self._file(repo, sha, route, head=head)

    # -- answers -----------------------------------------------------------------------

    def _api(self, repo: FakeRepo, sha: str, query: dict[str, list[str]], *, head: bool) -> None:
        body = repo.info(sha)
        expand = query.get("expand", []) + query.get("expand[]", [])
        if expand:
            body = {k: v for k, v in body.items() if k in expand or k in ("id", "_id")}
        data = json.dumps(body).encode()
        self._send(200, {"Content-Type": "application/json"}, data, head=head)

    def _file(self, repo: FakeRepo, sha: str, route: _Route, *, head: bool) -> None:
        filename = route.filename or ""
        if repo.gated:
            status = 403 if self.headers.get("Authorization") else 401
            message = f"Access to model {repo.repo_id} is restricted."
            self._error(status, "GatedRepo", message, head=head)
            return
        content = repo.files.get(filename)
        if content is None:
            self._error(
                404, "EntryNotFound", "Entry not found", head=head, extra={"X-Repo-Commit": sha}
            )
            return
        if repo.repo_type == "model" and not route.cache_hop:
            location = f"{_RESOLVE_CACHE}{repo.repo_id}/{sha}/{quote(filename)}"
            headers = {"Location": location, "X-Repo-Commit": sha}
            self._send(307, headers, b"", head=head)
            return
        etag = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()  # noqa: S324
        headers = {
            "Content-Type": "text/plain; charset=utf-8",
            "X-Repo-Commit": sha,
            "ETag": f'"{etag}"',
        }
        self._send(200, headers, content, head=head)

    def _apply_fault(self, fault: Fault, route: _Route, *, head: bool) -> bool:
        """Apply *fault*; True when it produced the answer."""
        self.hub._wait(fault.delay)
        if fault.redirect_to is not None:
            self._send(307, {"Location": fault.redirect_to}, b"", head=head)
            return True
        if fault.status == 429:
            bucket = "api" if route.kind == "api" else "resolvers"
            quota, window = fault.rate_limit_policy
            headers = {
                "RateLimit": f'"{bucket}";r=0;t={fault.rate_limit_reset}',
                "RateLimit-Policy": f'"fixed window";"{bucket}";q={quota};w={window}',
            }
            self._error(429, fault.code, "Too many requests", head=head, extra=headers)
            return True
        if fault.status is not None:
            self._error(fault.status, fault.code, fault.message, head=head)
            return True
        if fault.malformed_json:
            body = b'{"id": "' + (route.repo_id or "").encode() + b'", "sha": '
            self._send(200, {"Content-Type": "application/json"}, body, head=head)
            return True
        if fault.oversized is not None:
            self._oversized(fault.oversized, hide_length=fault.hide_length, head=head)
            return True
        return False  # a pure delay: answer normally

    def _oversized(self, size: int, *, hide_length: bool, head: bool) -> None:
        prefix, suffix = b'{"id": "x", "pad": "', b'"}'
        filler = max(size - len(prefix) - len(suffix), 0)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if hide_length:
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(prefix) + filler + len(suffix)))
            self.end_headers()
            if head:
                return
            self.wfile.write(prefix)
            chunk = b"a" * 65536
            while filler > 0:
                self.wfile.write(chunk[: min(filler, len(chunk))])
                filler -= len(chunk)
            self.wfile.write(suffix)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _error(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        head: bool,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        headers.update(extra or {})
        self._send(status, headers, json.dumps({"error": message}).encode(), head=head)

    def _send(self, status: int, headers: Mapping[str, str], body: bytes, *, head: bool) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
