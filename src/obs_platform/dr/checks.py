"""What :class:`~obs_platform.dr.pilot_light.PilotLightDr` refuses before it creates anything.

Each refusal is a configuration AWS would reject at ``pulumi up`` (or accept and then fail at
failover), caught at synthesis with the field, the value and the fix:

* an Aurora global database across accounts: AWS keeps every member of a global database in
  one account (Aurora user guide, global databases); the standby member goes into the primary
  account instead
  (``AuroraGlobalArgs.standby_in_primary_account``), on subnets the standby shares through RAM;
* an MSK Replicator across accounts: "both the source and target clusters must be in the same
  AWS account" (Amazon MSK developer guide, *What is Amazon MSK Replicator?*);
* sites that disagree with the DR: cells built with ``rds_global=True`` and no ``database``
  (their member would never exist), or the reverse; a standby labelled ``dr_role=primary``;
* a ``db.serverless`` member class: the pair's clusters carry no Serverless v2 capacity range,
  which Aurora requires before such an instance is added;
* a second ``PilotLightDr`` on a primary that already has one: it would create a second primary
  Aurora cluster and a second PRIMARY failover record with the same set identifier.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import pulumi

from .._internal.errors import ObsPlatformError
from .args import KafkaEngine

if TYPE_CHECKING:
    from .args import PilotLightDrArgs
    from .site import DrSite

_PRIMARIES: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], str]] = weakref.WeakKeyDictionary()
"""The primaries joined so far, per deployment (keyed by the engine's monitor, so that each
program run, including each run of the offline engine, starts empty)."""


def other_account(primary: DrSite, standby: DrSite) -> bool:
    """Return whether the standby lives in another account than the primary.

    Plain account IDs decide when both are given; otherwise a site with its own ``provider``
    (not the primary's) is taken to be in another account, which is what a per-account provider
    is for (pulumi-aws v7 gives each resource a ``region``, so a provider per region is not
    needed).
    """
    if primary.account_id is not None and standby.account_id is not None:
        return primary.account_id != standby.account_id
    return standby.provider is not None and standby.provider is not primary.provider


def _check_instance_classes(args: PilotLightDrArgs, label: str) -> None:
    """Refuse a Serverless v2 class: the pair's database gives no capacity range.

    "An Aurora cluster must have a ServerlessV2ScalingConfiguration attribute before you can
    add any DB instances that use the db.serverless DB instance class" (Aurora user guide,
    *Requirements and limitations for Aurora Serverless v2*); ``AuroraGlobalArgs`` sets none on
    the pair's members, so AWS would refuse the instance at ``pulumi up``.
    """
    db = args.database
    assert db is not None
    for field, value in (
        ("instance_class", db.instance_class),
        ("standby_instance_class", db.standby_instance_class),
    ):
        if value == "db.serverless":
            raise ObsPlatformError(
                f"{label}: database.{field}='db.serverless' needs a Serverless v2 capacity "
                "range on its cluster, which the pair's database does not set, so AWS would "
                "refuse the instance.",
                field=f"AuroraGlobalArgs.{field}",
                value=value,
                fix="Use a provisioned memory-optimised class such as 'db.r6g.large'.",
            )


def check_sites(args: PilotLightDrArgs, label: str) -> None:
    """Refuse what AWS would refuse, or what would fail silently at failover.

    Raises:
        ObsPlatformError: Naming the field, the value and the fix.
    """
    primary, standby = args.primary, args.standby
    _check_roles(primary, standby, label)
    for role, site in (("primary", primary), ("standby", standby)):
        if args.database is None and site.rds_global:
            raise ObsPlatformError(
                f"{label}: the {role} cell {site.name!r} keeps a slot for an Aurora global "
                "database member (rds_global=True), but database=None, so no member would ever "
                "be created and the cell would have no database.",
                field="PilotLightDrArgs.database",
                value=None,
                fix="Give the DR a database (AuroraGlobalArgs()), or build the cells with "
                "rds_global=False (a standalone database each).",
            )
        if args.database is not None and site.rds_global is False:
            raise ObsPlatformError(
                f"{label}: the {role} cell {site.name!r} has its own standalone Aurora cluster "
                "(rds_global=False), so a global database would be a second, empty database.",
                field=f"PilotLightDrArgs.{role}.rds_global",
                value=False,
                fix="Build both cells with rds_global=True, or set database=None.",
            )
    if args.database is not None:
        _check_instance_classes(args, label)
    split = other_account(primary, standby)
    if args.database is not None:
        shared = args.database.standby_in_primary_account
        if split and not shared:
            raise ObsPlatformError(
                f"{label}: the standby site {standby.name!r} is in another account (its own "
                "provider), but AWS keeps every member of an Aurora global database in one "
                "account.",
                field="PilotLightDrArgs.database.standby_in_primary_account",
                value=False,
                fix="Set database=AuroraGlobalArgs(standby_in_primary_account=True) and share the "
                "standby cell's subnets with the primary account (CellArgs.share_subnets_with), "
                "or give both sites' account_id if the providers reach one account.",
            )
        if shared and not standby.subnets_shared_with:
            raise ObsPlatformError(
                f"{label}: standby_in_primary_account=True places the standby member on "
                f"{standby.name!r}'s subnets from the primary account, but the site shares its "
                "subnets with no account, so CreateDBSubnetGroup would not find them.",
                field="PilotLightDrArgs.standby.subnets_shared_with",
                value=(),
                fix="Build the standby cell with share_subnets_with=[primary.account_id] "
                "(RAM, same organization), or set DrSite.subnets_shared_with when the sharing "
                "is done elsewhere.",
            )
    if (
        args.kafka is not None
        and args.kafka.engine is KafkaEngine.MSK
        and args.kafka.standby_in_primary_account
        and not standby.subnets_shared_with
    ):
        raise ObsPlatformError(
            f"{label}: kafka.standby_in_primary_account places the standby's MSK cluster on "
            f"{standby.name!r}'s subnets from the primary account, but the site shares its "
            "subnets with no account.",
            field="PilotLightDrArgs.standby.subnets_shared_with",
            value=(),
            fix="Build the standby cell with share_subnets_with=[primary.account_id] (RAM, "
            "same organization), or set DrSite.subnets_shared_with.",
        )
    if (
        args.kafka is not None
        and args.kafka.engine is KafkaEngine.MSK
        and split
        and not args.kafka.standby_in_primary_account
    ):
        raise ObsPlatformError(
            f'{label}: MSK Replicator joins clusters of one account only ("both the source and '
            'target clusters must be in the same AWS account", Amazon MSK developer guide), '
            f"but the standby site {standby.name!r} is in another account.",
            field="PilotLightDrArgs.kafka.engine",
            value=args.kafka.engine.value,
            fix="Either keep the standby's MSK cluster in the primary account, on the standby "
            "VPC's subnets shared through RAM, as the Aurora member is (kafka=KafkaReplicationArgs("
            "standby_in_primary_account=True), standby cell kafka_replication=False), or "
            "replicate with MirrorMaker 2 (kafka=KafkaReplicationArgs(engine='strimzi')), which "
            "connects as an ordinary Kafka client; or set kafka=None.",
        )


def _check_roles(primary: DrSite, standby: DrSite, label: str) -> None:
    for role, site, other in (("standby", standby, "primary"), ("primary", primary, "standby")):
        if site.dr_role is not None and site.dr_role != role:
            raise ObsPlatformError(
                f"{label}: the {role} site {site.name!r} is labelled dr_role={other!r} "
                f"(warm_nodes={site.warm_nodes}), so the DR alerts would treat it as the "
                f"{other}: the standby-readiness alerts would never watch the real standby.",
                field="CellArgs.standby",
                value=site.dr_role,
                fix=f"Build that cell with standby={role == 'standby'} (a warm standby keeps "
                "nodes and sets standby=True).",
            )


def claim_primary(args: PilotLightDrArgs, label: str) -> None:
    """Refuse a second ``PilotLightDr`` on a primary that already has one in this deployment.

    One primary with several standbys would need one global database with several secondaries
    and one failover record set; this library builds one pair per primary.

    Raises:
        ObsPlatformError: Naming the first DR.
    """
    monitor = pulumi.runtime.settings.get_monitor()
    if monitor is None:
        return
    try:
        claimed = _PRIMARIES.setdefault(monitor, {})
    except TypeError:  # a monitor that cannot be weakly referenced: nothing to compare with
        return
    key = (args.primary.name, args.primary.region)
    first = claimed.get(key)
    if first is not None:
        raise ObsPlatformError(
            f"{label}: the primary site {args.primary.name!r} ({args.primary.region}) already "
            f"has a standby through PilotLightDr {first!r}. A second one would create a second "
            "primary Aurora cluster and a second PRIMARY failover record with the same set "
            "identifier; one primary with several standbys is not supported.",
            field="PilotLightDrArgs.primary",
            value=args.primary.name,
            fix=f"Keep one PilotLightDr per primary (extend {first!r}), or give each standby its "
            "own primary cell.",
        )
    claimed[key] = label
