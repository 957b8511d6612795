"""Shared argument types: regions, account IDs, CIDRs, tags, Input[T]."""

from __future__ import annotations

import ipaddress
import string

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform import ArgsError, ArgsProblem
from obs_platform._internal.regions import COMMERCIAL_REGIONS, check_region, suggest_region
from obs_platform._internal.tags import (
    COMPONENT_KEY,
    MANAGED_BY_KEY,
    check_tags,
    merge_tags,
)
from obs_platform._internal.types import AccountId, ArgsModel, Cidr, Input, Region, Tags


class Sample(ArgsModel):
    region: Region = "eu-west-1"
    """A region."""
    account: AccountId = "012345678901"
    """An account."""
    cidr: Cidr = "10.0.0.0/16"
    """A CIDR."""
    tags: Tags = {}  # noqa: RUF012 - pydantic copies defaults
    """Tags."""
    vpc_id: Input[str] = "vpc-1"
    """Wiring."""


@given(st.sampled_from(sorted(COMMERCIAL_REGIONS)))
def test_every_commercial_region_is_accepted(region: str) -> None:
    assert check_region(region) == region
    assert Sample(region=region).region == region


@given(st.sampled_from(sorted(COMMERCIAL_REGIONS)), st.integers(min_value=0, max_value=8))
def test_a_one_letter_typo_suggests_the_region(region: str, position: int) -> None:
    index = position % len(region)
    typo = region[:index] + region[index + 1 :]  # one character dropped
    if typo in COMMERCIAL_REGIONS:
        return
    with pytest.raises(ValueError, match="Did you mean") as caught:
        check_region(typo)
    suggestion = suggest_region(typo)
    assert suggestion is not None and suggestion in str(caught.value)


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("eu-west-l", "eu-west-1"),  # a letter for the digit: same geography, same number
        ("us-est-1", "us-east-1"),  # closest direction in the same geography
        ("us-east-9", "us-east-2"),  # closest number
        ("eu-west-4", "eu-west-3"),
        ("ap-southeast-9", "ap-southeast-7"),
        ("eu-centrl-1", "eu-central-1"),
        ("eu-west-1a", "eu-west-1"),  # an availability zone
        ("EU_WEST_1", "eu-west-1"),
        ("euwest1", "eu-west-1"),
        ("me-central-l", "me-central-1"),
        ("sa-east-2", "sa-east-1"),
    ],
)
def test_the_suggestion_prefers_geography_then_direction_then_number(
    typo: str, suggestion: str
) -> None:
    assert suggest_region(typo) == suggestion
    with pytest.raises(ValueError, match=f"Did you mean '{suggestion}'"):
        check_region(typo)


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-gov-west-1", "GovCloud"), ("cn-north-1", "China"), ("us-isob-east-1", "ISO")],
)
def test_other_partitions_are_named_not_corrected(region: str, partition: str) -> None:
    assert suggest_region(region) is None
    with pytest.raises(ValueError, match=f"in the AWS {partition}") as caught:
        check_region(region)
    assert "Did you mean" not in str(caught.value)


def test_nothing_close_suggests_nothing() -> None:
    assert suggest_region("mars-1") is None
    assert suggest_region("") is None


@pytest.mark.parametrize("bad", ["eu-west-9", "us-gov-west-1", "cn-north-1", "EU-WEST-1", ""])
def test_non_commercial_regions_are_refused(bad: str) -> None:
    with pytest.raises(ArgsError, match="is not a commercial AWS region") as caught:
        Sample(region=bad)
    assert caught.value.field == "Sample.region"
    assert caught.value.value == bad
    assert f"Sample.region (got {bad!r}): " in str(caught.value)


@given(st.text(alphabet=string.digits, min_size=12, max_size=12))
def test_twelve_digit_account_ids(account: str) -> None:
    assert Sample(account=account).account == account


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "12345678901a", " 123456789012"])
def test_malformed_account_ids(bad: str) -> None:
    with pytest.raises(ArgsError, match="exactly 12 digits"):
        Sample(account=bad)


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_cidr_accepts_exactly_network_addresses(
    address: ipaddress.IPv4Address, prefix: int
) -> None:
    network = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
    assert Sample(cidr=str(network)).cidr == str(network)
    if network.network_address != address:
        with pytest.raises(ArgsError, match="has host bits set") as caught:
            Sample(cidr=f"{address}/{prefix}")
        assert f"'{network}'" in str(caught.value)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("10.0.0.0", "has no prefix length"),
        ("10.0.0.0/33", "is not an IPv4 CIDR"),
        ("fd00::/8", "is not an IPv4 CIDR"),
        ("ten/8", "is not an IPv4 CIDR"),
    ],
)
def test_malformed_cidrs(bad: str, message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        Sample(cidr=bad)


def test_tag_limits() -> None:
    assert check_tags({"k" * 128: "v" * 256}) == {"k" * 128: "v" * 256}
    with pytest.raises(ValueError, match="at most 50"):
        check_tags({f"k{i}": "v" for i in range(51)})
    with pytest.raises(ValueError, match="129 characters; AWS allows 1 to 128"):
        check_tags({"k" * 129: "v"})
    with pytest.raises(ValueError, match="value of 257 characters"):
        check_tags({"k": "v" * 257})
    with pytest.raises(ValueError, match="reserved 'aws:' prefix"):
        check_tags({"AWS:owner": "me"})
    with pytest.raises(ArgsError, match="reserved 'aws:' prefix"):
        Sample(tags={"aws:cloudformation:stack": "x"})


@given(
    st.dictionaries(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=10),
        st.text(alphabet=string.ascii_letters, max_size=10),
        max_size=10,
    ),
    st.dictionaries(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=10),
        st.text(alphabet=string.ascii_letters, max_size=10),
        max_size=10,
    ),
)
def test_tag_precedence(user: dict[str, str], resource: dict[str, str]) -> None:
    merged = merge_tags("obs-platform:network:Ipam", user, resource)
    for key, value in resource.items():
        assert merged[key] == value  # resource tags win
    for key, value in user.items():
        if key not in resource:
            assert merged[key] == value  # then the caller's
    assert merged[COMPONENT_KEY] == "obs-platform:network:Ipam"
    assert merged[MANAGED_BY_KEY] == "obs-platform"


def test_user_tags_may_override_library_defaults() -> None:
    merged = merge_tags("t:m:C", {MANAGED_BY_KEY: "platform-team"}, {"Name": "x"})
    assert merged == {MANAGED_BY_KEY: "platform-team", COMPONENT_KEY: "t:m:C", "Name": "x"}


def test_input_takes_an_output_as_it_is() -> None:
    output = pulumi.Output.from_input("vpc-123")
    assert Sample(vpc_id=output).vpc_id is output
    with pytest.raises(
        ArgsError, match=r"Sample\.vpc_id \(got 42\): .*Fix: pass a value of the type"
    ):
        Sample(vpc_id=42)  # type: ignore[arg-type]


def test_args_are_frozen_and_refuse_unknown_fields() -> None:
    sample = Sample()
    with pytest.raises(ArgsError, match=r"Sample\.region .*frozen.*Fix: build a new Sample"):
        sample.region = "us-east-1"  # type: ignore[misc]
    with pytest.raises(ArgsError) as caught:
        Sample(regoin="eu-west-1")  # type: ignore[call-arg]
    assert str(caught.value) == (
        "Sample: invalid arguments:\n  Sample.regoin (got 'eu-west-1'): unknown field; Sample has "
        "no such argument. Fix: did you mean 'region'?"
    )
    assert caught.value.problems == (
        ArgsProblem(
            field="Sample.regoin",
            value="eu-west-1",
            message="unknown field; Sample has no such argument. Fix: did you mean 'region'?",
        ),
    )
    assert isinstance(caught.value, ValueError)
    assert "pydantic" not in str(caught.value) and "errors.pydantic.dev" not in str(caught.value)


def test_camel_case_names_get_their_snake_case_spelling() -> None:
    with pytest.raises(
        ArgsError, match="did you mean 'vpc_id'\\? Python argument names are snake_case"
    ):
        Sample(vpcId="vpc-1")  # type: ignore[call-arg]
    with pytest.raises(ArgsError, match="did you mean 'cidr'"):
        Sample.model_validate({"cdir": "10.0.0.0/16"})
    host_bits = r"Sample\.cidr \(got '10\.0\.0\.1/16'\): .*has host bits set"
    with pytest.raises(ArgsError, match=host_bits):
        Sample.model_validate_json('{"cidr": "10.0.0.1/16"}')


def test_secret_fields_are_masked_in_the_error() -> None:
    class WithSecret(ArgsModel):
        webhook_url: str = "https://example.com"
        """A credential."""
        size: int = 1
        """A number."""

    with pytest.raises(ArgsError) as caught:
        WithSecret(webhook_url=["https://hooks.example.com/T0/SECRETVALUE"], size="many")  # type: ignore[arg-type]
    text = str(caught.value)
    assert "SECRETVALUE" not in text and "[masked list]" in text
    assert caught.value.problems[0].value == "[masked list]"
    assert "WithSecret.size (got 'many'): " in text
