"""License terms along the dimensions that decide whether a use is allowed.

Each license in the knowledge base is described by :class:`Terms`. Every dimension can
be ``unknown``: where the knowledge base does not know a term it says so, and the chain
analysis treats an unknown as "needs review", never as "allowed".

Terms combine with :func:`combine` into the terms that govern an artifact made of
several licensed parts. The combination is a join on a semilattice, dimension by
dimension, towards the more restrictive (or less known) value: it is commutative,
associative and idempotent, and adding a part never loosens the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import reduce

from pydantic import BaseModel, ConfigDict, Field


class Permission(StrEnum):
    """Whether something is permitted; the order is from least to most restrictive."""

    ALLOWED = "allowed"
    CONDITIONAL = "conditional"  # allowed under conditions the license states (caps, AUP)
    UNKNOWN = "unknown"
    NOT_ALLOWED = "not-allowed"


class Flag(StrEnum):
    """Whether a duty or restriction applies; the order is from absent to present."""

    NO = "no"
    UNKNOWN = "unknown"
    YES = "yes"


_PERMISSION_ORDER = list(Permission)
_FLAG_ORDER = list(Flag)


def _worst_permission(a: Permission, b: Permission) -> Permission:
    return max(a, b, key=_PERMISSION_ORDER.index)


def _worst_flag(a: Flag, b: Flag) -> Flag:
    return max(a, b, key=_FLAG_ORDER.index)


def _min_cap(a: int | None, b: int | None) -> int | None:
    """The smaller cap; ``None`` means no cap."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class Terms(BaseModel):
    """What a license permits and requires, dimension by dimension."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commercial_use: Permission = Permission.UNKNOWN
    distribution: Permission = Field(
        default=Permission.UNKNOWN, description="Distributing the artifact (weights, software)."
    )
    network_service: Permission = Field(
        default=Permission.UNKNOWN, description="Serving the artifact to users over a network."
    )
    user_cap: int | None = Field(
        default=None,
        ge=0,
        description="Monthly active users above which a separate license is needed.",
    )
    user_cap_known: bool = Field(
        default=False, description="False: whether a user cap exists is unknown."
    )
    revenue_cap_usd: int | None = Field(
        default=None, ge=0, description="Annual revenue above which a separate license is needed."
    )
    revenue_cap_known: bool = False
    use_restrictions: frozenset[str] = Field(
        default=frozenset(), description="Use restrictions / acceptable-use policies that apply."
    )
    restrictions_flow_down: Flag = Field(
        default=Flag.UNKNOWN,
        description="Use restrictions must be passed on to derivatives and downstream users.",
    )
    attribution: frozenset[str] = Field(
        default=frozenset(),
        description="Attribution and naming duties (notices, 'Built with ...').",
    )
    share_alike: frozenset[str] = Field(
        default=frozenset(),
        description="What must be released under the same terms: code, weights, derivatives.",
    )
    source_disclosure_on_network_use: Flag = Flag.UNKNOWN  # AGPL-style network clause
    output_training_restricted: Flag = Field(
        default=Flag.UNKNOWN,
        description="Outputs may not be used to train other (competing) models.",
    )
    api_serving_restricted: Flag = Field(
        default=Flag.UNKNOWN, description="Offering the model itself as a hosted API is restricted."
    )
    claims_output_rights: Flag = Field(
        default=Flag.UNKNOWN, description="The licensor claims rights in the outputs."
    )

    def join(self, other: Terms) -> Terms:
        """The terms that govern something bound by both *self* and *other*."""
        return Terms(
            commercial_use=_worst_permission(self.commercial_use, other.commercial_use),
            distribution=_worst_permission(self.distribution, other.distribution),
            network_service=_worst_permission(self.network_service, other.network_service),
            user_cap=_min_cap(self.user_cap, other.user_cap),
            user_cap_known=self.user_cap_known and other.user_cap_known,
            revenue_cap_usd=_min_cap(self.revenue_cap_usd, other.revenue_cap_usd),
            revenue_cap_known=self.revenue_cap_known and other.revenue_cap_known,
            use_restrictions=self.use_restrictions | other.use_restrictions,
            restrictions_flow_down=_worst_flag(
                self.restrictions_flow_down, other.restrictions_flow_down
            ),
            attribution=self.attribution | other.attribution,
            share_alike=self.share_alike | other.share_alike,
            source_disclosure_on_network_use=_worst_flag(
                self.source_disclosure_on_network_use, other.source_disclosure_on_network_use
            ),
            output_training_restricted=_worst_flag(
                self.output_training_restricted, other.output_training_restricted
            ),
            api_serving_restricted=_worst_flag(
                self.api_serving_restricted, other.api_serving_restricted
            ),
            claims_output_rights=_worst_flag(self.claims_output_rights, other.claims_output_rights),
        )


# The identity of join: nothing restricted, everything known to be unrestricted.
PERMISSIVE = Terms(
    commercial_use=Permission.ALLOWED,
    distribution=Permission.ALLOWED,
    network_service=Permission.ALLOWED,
    user_cap_known=True,
    revenue_cap_known=True,
    restrictions_flow_down=Flag.NO,
    source_disclosure_on_network_use=Flag.NO,
    output_training_restricted=Flag.NO,
    api_serving_restricted=Flag.NO,
    claims_output_rights=Flag.NO,
)

# What is known of a license the knowledge base does not describe: nothing.
UNKNOWN_TERMS = Terms()


def combine(terms: Iterable[Terms]) -> Terms:
    """The join of all *terms*; :data:`PERMISSIVE` for none."""
    return reduce(Terms.join, terms, PERMISSIVE)
