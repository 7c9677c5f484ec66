"""The declared use, the policy and its waivers, as the user writes them.

Read from ``[tool.modelbom]`` in ``pyproject.toml`` or from a ``modelbom.toml`` (the
same keys at the top level), validated with pydantic, and reported with messages that
name the file and the key::

    [tool.modelbom.use]
    commercial = true
    distribution = "network-service"      # internal | distributed | network-service
    monthly_active_users = 800_000_000
    annual_revenue_usd = 5_000_000
    outputs_train_models = false

    [tool.modelbom.policy]
    training_data = "warn"                 # strict | warn | off
    deny = ["category:non-commercial", "AGPL-3.0-only"]
    allow = []                             # when set, anything else needs review
    review = ["category:rail"]
    unknown = "review"                     # an unresolved license: review | violation | allowed

    [[tool.modelbom.waivers]]
    component = "black-forest-labs/FLUX.1-dev"
    reason = "research prototype, not shipped"
    approver = "legal@example.com"
    expires = 2027-01-31
"""

from __future__ import annotations

import tomllib
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelbom.errors import UsageError
from modelbom.model.text import display_text


class Distribution(StrEnum):
    """How the artifact reaches its users."""

    INTERNAL = "internal"
    DISTRIBUTED = "distributed"
    NETWORK_SERVICE = "network-service"


class TrainingData(StrEnum):
    """Whether the licenses of training data bind the trained weights (unsettled law)."""

    STRICT = "strict"  # they do: dataset terms join the model's governing terms
    WARN = "warn"  # they may: restrictive dataset terms make a review, not a violation
    OFF = "off"  # they do not


class UnknownLicense(StrEnum):
    """What a component with no known license is."""

    REVIEW = "review"
    VIOLATION = "violation"
    ALLOWED = "allowed"


class UseProfile(BaseModel):
    """How the artifact is used: the facts the license terms are checked against."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commercial: bool = True
    distribution: Distribution = Distribution.DISTRIBUTED
    monthly_active_users: int | None = Field(default=None, ge=0)
    annual_revenue_usd: int | None = Field(default=None, ge=0)
    outputs_train_models: bool = False


class Waiver(BaseModel):
    """An approved exception for one component, until it expires."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    component: str = Field(min_length=1, description="The component id the waiver covers.")
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: date
    rule: str | None = Field(default=None, description="Only this rule; None: every rule.")

    def active(self, today: date) -> bool:
        """Whether the waiver still applies on *today* (it applies through its expiry day)."""
        return today <= self.expires


class PolicyRules(BaseModel):
    """Allow, deny and review lists, and the training-data setting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    training_data: TrainingData = TrainingData.WARN
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    unknown: UnknownLicense = UnknownLicense.REVIEW


class Policy(BaseModel):
    """Everything a verdict depends on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    use: UseProfile = UseProfile()
    policy: PolicyRules = PolicyRules()
    waivers: tuple[Waiver, ...] = ()
    source: str | None = Field(default=None, description="The file the policy came from.")


def _format_error(path: str, exc: ValidationError, prefix: str) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
    return f"{path}: {where}: {first['msg']}"


def parse_policy(data: dict[str, Any], *, source: str, prefix: str = "") -> Policy:
    """Validate a policy table; :class:`UsageError` names the file and the key."""
    try:
        return Policy.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise UsageError(_format_error(source, exc, prefix)) from None


def load_policy(path: Path) -> Policy:
    """Read a policy from a ``modelbom.toml`` or from ``[tool.modelbom]`` of a pyproject."""
    shown = display_text(str(path))
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"{shown}: cannot read the policy: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise UsageError(f"{shown}: not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("modelbom")
        if not isinstance(section, dict):
            raise UsageError(f"{shown}: no [tool.modelbom] table")
        return parse_policy(_policy_keys(section), source=shown, prefix="tool.modelbom")
    return parse_policy(_policy_keys(data), source=shown)


def _policy_keys(table: dict[str, Any]) -> dict[str, Any]:
    """The policy part of a configuration table (other keys configure the scan itself)."""
    return {k: v for k, v in table.items() if k in ("use", "policy", "waivers")}


def revision_policy(root: Path, rev: str) -> Policy | None:
    """The policy the repository declares at git revision *rev* (as :func:`find_policy`,
    read from that revision, not from the disk); None when it declares none. Its source
    is ``<revision>:<path>``."""
    from modelbom.config import revision_table

    found = revision_table(root, rev)
    if found is None or not _policy_keys(dict(found[1])):
        return None
    label, table = found
    prefix = "tool.modelbom" if label.endswith(("/pyproject.toml", ":pyproject.toml")) else ""
    return parse_policy(_policy_keys(dict(table)), source=display_text(label), prefix=prefix)


def find_policy(root: Path) -> Path | None:
    """The policy a scanned repository declares: the ``modelbom.toml`` or ``pyproject.toml``
    whose modelbom table has use, policy or waiver keys. Only those are read as the policy;
    nothing in the repository can change where modelbom connects or what it sends."""
    from modelbom.config import repository_table

    found = repository_table(root)
    if found is None or not _policy_keys(dict(found[1])):
        return None
    return found[0]
