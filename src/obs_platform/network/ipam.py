"""``Ipam``: one VPC IPAM for the organization, its pools per region and environment, RAM shares.

Layout (all in the IPAM's home region; a pool's ``locale`` says where its CIDRs are used)::

    VpcIpam (operating regions)
    └── VpcIpamScope (private)
        └── top-level pool ── provisioned CIDR (``cidr``, e.g. 10.0.0.0/8)
            ├── pool eu-west-1 (locale eu-west-1) ── CIDR carved from the top (10.0.0.0/12)
            │   ├── pool eu-west-1/prod (optional, per environment) ── 10.0.0.0/14
            │   └── ...
            └── pool us-east-1 (locale us-east-1) ── 10.16.0.0/12

VPCs take their CIDR from a leaf pool (the environment pool, else the regional pool) with
``ipv4_ipam_pool_id`` and ``ipv4_netmask_length``; see
:func:`obs_platform.network.vpc.create_private_vpc`. The leaf pools carry the allocation rules
(default, minimum and maximum netmask length), so a VPC asking for a size outside them is
refused by AWS.

Carving is deterministic and stable under append (:mod:`obs_platform._internal.cidr`): the same
args give the same CIDRs, and adding a region at the end of ``regions`` never moves the CIDRs of
the regions already there. Removing or reordering regions does move them; pin CIDRs with
``regional_cidrs`` before doing that.

Destroy: pools, the IPAM and provisioned CIDRs are protected by default (``protect``). A pool
CIDR cannot be deprovisioned while allocations exist, and when a VPC that took its CIDR from a
pool is destroyed, IPAM releases the allocation asynchronously: it can take 20-30 minutes
before the pool is empty and can itself be deleted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar

import pulumi
import pulumi_aws as aws
from pydantic import AfterValidator, Field

from .._component import Component
from .._internal.cidr import (
    MAX_VPC_NETMASK_LENGTH,
    MIN_VPC_NETMASK_LENGTH,
    CidrError,
    carve,
    network,
)
from .._internal.errors import ObsPlatformError
from .._internal.types import ArgsModel, Cidr, Region, Tags
from .sharing import RamPrincipals, share_resources

_SLUG = re.compile(r"[a-z][a-z0-9-]{0,31}")


def _check_slug(value: str) -> str:
    if not _SLUG.fullmatch(value) or value.endswith("-"):
        raise ValueError(
            f"{value!r} is not a valid name; use 1-32 lowercase letters, digits and hyphens, "
            "starting with a letter (it becomes part of resource names), such as 'prod'."
        )
    return value


Slug = Annotated[str, AfterValidator(_check_slug)]
"""A short lowercase name used inside resource names (``prod``, ``workloads``)."""


class IpamTier(StrEnum):
    """The IPAM tier (pricing and features)."""

    ADVANCED = "advanced"
    """Needed to share pools across accounts with RAM and to manage private pools across an
    organization; charged per managed active IP address."""

    FREE = "free"
    """Single-account use only; RAM sharing of pools is not available."""


class IpamSharing(RamPrincipals):
    """A RAM share of some of the IPAM's leaf pools with some principals.

    The shared pools are the environment pools (when ``IpamArgs.environments`` is set) or the
    regional pools, filtered by ``regions`` and ``environments``. Each ``IpamSharing`` is one
    RAM share, named ``{ipam}-share-{name}``, in the IPAM's home region.

    Example:
        Give the production OU the prod pools of every region::

            IpamSharing(name="prod", environments=["prod"],
                        organizational_unit_arns=["arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdefgh12"])
    """

    name: Slug
    """Short name of the share, part of its resource names (``prod``)."""

    regions: list[Region] | None = None
    """Share only the pools of these regions; ``None`` shares every region's."""

    environments: list[Slug] | None = None
    """Share only the pools of these environments; ``None`` shares every environment's. Only
    valid when ``IpamArgs.environments`` is set."""


