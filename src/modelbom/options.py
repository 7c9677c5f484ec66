"""Options of one scan, validated once at the boundary."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from modelbom.policy.model import Policy

# The most any crawler may read of one file, whatever it asks for.
DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024


class GroupBy(StrEnum):
    """How ``--group-by`` cuts the scanned repository into groups (see modelbom.grouping)."""

    NONE = "none"
    PACKAGES = "packages"
    FOLDERS = "folders"


class ScanOptions(BaseModel):
    """Everything that changes what a scan does. Frozen: one scan, one set of options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    root: Path
    offline: bool = False
    include_docs: bool = Field(
        default=False,
        description="Keep components found only in docs and comments in the BOM.",
    )
    max_file_bytes: int = Field(default=DEFAULT_MAX_FILE_BYTES, gt=0)
    use_git: bool = Field(default=True, description="List files through git in a work tree.")
    rev: str | None = Field(
        default=None,
        min_length=1,
        description="Scan this git revision (tag, branch, commit) of the repository around "
        "root, read from the object database, instead of the files on disk.",
    )
    refresh: bool = Field(
        default=False,
        description="Fetch remote facts and crawl every file again, ignoring the caches.",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Folder of the resolver and file caches; default: the user cache directory.",
    )
    python_env: Path | None = Field(
        default=None, description="A Python environment whose installed packages give licenses."
    )
    workers: int = Field(default=8, ge=1, le=64, description="Resolver threads.")
    timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a remote source may take to connect or to answer a request.",
    )
    crawl_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Crawl worker processes; 0: one per CPU; 1: crawl in the main process.",
    )
    lineage_depth: int = Field(default=5, ge=0, le=20, description="How far to follow base models.")
    policy: Policy | None = Field(
        default=None, description="The declared use and policy; None: the default use profile."
    )
    analyse: bool = Field(default=True, description="Compute the license chain and verdicts.")
    today: date | None = Field(default=None, description="The date waivers are checked against.")
    group_by: GroupBy = Field(
        default=GroupBy.NONE, description="Sub-projects to report separately (--group-by)."
    )
