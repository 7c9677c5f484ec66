"""The manifests crawler: requirements, pyproject, Pipfiles, locks and npm manifests."""

from __future__ import annotations

import json
import textwrap
from pathlib import PurePosixPath

import pytest

from modelbom.crawlers.base import CrawlError, FileInput
from modelbom.crawlers.manifests import ManifestsCrawler, resolve_include
from modelbom.crawlers.manifests_python import TomlPositions, parse_requirement
from modelbom.model import Finding, Kind, Scope
from tests.support import crawler_golden


def _input(path: str, text: str | bytes) -> FileInput:
    data = textwrap.dedent(text).lstrip("\n").encode() if isinstance(text, str) else text
    return FileInput(path=path, data=data, size=len(data))


def scan_files(files: dict[str, str | bytes]) -> list[Finding]:
    """Crawl every file with one crawler instance, then finish: what a scan would report."""
    crawler = ManifestsCrawler()
    findings: list[Finding] = []
    for path, text in files.items():
        assert crawler.wants(PurePosixPath(path), 0), path
        findings.extend(crawler.crawl(_input(path, text)))
    findings.extend(crawler.finish())
    return sorted(findings, key=Finding.sort_key)


def one(path: str, text: str) -> list[Finding]:
    return scan_files({path: text})


def summary(findings: list[Finding]) -> list[tuple[str, str | None, int]]:
    return [(f.id, f.version, f.evidence.line) for f in findings]


# -- requirements files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "name", "version", "props"),
    [
        pytest.param("numpy==1.26.4", "numpy", "1.26.4", {}, id="pinned"),
        pytest.param("torch===2.3.1", "torch", "2.3.1", {}, id="arbitrary-equality"),
        pytest.param(
            "transformers>=4.41, <5", "transformers", None, {"specifier": ">=4.41,<5"}, id="range"
        ),
        pytest.param("numpy==1.26.*", "numpy", None, {"specifier": "==1.26.*"}, id="wildcard"),
        pytest.param("requests (>=2.0)", "requests", None, {"specifier": ">=2.0"}, id="parens"),
        pytest.param(
            "uvicorn[standard, gunicorn]==0.30.1",
            "uvicorn",
            "0.30.1",
            {"extras": "standard,gunicorn"},
            id="extras",
        ),
        pytest.param(
            'bitsandbytes>=0.43 ; platform_system == "Linux"',
            "bitsandbytes",
            None,
            {"specifier": ">=0.43", "marker": 'platform_system == "Linux"'},
            id="marker",
        ),
        pytest.param("Flask_SQLAlchemy==3.1.1", "flask-sqlalchemy", "3.1.1", {}, id="pep503"),
        pytest.param("zope.interface", "zope-interface", None, {}, id="unversioned-dotted"),
        pytest.param(
            "pkg @ https://files.example.com/pkg-1.0.tar.gz",
            "pkg",
            None,
            {"source": "https://files.example.com/pkg-1.0.tar.gz"},
            id="direct-url",
        ),
        pytest.param(
            "git+https://github.com/acme/tool.git@v1#egg=acme-tool",
            "acme-tool",
            None,
            {"source": "git+https://github.com/acme/tool.git@v1#egg=acme-tool"},
            id="bare-vcs-egg",
        ),
        pytest.param(
            "https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp311-cp311-linux_x86_64.whl",
            "torch",
            "2.3.1+cu121",
            {
                "source": "https://download.pytorch.org/whl/cu121/"
                "torch-2.3.1%2Bcu121-cp311-cp311-linux_x86_64.whl"
            },
            id="wheel-url",
        ),
        pytest.param(
            "-e git+https://github.com/acme/lib.git#egg=acme_lib",
            "acme-lib",
            None,
            {"source": "git+https://github.com/acme/lib.git#egg=acme_lib"},
            id="editable-vcs",
        ),
        pytest.param(
            "requests==2.32.3 --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6",
            "requests",
            "2.32.3",
            {},
            id="hash-option",
        ),
        pytest.param(
            "tokenizers==0.19.1  # via transformers", "tokenizers", "0.19.1", {}, id="comment"
        ),
    ],
)
def test_requirement_lines(
    line: str, name: str, version: str | None, props: dict[str, str]
) -> None:
    (finding,) = one("requirements.txt", line + "\n")
    assert (finding.id, finding.version) == (name, version)
    assert finding.kind is Kind.LIBRARY
    assert finding.ecosystem == "pypi"
    expected = {"dependency_scope": "runtime", "manifest": "requirements", **props}
    assert finding.properties == expected
    assert finding.evidence.confidence == 1.0
    assert finding.evidence.scope is Scope.CONFIG


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("-e .", id="editable-project"),
        pytest.param("./libs/shared", id="local-path"),
        pytest.param("--index-url https://pypi.org/simple", id="index"),
        pytest.param("--find-links ./wheels", id="find-links"),
        pytest.param("--pre", id="flag"),
        pytest.param("# pinned by pip-compile", id="comment"),
        pytest.param("   ", id="blank"),
    ],
)
def test_lines_that_are_not_requirements(line: str) -> None:
    assert one("requirements.txt", "numpy==1.26.4\n" + line + "\n")[0].id == "numpy"
    assert len(one("requirements.txt", "numpy==1.26.4\n" + line + "\n")) == 1


