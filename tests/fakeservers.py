"""Small fake HTTP servers for resolver tests: CivitAI, the PyPI JSON API, an npm registry.

:class:`FakeServer` is a ``ThreadingHTTPServer`` on ``127.0.0.1`` port 0 that answers
from a table of routes (exact paths) and records every request it saw. A route is a
:class:`Reply`, a list of replies served in turn (the last one repeats), or a function of
the request. Use it as a context manager: it is stopped and closed on exit.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = [
    "FakeServer",
    "Reply",
    "Request",
    "civitai_routes",
    "closed_port",
    "json_reply",
    "npm_routes",
    "pypi_routes",
    "quiet_network_env",
    "run_audited",
]


@dataclass(frozen=True)
class Request:
    """One request the fake saw."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    """One answer: status, body, headers; ``chunked`` omits Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False
    delay: float = 0.0
    gzip: bool = False


def json_reply(data: Any, status: int = 200, **kwargs: Any) -> Reply:
    """A reply whose body is *data* as JSON."""
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return Reply(status=status, body=json.dumps(data).encode(), headers=headers, **kwargs)


Route = Reply | list[Reply] | Callable[[Request], Reply]


class FakeServer:
    """A threaded HTTP server on 127.0.0.1:0 answering from *routes*."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._served: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running server."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        """Bind and serve in a daemon thread."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [r.path for r in self.requests]

    def _reply_for(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self.routes.get(request.path)
            count = self._served.get(request.path, 0)
            self._served[request.path] = count + 1
        if route is None:
            return json_reply({"error": "Not found"}, status=404)
        if isinstance(route, Reply):
            return route
        if isinstance(route, list):
            return route[min(count, len(route) - 1)]
        return route(request)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        request = Request("GET", handler.path, dict(handler.headers.items()))
        reply = self._reply_for(request)
        if reply.delay:
            time.sleep(reply.delay)
        body = gzip.compress(reply.body) if reply.gzip else reply.body
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            if reply.gzip:
                handler.send_header("Content-Encoding", "gzip")
            if reply.chunked:
                handler.send_header("Transfer-Encoding", "chunked")
                handler.end_headers()
                for start in range(0, len(body), 8192):
                    piece = body[start : start + 8192]
                    handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                handler.wfile.write(b"0\r\n\r\n")
            else:
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size cap)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


