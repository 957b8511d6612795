"""The CloudWatch exporter (YACE) configuration the DR alert rules read from (pure).

YACE (``prometheus-community/yet-another-cloudwatch-exporter``) turns CloudWatch metrics into
Prometheus series named ``aws_<namespace>_<metric>_<statistic>``: the namespace without its
``AWS/`` prefix, each part put through YACE's name normaliser (:func:`prom_string`: lower case,
an ``_`` before a capital that follows a lower-case letter, separators to ``_``). Resource tags
listed in ``exportedTagsOnMetrics`` become ``tag_<normalised tag>`` labels.

:func:`dr_discovery_jobs` lists the CloudWatch metrics :mod:`.alert_rules` reads, in the regions
they live in; :func:`yace_config` renders YACE's ``v1alpha1`` configuration from them and
:func:`exported_metric_names` derives the series names a configuration yields, so that a test can
check every CloudWatch-derived name in the rules against the generated configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .alert_rules import CELL_TAG, DR_ROLE_TAG
from .regions import ROUTE53_METRICS_REGION

YACE_PERIOD_SECONDS: Final = 60
"""CloudWatch period of every DR metric: one datapoint a minute, fine enough for a 60 s RPO."""

YACE_LENGTH_SECONDS: Final = 300
"""How far back each scrape asks CloudWatch (metrics arrive a few minutes late)."""

YACE_SCRAPE_INTERVAL_SECONDS: Final = 60
"""How often YACE queries CloudWatch (``--scraping-interval``; YACE's default is 300 s)."""

EXPORTED_TAGS: Final[tuple[str, ...]] = (CELL_TAG, DR_ROLE_TAG)
"""Resource tags exported as labels on every DR metric (``tag_cell``, ``tag_dr_role``)."""

STANDBY_ONLY: Final = ((DR_ROLE_TAG, "^standby$"),)
"""YACE ``searchTags`` reading only resources tagged ``dr-role=standby`` (values are regexes)."""

_SEPARATORS = re.compile(r"[^A-Za-z0-9_]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def prom_string(text: str) -> str:
    """Normalise a CloudWatch name the way YACE does for metric names and tag labels.

    An ``_`` goes before a capital that follows a lower-case letter (so ``DBReplication`` stays
    one word: ``AuroraGlobalDBReplicationLag`` -> ``aurora_global_dbreplication_lag``); any
    other character than a letter, digit or ``_`` becomes ``_``; the result is lower case.
    """
    return _SEPARATORS.sub("_", _CAMEL.sub("_", text)).lower()


def yace_metric_name(namespace: str, metric: str, statistic: str) -> str:
    """Return the series name YACE exports for one CloudWatch metric and statistic.

    Args:
        namespace: The CloudWatch namespace, such as ``"AWS/RDS"``.
        metric: The metric name, such as ``"AuroraGlobalDBReplicationLag"``.
        statistic: The statistic, such as ``"Average"``.
    """
    service = prom_string(namespace.removeprefix("AWS/"))
    return f"aws_{service}_{prom_string(metric)}_{prom_string(statistic)}"


def yace_tag_label(tag: str) -> str:
    """Return the label YACE gives an exported resource tag (``dr-role`` -> ``tag_dr_role``)."""
    return f"tag_{prom_string(tag)}"


@dataclass(frozen=True)
class DiscoveryJob:
    """One YACE discovery job: a CloudWatch namespace, its regions and metrics.

    Attributes:
        namespace: The CloudWatch namespace (``AWS/RDS``).
        regions: The regions to read it in.
        metrics: ``(metric name, statistic)`` pairs.
        role_arn: A role in another account YACE assumes to read it (YACE's job ``roles``),
            or ``None`` for the exporter's own account.
        cell: A ``cell`` the job's series carry as ``custom_tag_cell`` (YACE's ``customTags``)
            even where discovery cannot associate a resource (MSK Replicator series have no
            tags, so they would lose ``tag_cell``), or ``None``.
        search_tags: ``(tag, value regex)`` pairs a resource must carry to be read (YACE's
            ``searchTags``, all must match).
    """

    namespace: str
    regions: tuple[str, ...]
    metrics: tuple[tuple[str, str], ...]
    role_arn: str | None = None
    cell: str | None = None
    search_tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CloudWatchAccount:
    """Another account whose DR metrics YACE reads through a role there.

    Attributes:
        role_arn: The role YACE assumes (the cell's ``cloudwatch_reader_role_arn``).
        regions: The regions of its databases and replicators (a standby cell's region: the
            Aurora secondary emits the global lag, MSK Replicator emits in the target region).
        cell: The cell whose series these are (the ``cell`` label kept on untagged series).
    """

    role_arn: str
    regions: tuple[str, ...]
    cell: str | None = None


CELL_FROM_CUSTOM_TAG: Final = {
    "sourceLabels": ["tag_cell", "custom_tag_cell"],
    "separator": ";",
    "regex": ";(.+)",
    "targetLabel": "tag_cell",
    "replacement": "$1",
    "action": "replace",
}
"""ServiceMonitor ``metricRelabelings`` entry: a series without ``tag_cell`` (no resource tags
found, such as MSK Replicator's) takes its job's ``custom_tag_cell``."""


def account_discovery_jobs(accounts: Iterable[CloudWatchAccount]) -> list[DiscoveryJob]:
    """Return the DR discovery jobs for other accounts, each read through its role.

    Per account: Aurora and MSK in its regions, Route 53 health checks in us-east-1 (a
    PilotLightDr in that account owns them), with the account's ``cell`` as a custom tag.
    """
    jobs: list[DiscoveryJob] = []
    for account in accounts:
        for job in dr_discovery_jobs(account.regions):
            jobs.append(
                DiscoveryJob(
                    job.namespace,
                    job.regions,
                    job.metrics,
                    role_arn=account.role_arn,
                    cell=account.cell,
                    search_tags=job.search_tags,
                )
            )
    return jobs


def dr_discovery_jobs(
    regions: Sequence[str], msk_replicator_cells: Mapping[str, str] | None = None
) -> list[DiscoveryJob]:
    """Return the discovery jobs for the CloudWatch metrics the DR alert rules read.

    Aurora's ``AuroraGlobalDBReplicationLag`` (emitted by the secondary cluster) and MSK
    Replicator's ``ReplicationLatency`` are read in every given region (the stack's region and
    its DR region); Route 53's ``HealthCheckStatus`` only in us-east-1, where all of its metrics
    live. Standby readiness at zero nodes (no collector ships anything then) reads the standby
    cells' control planes, the ``apiserver_request_total`` Sum that EKS vends free in ``AWS/EKS``
    (dimension ``ClusterName``) for clusters 1.28+ (EKS user guide, "Monitor cluster data with
    Amazon CloudWatch"), and their launched nodes, EC2 ``StatusCheckFailed`` (1-minute, free) of
    instances tagged ``dr-role=standby``; both only for resources tagged ``dr-role=standby``
    (YACE v0.67.0 ``pkg/config/services.go``: ``AWS/EKS`` discovers ``eks:cluster``,
    ``AWS/EC2`` ``ec2:instance``). The pairs' ``{name}-arc-ungraceful`` functions (tagged
    ``dr-role=standby``, in the standby's region) report ``Errors`` and ``Throttles`` (Sum) in
    ``AWS/Lambda``, which YACE discovers as ``lambda:function``.

    MSK Replicator's series have no resource YACE can associate (its ``AWS/Kafka`` discovery
    finds ``kafka:cluster`` resources; ``ReplicationLatency``'s dimension is the replicator's
    name), so a region in ``msk_replicator_cells`` gets its own Kafka job carrying that cell
    as a custom tag, and the others share one job without.

    Args:
        regions: The regions of the databases and replicators (duplicates are dropped, order
            kept).
        msk_replicator_cells: The cell of the replicators in a region, by region (regions
            outside ``regions`` are ignored), or ``None``.
    """
    unique = tuple(dict.fromkeys(regions))
    cells = {r: c for r, c in (msk_replicator_cells or {}).items() if r in unique}
    latency = (("ReplicationLatency", "Maximum"),)
    unlabelled = tuple(r for r in unique if r not in cells)
    kafka = [DiscoveryJob("AWS/Kafka", unlabelled, latency)] if unlabelled else []
    kafka += [DiscoveryJob("AWS/Kafka", (r,), latency, cell=cells[r]) for r in unique if r in cells]
    return [
        DiscoveryJob("AWS/RDS", unique, (("AuroraGlobalDBReplicationLag", "Average"),)),
        DiscoveryJob("AWS/Route53", (ROUTE53_METRICS_REGION,), (("HealthCheckStatus", "Minimum"),)),
        *kafka,
        DiscoveryJob(
            "AWS/EKS", unique, (("apiserver_request_total", "Sum"),), search_tags=STANDBY_ONLY
        ),
        DiscoveryJob(
            "AWS/EC2", unique, (("StatusCheckFailed", "Maximum"),), search_tags=STANDBY_ONLY
        ),
        DiscoveryJob(
            "AWS/Lambda",
            unique,
            (("Errors", "Sum"), ("Throttles", "Sum")),
            search_tags=STANDBY_ONLY,
        ),
    ]


def yace_config(jobs: Iterable[DiscoveryJob], *, sts_region: str) -> dict[str, Any]:
    """Return YACE's configuration (``apiVersion: v1alpha1``) for some discovery jobs.

    Every job exports :data:`EXPORTED_TAGS` and reads its metrics with a
    :data:`YACE_PERIOD_SECONDS` period over :data:`YACE_LENGTH_SECONDS`.

    Args:
        jobs: The discovery jobs.
        sts_region: The region whose STS endpoint YACE uses (the cluster's).
    """
    listed = list(jobs)

    def render(job: DiscoveryJob) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "type": job.namespace,
            "regions": list(job.regions),
        }
        if job.role_arn is not None:
            rendered["roles"] = [{"roleArn": job.role_arn}]
        if job.search_tags:
            rendered["searchTags"] = [{"key": k, "value": v} for k, v in job.search_tags]
        if job.cell is not None:
            rendered["customTags"] = [{"key": "cell", "value": job.cell}]
        rendered.update(
            {
                "period": YACE_PERIOD_SECONDS,
                "length": YACE_LENGTH_SECONDS,
                "metrics": [
                    {"name": metric, "statistics": [statistic]} for metric, statistic in job.metrics
                ],
            }
        )
        return rendered

    return {
        "apiVersion": "v1alpha1",
        "sts-region": sts_region,
        "discovery": {
            "exportedTagsOnMetrics": {job.namespace: list(EXPORTED_TAGS) for job in listed},
            "jobs": [render(job) for job in listed],
        },
    }


def assumed_role_arns(config: Mapping[str, Any]) -> list[str]:
    """Return the roles a YACE configuration assumes (what its own role may ``AssumeRole``)."""
    return sorted(
        {role["roleArn"] for job in config["discovery"]["jobs"] for role in job.get("roles", [])}
    )


def exported_metric_names(config: Mapping[str, Any]) -> set[str]:
    """Return the series names a YACE configuration (as built by :func:`yace_config`) exports."""
    return {
        yace_metric_name(job["type"], metric["name"], statistic)
        for job in config["discovery"]["jobs"]
        for metric in job["metrics"]
        for statistic in metric["statistics"]
    }


def exported_tag_labels(config: Mapping[str, Any], namespace: str) -> set[str]:
    """Return the ``tag_*`` labels a YACE configuration puts on one namespace's metrics."""
    tags = config["discovery"]["exportedTagsOnMetrics"].get(namespace, [])
    return {yace_tag_label(tag) for tag in tags}
