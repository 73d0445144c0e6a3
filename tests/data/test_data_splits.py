"""Track-level splits: stable, disjoint, close to the asked fractions; example allocation adds up."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aeib.data.splits import SPLITS, allocate_examples, group_by_split, hash_unit, parse_fractions, split_of
from aeib.errors import ParameterError


def test_split_depends_only_on_the_id():
    ids = [f"artist/album/track{i}" for i in range(200)]
    first = [split_of(i) for i in ids]
    assert first == [split_of(i) for i in reversed(ids)][::-1]
    assert first == [split_of(i) for i in ids]


def test_fractions_are_respected_on_many_tracks():
    ids = [f"t{i}" for i in range(20_000)]
    groups = group_by_split(ids, lambda x: x, (0.8, 0.1, 0.1))
    assert sum(len(v) for v in groups.values()) == len(ids)
    assert set(groups["train"]).isdisjoint(groups["valid"]) and set(groups["valid"]).isdisjoint(groups["test"])
    for name, fraction in zip(SPLITS, (0.8, 0.1, 0.1)):
        assert abs(len(groups[name]) / len(ids) - fraction) < 0.01


def test_hash_unit_is_in_unit_interval():
    values = [hash_unit(f"x{i}") for i in range(1000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert len(set(values)) == 1000


@pytest.mark.parametrize("text", ["0.8,0.1", "a,b,c", "-0.1,0.5,0.6", "0,0.5,0.5"])
def test_bad_fractions_are_rejected(text):
    with pytest.raises(ParameterError):
        parse_fractions(text)


def test_fractions_are_normalized():
    assert parse_fractions("8,1,1") == pytest.approx((0.8, 0.1, 0.1))


@given(st.integers(0, 10_000), st.booleans(), st.booleans())
def test_allocation_adds_up_and_skips_empty_splits(n, has_valid, has_test):
    counts = allocate_examples(n, (0.8, 0.1, 0.1), {"train": True, "valid": has_valid, "test": has_test})
    assert sum(counts.values()) == n
    assert (counts["valid"] == 0) if not has_valid else True
    assert (counts["test"] == 0) if not has_test else True
    if has_valid and has_test:
        assert abs(counts["train"] - 0.8 * n) <= 1