def test_continuation_lines_report_the_first_line() -> None:
    findings = one(
        "requirements.txt",
        """
        # generated by pip-compile
        tokenizers==0.19.1 \\
            --hash=sha256:8b01afb7193d47439f091cd8f070a1ced347ad0f9144952a30a41836902fe09e \\
            --hash=sha256:0b7d9a9a5c1d1bd4e3b1a3b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1
            # via transformers
        torch==2.3.1
        """,
    )
    assert summary(findings) == [("tokenizers", "0.19.1", 2), ("torch", "2.3.1", 6)]
    assert findings[0].evidence.snippet == "tokenizers==0.19.1 \\"


def test_index_url_credentials_never_appear() -> None:
    findings = one(
        "requirements.txt",
        """
        --index-url https://deploy:s3cr3t-t0ken@pypi.internal.example.com/simple
        --extra-index-url=https://user:s3cr3t-t0ken@extra.example.com/simple
        acme-private @ git+https://ci-bot:s3cr3t-t0ken@github.com/acme/private.git@v1
        numpy==1.26.4
        """,
    )
    assert [f.id for f in findings] == ["acme-private", "numpy"]
    dumped = json.dumps([f.model_dump(mode="json") for f in findings])
    assert "s3cr3t" not in dumped
    assert findings[0].properties["source"] == "git+https://github.com/acme/private.git@v1"


def test_development_scope_from_file_names() -> None:
    findings = scan_files(
        {
            "requirements-dev.txt": "pytest==8.2.2\n",
            "dev-requirements.txt": "ruff==0.4.10\n",
            "requirements/test.txt": "hypothesis\n",
            "requirements/docs.txt": "sphinx\n",
            "ci/requirements.txt": "tox\n",
            "requirements.txt": "numpy\n",
            "requirements/prod.txt": "gunicorn\n",
        }
    )
    scopes = {f.id: f.properties["dependency_scope"] for f in findings}
    assert scopes == {
        "pytest": "development",
        "ruff": "development",
        "hypothesis": "development",
        "sphinx": "development",
        "tox": "development",
        "numpy": "runtime",
        "gunicorn": "runtime",
    }


def test_included_file_takes_scope_of_its_includers() -> None:
    findings = scan_files(
        {
            "requirements-dev.txt": "-r requirements.txt\n-r requirements/tools.txt\npytest\n",
            "requirements.txt": "-r requirements/base.txt\nnumpy\n",
            "requirements/base.txt": "fastapi\n",
            "requirements/tools.txt": "-r shared-reqs.txt\nipython\n",
            "requirements/shared-reqs.txt": "rich\n",
        }
    )
    scopes = {f.id: (f.evidence.file, f.properties["dependency_scope"]) for f in findings}
    assert scopes == {
        "pytest": ("requirements-dev.txt", "development"),
        # requirements.txt is named as a requirements file: its own scope, runtime.
        "numpy": ("requirements.txt", "runtime"),
        "fastapi": ("requirements/base.txt", "runtime"),
        # Included (transitively) only from requirements-dev.txt.
        "ipython": ("requirements/tools.txt", "development"),
        "rich": ("requirements/shared-reqs.txt", "development"),
    }


def test_each_requirement_is_reported_once_even_when_included_twice() -> None:
    findings = scan_files(
        {
            "requirements.txt": "-r requirements/base.txt\n",
            "requirements-dev.txt": "-r requirements/base.txt\n-r requirements.txt\n",
            "requirements/base.txt": "numpy\n",
        }
    )
    assert summary(findings) == [("numpy", None, 1)]
    assert findings[0].properties["dependency_scope"] == "runtime"


def test_text_file_with_req_in_its_name_is_reported_only_when_included() -> None:
    alone = scan_files({"frequency.txt": "the 0.07\nbert\n"})
    assert alone == []
    included = scan_files({"requirements.txt": "-r prereqs.txt\n", "prereqs.txt": "cython\n"})
    assert [(f.id, f.evidence.file) for f in included] == [("cython", "prereqs.txt")]


def test_include_cycle_terminates() -> None:
    findings = scan_files(
        {
            "requirements/a.txt": "-r b.txt\nalpha\n",
            "requirements/b.txt": "-r a.txt\n-r b.txt\nbeta\n",
        }
    )
    assert [(f.id, f.properties["dependency_scope"]) for f in findings] == [
        ("alpha", "runtime"),
        ("beta", "runtime"),
    ]


@pytest.mark.parametrize(
    ("including", "target", "expected"),
    [
        ("requirements-dev.txt", "requirements/base.txt", "requirements/base.txt"),
        ("requirements/dev.txt", "base.txt", "requirements/base.txt"),
        ("requirements/dev.txt", "../requirements.txt", "requirements.txt"),
        ("requirements/dev.txt", "./sub/../base.txt", "requirements/base.txt"),
        ("requirements.txt", "../../outside.txt", None),
        ("requirements/dev.txt", "../../etc/passwd", None),
        ("requirements.txt", "/etc/passwd", None),
        ("requirements.txt", "~/reqs.txt", None),
        ("requirements.txt", "https://example.com/requirements.txt", None),
        ("requirements.txt", "${CONSTRAINTS}", None),
    ],
)
def test_include_resolution_stays_inside_the_root(
    including: str, target: str, expected: str | None
) -> None:
    assert resolve_include(including, target) == expected


def test_include_outside_the_root_is_ignored_without_error() -> None:
    findings = scan_files({"requirements.txt": "-r ../../outside.txt\n-r /etc/passwd\nnumpy\n"})
    assert [f.id for f in findings] == ["numpy"]


def test_constraints_files_are_marked() -> None:
    findings = scan_files(
        {"requirements.txt": "-c constraints.txt\nnumpy\n", "constraints.txt": "numpy==1.26.4\n"}
    )
    assert [(f.evidence.file, f.properties["manifest"]) for f in findings] == [
        ("constraints.txt", "constraints"),
        ("requirements.txt", "requirements"),
    ]


def test_pip_tools_input_files() -> None:
    findings = scan_files(
        {"requirements.in": "django>=5\n", "dev.in": "-c requirements.txt\nruff\n"}
    )
    assert [(f.id, f.properties["dependency_scope"]) for f in findings] == [
        ("ruff", "development"),
        ("django", "runtime"),
    ]


def test_in_files_that_are_templates_are_not_requirements() -> None:
    crawler = ManifestsCrawler()
    assert not crawler.wants(PurePosixPath("MANIFEST.in"), 10)
    assert not crawler.wants(PurePosixPath("config.h.in"), 10)
    findings = scan_files({"tools.in": "CC = @CC@\nall: build\n"})
    assert findings == []


def test_utf16_requirements_from_powershell_are_read() -> None:
    data = "numpy==1.26.4\r\ntorch==2.3.1\r\n".encode("utf-16")
    assert summary(scan_files({"requirements.txt": data})) == [
        ("numpy", "1.26.4", 1),
        ("torch", "2.3.1", 2),
    ]


def test_requirements_file_with_no_requirement_is_a_crawl_error() -> None:
    crawler = ManifestsCrawler()
    with pytest.raises(CrawlError, match="not a requirements file"):
        crawler.crawl(_input("requirements.txt", "<html>\n<body>404 Not Found</body>\n</html>\n"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"numpy==1.0\n\xff\xfe\xfa\n", "not UTF-8", id="bad-utf8"),
        pytest.param(b"numpy\x00\x00\x01", "binary", id="binary"),
    ],
)
def test_undecodable_files_are_crawl_errors(data: bytes, reason: str) -> None:
    with pytest.raises(CrawlError, match=reason):
        ManifestsCrawler().crawl(_input("requirements.txt", data))