class IpamArgs(ArgsModel):
    """Arguments of :class:`Ipam`."""

    regions: list[Region] = Field(min_length=1)
    """Operating regions, in a stable order: each region's CIDR is carved by its position, so
    append new regions at the end (or pin CIDRs with ``regional_cidrs``)."""

    home_region: Region | None = None
    """Where the IPAM and all its pools are managed; defaults to the first of ``regions`` and
    must be one of them."""

    cidr: Cidr = "10.0.0.0/8"
    """The top-level private CIDR the IPAM manages; every regional pool is carved from it."""

    regional_netmask_length: int = Field(default=12, ge=8, le=28)
    """Netmask length of each regional pool; ``/12`` in a ``/8`` leaves room for 16 regions."""

    regional_cidrs: dict[Region, Cidr] = Field(default_factory=dict)
    """Explicit CIDRs for some regions (inside ``cidr``), to keep them where they are when the
    order of ``regions`` changes; the other regions are carved around them."""

    environments: list[Slug] = Field(default_factory=list)
    """Optional environments (``["prod", "staging"]``): each regional pool is split into one
    pool per environment, in this stable order. VPCs then take CIDRs from those pools."""

    environment_netmask_length: int | None = Field(default=None, ge=8, le=28)
    """Netmask length of each environment pool; defaults to ``regional_netmask_length + 2``
    (room for four environments per region)."""

    allocation_min_netmask_length: int = Field(
        default=MIN_VPC_NETMASK_LENGTH, ge=MIN_VPC_NETMASK_LENGTH, le=MAX_VPC_NETMASK_LENGTH
    )
    """Largest VPC a leaf pool hands out (smallest netmask length); AWS's limit is /16."""

    allocation_default_netmask_length: int = Field(
        default=20, ge=MIN_VPC_NETMASK_LENGTH, le=MAX_VPC_NETMASK_LENGTH
    )
    """VPC size when a request names none: ``/20`` is 4096 addresses."""

    allocation_max_netmask_length: int = Field(
        default=MAX_VPC_NETMASK_LENGTH, ge=MIN_VPC_NETMASK_LENGTH, le=MAX_VPC_NETMASK_LENGTH
    )
    """Smallest VPC a leaf pool hands out (largest netmask length); AWS's limit is /28."""

    sharing: list[IpamSharing] = Field(default_factory=list)
    """RAM shares of the leaf pools; one RAM share each."""

    tier: IpamTier = IpamTier.ADVANCED
    """The IPAM tier; RAM sharing of pools needs ``advanced``."""

    protect: bool = True
    """Protect the IPAM, its scope, every pool and every provisioned CIDR from deletion. Turn off
    only for throw-away stacks: deleting a pool needs every allocation released first, which
    can take 20-30 minutes after the VPCs are gone."""

    tags: Tags = Field(default_factory=dict)
    """Tags for every resource, under the precedence of :mod:`obs_platform._internal.tags`."""


@dataclass(frozen=True)
class IpamLayout:
    """The carved CIDRs of an :class:`Ipam`, computed from its args alone.

    Attributes:
        home_region: The region where the IPAM and its pools are managed.
        regional: ``{region: cidr}`` in the order of ``regions``.
        environments: ``{region: {environment: cidr}}`` (empty when no environments).
        leaf_netmask_length: Netmask length of the pools VPCs allocate from.
    """

    home_region: str
    regional: dict[str, str]
    environments: dict[str, dict[str, str]]
    leaf_netmask_length: int


def ipam_layout(args: IpamArgs, label: str = "Ipam") -> IpamLayout:
    """Validate the cross-field rules of ``args`` and carve its CIDRs.

    Args:
        args: The validated args.
        label: ``"Ipam '<name>'"``, for messages.

    Raises:
        ObsPlatformError: Naming the field, the value and the fix.
    """
    model = "IpamArgs"
    duplicates = sorted({r for r in args.regions if args.regions.count(r) > 1})
    if duplicates:
        raise ObsPlatformError(
            f"{label}: {model}.regions lists {duplicates} more than once.",
            field=f"{model}.regions",
            value=args.regions,
            fix="List each region once.",
        )
    home = args.home_region or args.regions[0]
    if home not in args.regions:
        raise ObsPlatformError(
            f"{label}: {model}.home_region {home!r} is not one of regions {args.regions}.",
            field=f"{model}.home_region",
            value=home,
            fix="Add it to regions or choose one of them; the IPAM operates in its home region.",
        )
    for region in args.regional_cidrs:
        if region not in args.regions:
            raise ObsPlatformError(
                f"{label}: {model}.regional_cidrs pins a CIDR for {region!r}, which is not in "
                f"regions {args.regions}.",
                field=f"{model}.regional_cidrs[{region}]",
                value=args.regional_cidrs[region],
                fix="Add the region or remove the pin.",
            )
    top = network(args.cidr)
    try:
        regional = carve(
            args.cidr,
            args.regional_netmask_length,
            args.regions,
            pinned=args.regional_cidrs,
            what="region",
        )
    except CidrError as exc:
        pinned = exc.key in args.regional_cidrs
        field = (
            f"{model}.regional_cidrs[{exc.key}]" if pinned else f"{model}.regional_netmask_length"
        )
        raise ObsPlatformError(
            f"{label}: {field} does not fit {model}.cidr {str(top)!r}: {exc}",
            field=field,
            value=exc.value,
            fix="Pin a block inside cidr that no earlier region holds."
            if pinned
            else "Use a larger top-level cidr, a larger regional_netmask_length or fewer regions.",
        ) from None

    environments: dict[str, dict[str, str]] = {}
    env_duplicates = sorted({e for e in args.environments if args.environments.count(e) > 1})
    if env_duplicates:
        raise ObsPlatformError(
            f"{label}: {model}.environments lists {env_duplicates} more than once.",
            field=f"{model}.environments",
            value=args.environments,
            fix="List each environment once.",
        )
    env_length = args.environment_netmask_length or args.regional_netmask_length + 2
    if args.environment_netmask_length is not None and not args.environments:
        raise ObsPlatformError(
            f"{label}: {model}.environment_netmask_length is set but environments is empty.",
            field=f"{model}.environment_netmask_length",
            value=args.environment_netmask_length,
            fix="Set environments, or drop environment_netmask_length.",
        )
    if args.environments:
        for region, cidr in regional.items():
            try:
                environments[region] = carve(
                    cidr, env_length, args.environments, what="environment"
                )
            except CidrError as exc:
                raise ObsPlatformError(
                    f"{label}: {model}.environment_netmask_length /{env_length} does not fit "
                    f"region {region!r}'s pool {cidr!r}: {exc}",
                    field=f"{model}.environment_netmask_length",
                    value=env_length,
                    fix="Use a larger environment_netmask_length, fewer environments, or a "
                    "smaller regional_netmask_length.",
                ) from None
        leaf_length = env_length
    else:
        leaf_length = max(network(c).prefixlen for c in regional.values())

    lo, default, hi = (
        args.allocation_min_netmask_length,
        args.allocation_default_netmask_length,
        args.allocation_max_netmask_length,
    )
    if not lo <= default <= hi:
        raise ObsPlatformError(
            f"{label}: allocation bounds out of order: min /{lo}, default /{default}, max /{hi}; "
            "they must satisfy allocation_min_netmask_length <= "
            "allocation_default_netmask_length <= allocation_max_netmask_length.",
            field=f"{model}.allocation_default_netmask_length",
            value=(lo, default, hi),
            fix="Reorder the three values (a smaller netmask length is a larger VPC).",
        )
    if lo < leaf_length:
        raise ObsPlatformError(
            f"{label}: {model}.allocation_min_netmask_length /{lo} is larger than the pools VPCs "
            f"allocate from (/{leaf_length}); no pool could hand out such a VPC.",
            field=f"{model}.allocation_min_netmask_length",
            value=lo,
            fix=f"Set allocation_min_netmask_length to {leaf_length} or more.",
        )

    names = [s.name for s in args.sharing]
    share_duplicates = sorted({n for n in names if names.count(n) > 1})
    if share_duplicates:
        raise ObsPlatformError(
            f"{label}: {model}.sharing names {share_duplicates} more than once.",
            field=f"{model}.sharing",
            value=names,
            fix="Give each share a distinct name.",
        )
    for i, share in enumerate(args.sharing):
        for region in share.regions or []:
            if region not in args.regions:
                raise ObsPlatformError(
                    f"{label}: {model}.sharing[{i}].regions names {region!r}, which is not in "
                    f"regions {args.regions}.",
                    field=f"{model}.sharing[{i}].regions",
                    value=region,
                    fix="Share only operating regions.",
                )
        if share.environments is not None and not args.environments:
            raise ObsPlatformError(
                f"{label}: {model}.sharing[{i}].environments is set but the IPAM has no "
                "environments.",
                field=f"{model}.sharing[{i}].environments",
                value=share.environments,
                fix="Set IpamArgs.environments or drop the filter.",
            )
        for env in share.environments or []:
            if env not in args.environments:
                raise ObsPlatformError(
                    f"{label}: {model}.sharing[{i}].environments names {env!r}, which is not in "
                    f"environments {args.environments}.",
                    field=f"{model}.sharing[{i}].environments",
                    value=env,
                    fix="Share only configured environments.",
                )
        if (share.regions is not None and not share.regions) or (
            share.environments is not None and not share.environments
        ):
            raise ObsPlatformError(
                f"{label}: {model}.sharing[{i}] filters to no pools (an empty list).",
                field=f"{model}.sharing[{i}]",
                value=share.name,
                fix="Leave regions/environments as None for all, or list at least one.",
            )
        if args.tier is IpamTier.FREE:
            raise ObsPlatformError(
                f"{label}: {model}.sharing needs the advanced tier; tier is 'free'.",
                field=f"{model}.tier",
                value=args.tier.value,
                fix="Set tier='advanced' or remove sharing.",
            )
    return IpamLayout(
        home_region=home,
        regional=regional,
        environments=environments,
        leaf_netmask_length=leaf_length,
    )


