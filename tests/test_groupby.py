"""``--group-by``: one section per sub-project of a monorepo in the reports and the BOM.

Scans of ``fixtures/monorepo`` (three sub-projects and notebooks at the root, resolved
from the Hugging Face cache fixture under its own policy), the pure grouping logic on
hand-made components, manifest names read statically, the CLI flag and its settings,
the CycloneDX nesting (validated against 1.6 and 1.7), the Markdown golden file and
determinism.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelbom import __version__
from modelbom.emit import EmitOptions, OutputFormat, emitter_for
from modelbom.emit.cyclonedx import validate
from modelbom.engine import scan
from modelbom.grouping import (
    MANIFEST_MAX_BYTES,
    build_groups,
    find_packages,
    group_verdict,
    manifest_package,
)
from modelbom.licenses.chain import component_label
from modelbom.model import (
    BaseModelRef,
    Component,
    Evidence,
    Group,
    Kind,
    Relation,
    ScanResult,
)
from modelbom.model.verdict import Verdict
from modelbom.options import GroupBy, ScanOptions
from modelbom.policy.model import load_policy
from modelbom.walk import WalkOptions, open_source
from tests.support import FIXTURES, check_golden, run_cli

FIXTURE = FIXTURES / "monorepo"
HF_CACHE = FIXTURES / "scenarios" / "hf-cache"

LORA = "adapter:acme/support-lora"
INSTRUCT = "model:meta-llama/Llama-3.1-8B-Instruct"
LLAMA_BASE = "model:meta-llama/Llama-3.1-8B"
QWEN = "model:Qwen/Qwen2.5-0.5B"
NC_DATA = "dataset:acme/nc-instructions"
EMBEDDINGS = "hosted-model:openai/text-embedding-3-small"
NO_GIT = WalkOptions(use_git=False)


def _packages(root: Path) -> dict[str, str | None]:
    with open_source(root, NO_GIT) as source:
        return find_packages(source.entries, source)


def _scan_fixture(tmp: Path, mode: GroupBy) -> ScanResult:
    """Scan a copy of the fixture with its own policy, as the CLI does from its folder."""
    root = tmp / "monorepo"
    shutil.copytree(FIXTURE, root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_CACHE", str(HF_CACHE))
        mp.chdir(root)
        policy = load_policy(Path("modelbom.toml"))
        return scan(
            ScanOptions(
                root=root, offline=True, cache_dir=tmp / "cache", policy=policy, group_by=mode
            )
        )


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return _scan_fixture(tmp_path_factory.mktemp("packages"), GroupBy.PACKAGES)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    return _scan_fixture(tmp_path_factory.mktemp("folders"), GroupBy.FOLDERS)


def members(result: ScanResult, path: str) -> set[str]:
    """The ``kind:id`` labels of the components of the group at *path*."""
    by_ref = {c.bom_ref: c for c in result.components}
    group = next(g for g in result.groups if g.path == path)
    return {component_label(by_ref[ref]) for ref in group.components}


def group_at(result: ScanResult, path: str) -> Group:
    return next(g for g in result.groups if g.path == path)


# -- the fixture, by package -------------------------------------------------------------------


def test_packages_are_the_folders_with_a_manifest_named_from_it(packages: ScanResult) -> None:
    assert packages.group_by == "packages"
    assert [(g.path, g.name) for g in packages.groups] == [
        (".", "acme-platform"),  # the root's pyproject.toml names the rest
        ("libs/common", "acme-common"),  # setup.cfg
        ("services/chat", "chat-service"),  # pyproject.toml
        ("services/search", "@acme/search"),  # package.json
    ]


def test_each_package_lists_the_components_its_files_reference(packages: ScanResult) -> None:
    assert members(packages, "services/chat") == {
        LORA,
        INSTRUCT,
        LLAMA_BASE,
        "library:pypi/transformers",
        "library:pypi/peft",
        "library:pypi/acme-common",
    }
    assert members(packages, "services/search") == {EMBEDDINGS, "library:npm/openai"}
    assert members(packages, "libs/common") == {NC_DATA, INSTRUCT, LLAMA_BASE}
    # notebooks/ and services/download-models.sh are in no package: the root's.
    assert members(packages, ".") == {QWEN, "library:pypi/jupyterlab"}


def test_a_component_used_by_two_packages_is_in_both(packages: ScanResult) -> None:
    having = [g.path for g in packages.groups if INSTRUCT in members(packages, g.path)]
    assert having == ["libs/common", "services/chat"]
    # ...and once in the BOM's component list.
    assert sum(component_label(c) == INSTRUCT for c in packages.components) == 1


def test_lineage_only_components_sit_with_the_components_that_brought_them(
    packages: ScanResult,
) -> None:
    base = next(c for c in packages.components if component_label(c) == LLAMA_BASE)
    assert not base.evidence  # known only from the Instruct model's card
    having = [g.path for g in packages.groups if LLAMA_BASE in members(packages, g.path)]
    assert having == ["libs/common", "services/chat"]


def test_group_verdicts_are_the_worst_of_their_shipped_components(
    packages: ScanResult, folders: ScanResult
) -> None:
    chain = packages.chain
    assert chain is not None
    # Llama 3.1's cap of 700M monthly users, under a declared 800M.
    assert group_verdict(group_at(packages, "services/chat"), chain) is Verdict.VIOLATION
    assert group_verdict(group_at(packages, "libs/common"), chain) is Verdict.VIOLATION
    assert group_verdict(group_at(folders, "notebooks"), folders.chain) is Verdict.ALLOWED
    for group in packages.groups:
        expected = max(
            (
                v.verdict
                for v in chain.components
                if v.bom_ref in group.components and v.in_artifact
            ),
            key=lambda v: v.rank,
            default=Verdict.ALLOWED,
        )
        assert group_verdict(group, chain) is expected
    assert group_verdict(group_at(packages, "."), None) is None


# -- the fixture, by folder -------------------------------------------------------------------


def test_folders_are_the_top_level_folders_and_the_root(folders: ScanResult) -> None:
    assert folders.group_by == "folders"
    assert [(g.path, g.name) for g in folders.groups] == [
        (".", "."),
        ("libs", "libs"),
        ("notebooks", "notebooks"),
        ("services", "services"),
    ]
    assert members(folders, ".") == {"library:pypi/jupyterlab"}  # the root pyproject.toml
    assert members(folders, "notebooks") == {QWEN}
    assert members(folders, "services") == {
        LORA,
        INSTRUCT,
        LLAMA_BASE,
        EMBEDDINGS,
        QWEN,  # services/download-models.sh
        "library:npm/openai",
        "library:pypi/transformers",
        "library:pypi/peft",
        "library:pypi/acme-common",
    }
    assert members(folders, "libs") == {NC_DATA, INSTRUCT, LLAMA_BASE}


def test_without_group_by_there_are_no_groups(tmp_path: Path) -> None:
    result = _scan_fixture(tmp_path, GroupBy.NONE)
    assert result.groups == ()
    assert result.group_by is None
    text = emitter_for(OutputFormat.MARKDOWN).emit(result, EmitOptions()).decode()
    assert "## Sub-projects" not in text
    bom = json.loads(emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions()))
    assert "components" not in bom["metadata"]["component"]
    assert "groups" not in json.loads(
        emitter_for(OutputFormat.FINDINGS_JSON).emit(result, EmitOptions())
    )


# -- the grouping logic on its own ------------------------------------------------------------


def component(kind: Kind, id_: str, *files: str, **extra: Any) -> Component:
    evidence = tuple(Evidence(file=f, line=1, crawler="python") for f in files)
    return Component(kind=kind, id=id_, evidence=evidence, **extra)


def labels(groups: tuple[Group, ...], components: list[Component]) -> dict[str, set[str]]:
    by_ref = {c.bom_ref: c.id for c in components}
    return {g.path: {by_ref[r] for r in g.components} for g in groups}


def test_a_file_belongs_to_the_innermost_package() -> None:
    comps = [
        component(Kind.MODEL, "org/outer", "apps/web/server.py"),
        component(Kind.MODEL, "org/inner", "apps/web/plugins/rag/rag.py"),
        component(Kind.MODEL, "org/loose", "apps/tools/run.py", "top.py"),
    ]
    paths = ["apps/web/server.py", "apps/web/plugins/rag/rag.py", "apps/tools/run.py", "top.py"]
    groups = build_groups(
        GroupBy.PACKAGES, comps, paths, {"apps/web": "web", "apps/web/plugins/rag": None}
    )
    assert [(g.path, g.name) for g in groups] == [
        (".", "."),
        ("apps/web", "web"),
        ("apps/web/plugins/rag", "rag"),  # no name in its manifest: the folder's
    ]
    assert labels(groups, comps) == {
        ".": {"org/loose"},
        "apps/web": {"org/outer"},
        "apps/web/plugins/rag": {"org/inner"},
    }


def test_lineage_is_followed_through_bases_and_datasets_and_cycles_are_cut() -> None:
    adapter = component(
        Kind.ADAPTER,
        "org/lora",
        "svc/app.py",
        base_models=(BaseModelRef(id="org/tuned", relation=Relation.ADAPTER, source="hub"),),
    )
    tuned = component(
        Kind.MODEL,
        "org/tuned",
        base_models=(BaseModelRef(id="org/base", relation=Relation.FINETUNE, source="hub"),),
        datasets=("org/data",),
    )
    base = component(
        Kind.MODEL,
        "org/base",
        base_models=(BaseModelRef(id="org/tuned", relation=Relation.BASE, source="hub"),),
    )
    data = component(Kind.DATASET, "org/data")
    loaded_in_code = component(
        Kind.ADAPTER, "org/code-lora", "other/x.py", properties=(("base_model", "org/base"),)
    )
    comps = [adapter, tuned, base, data, loaded_in_code]
    groups = build_groups(GroupBy.FOLDERS, comps, ["svc/app.py", "other/x.py", "README.md"])
    assert labels(groups, comps) == {
        ".": set(),  # README.md: a group without components is still listed
        "other": {"org/code-lora", "org/base", "org/tuned", "org/data"},
        "svc": {"org/lora", "org/tuned", "org/base", "org/data"},
    }


def test_a_library_named_like_a_base_model_is_not_lineage() -> None:
    model = component(
        Kind.MODEL,
        "org/m",
        "a/x.py",
        base_models=(BaseModelRef(id="bert", source="hub"),),
    )
    library = component(Kind.LIBRARY, "bert", "b/requirements.txt", ecosystem="pypi")
    groups = build_groups(GroupBy.FOLDERS, [model, library], ["a/x.py", "b/requirements.txt"])
    assert labels(groups, [model, library]) == {"a": {"org/m"}, "b": {"bert"}}


def test_grouping_does_not_depend_on_input_order() -> None:
    comps = [
        component(Kind.MODEL, f"org/m{i}", f"pkg{i % 3}/f{i}.py", "shared/x.py") for i in range(12)
    ]
    paths = [f"pkg{i % 3}/f{i}.py" for i in range(12)] + ["shared/x.py", "x.py"]
    packages = {"pkg0": "zero", "pkg1": "one", "pkg2": None, "shared": "shared"}
    expected = build_groups(GroupBy.PACKAGES, comps, paths, packages)
    rng = random.Random(7)  # noqa: S311 - reproducible test input, not secrets
    for _ in range(5):
        rng.shuffle(comps)
        rng.shuffle(paths)
        shuffled = dict(rng.sample(sorted(packages.items()), len(packages)))
        assert build_groups(GroupBy.PACKAGES, comps, paths, shuffled) == expected
    assert [g.path for g in expected] == [".", "pkg0", "pkg1", "pkg2", "shared"]
    assert all(list(g.components) == sorted(g.components) for g in expected)


def test_group_names_from_a_repository_are_redacted() -> None:
    token = "hf_" + "a1B2c3D4" * 4
    group = Group(name=f"svc-{token}", path="svc")
    assert token not in group.name


def test_none_makes_no_groups() -> None:
    comps = [component(Kind.MODEL, "org/m", "a/x.py")]
    assert build_groups(GroupBy.NONE, comps, ["a/x.py"], {"a": "a"}) == ()


# -- package manifests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("pyproject.toml", '[project]\nname = "svc-a"\n', (True, "svc-a")),
        ("pyproject.toml", '[tool.poetry]\nname = "svc-b"\nversion = "1"\n', (True, "svc-b")),
        ("pyproject.toml", "[project]\ndynamic = ['version']\n", (True, None)),
        ("pyproject.toml", "[tool.ruff]\nline-length = 100\n", (False, None)),  # settings only
        ("pyproject.toml", "[project\nname = ", (True, None)),  # broken: the folder's name
        ("setup.cfg", "[metadata]\nname = lib-c\n", (True, "lib-c")),
        ("setup.cfg", "[metadata]\nname = attr: lib.NAME\n", (True, None)),
        ("setup.cfg", "[options]\npackages = find:\n", (True, None)),
        ("setup.cfg", "[flake8]\nmax-line-length = 100\n", (False, None)),
        ("setup.py", 'from setuptools import setup\nsetup(name="lib-d")\n', (True, "lib-d")),
        ("setup.py", 'import setuptools\nsetuptools.setup(name="lib-e")\n', (True, "lib-e")),
        ("setup.py", "from setuptools import setup\nsetup(name=NAME)\n", (True, None)),
        ("setup.py", "setup(name=", (True, None)),
        ("package.json", '{"name": "@org/web", "version": "1.0.0"}', (True, "@org/web")),
        ("package.json", '{"dependencies": {"react": "^18"}}', (True, None)),
        ("package.json", '{"private": true, "scripts": {"lint": "eslint ."}}', (False, None)),
        ("package.json", "[1, 2]", (False, None)),
        ("requirements.txt", "torch\n", (False, None)),  # names no project
        # Hostile: nesting deep enough to exhaust a recursive parser.
        ("package.json", "[" * 200_000, (True, None)),
        ("setup.py", "setup(name=" + "(" * 200_000, (True, None)),
        ("pyproject.toml", "a = " + "[" * 200_000, (True, None)),
        ("setup.cfg", "\x00\x01 not text", (True, None)),
    ],
)
def test_manifest_names_are_read_statically(
    filename: str, text: str, expected: tuple[bool, str | None]
) -> None:
    assert manifest_package(filename, text.encode()) == expected


def test_setup_py_is_parsed_never_run(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    (tmp_path / "setup.py").write_text(
        f"open({str(canary)!r}, 'w').write('x')\nfrom setuptools import setup\nsetup(name='lib')\n"
    )
    assert _packages(tmp_path) == {".": "lib"}
    assert not canary.exists()


def test_package_folders_are_found_among_the_walked_files(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.black]\n",  # settings only: the root is no package
        "svc/pyproject.toml": '[project]\nname = "svc"\n',
        "svc/package.json": '{"name": "svc-frontend"}',  # pyproject.toml's name wins
        "web/package.json": '{"name": "web"}',
        "web/node_modules/dep/package.json": '{"name": "dep"}',  # never walked
        "lib/setup.cfg": "[metadata]\nname = lib\n",
        "lib/setup.py": "from setuptools import setup\nsetup()\n",
        "big/pyproject.toml": "# " + "x" * MANIFEST_MAX_BYTES + "\n[project]\nname='big'\n",
        "docs/requirements.txt": "sphinx\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert _packages(tmp_path) == {
        "big": None,  # too large to read: a package named after its folder
        "lib": "lib",
        "svc": "svc",
        "web": "web",
    }


# -- the command line and its settings ---------------------------------------------------------


@pytest.fixture
def small_repo(tmp_path: Path) -> Path:
    root = tmp_path / "mono"
    (root / "api").mkdir(parents=True)
    (root / "tools" / "eval").mkdir(parents=True)
    (root / "api" / "pyproject.toml").write_text('[project]\nname = "api"\n')
    (root / "api" / "app.py").write_text('AutoModel.from_pretrained("acme/model-a")\n')
    (root / "tools" / "eval" / "run.py").write_text('AutoModel.from_pretrained("acme/model-b")\n')
    return root


def groups_of(stdout: str) -> dict[str, list[str]] | None:
    document = json.loads(stdout)
    if "groups" not in document:
        return None
    return {g["path"]: [c["id"] for c in g["components"]] for g in document["groups"]}


def test_the_flag_groups_the_findings_json(small_repo: Path) -> None:
    proc = run_cli(
        "scan", str(small_repo), "--offline", "-f", "findings-json", "--group-by", "packages"
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert document["group_by"] == "packages"
    assert [(g["path"], g["name"]) for g in document["groups"]] == [(".", "."), ("api", "api")]
    assert groups_of(proc.stdout) == {".": ["acme/model-b"], "api": ["acme/model-a"]}
    assert "grouped by packages: 2 groups" in proc.stderr
    assert "api: 1 component" in proc.stderr


def test_settings_file_then_environment_then_flag(small_repo: Path) -> None:
    (small_repo / "modelbom.toml").write_text('group-by = "folders"\nformat = "findings-json"\n')
    from_file = run_cli("scan", str(small_repo), "--offline")
    assert from_file.returncode == 0, from_file.stderr
    assert groups_of(from_file.stdout) == {
        ".": [],
        "api": ["acme/model-a"],
        "tools": ["acme/model-b"],
    }
    env = {"MODELBOM_GROUP_BY": "packages"}
    from_env = run_cli("scan", str(small_repo), "--offline", env=env)
    assert groups_of(from_env.stdout) == {".": ["acme/model-b"], "api": ["acme/model-a"]}
    from_flag = run_cli("scan", str(small_repo), "--offline", "--group-by", "none", env=env)
    assert from_flag.returncode == 0, from_flag.stderr
    assert groups_of(from_flag.stdout) is None


@pytest.mark.parametrize(
    ("args", "env", "file", "message"),
    [
        (["--group-by", "teams"], {}, None, "invalid choice: 'teams'"),
        ([], {"MODELBOM_GROUP_BY": "team"}, None, "MODELBOM_GROUP_BY: expected one of none"),
        ([], {}, "group-by = 3\n", "group-by: expected one of none, packages, folders"),
    ],
)
def test_a_bad_grouping_is_a_usage_error(
    small_repo: Path, args: list[str], env: dict[str, str], file: str | None, message: str
) -> None:
    if file is not None:
        (small_repo / "modelbom.toml").write_text(file)
    proc = run_cli("scan", str(small_repo), "--offline", *args, env=env)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


# -- CycloneDX ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["1.6", "1.7"])
def grouped_bom(request: pytest.FixtureRequest, packages: ScanResult) -> Iterator[dict[str, Any]]:
    spec: str = request.param
    text = (
        emitter_for(OutputFormat.CYCLONEDX_JSON)
        .emit(packages, EmitOptions(reproducible=True, spec_version=spec))
        .decode()
    )
    assert validate(text, spec) is None
    document: dict[str, Any] = json.loads(text)
    assert document["specVersion"] == spec
    yield document


def all_refs(node: Any) -> list[str]:
    """Every bom-ref defined anywhere in the document."""
    if isinstance(node, dict):
        own = [node["bom-ref"]] if isinstance(node.get("bom-ref"), str) else []
        return own + [r for value in node.values() for r in all_refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in all_refs(value)]
    return []


def props(node: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in node.get("properties", []) if p["name"] == name]


def test_groups_are_components_nested_in_the_repository(
    grouped_bom: dict[str, Any], packages: ScanResult
) -> None:
    root = grouped_bom["metadata"]["component"]
    nested = root["components"]
    assert {(g["name"], props(g, "modelbom:group:path")[0]) for g in nested} == {
        (g.name, g.path) for g in packages.groups
    }
    assert {g["type"] for g in nested} == {"application"}
    verdicts = {props(g, "modelbom:group:path")[0]: props(g, "modelbom:verdict") for g in nested}
    assert verdicts["services/chat"] == ["violation"]
    search = group_verdict(group_at(packages, "services/search"), packages.chain)
    assert search is not None
    assert verdicts["services/search"] == [search.value]
    assert props(grouped_bom["metadata"], "modelbom:group-by") == ["packages"]
    # No model is duplicated: the groups only reference the top-level components.
    refs = all_refs(grouped_bom)
    assert len(refs) == len(set(refs))
    assert len(grouped_bom["components"]) == len(packages.components)


def test_dependencies_run_from_the_root_to_groups_to_components(
    grouped_bom: dict[str, Any], packages: ScanResult
) -> None:
    edges = {d["ref"]: set(d.get("dependsOn", [])) for d in grouped_bom["dependencies"]}
    nested = grouped_bom["metadata"]["component"]["components"]
    ref_of = {props(g, "modelbom:group:path")[0]: g["bom-ref"] for g in nested}
    assert set(ref_of.values()) <= edges["root"]
    for group in packages.groups:
        assert edges[ref_of[group.path]] == set(group.components)
    names = {c["bom-ref"]: c["name"] for c in grouped_bom["components"]}
    chat = {names[r] for r in edges[ref_of["services/chat"]]}
    assert {"acme/support-lora", "meta-llama/Llama-3.1-8B-Instruct"} <= chat
    assert "meta-llama/Llama-3.1-8B" in chat  # lineage that came with the adapter


def test_group_refs_are_derived_from_the_path(packages: ScanResult, folders: ScanResult) -> None:
    def refs(result: ScanResult) -> dict[str, str]:
        bom = json.loads(
            emitter_for(OutputFormat.CYCLONEDX_JSON).emit(result, EmitOptions(reproducible=True))
        )
        return {
            props(g, "modelbom:group:path")[0]: g["bom-ref"]
            for g in bom["metadata"]["component"]["components"]
        }

    by_package, by_folder = refs(packages), refs(folders)
    assert by_package["."] == by_folder["."]  # same path, same ref, whatever the mode
    assert len(set(by_package.values())) == len(by_package)


# -- Markdown, findings-json, determinism -----------------------------------------------------


def test_markdown_report_has_a_section_per_group(packages: ScanResult) -> None:
    text = emitter_for(OutputFormat.MARKDOWN).emit(packages, EmitOptions()).decode()
    assert f"modelbom {__version__} " in text
    text = text.replace(f"modelbom {__version__} ", "modelbom VERSION ")
    section = text.split("## Sub-projects", 1)[1].split("## Lineage", 1)[0]
    assert "### chat-service (`services/chat`): violation" in section
    assert "### acme-platform (`.`):" in section
    assert "| `meta-llama/Llama-3.1-8B` | model |" in section
    check_golden("monorepo-packages.md", text)


def test_findings_json_groups_name_the_bom_refs(packages: ScanResult) -> None:
    document = json.loads(emitter_for(OutputFormat.FINDINGS_JSON).emit(packages, EmitOptions()))
    assert document["group_by"] == "packages"
    by_ref = {c.bom_ref: c for c in packages.components}
    for entry, group in zip(document["groups"], packages.groups, strict=True):
        assert (entry["name"], entry["path"]) == (group.name, group.path)
        assert {c["bom_ref"] for c in entry["components"]} == set(group.components)
        for c in entry["components"]:
            assert (c["kind"], c["id"]) == (
                by_ref[c["bom_ref"]].kind.value,
                by_ref[c["bom_ref"]].id,
            )


def test_grouped_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    root = tmp_path / "monorepo"
    shutil.copytree(FIXTURE, root)
    outputs = []
    for seed in ("1", "2"):
        proc = run_cli(
            "scan", str(root), "--offline", "--reproducible", "--group-by", "packages",
            "-o", f"cyclonedx-json={tmp_path / f'bom-{seed}.json'}",
            "-o", f"markdown={tmp_path / f'report-{seed}.md'}",
            env={"PYTHONHASHSEED": seed, "HF_HUB_CACHE": str(HF_CACHE)},
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr  # the fixture's policy is violated
        outputs.append(
            (
                (tmp_path / f"bom-{seed}.json").read_bytes(),
                (tmp_path / f"report-{seed}.md").read_bytes(),
            )
        )
    assert outputs[0] == outputs[1]
    assert b'"modelbom:group:path"' in outputs[0][0]