def test_parse_requirement_rejects_garbage() -> None:
    assert parse_requirement("include README.md") is None
    assert parse_requirement("numpy >= ") is None
    assert parse_requirement("pkg[bad extra]==1") is None


# -- pyproject.toml -------------------------------------------------------------------------


def test_pep621_dependencies_extras_and_groups() -> None:
    findings = one(
        "pyproject.toml",
        """
        [project]
        name = "acme"
        dependencies = [
            "fastapi>=0.110",  # web
            # a comment line inside the array
            'transformers[torch]>=4.41,<5',
            \"\"\"numpy==1.26.4\"\"\",
        ]

        [project.optional-dependencies]
        gpu = ["bitsandbytes>=0.43", "flash-attn==2.5.9.post1"]
        all = ["acme[gpu]"]

        [dependency-groups]
        test = ["pytest>=8"]
        lint = ["ruff==0.4.10", {include-group = "test"}]
        """,
    )
    got = [
        (f.id, f.evidence.line, f.evidence.column, f.properties["dependency_scope"],
         f.properties["manifest"], f.properties.get("group"))
        for f in findings
    ]  # fmt: skip
    assert got == [
        ("fastapi", 4, 6, "runtime", "pep621", None),
        ("transformers", 6, 6, "runtime", "pep621", None),
        ("numpy", 7, 8, "runtime", "pep621", None),
        ("bitsandbytes", 11, 9, "optional", "pep621", "gpu"),
        ("flash-attn", 11, 31, "optional", "pep621", "gpu"),
        ("pytest", 15, 10, "development", "pep735", "test"),
        ("ruff", 16, 10, "development", "pep735", "lint"),
    ]


def test_poetry_sections() -> None:
    findings = one(
        "pyproject.toml",
        """
        [tool.poetry]
        name = "bot"

        [tool.poetry.dependencies]
        python = "^3.10"
        openai = "1.35.3"
        langchain = "^0.2.5"
        "Faiss-CPU" = { version = "^1.8.0", optional = true }
        acme-utils = { git = "https://deploy:tok-123@gitlab.example.com/acme/utils.git" }
        local-lib = { path = "../local-lib", develop = true }

        [tool.poetry.extras]
        vector = ["faiss-cpu"]

        [tool.poetry.group.docs.dependencies]
        mkdocs = "1.6.0"

        [tool.poetry.dev-dependencies]
        pytest = "^8.2"
        """,
    )
    got = [
        (f.id, f.version, f.evidence.line, f.properties["dependency_scope"],
         f.properties.get("group"), f.properties.get("specifier"), f.properties.get("source"))
        for f in findings
    ]  # fmt: skip
    assert got == [
        ("openai", "1.35.3", 6, "runtime", None, None, None),
        ("langchain", None, 7, "runtime", None, "^0.2.5", None),
        ("faiss-cpu", None, 8, "optional", "vector", "^1.8.0", None),
        ("acme-utils", None, 9, "runtime", None, None, "https://gitlab.example.com/acme/utils.git"),
        ("local-lib", None, 10, "runtime", None, None, "../local-lib"),
        ("mkdocs", "1.6.0", 16, "development", "docs", None, None),
        ("pytest", None, 19, "development", "dev", "^8.2", None),
    ]
    faiss = findings[2].evidence
    assert faiss.column == 2 and faiss.snippet.startswith('"Faiss-CPU"')
    assert all(f.properties["manifest"] == "poetry" for f in findings)


def test_pdm_and_uv_dev_dependencies() -> None:
    findings = one(
        "pyproject.toml",
        """
        [tool.pdm.dev-dependencies]
        test = [
            "pytest>=8",
            "-e file:///${PROJECT_ROOT}/libs/helpers#egg=helpers",
        ]

        [tool.uv]
        dev-dependencies = [
            "ipykernel>=6.29",
        ]
        """,
    )
    got = [
        (f.id, f.evidence.line, f.properties["manifest"], f.properties.get("group"))
        for f in findings
    ]
    assert got == [("pytest", 3, "pdm", "test"), ("ipykernel", 9, "uv", None)]
    assert {f.properties["dependency_scope"] for f in findings} == {"development"}


def test_dotted_keys_and_inline_tables_are_located() -> None:
    findings = one(
        "pyproject.toml",
        """
        project.name = "x"
        project.dependencies = ["httpx"]
        tool.poetry.dependencies = { requests = "2.32.3" }
        """,
    )
    assert summary(findings) == [("httpx", None, 2), ("requests", "2.32.3", 3)]


