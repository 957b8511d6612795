"""Pure CIDR carving: containment, no overlaps, stability under append, exhaustion, determinism."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obs_platform._internal.cidr import CidrError, capacity, carve, check_disjoint, network, subnets

# A parent of /8-/20 and a block 0-6 bits longer: at most 64 slots, so examples stay fast.
parents = st.builds(
    lambda addr, prefix: str(ipaddress.IPv4Network((addr, prefix), strict=False)),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=8, max_value=20),
)
extra_bits = st.integers(min_value=0, max_value=6)
keys = st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=12)


def _nets(result: dict[str, str]) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(c) for c in result.values()]


@settings(max_examples=150, deadline=None)
@given(parent=parents, bits=extra_bits, names=keys)
def test_carve_contained_disjoint_sized_or_exhausted(
    parent: str, bits: int, names: list[str]
) -> None:
    prefix = network(parent).prefixlen + bits
    slots = 2**bits
    if len(names) > slots:
        with pytest.raises(CidrError, match="exhausted") as info:
            carve(parent, prefix, names)
        assert f"= {slots} blocks of /{prefix}" in str(info.value)
        assert info.value.key == names[slots]
        return
    result = carve(parent, prefix, names)
    assert list(result) == names
    nets = _nets(result)
    for net in nets:
        assert net.subnet_of(network(parent))
        assert net.prefixlen == prefix
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b)
    # Without pins, the blocks are the lowest ones, in key order.
    expected = list(network(parent).subnets(new_prefix=prefix))[: len(names)]
    assert nets == expected


@settings(max_examples=150, deadline=None)
@given(parent=parents, bits=extra_bits, names=keys, more=keys)
def test_carve_is_stable_under_append(
    parent: str, bits: int, names: list[str], more: list[str]
) -> None:
    prefix = network(parent).prefixlen + bits
    appended = names + [k for k in more if k not in names]
    if len(appended) > 2**bits:
        return
    before = carve(parent, prefix, names)
    after = carve(parent, prefix, appended)
    assert {k: after[k] for k in names} == before
    assert carve(parent, prefix, appended) == after  # deterministic


@settings(max_examples=100, deadline=None)
@given(bits=st.integers(min_value=1, max_value=5), names=keys)
def test_pins_are_kept_and_others_carved_around_them(bits: int, names: list[str]) -> None:
    parent = "10.0.0.0/8"
    prefix = 8 + bits
    if not names:
        return
    # Pin the first key to the last slot: the carving must skip it for every later key.
    # (A pin for a later key may collide with an earlier key's block: refused, tested below.)
    pinned_key = names[0]
    last = list(network(parent).subnets(new_prefix=prefix))[-1]
    pins = {pinned_key: str(last)}
    if len(names) > 2**bits:
        with pytest.raises(CidrError, match="exhausted"):
            carve(parent, prefix, names, pinned=pins)
        return
    result = carve(parent, prefix, names, pinned=pins)
    assert result[pinned_key] == str(last)
    check_disjoint(result)


def test_known_layout_of_regions() -> None:
    assert carve("10.0.0.0/8", 12, ["eu-west-1", "us-east-1", "ap-south-1"]) == {
        "eu-west-1": "10.0.0.0/12",
        "us-east-1": "10.16.0.0/12",
        "ap-south-1": "10.32.0.0/12",
    }


def test_pin_overlapping_an_earlier_block_is_refused() -> None:
    with pytest.raises(CidrError) as info:
        carve("10.0.0.0/8", 12, ["a", "b"], pinned={"b": "10.0.0.0/12"})
    message = str(info.value)
    assert "'10.0.0.0/12' pinned for block 'b' overlaps '10.0.0.0/12' of block 'a'" in message
    assert info.value.key == "b"


def test_pin_is_skipped_by_later_keys() -> None:
    result = carve("10.0.0.0/8", 12, ["a", "b", "c"], pinned={"a": "10.16.0.0/12"})
    assert result == {"a": "10.16.0.0/12", "b": "10.0.0.0/12", "c": "10.32.0.0/12"}


def test_large_pin_is_skipped_in_one_step() -> None:
    result = carve("10.0.0.0/8", 28, ["big", "x"], pinned={"big": "10.0.0.0/9"})
    assert result["x"] == "10.128.0.0/28"


@pytest.mark.parametrize(
    ("parent", "prefix", "names", "pins", "match"),
    [
        ("10.0.0.0/8", 7, ["a"], None, "does not fit in 10.0.0.0/8"),
        ("10.0.0.0/8", 33, ["a"], None, "between 8 and 32"),
        ("10.0.0.0/8", 12, ["a", "a"], None, "'a' is listed twice"),
        ("10.0.0.0/8", 12, ["a"], {"z": "10.0.0.0/12"}, "not in the list"),
        ("10.0.0.0/8", 12, ["a"], {"a": "11.0.0.0/12"}, "is not inside 10.0.0.0/8"),
        ("10.1.0.0/8", 12, ["a"], None, "mis-aligned.*'10.0.0.0/8'"),
        ("10.0.0.0/8", 12, ["a"], {"a": "10.1.0.0/12"}, "mis-aligned"),
        ("banana", 12, ["a"], None, "not an IPv4 CIDR"),
        ("10.0.0.0/8", 9, ["a", "b", "c"], None, r"2\*\*\(9-8\) = 2 blocks of /9, and 3"),
    ],
)
def test_carve_refusals(
    parent: str, prefix: int, names: list[str], pins: dict[str, str] | None, match: str
) -> None:
    with pytest.raises(CidrError, match=match):
        carve(parent, prefix, names, pinned=pins)


def test_subnets_and_capacity() -> None:
    assert subnets("10.16.0.0/20", 22, 3) == ["10.16.0.0/22", "10.16.4.0/22", "10.16.8.0/22"]
    assert capacity("10.16.0.0/20", 22) == 4
    with pytest.raises(CidrError, match="2 blocks of /21, and 3 subnets"):
        subnets("10.16.0.0/20", 21, 3)


def test_check_disjoint_names_both() -> None:
    check_disjoint({"a": "10.0.0.0/12", "b": "10.16.0.0/12"})
    with pytest.raises(CidrError, match=r"region 'a' \(10.0.0.0/12\) overlaps region 'b'"):
        check_disjoint({"a": "10.0.0.0/12", "b": "10.8.0.0/13"}, what="region")
