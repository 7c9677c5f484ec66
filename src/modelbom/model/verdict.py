"""The license chain's outcome: governing terms, the path that brought each restriction,
and verdicts against the declared use. Format-neutral: every report renders these."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from modelbom.licenses.terms import Terms


class Verdict(StrEnum):
    """Whether the declared use is allowed; ordered from best to worst."""

    ALLOWED = "allowed"
    REVIEW = "review"
    VIOLATION = "violation"

    @property
    def rank(self) -> int:
        """0 for allowed, 1 for review, 2 for violation."""
        return list(Verdict).index(self)


def worst(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    """The worst of *verdicts*; allowed for none."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.ALLOWED)


class Step(BaseModel):
    """One hop of a license chain: a component, its license, and how it was reached."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    component: str = Field(description="kind:id of the component.")
    license: str | None = Field(default=None, description="The license expression at this hop.")
    relation: str | None = Field(
        default=None, description="How this hop relates to the previous one: adapter, ..."
    )

    def render(self) -> str:
        """``model:meta-llama/Llama-3.1-8B [LicenseRef-...] (adapter)``."""
        text = self.component
        if self.license:
            text += f" [{self.license}]"
        if self.relation:
            text += f" ({self.relation})"
        return text


class Contribution(BaseModel):
    """A term that binds, the license that imposes it, and the path that brought it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dimension: str
    value: str
    license: str
    path: tuple[Step, ...]
    source: str | None = Field(default=None, description="Where the term is stated.")

    def render_path(self) -> str:
        """The path as ``a -> b -> c``."""
        return " -> ".join(step.render() for step in self.path)


class RuleResult(BaseModel):
    """One rule's outcome for one component or for the artifact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    verdict: Verdict
    message: str
    because: tuple[Contribution, ...] = ()
    waived_by: str | None = Field(default=None, description="The waiver that lifted it.")


class ComponentVerdict(BaseModel):
    """What governs one component, and whether the declared use is allowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    component: str = Field(description="kind:id")
    bom_ref: str
    governing: Terms
    contributions: tuple[Contribution, ...] = ()
    concluded: str | None = Field(
        default=None, description="The licenses of the whole chain, joined with AND."
    )
    choices: tuple[str, ...] = Field(default=(), description="How OR expressions were decided.")
    in_artifact: bool = True
    verdict: Verdict = Verdict.ALLOWED
    rules: tuple[RuleResult, ...] = ()
    obligations: tuple[str, ...] = Field(default=(), description="Duties that bind the user.")


class ChainReport(BaseModel):
    """The license chain of a whole scan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_source: str | None = Field(default=None, description="None: the default use profile.")
    use: dict[str, str] = Field(default_factory=dict, description="The declared use, for reports.")
    training_data: str = "warn"
    artifact: ComponentVerdict
    components: tuple[ComponentVerdict, ...] = ()
    waivers: tuple[str, ...] = Field(default=(), description="Waivers, active and expired.")

    def for_component(self, bom_ref: str) -> ComponentVerdict | None:
        """The verdict of the component with *bom_ref*."""
        return next((c for c in self.components if c.bom_ref == bom_ref), None)
