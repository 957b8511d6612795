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
    """

    namespace: str
    regions: tuple[str, ...]
    metrics: tuple[tuple[str, str], ...]


def dr_discovery_jobs(regions: Sequence[str]) -> list[DiscoveryJob]:
    """Return the discovery jobs for the CloudWatch metrics the DR alert rules read.

    Aurora's ``AuroraGlobalDBReplicationLag`` (emitted by the secondary cluster) and MSK
    Replicator's ``ReplicationLatency`` are read in every given region (the stack's region and
    its DR region); Route 53's ``HealthCheckStatus`` only in us-east-1, where all of its metrics
    live.

    Args:
        regions: The regions of the databases and replicators (duplicates are dropped, order
            kept).
    """
    unique = tuple(dict.fromkeys(regions))
    return [
        DiscoveryJob("AWS/RDS", unique, (("AuroraGlobalDBReplicationLag", "Average"),)),
        DiscoveryJob("AWS/Route53", (ROUTE53_METRICS_REGION,), (("HealthCheckStatus", "Minimum"),)),
        DiscoveryJob("AWS/Kafka", unique, (("ReplicationLatency", "Maximum"),)),
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
    return {
        "apiVersion": "v1alpha1",
        "sts-region": sts_region,
        "discovery": {
            "exportedTagsOnMetrics": {job.namespace: list(EXPORTED_TAGS) for job in listed},
            "jobs": [
                {
                    "type": job.namespace,
                    "regions": list(job.regions),
                    "period": YACE_PERIOD_SECONDS,
                    "length": YACE_LENGTH_SECONDS,
                    "metrics": [
                        {"name": metric, "statistics": [statistic]}
                        for metric, statistic in job.metrics
                    ],
                }
                for job in listed
            ],
        },
    }


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
