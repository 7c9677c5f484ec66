"""Property tests of the terms join: the governing terms do not depend on the order in
which parts are combined, combining a part twice changes nothing, and adding a part
never loosens the result."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelbom.licenses.chain import restrictive
from modelbom.licenses.terms import PERMISSIVE, Flag, Permission, Terms, combine

_sets = st.frozensets(
    st.sampled_from(["aup-a", "aup-b", "notice", "built-with", "weights"]), max_size=3
)
_caps = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))

terms_strategy = st.builds(
    Terms,
    commercial_use=st.sampled_from(list(Permission)),
    distribution=st.sampled_from(list(Permission)),
    network_service=st.sampled_from(list(Permission)),
    user_cap=_caps,
    user_cap_known=st.booleans(),
    revenue_cap_usd=_caps,
    revenue_cap_known=st.booleans(),
    use_restrictions=_sets,
    restrictions_flow_down=st.sampled_from(list(Flag)),
    attribution=_sets,
    share_alike=_sets,
    source_disclosure_on_network_use=st.sampled_from(list(Flag)),
    output_training_restricted=st.sampled_from(list(Flag)),
    api_serving_restricted=st.sampled_from(list(Flag)),
    claims_output_rights=st.sampled_from(list(Flag)),
)


def at_least_as_restrictive(a: Terms, b: Terms) -> bool:
    """Whether *a* restricts everything *b* restricts (the lattice order)."""
    return a.join(b) == a


@settings(max_examples=200)
@given(terms_strategy, terms_strategy)
def test_join_is_commutative(a: Terms, b: Terms) -> None:
    assert a.join(b) == b.join(a)


@settings(max_examples=200)
@given(terms_strategy, terms_strategy, terms_strategy)
def test_join_is_associative(a: Terms, b: Terms, c: Terms) -> None:
    assert a.join(b).join(c) == a.join(b.join(c))


@settings(max_examples=200)
@given(terms_strategy)
def test_join_is_idempotent_and_permissive_is_neutral(a: Terms) -> None:
    assert a.join(a) == a
    assert a.join(PERMISSIVE) == a
    assert combine([a]) == a


@settings(max_examples=200)
@given(st.lists(terms_strategy, max_size=5), terms_strategy)
def test_adding_a_part_never_loosens_the_result(parts: list[Terms], extra: Terms) -> None:
    before = combine(parts)
    after = combine([*parts, extra])
    assert at_least_as_restrictive(after, before)
    # Every dimension that restricted (or was unknown) still does.
    assert {d for d, _ in restrictive(before)} <= {d for d, _ in restrictive(after)}


def test_the_smallest_cap_and_the_union_of_duties_govern() -> None:
    llama = Terms(
        user_cap=700_000_000, user_cap_known=True, use_restrictions=frozenset({"llama-aup"})
    )
    other = Terms(user_cap=100_000_000, user_cap_known=True, attribution=frozenset({"notice"}))
    joined = llama.join(other)
    assert joined.user_cap == 100_000_000
    assert joined.use_restrictions == {"llama-aup"}
    assert joined.attribution == {"notice"}


def test_two_licenses_restrictive_in_different_ways_both_bind() -> None:
    non_commercial = PERMISSIVE.model_copy(update={"commercial_use": Permission.NOT_ALLOWED})
    copyleft = PERMISSIVE.model_copy(update={"share_alike": frozenset({"derivatives"})})
    joined = non_commercial.join(copyleft)
    assert joined.commercial_use is Permission.NOT_ALLOWED
    assert joined.share_alike == {"derivatives"}
