"""Shared, validated argument types for every component's args model.

``Input[T]`` follows DESIGN.md section 5: ``Union[InstanceOf[pulumi.Output], T]`` with the
Output first, so that pydantic keeps an ``Output`` as it is and validates a plain value. Values
that decide which and how many resources exist are plain types (``Region``, ``Cidr``...);
wiring (IDs, ARNs) is ``Input[str]``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, TypeVar, Union

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, InstanceOf

from .regions import check_region
from .tags import check_tags

T = TypeVar("T")

Input = Union[InstanceOf[pulumi.Output[Any]], T]  # noqa: UP007 - pydantic needs the Union form
"""A value known now (``T``) or an ``Output`` known after deploy; the Output is tried first."""


def _check_account_id(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise ValueError(
            f"{value!r} is not an AWS account ID; an account ID is exactly 12 digits, "
            "written as a string to keep leading zeros (for example '012345678901')."
        )
    return value


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an IPv4 CIDR; write it as address/prefix, such as '10.0.0.0/16'."
        ) from None
    if "/" not in value:
        raise ValueError(
            f"{value!r} has no prefix length; write it as '{network.network_address}/"
            f"{network.prefixlen}' or choose the prefix you mean."
        )
    if str(network) != value:
        raise ValueError(
            f"{value!r} has host bits set; the network address for that prefix is "
            f"{str(network)!r}. Use the network address."
        )
    return value


def _check_tag_map(value: dict[str, str]) -> dict[str, str]:
    return check_tags(value)


Region = Annotated[str, AfterValidator(check_region)]
"""A commercial AWS region code; a typo is refused with a "did you mean" suggestion."""

AccountId = Annotated[str, AfterValidator(_check_account_id)]
"""A 12-digit AWS account ID, as a string."""

Cidr = Annotated[str, AfterValidator(_check_cidr)]
"""An IPv4 network in CIDR notation, with no host bits set (``10.0.0.0/16``)."""

Tags = Annotated[dict[str, str], AfterValidator(_check_tag_map)]
"""Resource tags within AWS's limits: at most 50, keys up to 128 and values up to 256 characters,
no ``aws:`` prefix."""


class ArgsModel(BaseModel):
    """Base of every component's args: frozen, unknown fields refused, Outputs allowed."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        arbitrary_types_allowed=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )
