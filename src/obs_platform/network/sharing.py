"""Who a network resource is shared with through AWS RAM, and the share itself.

:class:`RamPrincipals` names the principals: the organization, organizational units, member
accounts, and accounts outside the organization. Only the last kind needs the share to allow
external principals, and such an account must accept the share in RAM; organization principals
need no acceptance when RAM sharing with AWS Organizations is enabled. So
``allow_external_principals`` is derived, never set by hand: it is true only when
``external_account_ids`` is not empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Self

import pulumi
import pulumi_aws as aws
from pydantic import AfterValidator, Field, model_validator

from .._internal.types import AccountId, ArgsModel

_ORG_ARN = re.compile(r"arn:aws:organizations::\d{12}:organization/o-[a-z0-9]{10,32}")
_OU_ARN = re.compile(
    r"arn:aws:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}"
)


def _check_org_arn(value: str) -> str:
    if not _ORG_ARN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an AWS Organizations organization ARN; it looks like "
            "'arn:aws:organizations::111111111111:organization/o-exampleorgid' (the management "
            "account ID and the organization ID 'o-' plus 10-32 characters). Copy it from "
            "`aws organizations describe-organization`."
        )
    return value


def _check_ou_arn(value: str) -> str:
    if not _OU_ARN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an organizational unit ARN; it looks like "
            "'arn:aws:organizations::111111111111:ou/o-exampleorgid/ou-ab12-cdef3456'. Copy it "
            "from `aws organizations list-organizational-units-for-parent`."
        )
    return value


OrganizationArn = Annotated[str, AfterValidator(_check_org_arn)]
"""An AWS Organizations organization ARN."""

OrganizationalUnitArn = Annotated[str, AfterValidator(_check_ou_arn)]
"""An AWS Organizations organizational unit ARN."""


class RamPrincipals(ArgsModel):
    """The principals a RAM share grants access to.

    At least one principal is required. Accounts inside the organization go in
    ``account_ids``; accounts outside it go in ``external_account_ids``, which turns on the
    share's ``allow_external_principals`` (those accounts must accept the share).

    Example:
        ``RamPrincipals(organizational_unit_arns=["arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh12"])``
    """

    organization_arn: OrganizationArn | None = None
    """The whole organization (every account in it), or ``None``."""

    organizational_unit_arns: list[OrganizationalUnitArn] = Field(default_factory=list)
    """Organizational units whose accounts get access."""

    account_ids: list[AccountId] = Field(default_factory=list)
    """Accounts inside the organization."""

    external_account_ids: list[AccountId] = Field(default_factory=list)
    """Accounts outside the organization. Naming one makes the share allow external principals;
    each such account must accept the share in RAM before it can use the resource."""

    @model_validator(mode="after")
    def _principals(self) -> Self:
        if not (
            self.organization_arn
            or self.organizational_unit_arns
            or self.account_ids
            or self.external_account_ids
        ):
            raise ValueError(
                "no principals given; a share needs at least one: set organization_arn, "
                "organizational_unit_arns, account_ids or external_account_ids (or pass no "
                "sharing at all)"
            )
        for field in ("organizational_unit_arns", "account_ids", "external_account_ids"):
            values: list[str] = getattr(self, field)
            duplicates = sorted({v for v in values if values.count(v) > 1})
            if duplicates:
                raise ValueError(f"{field} lists {duplicates} more than once; list each once")
        both = sorted(set(self.account_ids) & set(self.external_account_ids))
        if both:
            raise ValueError(
                f"accounts {both} are in both account_ids and external_account_ids; an account "
                "is either inside the organization (account_ids) or outside it "
                "(external_account_ids)"
            )
        return self

    @property
    def allow_external_principals(self) -> bool:
        """True only when an account outside the organization is named."""
        return bool(self.external_account_ids)

    def principals(self) -> list[tuple[str, str]]:
        """Return ``(label, principal)`` pairs; the label is stable and safe in a resource name.

        Labels: ``organization``, the OU ID (``ou-ab12-cdefgh12``) and the account ID.
        """
        pairs: list[tuple[str, str]] = []
        if self.organization_arn:
            pairs.append(("organization", self.organization_arn))
        pairs.extend((arn.rsplit("/", 1)[1], arn) for arn in self.organizational_unit_arns)
        pairs.extend((acct, acct) for acct in (*self.account_ids, *self.external_account_ids))
        return pairs


def share_resources(
    name: str,
    *,
    region: str,
    principals: RamPrincipals,
    resources: Sequence[tuple[str, pulumi.Input[str]]],
    tags: dict[str, str],
    child_opts: Callable[..., pulumi.ResourceOptions],
) -> aws.ram.ResourceShare:
    """Create a RAM share in one region with its resource and principal associations.

    Children are named ``{name}``, ``{name}-{resource label}`` and
    ``{name}-principal-{principal label}``, in ``region``, with the owner's ``child_opts``.

    Args:
        name: The share's logical name.
        region: The region of the share (RAM shares are regional).
        principals: Who gets access.
        resources: ``(label, arn)`` of each resource to share.
        tags: Tags for the share.
        child_opts: The owner's ``child_opts`` function.

    Returns:
        The resource share.
    """
    share = aws.ram.ResourceShare(
        name,
        name=name,
        allow_external_principals=principals.allow_external_principals,
        region=region,
        tags=tags,
        opts=child_opts(),
    )
    for label, arn in resources:
        aws.ram.ResourceAssociation(
            f"{name}-{label}",
            resource_arn=arn,
            resource_share_arn=share.arn,
            region=region,
            opts=child_opts(),
        )
    for label, principal in principals.principals():
        aws.ram.PrincipalAssociation(
            f"{name}-principal-{label}",
            principal=principal,
            resource_share_arn=share.arn,
            region=region,
            opts=child_opts(),
        )
    return share