def test_toml_positions_arrays_of_tables() -> None:
    text = '[[package]]\nname = "a"\n[package.source]\nx = 1\n[[package]]\nname = "b"\n'
    positions = TomlPositions(text)
    assert positions.value(("package", 0, "name")) == text.index('"a"') + 1
    assert positions.value(("package", 1, "name")) == text.index('"b"') + 1
    assert positions.key(("package", 0, "source", "x")) == text.index("x =")


# -- lock files -----------------------------------------------------------------------------


def test_poetry_lock_old_and_new_formats() -> None:
    findings = one(
        "poetry.lock",
        """
        [[package]]
        name = "Transformers"
        version = "4.41.2"
        category = "main"
        optional = false

        [[package]]
        name = "pytest"
        version = "8.2.2"
        category = "dev"

        [[package]]
        name = "bert"
        version = "2.2.0"
        optional = true
        groups = ["main"]

        [[package]]
        name = "sphinx"
        version = "7.3.7"
        groups = ["docs"]
        """,
    )
    got = [
        (f.kind, f.id, f.version, f.evidence.line, f.properties["dependency_scope"])
        for f in findings
    ]
    assert got == [
        (Kind.LIBRARY, "transformers", "4.41.2", 2, "runtime"),
        (Kind.LIBRARY, "pytest", "8.2.2", 8, "development"),
        (Kind.LIBRARY, "bert", "2.2.0", 13, "optional"),
        (Kind.LIBRARY, "sphinx", "7.3.7", 19, "development"),
    ]
    assert findings[3].properties["group"] == "docs"


def test_uv_lock_skips_the_project_and_derives_scope() -> None:
    findings = one(
        "uv.lock",
        """
        version = 1

        [[package]]
        name = "app"
        version = "0.1.0"
        source = { virtual = "." }
        dependencies = [{ name = "httpx" }]

        [package.dev-dependencies]
        dev = [{ name = "pytest" }]

        [[package]]
        name = "httpx"
        version = "0.27.0"
        source = { registry = "https://pypi.org/simple" }

        [[package]]
        name = "pytest"
        version = "8.2.2"
        source = { registry = "https://pypi.org/simple" }

        [[package]]
        name = "member"
        version = "0.0.1"
        source = { editable = "packages/member" }

        [[package]]
        name = "tool"
        version = "1.0.0"
        source = { git = "https://user:pw@github.com/acme/tool?rev=v1#abc123" }
        """,
    )
    got = [(f.id, f.version, f.evidence.line, f.properties["dependency_scope"]) for f in findings]
    assert got == [
        ("httpx", "0.27.0", 13, "runtime"),
        ("pytest", "8.2.2", 18, "development"),
        ("tool", "1.0.0", 28, "runtime"),
    ]
    assert findings[2].properties["source"] == "https://github.com/acme/tool?rev=v1#abc123"


def test_pipfile_and_pipfile_lock() -> None:
    pipfile = one(
        "Pipfile",
        """
        [packages]
        flask = "==3.0.3"
        requests = {version = ">=2.31", extras = ["socks"]}
        app = {path = ".", editable = true}

        [dev-packages]
        pytest = "*"
        """,
    )
    assert [
        (f.id, f.version, f.evidence.line, f.properties["dependency_scope"]) for f in pipfile
    ] == [
        ("flask", "3.0.3", 2, "runtime"),
        ("requests", None, 3, "runtime"),
        ("pytest", None, 7, "development"),
    ]
    lock = one(
        "Pipfile.lock",
        json.dumps(
            {
                "_meta": {"requires": {"python_version": "3.11"}},
                "default": {
                    "flask": {"version": "==3.0.3"},
                    "tool": {"git": "https://u:p@github.com/acme/tool.git", "ref": "abc"},
                },
                "develop": {"pytest": {"version": "==8.2.2"}},
            },
            indent=4,
        ),
    )
    assert [(f.id, f.version, f.evidence.line, f.properties["dependency_scope"]) for f in lock] == [
        ("flask", "3.0.3", 8, "runtime"),
        ("tool", None, 11, "runtime"),
        ("pytest", "8.2.2", 17, "development"),
    ]
    assert lock[1].properties["source"] == "https://github.com/acme/tool.git"


# -- npm ------------------------------------------------------------------------------------


def at_position(finding: Finding, text: str) -> str:
    """The text of *text* (dedented as the tests feed it) from the finding's line/column."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    return lines[finding.evidence.line - 1][finding.evidence.column - 1 :]


PACKAGE_JSON = """
        {
          "name": "web",
          "dependencies": {
            "@huggingface/transformers": "3.0.2",
            "react": "^18.3.1",
            "internal-ui": "git+https://ci:npm-tok@github.com/acme/internal-ui.git#v1",
            "shared": "workspace:*",
            "vendored": "file:../vendored",
            "lodash-es": "npm:lodash@4.17.21",
            "anything": "*"
          },
          "devDependencies": { "typescript": "~5.6.3" },
          "optionalDependencies": { "fsevents": "2.3.3" },
          "peerDependencies": { "react-dom": ">=18" }
        }
        """


def test_package_json_sections_and_version_kinds() -> None:
    findings = one("package.json", PACKAGE_JSON)
    got = [(f.id, f.version, f.evidence.line, f.properties["dependency_scope"]) for f in findings]
    assert got == [
        ("@huggingface/transformers", "3.0.2", 4, "runtime"),
        ("react", None, 5, "runtime"),
        ("internal-ui", None, 6, "runtime"),
        ("shared", None, 7, "runtime"),
        ("vendored", None, 8, "runtime"),
        ("lodash", "4.17.21", 9, "runtime"),
        ("anything", None, 10, "runtime"),
        ("typescript", None, 12, "development"),
        ("fsevents", "2.3.3", 13, "optional"),
        ("react-dom", None, 14, "runtime"),
    ]
    # The column is that of the key's name, just after its opening quote.
    for finding in findings:
        key = finding.properties.get("alias", finding.id)
        assert at_position(finding, PACKAGE_JSON).startswith(f'{key}"')
    props = {f.id: f.properties for f in findings}
    assert props["react"]["specifier"] == "^18.3.1"
    assert props["internal-ui"]["source"] == "git+https://github.com/acme/internal-ui.git#v1"
    assert props["shared"]["source"] == "workspace:*"
    assert props["vendored"]["source"] == "file:../vendored"
    assert props["lodash"]["alias"] == "lodash-es"
    assert "specifier" not in props["anything"]
    assert props["react-dom"]["peer"] == "true"
    assert all(
        f.ecosystem == "npm" and f.properties["manifest"] == "package-json" for f in findings
    )


def test_package_lock_v3() -> None:
    findings = one(
        "package-lock.json",
        """
        {
          "lockfileVersion": 3,
          "packages": {
            "": { "name": "web", "version": "1.0.0" },
            "node_modules/@ai-sdk/openai": { "version": "0.0.66", "license": "Apache-2.0" },
            "node_modules/next/node_modules/postcss": { "version": "8.4.31" },
            "node_modules/typescript": { "version": "5.6.3", "dev": true },
            "node_modules/fsevents": { "version": "2.3.3", "optional": true },
            "node_modules/transformers": { "version": "0.1.0" },
            "node_modules/shared": { "resolved": "packages/shared", "link": true },
            "packages/shared": { "version": "0.0.0" }
          }
        }
        """,
    )
    got = [
        (f.kind, f.id, f.version, f.evidence.line, f.properties["dependency_scope"])
        for f in findings
    ]
    assert got == [
        (Kind.LIBRARY, "@ai-sdk/openai", "0.0.66", 5, "runtime"),
        (Kind.LIBRARY, "postcss", "8.4.31", 6, "runtime"),
        (Kind.LIBRARY, "typescript", "5.6.3", 7, "development"),
        (Kind.LIBRARY, "fsevents", "2.3.3", 8, "optional"),
        (Kind.LIBRARY, "transformers", "0.1.0", 9, "runtime"),
    ]
    assert findings[0].properties["license"] == "Apache-2.0"
    assert findings[1].evidence.column == 37  # the "postcss" part of the nested key


def test_package_lock_v1_nested_dependencies() -> None:
    findings = one(
        "package-lock.json",
        """
        {
          "lockfileVersion": 1,
          "dependencies": {
            "express": {
              "version": "4.19.2",
              "dependencies": {
                "debug": { "version": "2.6.9", "dev": true }
              }
            },
            "tool": { "version": "github:acme/tool#abc123" }
          }
        }
        """,
    )
    got = [(f.id, f.version, f.evidence.line, f.properties["dependency_scope"]) for f in findings]
    assert got == [
        ("express", "4.19.2", 4, "runtime"),
        ("debug", "2.6.9", 7, "development"),
        ("tool", None, 10, "runtime"),
    ]
    assert findings[2].properties["source"] == "github:acme/tool#abc123"


def test_package_lock_v1_depth_is_bounded() -> None:
    node: dict[str, object] = {"version": "1.0.0"}
    for _ in range(200):
        node = {"version": "1.0.0", "dependencies": {"dep": node}}
    text = json.dumps({"lockfileVersion": 1, "dependencies": {"dep": node}})
    findings = one("package-lock.json", text)
    assert 0 < len(findings) <= 64


def test_lock_files_never_produce_models() -> None:
    findings = scan_files(
        {
            "package-lock.json": '{"lockfileVersion": 3, "packages": {'
            '"node_modules/bert": {"version": "1.0.0"},'
            '"node_modules/@xenova/transformers": {"version": "2.17.2"}}}',
            "poetry.lock": '[[package]]\nname = "transformers"\nversion = "4.41.2"\n',
            "requirements.txt": "bert-base-uncased==0.0.1\ngpt2\n",
        }
    )
    assert len(findings) == 5
    assert {f.kind for f in findings} == {Kind.LIBRARY}


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        pytest.param("pyproject.toml", "[project\nname = 1\n", "not valid TOML", id="toml"),
        pytest.param("poetry.lock", "[[package]]\nname = \n", "not valid TOML", id="lock-toml"),
        pytest.param("uv.lock", "x = " + "[" * 100_000, "TOML", id="deep-toml"),
        pytest.param("package.json", '{"dependencies": {', "not valid JSON", id="json"),
        pytest.param("package-lock.json", "[" * 100_000, "JSON", id="deep-json"),
        pytest.param("package.json", "[1, 2]", "not a JSON object", id="json-array"),
        pytest.param("Pipfile.lock", '"just a string"', "not a JSON object", id="pipfile-lock"),
    ],
)
def test_malformed_manifests_are_crawl_errors(path: str, text: str, reason: str) -> None:
    with pytest.raises(CrawlError, match=reason):
        list(ManifestsCrawler().crawl(_input(path, text)))


def test_manifest_with_no_dependencies_is_empty_not_an_error() -> None:
    assert one("pyproject.toml", "[tool.ruff]\nline-length = 100\n") == []
    assert one("package.json", '{"name": "x", "version": "1.0.0"}') == []


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("requirements.txt", True),
        ("requirements-dev.txt", True),
        ("dev-requirements.txt", True),
        ("requirements/base.txt", True),
        ("constraints.txt", True),
        ("requirements.in", True),
        ("reqs.txt", True),
        ("pyproject.toml", True),
        ("poetry.lock", True),
        ("uv.lock", True),
        ("Pipfile", True),
        ("Pipfile.lock", True),
        ("web/package.json", True),
        ("web/package-lock.json", True),
        ("web/node_modules/react/package.json", False),
        ("README.txt", False),
        ("MANIFEST.in", False),
        ("setup.cfg", False),
        ("tsconfig.json", False),
    ],
)
def test_wants(path: str, wanted: bool) -> None:
    assert ManifestsCrawler().wants(PurePosixPath(path), 100) is wanted


def test_scope_of_the_evidence_follows_the_location() -> None:
    (finding,) = one("tests/fixtures/requirements.txt", "numpy\n")
    assert finding.evidence.scope is Scope.TEST
    assert finding.properties["dependency_scope"] == "development"


def test_golden_manifests_fixture() -> None:
    result = crawler_golden(
        [ManifestsCrawler()], "crawlers/manifests", "crawler-manifests.findings.json"
    )
    assert result.unknowns == ()
    dumped = json.dumps([f.model_dump(mode="json") for f in result.findings])
    for secret in ("s3cr3t-t0ken", "canary-pat-5f2b9e", "gldt-canary-77aa", "npm-canary-3c1d"):
        assert secret not in dumped
    assert {f.kind for f in result.findings} == {Kind.LIBRARY}
    files = {f.evidence.file for f in result.findings}
    assert "frequency.txt" not in files
    assert "MANIFEST.in" not in files
