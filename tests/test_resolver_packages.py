"""Library license resolvers: an installed environment, fake PyPI and fake npm registry."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelbom.model import Component, Kind
from modelbom.resolvers.base import ResolveContext, ResolverUnavailable
from modelbom.resolvers.cache import ResolverCache
from modelbom.resolvers.packages import (
    InstalledPackagesResolver,
    NpmResolver,
    PyPIResolver,
    classifier_license,
    normalize_pypi_name,
)
from tests.fakeservers import FakeServer, npm_routes, pypi_routes, quiet_network_env

NOW = "2026-11-23T10:00:00+00:00"
SITE = "lib/python3.11/site-packages"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_network_env(monkeypatch)


def context(cache: ResolverCache | None = None, *, offline: bool = False) -> ResolveContext:
    return ResolveContext(cache=cache, offline=offline, now=lambda: NOW)


def pypi(name: str, version: str | None = None) -> Component:
    return Component(kind=Kind.LIBRARY, id=name, version=version, ecosystem="pypi")


def npm(name: str, version: str | None = None) -> Component:
    return Component(kind=Kind.LIBRARY, id=name, version=version, ecosystem="npm")


# -- installed environment -----------------------------------------------------------------


def metadata(name: str, version: str, *headers: str, body: str = "") -> str:
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}", *headers]
    return "\n".join(lines) + "\n\n" + body


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    env = tmp_path / "venv"
    site = env / SITE
    write(
        site / "modern_pkg-2.0.0.dist-info" / "METADATA",
        metadata(
            "Modern_Pkg",
            "2.0.0",
            "License-Expression: MIT OR Apache-2.0",
            "License: ignored when an expression exists",
            "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)",
        ),
    )
    write(
        site / "flask-3.0.3.dist-info" / "METADATA",
        metadata("Flask", "3.0.3", "License: BSD-3-Clause", body="# Flask\n" + "x" * 2_000_000),
    )
    write(
        site / "classic-0.9.dist-info" / "METADATA",
        metadata(
            "classic",
            "0.9",
            "License: UNKNOWN",
            "Classifier: Programming Language :: Python :: 3",
            "Classifier: License :: OSI Approved :: Apache Software License",
            "Classifier: License :: OSI Approved :: BSD License",
        ),
    )
    write(
        site / "pasted-1.0.dist-info" / "METADATA",
        metadata(
            "pasted",
            "1.0",
            "License: Copyright (c) 2015 Someone",
            "        ",
            "        Permission is hereby granted, free of charge, to any person obtaining a copy",
            "        of this software and associated documentation files (the Software) ...",
            "Classifier: License :: OSI Approved :: MIT License",
        ),
    )
    write(site / "legacy-0.3-py3.11.egg-info", metadata("legacy", "0.3", "License: ISC"))
    write(site / "olddir.egg-info" / "PKG-INFO", metadata("olddir", "1.1", "License: MIT"))
    # A METADATA that is a symlink to a file outside the environment: never read.
    outside = write(tmp_path / "outside" / "METADATA", metadata("evil", "1.0", "License: Evil-1.0"))
    (site / "evil-1.0.dist-info").mkdir()
    (site / "evil-1.0.dist-info" / "METADATA").symlink_to(outside)
    # A whole dist-info directory that is a symlink to a directory outside: never entered.
    write(tmp_path / "elsewhere" / "METADATA", metadata("linked", "1.0", "License: Linked-1.0"))
    (site / "linked-1.0.dist-info").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (env / "lib64").symlink_to("lib", target_is_directory=True)
    return env


def test_license_expression_wins_and_location_is_the_metadata_file(venv: Path) -> None:
    resolver = InstalledPackagesResolver(venv)
    resolver.prepare(context())
    resolved = resolver.resolve(pypi("modern-pkg", "2.0.0"))
    assert resolved is not None
    assert resolved.source == "python-env"
    assert resolved.fetched_at is None
    (claim,) = resolved.licenses
    assert claim.raw == "MIT OR Apache-2.0"
    assert claim.expression == "MIT OR Apache-2.0"
    assert claim.needs_review is False
    assert claim.location == f"{SITE}/modern_pkg-2.0.0.dist-info/METADATA"
    assert claim.source == "python-env"
    assert dict(resolved.properties) == {"python:license_from": "License-Expression"}


def test_license_field_and_names_are_matched_pep_503(venv: Path) -> None:
    resolver = InstalledPackagesResolver(venv)
    for name in ("flask", "Flask", "FLASK"):
        resolved = resolver.resolve(pypi(name, "3.0.3"))
        assert resolved is not None
        assert [(c.raw, c.expression) for c in resolved.licenses] == [
            ("BSD-3-Clause", "BSD-3-Clause")
        ]
    assert normalize_pypi_name("Modern__Pkg.x") == "modern-pkg-x"


def test_classifiers_only_map_to_spdx_or_go_to_review(venv: Path) -> None:
    resolved = InstalledPackagesResolver(venv).resolve(pypi("classic", "0.9"))
    assert resolved is not None
    claims = {c.raw: c for c in resolved.licenses}
    apache = claims["License :: OSI Approved :: Apache Software License"]
    assert (apache.expression, apache.needs_review) == ("Apache-2.0", False)
    bsd = claims["License :: OSI Approved :: BSD License"]  # which BSD? not guessed
    assert (bsd.expression, bsd.needs_review) == (None, True)
    assert dict(resolved.properties)["python:license_from"] == "Classifier"


def test_a_license_text_pasted_into_the_license_field_falls_back_to_classifiers(
    venv: Path,
) -> None:
    resolved = InstalledPackagesResolver(venv).resolve(pypi("pasted", "1.0"))
    assert resolved is not None
    assert [c.expression for c in resolved.licenses] == ["MIT"]


def test_egg_info_file_and_directory(venv: Path) -> None:
    resolver = InstalledPackagesResolver(venv)
    legacy = resolver.resolve(pypi("legacy", "0.3"))
    olddir = resolver.resolve(pypi("olddir"))
    assert legacy is not None and legacy.licenses[0].expression == "ISC"
    assert legacy.licenses[0].location == f"{SITE}/legacy-0.3-py3.11.egg-info"
    assert olddir is not None and olddir.licenses[0].expression == "MIT"


def test_version_mismatch_gives_nothing_and_no_version_records_the_installed_one(
    venv: Path,
) -> None:
    resolver = InstalledPackagesResolver(venv)
    assert resolver.resolve(pypi("flask", "2.0.0")) is None
    resolved = resolver.resolve(pypi("flask"))
    assert resolved is not None
    assert dict(resolved.properties)["python:installed_version"] == "3.0.3"
    assert resolved.licenses[0].expression == "BSD-3-Clause"


def test_symlinked_metadata_and_directories_pointing_outside_are_ignored(venv: Path) -> None:
    resolver = InstalledPackagesResolver(venv)
    assert resolver.resolve(pypi("evil", "1.0")) is None
    assert resolver.resolve(pypi("linked", "1.0")) is None
    # lib64 -> lib is not read twice
    assert len(resolver.index()["flask"]) == 1


def test_a_site_packages_directory_and_the_windows_layout_work_too(
    venv: Path, tmp_path: Path
) -> None:
    direct = InstalledPackagesResolver(venv / SITE)
    resolved = direct.resolve(pypi("flask", "3.0.3"))
    assert resolved is not None
    assert resolved.licenses[0].location == "flask-3.0.3.dist-info/METADATA"
    win = tmp_path / "winenv"
    write(
        win / "Lib" / "site-packages" / "tiny-1.0.dist-info" / "METADATA",
        metadata("tiny", "1.0", "License: MIT"),
    )
    resolved = InstalledPackagesResolver(win).resolve(pypi("tiny", "1.0"))
    assert resolved is not None
    assert resolved.licenses[0].location == "Lib/site-packages/tiny-1.0.dist-info/METADATA"


def test_other_ecosystems_and_missing_envs_give_nothing(tmp_path: Path, venv: Path) -> None:
    assert InstalledPackagesResolver(venv).resolve(npm("flask", "3.0.3")) is None
    assert InstalledPackagesResolver(tmp_path / "nope").resolve(pypi("flask")) is None


def test_classifier_table() -> None:
    assert classifier_license("License :: OSI Approved :: MIT License") == (True, "MIT")
    assert classifier_license("License :: OSI Approved") == (False, None)
    assert classifier_license("License :: Other/Proprietary License") == (True, None)
    assert classifier_license("Topic :: Software Development") == (False, None)


# -- PyPI ----------------------------------------------------------------------------------


@pytest.fixture
def fake_pypi() -> Iterator[FakeServer]:
    with FakeServer(pypi_routes()) as server:
        yield server


def make_pypi(url: str, cache: ResolverCache | None = None, **kwargs: bool) -> PyPIResolver:
    resolver = PyPIResolver(url, timeout=5.0, backoff=0.01)
    resolver.prepare(context(cache, **kwargs))
    return resolver


def test_pypi_license_expression_with_location_and_fetch_time(fake_pypi: FakeServer) -> None:
    resolved = make_pypi(fake_pypi.url).resolve(pypi("Modern_Pkg"))
    assert resolved is not None
    assert resolved.source == "pypi"
    assert resolved.fetched_at == NOW
    (claim,) = resolved.licenses
    assert (claim.raw, claim.expression) == ("MIT OR Apache-2.0", "MIT OR Apache-2.0")
    assert claim.location == f"{fake_pypi.url}/pypi/modern-pkg/json"
    assert claim.fetched_at == NOW
    assert dict(resolved.properties) == {
        "pypi:license_from": "License-Expression",
        "pypi:version": "2.0.0",
    }
    assert fake_pypi.paths() == ["/pypi/modern-pkg/json"]


def test_pypi_version_endpoint_and_license_field(fake_pypi: FakeServer) -> None:
    resolved = make_pypi(fake_pypi.url).resolve(pypi("modern-pkg", "1.0.0"))
    assert resolved is not None
    assert resolved.licenses[0].expression == "BSD-3-Clause"
    assert resolved.licenses[0].location == f"{fake_pypi.url}/pypi/modern-pkg/1.0.0/json"


def test_pypi_long_license_text_is_skipped_for_the_classifier(fake_pypi: FakeServer) -> None:
    resolved = make_pypi(fake_pypi.url).resolve(pypi("long-text", "3.1"))
    assert resolved is not None
    (claim,) = resolved.licenses
    assert claim.raw == "License :: OSI Approved :: BSD License"
    assert claim.needs_review is True
    assert "Redistribution" not in resolved.model_dump_json()


def test_pypi_classifiers_only(fake_pypi: FakeServer) -> None:
    resolved = make_pypi(fake_pypi.url).resolve(pypi("classic"))
    assert resolved is not None
    assert [c.expression for c in resolved.licenses] == ["Apache-2.0"]


def test_pypi_without_any_license_or_unknown_package_gives_nothing(fake_pypi: FakeServer) -> None:
    cache = ResolverCache(None)
    resolver = make_pypi(fake_pypi.url, cache)
    assert resolver.resolve(pypi("no-license")) is None
    assert resolver.resolve(pypi("internal-tokenizer")) is None
    assert resolver.resolve(pypi("internal-tokenizer")) is None  # the 404 is cached
    assert fake_pypi.paths().count("/pypi/internal-tokenizer/json") == 1


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "http://169.254.169.254/latest", "a b", "-x", "x" * 300]
)
def test_pypi_invalid_names_are_never_requested(fake_pypi: FakeServer, name: str) -> None:
    assert make_pypi(fake_pypi.url).resolve(pypi(name)) is None
    assert fake_pypi.requests == []


def test_pypi_offline_answers_from_the_cache_only(tmp_path: Path) -> None:
    cache = ResolverCache(tmp_path / "cache.sqlite3")
    with FakeServer(pypi_routes()) as server:
        url = server.url
        assert make_pypi(url, cache).resolve(pypi("classic")) is not None
    offline = make_pypi(url, cache, offline=True)
    resolved = offline.resolve(pypi("classic"))
    assert resolved is not None
    assert resolved.source == "pypi (cache)"
    assert resolved.fetched_at == NOW
    assert offline.resolve(pypi("never-seen")) is None
    with pytest.raises(ResolverUnavailable):  # online, the stopped server is unreachable
        make_pypi(url, cache).resolve(pypi("never-seen"))


def test_pypi_mirror_credentials_are_sent_but_never_shown(
    fake_pypi: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "canary-mirror-pass-7c41"
    host = fake_pypi.url.removeprefix("http://")
    monkeypatch.setenv("MODELBOM_PYPI_URL", f"http://reader:{canary}@{host}")
    cache = ResolverCache(tmp_path / "cache.sqlite3")
    resolver = PyPIResolver(timeout=5.0)
    resolver.prepare(context(cache))
    resolved = resolver.resolve(pypi("classic"))
    assert resolved is not None
    expected = "Basic " + base64.b64encode(f"reader:{canary}".encode()).decode()
    assert fake_pypi.requests[0].headers["Authorization"] == expected
    assert resolved.licenses[0].location == f"{fake_pypi.url}/pypi/classic/json"
    assert canary not in resolved.model_dump_json() + repr(resolver.client)
    cache.close()
    for path in tmp_path.iterdir():
        assert canary.encode() not in path.read_bytes()


# -- npm -----------------------------------------------------------------------------------


@pytest.fixture
def fake_npm() -> Iterator[FakeServer]:
    with FakeServer(npm_routes()) as server:
        yield server


def make_npm(url: str, cache: ResolverCache | None = None, **kwargs: bool) -> NpmResolver:
    resolver = NpmResolver(url, timeout=5.0, backoff=0.01)
    resolver.prepare(context(cache, **kwargs))
    return resolver


def test_npm_string_license_of_the_version(fake_npm: FakeServer) -> None:
    resolved = make_npm(fake_npm.url).resolve(npm("left-pad", "1.3.0"))
    assert resolved is not None
    assert resolved.source == "npm"
    (claim,) = resolved.licenses
    assert (claim.raw, claim.expression) == ("WTFPL", "WTFPL")
    assert claim.location == f"{fake_npm.url}/left-pad"
    assert claim.fetched_at == NOW
    assert dict(resolved.properties) == {"npm:license_from": "version"}


def test_npm_version_license_beats_the_latest_and_gzip_is_read(fake_npm: FakeServer) -> None:
    resolver = make_npm(fake_npm.url)
    old = resolver.resolve(npm("relicensed", "1.0.0"))
    latest = resolver.resolve(npm("relicensed"))
    ranged = resolver.resolve(npm("relicensed", "^1.0.0"))  # a range is not a version
    assert old is not None and old.licenses[0].expression == "ISC"
    assert latest is not None and latest.licenses[0].expression == "MIT"
    assert dict(latest.properties)["npm:version"] == "2.0.0"
    assert ranged is not None and ranged.licenses[0].expression == "MIT"


def test_npm_legacy_object_and_array(fake_npm: FakeServer) -> None:
    resolver = make_npm(fake_npm.url)
    obj = resolver.resolve(npm("legacy-object", "0.1.0"))
    assert obj is not None
    assert [(c.raw, c.expression, c.link) for c in obj.licenses] == [
        ("MIT", "MIT", "https://example.org/mit")
    ]
    arr = resolver.resolve(npm("legacy-array", "0.2.0"))
    assert arr is not None
    assert [c.expression for c in arr.licenses] == ["MIT", "Apache-2.0"]
    assert dict(arr.properties)["npm:license_from"] == "version"


def test_npm_scoped_package_is_url_encoded(fake_npm: FakeServer) -> None:
    resolved = make_npm(fake_npm.url).resolve(npm("@acme/widgets", "3.0.0"))
    assert resolved is not None
    assert resolved.licenses[0].expression == "Apache-2.0"
    assert fake_npm.paths() == ["/@acme%2Fwidgets"]
    assert resolved.licenses[0].location == f"{fake_npm.url}/@acme%2Fwidgets"


def test_npm_unpublished_version_and_unknown_package_give_nothing(fake_npm: FakeServer) -> None:
    resolver = make_npm(fake_npm.url)
    assert resolver.resolve(npm("left-pad", "9.9.9")) is None
    assert resolver.resolve(npm("no-such-package", "1.0.0")) is None


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "@scope/../x", "http://169.254.169.254/", "a/b/c", ".hidden"]
)
def test_npm_invalid_names_are_never_requested(fake_npm: FakeServer, name: str) -> None:
    assert make_npm(fake_npm.url).resolve(npm(name)) is None
    assert fake_npm.requests == []


def test_npm_offline_from_cache(tmp_path: Path) -> None:
    cache = ResolverCache(tmp_path / "cache.sqlite3")
    with FakeServer(npm_routes()) as server:
        url = server.url
        assert make_npm(url, cache).resolve(npm("@acme/widgets", "3.0.0")) is not None
    resolved = make_npm(url, cache, offline=True).resolve(npm("@acme/widgets", "3.0.0"))
    assert resolved is not None and resolved.source == "npm (cache)"
    assert make_npm(url, cache, offline=True).resolve(npm("left-pad", "1.3.0")) is None


def test_npm_registry_from_environment(
    fake_npm: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELBOM_NPM_REGISTRY", fake_npm.url + "/")
    resolver = NpmResolver(timeout=5.0)
    resolver.prepare(context())
    assert resolver.resolve(npm("left-pad", "1.2.0")) is not None
    assert os.environ["MODELBOM_NPM_REGISTRY"].startswith("http://127.0.0.1:")