_NETWORK_VARIABLES = (
    "CIVITAI_API_BASE",
    "CIVITAI_API_TOKEN",
    "MODELBOM_PYPI_URL",
    "MODELBOM_NPM_REGISTRY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


def quiet_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy, no token, no endpoint override from the developer's environment."""
    for name in _NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


_AUDIT_PRELUDE = """
import json, sys
_connects = []
def _hook(event, args):
    if event == "socket.connect":
        _connects.append(repr(args[1]))
sys.addaudithook(_hook)
"""


def run_audited(body: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run *body* in a fresh interpreter that records every ``socket.connect``.

    *body* sees ``ARGS`` (the JSON-decoded *args*) and must assign a JSON-serialisable
    dict to ``RESULT``; the return value is ``RESULT`` plus ``connects``, the list of
    addresses connected to (the hook is installed before anything is imported).
    """
    script = (
        _AUDIT_PRELUDE
        + "ARGS = json.loads(sys.argv[1])\n"
        + textwrap.dedent(body)
        + "\nRESULT['connects'] = _connects\nprint(json.dumps(RESULT))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in _NETWORK_VARIABLES}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- CivitAI --------------------------------------------------------------------------------

LORA_MODEL = 122359
LORA_VERSION = 135867
LEGACY_MODEL = 7808
LEGACY_VERSION = 9208
CHECKPOINT_MODEL = 133005
CHECKPOINT_VERSION = 357609
LORA_SHA256 = "A" * 64


def _civitai_version(
    version_id: int, model_id: int, base: str, name: str, sha: str | None = None
) -> dict[str, Any]:
    return {
        "id": version_id,
        "modelId": model_id,
        "name": name,
        "baseModel": base,
        "baseModelType": "Standard",
        "air": f"urn:air:sdxl:lora:civitai:{model_id}@{version_id}",
        "files": [
            {
                "id": version_id * 10,
                "name": f"{name}.safetensors",
                "type": "Model",
                "sizeKB": 223101.1,
                "metadata": {"format": "SafeTensor", "size": None, "fp": None},
                "hashes": {"AutoV2": "ABCDEF0123", "SHA256": sha or ("B" * 64)},
                "primary": True,
            }
        ],
        "model": {"name": name, "type": "LORA", "nsfw": False, "poi": False},
    }


def civitai_routes(prefix: str = "/api/v1") -> dict[str, Route]:
    """A LoRA on SDXL 1.0 (permissions as an array), a textual inversion on SD 1.5 (the
    legacy single-string ``allowCommercialUse``), a checkpoint on Pony, and a hash."""
    lora_version = _civitai_version(
        LORA_VERSION, LORA_MODEL, "SDXL 1.0", "detail-tweaker", LORA_SHA256
    )
    lora_model = {
        "id": LORA_MODEL,
        "name": "Detail Tweaker XL",
        "type": "LORA",
        "nsfw": False,
        "creator": {"username": "someone", "image": None},
        "allowNoCredit": True,
        "allowCommercialUse": ["Image", "RentCivit", "Rent"],
        "allowDerivatives": True,
        "allowDifferentLicense": False,
        "modelVersions": [{"id": LORA_VERSION, "baseModel": "SDXL 1.0"}],
    }
    legacy_version = _civitai_version(LEGACY_VERSION, LEGACY_MODEL, "SD 1.5", "easynegative")
    legacy_model = {
        "id": LEGACY_MODEL,
        "name": "EasyNegative",
        "type": "TextualInversion",
        "creator": {"username": "another"},
        "allowNoCredit": False,
        "allowCommercialUse": "Sell",
        "allowDerivatives": False,
        "allowDifferentLicense": False,
        "modelVersions": [{"id": LEGACY_VERSION, "baseModel": "SD 1.5"}],
    }
    checkpoint_version = _civitai_version(
        CHECKPOINT_VERSION, CHECKPOINT_MODEL, "Pony", "juggernaut"
    )
    checkpoint_model = {
        "id": CHECKPOINT_MODEL,
        "name": "Some Pony Checkpoint",
        "type": "Checkpoint",
        "creator": {"username": "third"},
        "allowNoCredit": True,
        "allowCommercialUse": [],
        "allowDerivatives": True,
        "allowDifferentLicense": True,
        "modelVersions": [
            {"id": CHECKPOINT_VERSION, "baseModel": "Pony"},
            {"id": CHECKPOINT_VERSION + 1, "baseModel": "SDXL 1.0"},
        ],
    }
    return {
        f"{prefix}/model-versions/{LORA_VERSION}": json_reply(lora_version),
        f"{prefix}/models/{LORA_MODEL}": json_reply(lora_model),
        f"{prefix}/model-versions/by-hash/{LORA_SHA256}": json_reply(lora_version),
        f"{prefix}/model-versions/{LEGACY_VERSION}": json_reply(legacy_version),
        f"{prefix}/models/{LEGACY_MODEL}": json_reply(legacy_model),
        f"{prefix}/model-versions/{CHECKPOINT_VERSION}": json_reply(checkpoint_version),
        f"{prefix}/models/{CHECKPOINT_MODEL}": json_reply(checkpoint_model),
        f"{prefix}/models/999": json_reply({"error": "No model with id 999"}, status=404),
        f"{prefix}/model-versions/998": json_reply({"error": "Model not found"}, status=404),
    }


# -- PyPI JSON API --------------------------------------------------------------------------

_LONG_LICENSE = (
    "Copyright (c) 2010 Someone\n\nRedistribution and use in source and binary forms, with or "
    "without modification, are permitted provided that the following conditions are met: ..."
)


def _pypi_doc(name: str, version: str, **info: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name,
        "version": version,
        "license": None,
        "license_expression": None,
        "classifiers": ["Programming Language :: Python :: 3"],
        "summary": "a package",
    }
    base.update(info)
    return {"info": base, "urls": [], "releases": {}}


def pypi_routes() -> dict[str, Route]:
    """Packages with ``license_expression``, a whole license text, classifiers only."""
    return {
        "/pypi/modern-pkg/json": json_reply(
            _pypi_doc("modern-pkg", "2.0.0", license_expression="MIT OR Apache-2.0", license="")
        ),
        "/pypi/modern-pkg/1.0.0/json": json_reply(
            _pypi_doc("modern-pkg", "1.0.0", license="BSD-3-Clause")
        ),
        "/pypi/long-text/3.1/json": json_reply(
            _pypi_doc(
                "long-text",
                "3.1",
                license=_LONG_LICENSE,
                classifiers=[
                    "Development Status :: 5 - Production/Stable",
                    "License :: OSI Approved :: BSD License",
                ],
            )
        ),
        "/pypi/classic/json": json_reply(
            _pypi_doc(
                "classic",
                "0.9",
                license="UNKNOWN",
                classifiers=["License :: OSI Approved :: Apache Software License"],
            )
        ),
        "/pypi/no-license/json": json_reply(_pypi_doc("no-license", "1.0")),
    }


# -- npm registry ---------------------------------------------------------------------------


def _packument(name: str, versions: dict[str, dict[str, Any]], **top: Any) -> dict[str, Any]:
    latest = list(versions)[-1]
    return {
        "_id": name,
        "name": name,
        "dist-tags": {"latest": latest},
        "versions": {v: {"name": name, "version": v, **meta} for v, meta in versions.items()},
        **top,
    }


def npm_routes() -> dict[str, Route]:
    """Packages with a string, a legacy object, a legacy array license, and a scoped one."""
    return {
        "/left-pad": json_reply(
            _packument(
                "left-pad",
                {"1.2.0": {"license": "WTFPL"}, "1.3.0": {"license": "WTFPL"}},
                license="WTFPL",
            )
        ),
        "/relicensed": json_reply(
            _packument(
                "relicensed",
                {"1.0.0": {"license": "ISC"}, "2.0.0": {"license": "MIT"}},
                license="MIT",
            ),
            gzip=True,
        ),
        "/legacy-object": json_reply(
            _packument(
                "legacy-object",
                {"0.1.0": {"license": {"type": "MIT", "url": "https://example.org/mit"}}},
            )
        ),
        "/legacy-array": json_reply(
            _packument(
                "legacy-array",
                {
                    "0.2.0": {
                        "licenses": [
                            {"type": "MIT", "url": "https://example.org/mit"},
                            {"type": "Apache-2.0", "url": "https://example.org/apache"},
                        ]
                    }
                },
            )
        ),
        "/@acme%2Fwidgets": json_reply(
            _packument("@acme/widgets", {"3.0.0": {"license": "Apache-2.0"}}, license="Apache-2.0")
        ),
    }