class Ipam(Component[IpamArgs]):
    """The organization's VPC IPAM: a top-level pool, regional pools, environment pools, shares.

    Creates, in the home region: the IPAM (operating in every region of ``regions``), a private
    scope, a top-level pool with ``cidr`` provisioned, one pool per region (``locale`` set) with
    a CIDR carved from the top-level one, optional per-environment pools under each regional
    pool, and one RAM share per :class:`IpamSharing`.

    Children (``name`` = the component's name):

    * ``{name}-ipam`` (``aws:ec2/vpcIpam:VpcIpam``), ``{name}-scope`` (private scope)
    * ``{name}-pool`` and ``{name}-pool-cidr``: the top-level pool and its CIDR
    * ``{name}-pool-{region}`` and ``{name}-pool-{region}-cidr``
    * ``{name}-pool-{region}-{environment}`` and ``{name}-pool-{region}-{environment}-cidr``
    * ``{name}-share-{share}``, ``{name}-share-{share}-pool-{region}[-{environment}]`` and
      ``{name}-share-{share}-principal-{label}`` (RAM)

    The IPAM, scope, pools and CIDRs are protected unless ``protect=False``. Destroying a VPC
    that took its CIDR from a pool waits for IPAM to release the allocation, which can take
    20-30 minutes; a pool cannot be deleted (nor its CIDR deprovisioned) before that.

    Example:
        ::

            ipam = Ipam("core", IpamArgs(regions=["eu-west-1", "us-east-1"], cidr="10.0.0.0/8"))
            ipam.pool_cidr("us-east-1")   # '10.16.0.0/12', known at synthesis
    """

    TYPE_TOKEN: ClassVar[str] = "obs-platform:network:Ipam"
    ARGS_TYPE: ClassVar[type[ArgsModel]] = IpamArgs

    ipam_id: pulumi.Output[str]
    """The VPC IPAM's ID (``ipam-...``)."""

    scope_id: pulumi.Output[str]
    """The private scope's ID."""

    top_pool_id: pulumi.Output[str]
    """The top-level pool's ID."""

    regional_pool_ids: pulumi.Output[dict[str, str]]
    """``{region: pool ID}`` of the regional pools."""

    regional_pool_cidrs: dict[str, str]
    """``{region: CIDR}`` of the regional pools; plain values, known at synthesis."""

    environment_pool_ids: pulumi.Output[dict[str, dict[str, str]]]
    """``{region: {environment: pool ID}}``; empty without environments."""

    environment_pool_cidrs: dict[str, dict[str, str]]
    """``{region: {environment: CIDR}}``; plain values, empty without environments."""

    share_arns: pulumi.Output[dict[str, str]]
    """``{share name: RAM resource share ARN}``."""

    def __init__(
        self,
        name: str,
        args: IpamArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Create the IPAM.

        Args:
            name: The component's name; children are named ``{name}-{role}``.
            args: An :class:`IpamArgs` or a dict of its fields.
            opts: Options; ``providers`` choose the account (the IPAM's delegated admin).

        Raises:
            ObsPlatformError: For invalid args, before any resource is created.
        """
        self._pools: dict[tuple[str, str | None], aws.ec2.VpcIpamPool] = {}
        self._ready_ids: dict[tuple[str, str | None], pulumi.Output[str]] = {}
        self._layout: IpamLayout | None = None
        super().__init__(name, args, opts)

    def _check(self, args: IpamArgs, label: str) -> None:
        self._layout = ipam_layout(args, label)

    def _build(self, args: IpamArgs) -> dict[str, Any]:
        layout = self._layout or ipam_layout(args)
        home = layout.home_region
        protect = args.protect
        ipam = aws.ec2.VpcIpam(
            self.child_name("ipam"),
            description=f"obs-platform IPAM {self._name}",
            operating_regions=[
                aws.ec2.VpcIpamOperatingRegionArgs(region_name=r) for r in args.regions
            ],
            tier=args.tier.value,
            region=home,
            tags=self.tags({"Name": self.child_name("ipam")}),
            opts=self.child_opts(protect=protect),
        )
        scope = aws.ec2.VpcIpamScope(
            self.child_name("scope"),
            ipam_id=ipam.id,
            description=f"obs-platform private scope {self._name}",
            region=home,
            tags=self.tags({"Name": self.child_name("scope")}),
            opts=self.child_opts(protect=protect),
        )
        top_pool, top_cidr = self._pool(
            "pool", scope, args.cidr, region=home, key=None, source=None, after=None, leaf=False
        )
        env_ids: dict[str, pulumi.Output[dict[str, str]]] = {}
        for region, cidr in layout.regional.items():
            leaf = not args.environments
            pool, pool_cidr = self._pool(
                f"pool-{region}",
                scope,
                cidr,
                region=home,
                key=(region, None),
                source=top_pool,
                after=top_cidr,
                leaf=leaf,
            )
            self._pools[(region, None)] = pool
            for env, env_cidr in layout.environments.get(region, {}).items():
                env_pool, _ = self._pool(
                    f"pool-{region}-{env}",
                    scope,
                    env_cidr,
                    region=home,
                    key=(region, env),
                    source=pool,
                    after=pool_cidr,
                    leaf=True,
                )
                self._pools[(region, env)] = env_pool
            if args.environments:
                env_ids[region] = pulumi.Output.all(
                    **{env: self._ready_ids[(region, env)] for env in args.environments}
                )

        shares: dict[str, pulumi.Output[str]] = {}
        for sharing in args.sharing:
            share_name = self.child_name(f"share-{sharing.name}")
            pools: list[tuple[str, pulumi.Input[str]]] = []
            for region in args.regions:
                if sharing.regions is not None and region not in sharing.regions:
                    continue
                if not args.environments:
                    pools.append((f"pool-{region}", self._pools[(region, None)].arn))
                    continue
                for env in args.environments:
                    if sharing.environments is None or env in sharing.environments:
                        pools.append((f"pool-{region}-{env}", self._pools[(region, env)].arn))
            share = share_resources(
                share_name,
                region=home,
                principals=sharing,
                resources=pools,
                tags=self.tags({"Name": share_name}),
                child_opts=self.child_opts,
            )
            shares[sharing.name] = share.arn

        return {
            "ipam_id": ipam.id,
            "scope_id": scope.id,
            "top_pool_id": top_pool.id,
            "regional_pool_ids": pulumi.Output.all(
                **{r: self._ready_ids[(r, None)] for r in args.regions}
            ),
            "regional_pool_cidrs": dict(layout.regional),
            "environment_pool_ids": pulumi.Output.all(**env_ids)
            if env_ids
            else pulumi.Output.from_input({}),
            "environment_pool_cidrs": {r: dict(e) for r, e in layout.environments.items()},
            "share_arns": pulumi.Output.all(**shares) if shares else pulumi.Output.from_input({}),
        }

    def _pool(
        self,
        role: str,
        scope: aws.ec2.VpcIpamScope,
        cidr: str,
        *,
        region: str,
        key: tuple[str, str | None] | None,
        source: aws.ec2.VpcIpamPool | None,
        after: aws.ec2.VpcIpamPoolCidr | None,
        leaf: bool,
    ) -> tuple[aws.ec2.VpcIpamPool, aws.ec2.VpcIpamPoolCidr]:
        args = self.args
        rules: dict[str, Any] = {}
        if leaf:
            rules = {
                "allocation_default_netmask_length": args.allocation_default_netmask_length,
                "allocation_min_netmask_length": args.allocation_min_netmask_length,
                "allocation_max_netmask_length": args.allocation_max_netmask_length,
            }
        locale = key[0] if key is not None else None
        where = "-".join(k for k in key if k) if key is not None else "top-level"
        pool = aws.ec2.VpcIpamPool(
            self.child_name(role),
            address_family="ipv4",
            ipam_scope_id=scope.id,
            source_ipam_pool_id=source.id if source is not None else None,
            locale=locale,
            auto_import=False,
            description=f"obs-platform {self._name} {where} pool {cidr}",
            region=region,
            tags=self.tags({"Name": self.child_name(role)}),
            opts=self.child_opts(protect=args.protect),
            **rules,
        )
        # A child pool's CIDR can be provisioned only once its parent's CIDR is.
        pool_cidr = aws.ec2.VpcIpamPoolCidr(
            self.child_name(f"{role}-cidr"),
            ipam_pool_id=pool.id,
            cidr=cidr,
            region=region,
            opts=self.child_opts(
                protect=args.protect, depends_on=[after] if after is not None else None
            ),
        )
        if key is not None:
            # The ID handed to VPCs resolves only once the pool's CIDR is provisioned: a VPC
            # allocating from a pool that has no CIDR yet fails.
            self._ready_ids[key] = pulumi.Output.all(pool.id, pool_cidr.id).apply(
                lambda ids: str(ids[0])
            )
        return pool, pool_cidr

    def _key(self, region: str, environment: str | None) -> tuple[str, str | None]:
        regions = list(self.args.regions)
        if region not in regions:
            raise ObsPlatformError(
                f"Ipam {self._name!r} has no pool for region {region!r}; its regions are "
                f"{regions}.",
                field="region",
                value=region,
                fix="Use one of the IPAM's regions, or add the region to IpamArgs.regions.",
            )
        if environment is not None and environment not in self.args.environments:
            raise ObsPlatformError(
                f"Ipam {self._name!r} has no pool for environment {environment!r}; its "
                f"environments are {list(self.args.environments)}.",
                field="environment",
                value=environment,
                fix="Use one of IpamArgs.environments, or pass environment=None for the "
                "regional pool.",
            )
        return region, environment

    def pool_id(self, region: str, environment: str | None = None) -> pulumi.Output[str]:
        """Return the ID of the pool VPCs in ``region`` (and ``environment``) allocate from.

        The Output also depends on the pool's provisioned CIDR, so a VPC given it waits until
        the pool can hand out addresses.

        Args:
            region: An operating region of the IPAM.
            environment: One of ``IpamArgs.environments``; ``None`` for the regional pool.

        Raises:
            ObsPlatformError: For a region or environment the IPAM does not have.
        """
        return self._ready_ids[self._key(region, environment)]

    def pool_cidr(self, region: str, environment: str | None = None) -> str:
        """Return the CIDR of a pool; a plain value, known at synthesis (carving is pure).

        Args:
            region: An operating region of the IPAM.
            environment: One of ``IpamArgs.environments``; ``None`` for the regional pool.

        Raises:
            ObsPlatformError: For a region or environment the IPAM does not have.
        """
        region, environment = self._key(region, environment)
        if environment is None:
            return self.regional_pool_cidrs[region]
        return self.environment_pool_cidrs[region][environment]
