"""``PilotLightDr``: what joins a primary region to a standby so that failover is automatic.

See :mod:`obs_platform.dr` for the parts and :mod:`obs_platform._internal.rto` for the budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from .._component import Component
from .._internal.cost import CostEstimate
from .._internal.errors import ObsPlatformError
from .._internal.kafka_replication import offset_sync_interval_seconds
from .._internal.rto import (
    UNVERIFIED,
    Budget,
    DrTimingConfig,
    KafkaReplicationMode,
    compute_budget,
    verify_with_drill,
)
from .arc import create_region_switch
from .args import (
    AuroraGlobalArgs,
    BudgetEnforcement,
    KafkaEngine,
    KafkaReplicationArgs,
    PilotLightDrArgs,
    automatic_ungraceful,
)
from .aurora import AuroraParts, create_aurora
from .checks import check_sites, claim_primary
from .cost import CostOption, cost_options, explain_costs, idle_cost
from .kafka import create_mirror_maker2, create_msk_replicator
from .route53 import create_route53
from .ungraceful import create_ungraceful_automation

__all__ = [
    "AuroraGlobalArgs",
    "BudgetEnforcement",
    "KafkaEngine",
    "KafkaReplicationArgs",
    "PilotLightDr",
    "PilotLightDrArgs",
]


def timing_config(args: PilotLightDrArgs) -> DrTimingConfig:
    """Return the budget's view of a :class:`PilotLightDrArgs`."""
    kafka = KafkaReplicationMode.NONE
    interval = 10
    if args.kafka is not None:
        if args.kafka.engine is KafkaEngine.MSK:
            kafka = KafkaReplicationMode.MSK_REPLICATOR
        else:
            kafka = KafkaReplicationMode.MIRROR_MAKER_2
            try:
                interval = offset_sync_interval_seconds(
                    args.rpo_target_seconds, args.timing.mirror_maker_lag_seconds
                )
            except ValueError:
                interval = 60
    db = args.database
    return DrTimingConfig(
        rto_target_seconds=args.rto_target_seconds,
        rpo_target_seconds=args.rpo_target_seconds,
        health_check_interval_seconds=args.health_check_interval_seconds,
        health_check_failure_threshold=args.health_check_failure_threshold,
        dns_ttl_seconds=args.dns_ttl_seconds,
        alias_records=False,
        alarm_evaluation_periods=args.alarm_evaluation_periods,
        # In an outage the graceful switchover stalls; without the automatic ungraceful path
        # a person takes it on (see automatic_ungraceful_failover).
        manual_approval=args.manual_approval
        or not args.automatic_failover
        or (db is not None and not automatic_ungraceful(args)),
        rds_global=db is not None,
        headless_secondary=db is not None and db.standby_instances == 0,
        global_db_rpo_seconds=db.global_db_rpo_seconds if db is not None else None,
        standby_cluster_exists=args.standby.eks_cluster_arn is not None,
        standby_warm_nodes=args.standby.warm_nodes,
        # The plan's EC2 Auto Scaling step exists only when both sites give their group.
        nodes_scaled_by_plan=all(
            s.node_group_asg_arn is not None for s in (args.primary, args.standby)
        ),
        kafka=kafka,
        mm2_checkpoint_interval_seconds=interval,
        mm2_sync_group_offsets_interval_seconds=interval,
        assumptions=args.timing,
    )


_DB_FIELDS = ("db_subnet_group_name", "db_security_group_ids", "db_kms_key_arn")
_SHARED_DB_FIELDS = ("vpc_id", "vpc_cidr", "db_subnet_ids")
_MSK_FIELDS = ("kafka_cluster_arn", "kafka_subnet_ids", "kafka_security_group_ids")


def _verification(args: PilotLightDrArgs, budget: Budget, label: str) -> dict[str, Any]:
    """Return the plan's ``verification`` of the budget: the drill report's, or unverified.

    Raises:
        ObsPlatformError: If the report cannot be read or is not a drill of this pair.
    """
    if args.drill_report is None:
        return dict(UNVERIFIED)
    path = Path(args.drill_report)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        found = verify_with_drill(budget, report, args.primary.region, args.standby.region)
    except (OSError, json.JSONDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise ObsPlatformError(
            f"{label}: the drill report {str(path)!r} cannot be used: {reason}.",
            field="PilotLightDrArgs.drill_report",
            value=args.drill_report,
            fix="Pass the file `obs-platform dr drill --report-json FILE` wrote for this pair "
            "(a path relative to the program's folder), or leave drill_report unset.",
        ) from None
    return {"drill_report": args.drill_report, **found}


def _check_password(password: str, label: str) -> None:
    """Refuse a master password Aurora would refuse, without ever showing it.

    botocore rds ``CreateDBCluster.MasterUserPassword``: 8 to 41 printable ASCII characters,
    except ``/``, ``"`` and ``@``.
    """
    bad = [c for c in password if not (" " <= c <= "~") or c in '/"@']
    if not 8 <= len(password) <= 41 or bad:
        raise ObsPlatformError(
            f"{label}: the master password has {len(password)} characters"
            + (f" and {len(bad)} that Aurora refuses" if bad else "")
            + '; Aurora accepts 8 to 41 printable ASCII characters except /, " and @.',
            field="PilotLightDrArgs.database.master_password",
            value="[secret]",
            fix="Pass another password (as a Pulumi secret), or leave master_password=None to "
            "have one generated and kept in Secrets Manager.",
        )


class PilotLightDr(Component[PilotLightDrArgs]):
    """Pilot-light disaster recovery between a primary and a standby site.

    Creates, as children (see :mod:`obs_platform.dr.route53`, :mod:`~obs_platform.dr.aurora`,
    :mod:`~obs_platform.dr.kafka` and :mod:`~obs_platform.dr.arc` for exact names):

    * Route 53: an HTTPS health check on the primary's ``/healthz``, PRIMARY/SECONDARY failover
      records (TTL 60 s or less), the ``HealthCheckStatus`` alarm in us-east-1 and, with a
      database, a failback gate on the primary-region database being the writer;
    * the Aurora Global Database: global cluster and both member clusters (this component owns
      them, the cells own their placement: see :mod:`obs_platform.dr.aurora` for why);
    * Kafka replication (MSK Replicator or Strimzi MirrorMaker 2);
    * an ARC Region switch plan that fails over automatically on the alarm and fails back only
      through an approval and a no-data-loss switchover;
    * with ``automatic_ungraceful_failover`` (the default for an automatic failover with a
      database), the standby-region function that takes a failover stalled by a regional outage
      ungraceful (:mod:`obs_platform.dr.ungraceful`).

    Before anything is created the RTO/RPO budget (:mod:`obs_platform._internal.rto`) is computed
    from the arguments. A configuration that misses its targets is refused with the term at
    fault and the change that fixes it, or, with ``budget_enforcement="warn"``, built with a
    warning. The budget is the ``budget`` output (the plan's ``dr`` section) and
    ``rto_seconds`` / ``rpo_seconds``.

    Accounts: children of one site use that site's ``provider`` (``DrSite.provider``); the
    Route 53, alarm and plan children use the component's own (``opts.providers``).

    Example:
        >>> PilotLightDr("app", PilotLightDrArgs(  # doctest: +SKIP
        ...     primary=primary_cell.dr_site(), standby=standby_cell.dr_site(),
        ...     zone_id=zone.zone_id, record_name="app.example.com"))
    """

    TYPE_TOKEN = "obs-platform:dr:PilotLightDr"
    ARGS_TYPE = PilotLightDrArgs

    budget: pulumi.Output[dict[str, Any]]
    """The RTO/RPO budget: regions, ``rto_seconds``, ``rpo_seconds``, targets and ``terms``."""
    rto_seconds: pulumi.Output[float]
    """Worst-case recovery time, in seconds."""
    rpo_seconds: pulumi.Output[float]
    """Worst-case data-loss window, in seconds."""
    health_check_id: pulumi.Output[str]
    """The Route 53 health check on the primary's ``/healthz``."""
    health_alarm_arn: pulumi.Output[str]
    """The us-east-1 alarm on that health check (the failover trigger)."""
    record_fqdn: pulumi.Output[str]
    """The failover name clients resolve."""
    global_cluster_id: pulumi.Output[str | None]
    """The Aurora global cluster's identifier (``None`` without a database)."""
    primary_cluster_arn: pulumi.Output[str | None]
    """ARN of the primary-region member cluster."""
    standby_cluster_arn: pulumi.Output[str | None]
    """ARN of the standby-region member cluster."""
    master_secret_arn: pulumi.Output[str | None]
    """The Secrets Manager secret with the database's master credentials, replicated to the
    standby region (``None`` without a database)."""
    standby_kafka_bootstrap_servers: pulumi.Output[str | None]
    """Bootstrap servers (SASL/IAM) of the standby MSK cluster the DR created in the primary
    account (``kafka.standby_in_primary_account``); ``None`` otherwise."""
    kafka_replication_id: pulumi.Output[str | None]
    """ARN of the MSK Replicator or name of the MirrorMaker 2 resource (``None`` without)."""
    region_switch_plan_arn: pulumi.Output[str]
    """ARN of the ARC Region switch plan."""

    def __init__(
        self,
        name: str,
        args: PilotLightDrArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._computed: Budget | None = None
        self._idle_cost: CostEstimate | None = None
        self._cost_options: list[CostOption] = []
        self._verification: dict[str, Any] = dict(UNVERIFIED)
        super().__init__(name, args, opts)

    def _check(self, args: PilotLightDrArgs, label: str) -> None:
        primary, standby = args.primary, args.standby
        if primary.region == standby.region:
            raise ObsPlatformError(
                f"{label}: primary and standby are both in {primary.region!r}; a regional "
                "outage would take both.",
                field="PilotLightDrArgs.standby.region",
                value=standby.region,
                fix="Put the standby site in another region.",
            )
        if primary.name == standby.name:
            raise ObsPlatformError(
                f"{label}: both sites are named {primary.name!r}; names become record set "
                "identifiers and Kafka aliases, which must differ.",
                field="PilotLightDrArgs.standby.name",
                value=standby.name,
                fix="Name each site after its cell (for example its region).",
            )
        if args.database is not None:
            shared = args.database.standby_in_primary_account
            for role, site in (("primary", primary), ("standby", standby)):
                fields = _SHARED_DB_FIELDS if shared and role == "standby" else _DB_FIELDS
                missing = [f for f in fields if getattr(site, f) is None]
                if missing:
                    raise ObsPlatformError(
                        f"{label}: the Aurora Global Database needs {', '.join(missing)} on the "
                        f"{role} site {site.name!r}.",
                        field=f"PilotLightDrArgs.{role}.{missing[0]}",
                        value=None,
                        fix="Build the site with Cell.dr_site() of a cell with "
                        "rds_global=True, or set database=None.",
                    )
        if args.kafka is not None:
            msk = args.kafka.engine is KafkaEngine.MSK
            shared_kafka = msk and args.kafka.standby_in_primary_account
            if args.kafka.standby_in_primary_account and not msk:
                raise ObsPlatformError(
                    f"{label}: kafka.standby_in_primary_account places an MSK cluster; "
                    "MirrorMaker 2 connects across accounts as it is.",
                    field="PilotLightDrArgs.kafka.standby_in_primary_account",
                    value=True,
                    fix="Set it to False with engine='strimzi', or use engine='msk'.",
                )
            if shared_kafka and standby.kafka_cluster_arn is not None:
                raise ObsPlatformError(
                    f"{label}: kafka.standby_in_primary_account creates the standby's MSK "
                    f"cluster in the primary account, but the standby site {standby.name!r} "
                    "already has one of its own, which would stay unused.",
                    field="PilotLightDrArgs.standby.kafka_cluster_arn",
                    value="set",
                    fix="Build the standby cell with kafka_replication=False.",
                )
            needed: tuple[str, ...] = _MSK_FIELDS if msk else ("kafka_bootstrap_servers",)
            for role, site in (("primary", primary), ("standby", standby)):
                wanted = _SHARED_DB_FIELDS if shared_kafka and role == "standby" else needed
                missing = [f for f in wanted if getattr(site, f) is None]
                if missing:
                    raise ObsPlatformError(
                        f"{label}: {args.kafka.engine.value} replication needs "
                        f"{', '.join(missing)} on the {role} site {site.name!r}.",
                        field=f"PilotLightDrArgs.{role}.{missing[0]}",
                        value=None,
                        fix="Use cells with kafka_replication=True and the same kafka_engine, "
                        "or set kafka=None.",
                    )
            if args.kafka.engine is KafkaEngine.STRIMZI and standby.kubernetes_provider is None:
                raise ObsPlatformError(
                    f"{label}: MirrorMaker 2 runs on the standby cluster, but the standby site "
                    "has no kubernetes_provider.",
                    field="PilotLightDrArgs.standby.kubernetes_provider",
                    value=None,
                    fix="Use Cell.dr_site() of a Strimzi cell, or pass its Kubernetes provider.",
                )
            source = primary.kafka_bootstrap_servers
            if args.kafka.engine is KafkaEngine.STRIMZI and isinstance(source, str):
                in_cluster = [
                    server
                    for server in source.split(",")
                    if re.search(r"\.svc(\.cluster\.local)?(:\d+)?$", server.strip())
                ]
                if in_cluster:
                    # MirrorMaker 2 runs in the standby's cluster, whose DNS cannot resolve
                    # the primary cluster's Service names.
                    raise ObsPlatformError(
                        f"{label}: MirrorMaker 2 runs on the standby's cluster, but the primary's "
                        f"Kafka address {in_cluster[0]!r} is a Service name inside the primary's "
                        "cluster, which the standby cannot resolve or reach.",
                        field="PilotLightDrArgs.primary.kafka_bootstrap_servers",
                        value=source,
                        fix="Set CellArgs.kafka_advertised_host on the primary cell to the DNS "
                        "name of its Kafka load balancer that the standby reaches through the "
                        "Transit Gateway.",
                    )
        if args.automatic_ungraceful_failover and not (
            args.automatic_failover and args.database is not None
        ):
            raise ObsPlatformError(
                f"{label}: automatic_ungraceful_failover switches a stalled automatic failover's "
                "database step to a failover, but "
                + (
                    "automatic_failover is off, so nothing starts one."
                    if not args.automatic_failover
                    else "the pair has no database, whose step is the only one with an "
                    "ungraceful behaviour."
                ),
                field="PilotLightDrArgs.automatic_ungraceful_failover",
                value=True,
                fix="Leave automatic_ungraceful_failover unset (None)"
                + (", or set automatic_failover=True." if not args.automatic_failover else "."),
            )
        if args.database is not None and isinstance(args.database.master_password, str):
            _check_password(args.database.master_password, label)
        check_sites(args, label)
        budget = compute_budget(timing_config(args))
        self._computed = budget
        self._idle_cost = idle_cost(args)
        self._cost_options = cost_options(args, budget, self._idle_cost, timing_config)
        if not budget.meets_targets and args.budget_enforcement is BudgetEnforcement.REFUSE:
            raise ObsPlatformError(
                f"{label}: the failover budget misses its targets.\n{budget.explain()}\n"
                + explain_costs(budget, self._idle_cost, self._cost_options),
                field="PilotLightDrArgs",
                value=budget.as_output(primary.region, standby.region),
                fix="Change the settings named above, or raise the targets; set "
                "budget_enforcement='warn' to deploy anyway with a warning.",
            )
        self._verification = _verification(args, budget, label)
        claim_primary(args, label)

    def _build(self, args: PilotLightDrArgs) -> dict[str, Any]:
        assert self._computed is not None and self._idle_cost is not None
        budget = self._computed
        if not budget.meets_targets:
            pulumi.log.warn(
                f"PilotLightDr {self._name!r}: the failover budget misses its targets "
                f"(budget_enforcement=warn).\n{budget.explain()}\n"
                + explain_costs(budget, self._idle_cost, self._cost_options),
                resource=self,
            )
        aurora: AuroraParts | None = None
        if args.database is not None:
            aurora = create_aurora(self, args)
        dns = create_route53(self, args, aurora.primary_cluster.id if aurora else None)
        kafka_id: Any = None
        standby_servers: Any = None
        if args.kafka is not None:
            if args.kafka.engine is KafkaEngine.MSK:
                replicator, standby_servers = create_msk_replicator(self, args)
                kafka_id = replicator.arn
            else:
                kafka_id = create_mirror_maker2(
                    self, args, args.timing.mirror_maker_lag_seconds
                ).metadata["name"]
        switch = create_region_switch(self, args, dns, aurora)
        plan = switch.plan
        if automatic_ungraceful(args):
            create_ungraceful_automation(
                self, args, plan, dns, list(switch.failover_database_steps)
            )
        summary = {
            **budget.as_output(args.primary.region, args.standby.region),
            "verification": self._verification,
            "idle_cost": {
                **self._idle_cost.as_output(),
                "options": [o.as_output(budget) for o in self._cost_options],
            },
        }
        return {
            "budget": pulumi.Output.from_input(summary),
            "rto_seconds": pulumi.Output.from_input(summary["rto_seconds"]),
            "rpo_seconds": pulumi.Output.from_input(summary["rpo_seconds"]),
            "health_check_id": dns.health_check.id,
            "health_alarm_arn": dns.alarm.arn,
            "record_fqdn": dns.primary_record.fqdn,
            "global_cluster_id": pulumi.Output.from_input(
                aurora.global_cluster.id if aurora else None
            ),
            "primary_cluster_arn": pulumi.Output.from_input(
                aurora.primary_cluster.arn if aurora else None
            ),
            "standby_cluster_arn": pulumi.Output.from_input(
                aurora.standby_cluster.arn if aurora else None
            ),
            "master_secret_arn": pulumi.Output.from_input(
                aurora.master_secret.arn if aurora else None
            ),
            "standby_kafka_bootstrap_servers": pulumi.Output.from_input(standby_servers),
            "kafka_replication_id": pulumi.Output.from_input(kafka_id),
            "region_switch_plan_arn": plan.arn,
        }
