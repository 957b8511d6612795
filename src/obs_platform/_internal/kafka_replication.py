"""Pure builders for Kafka replication to the standby region.

Two engines, one choice (:class:`~obs_platform._internal.rto.KafkaReplicationMode`):

* Amazon MSK Replicator: :func:`msk_replication_info` returns the ``replication_info_list`` of an
  ``aws.msk.Replicator``. Topic names stay IDENTICAL in the standby (no ``primary.`` prefix), so
  consumers fail over without reconfiguration, and consumer-group offsets are synchronised.
* Strimzi ``KafkaMirrorMaker2`` (API ``kafka.strimzi.io/v1``, Strimzi 1.2):
  :func:`mirror_maker2` returns the custom resource. MirrorMaker 2 renames topics by default
  (``DefaultReplicationPolicy``) and translates consumer offsets through checkpoints emitted every
  60 s: both break a failover with an RPO under a minute. The builder sets the
  ``IdentityReplicationPolicy`` on the source AND the checkpoint connector (the checkpoint
  connector must agree on topic names to translate offsets) and derives the checkpoint and
  group-offset-sync intervals from the RPO target (:func:`offset_sync_interval_seconds`).

MirrorMaker 2 exports its connector metrics through the Prometheus JMX exporter
(``spec.metricsConfig``, rules from :func:`mirror_maker2_metrics_config`, Strimzi's own example
rules of 1.2.0 ``packaging/examples/metrics/kafka-mirror-maker-2-metrics.yaml``) on the pods'
``tcp-prometheus`` port (9404), where the standby cell's collector scrapes them.

Nothing here creates resources; :mod:`obs_platform.dr.kafka` does.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "IDENTITY_REPLICATION_POLICY",
    "MM2_API_VERSION",
    "MSK_BROKER_STORAGE_GB",
    "MSK_BROKER_TYPE",
    "mirror_maker2",
    "mirror_maker2_metrics_config",
    "msk_replication_info",
    "offset_sync_interval_seconds",
]

MSK_BROKER_TYPE = "kafka.m7g.large"
"""The broker type of every MSK cluster the library creates (the cells' and the DR's)."""

MSK_BROKER_STORAGE_GB = 100
"""The EBS storage of each of those brokers, GiB."""

IDENTITY_REPLICATION_POLICY = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
"""Keeps topic names identical in the target cluster (Kafka 3.0+, KIP-382 follow-up)."""

MM2_API_VERSION = "kafka.strimzi.io/v1"
"""The Strimzi API version of the pinned CRD (Strimzi 1.2.0 serves only ``v1``)."""

MM2_METRICS_CONFIG_KEY = "metrics-config.yml"
"""Key of the JMX exporter rules in the metrics ConfigMap (Strimzi's example name)."""

MM2_SOURCE_CONNECTOR_METRIC_PREFIX = "kafka_connect_mirror_mirrorsourceconnector_"
"""Prefix the JMX exporter rules give the ``MirrorSourceConnector`` MBean's attributes
(``replication-latency-ms-max`` -> ``..._replication_latency_ms_max``; labels ``source``,
``target``, ``topic``, ``partition``)."""

STRIMZI_METRICS_PORT_NAME = "tcp-prometheus"
"""The container port Strimzi names for the JMX exporter endpoint (9404, path ``/metrics``)."""


def mirror_maker2_metrics_config() -> str:
    """Return the Prometheus JMX exporter rules for MirrorMaker 2's connectors, as YAML.

    The MirrorMaker 2 rules of Strimzi 1.2.0's example metrics configuration: the source
    connector's and the checkpoint connector's per-partition MBeans become gauges named
    ``kafka_connect_mirror_mirrorsourceconnector_<attribute>`` and
    ``kafka_connect_mirror_mirrorcheckpointconnector_<attribute>`` (lower case, ``-`` -> ``_``),
    plus the Connect worker's connector counts.
    """
    return (
        "lowercaseOutputName: true\n"
        "lowercaseOutputLabelNames: true\n"
        "rules:\n"
        "- pattern: kafka.connect<type=connect-worker-metrics><>([a-z-]+)\n"
        "  name: kafka_connect_worker_$1\n"
        '  help: "Kafka Connect JMX metric worker"\n'
        "  type: GAUGE\n"
        "- pattern: kafka.connect.mirror<type=MirrorSourceConnector, source=(.+), target=(.+), "
        "topic=(.+), partition=(.+)><>([a-z-_]+)\n"
        "  name: kafka_connect_mirror_mirrorsourceconnector_$5\n"
        "  labels:\n"
        '    source: "$1"\n'
        '    target: "$2"\n'
        '    topic: "$3"\n'
        '    partition: "$4"\n'
        '  help: "Kafka Mirror Maker 2 Source Connector metrics"\n'
        "  type: GAUGE\n"
        "- pattern: kafka.connect.mirror<type=MirrorCheckpointConnector, source=(.+), "
        "target=(.+), group=(.+), topic=(.+), partition=(.+)><>([a-z-_]+)\n"
        "  name: kafka_connect_mirror_mirrorcheckpointconnector_$6\n"
        "  labels:\n"
        '    source: "$1"\n'
        '    target: "$2"\n'
        '    group: "$3"\n'
        '    topic: "$4"\n'
        '    partition: "$5"\n'
        '  help: "Kafka Mirror Maker 2 Checkpoint Connector metrics"\n'
        "  type: GAUGE\n"
    )


_ALIAS = re.compile(r"^[a-zA-Z0-9._\-]{1,100}$")


def offset_sync_interval_seconds(rpo_target_seconds: int, replication_lag_seconds: float) -> int:
    """Return the checkpoint / group-offset-sync interval that fits an RPO target.

    A consumer that fails over resumes from the last synchronised offset, so the interval adds to
    the replication lag in the Kafka RPO. The interval takes a third of the room the lag leaves
    (margin for a slow checkpoint), between 1 and 60 s (MirrorMaker 2's default).

    Args:
        rpo_target_seconds: The RPO target.
        replication_lag_seconds: The assumed record replication lag.

    Raises:
        ValueError: If the lag alone leaves no room under the target.
    """
    room = rpo_target_seconds - replication_lag_seconds
    if room <= 1:
        raise ValueError(
            f"a replication lag of {replication_lag_seconds} s leaves no room under the RPO "
            f"target of {rpo_target_seconds} s for offset synchronisation. Raise the RPO target "
            "or lower the assumed lag (mirror_maker_lag_seconds)."
        )
    return max(1, min(60, math.floor(room / 3)))


def _check_alias(alias: str) -> str:
    if not _ALIAS.fullmatch(alias):
        raise ValueError(
            f"Kafka cluster alias {alias!r} must be 1-100 letters, digits, '.', '_' "
            "or '-' (the Strimzi CRD's pattern). Use the cell name, such as "
            "'eu-west-1'."
        )
    return alias


def _check_patterns(patterns: list[str], what: str) -> list[str]:
    if not patterns:
        raise ValueError(f"{what}: give at least one pattern ('.*' replicates everything).")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{what}: {pattern!r} is not a regular expression ({exc}).") from None
    return patterns


def mirror_maker2(
    *,
    name: str,
    namespace: str,
    source_alias: str,
    source_bootstrap_servers: str,
    target_alias: str,
    target_bootstrap_servers: str,
    checkpoint_interval_seconds: int,
    sync_group_offsets_interval_seconds: int,
    topics_pattern: str = ".*",
    groups_pattern: str = ".*",
    replicas: int = 1,
    tasks_max: int = 4,
    replication_factor: int = 3,
    trusted_ca_secret: str | None = None,
    labels: dict[str, str] | None = None,
    metrics_config_map: str | None = None,
) -> dict[str, Any]:
    """Return a ``KafkaMirrorMaker2`` custom resource replicating source into target.

    The resource runs in the target (standby) cluster's Kubernetes: Strimzi recommends running
    MirrorMaker 2 next to the target, so that producing is local and a failed source region only
    stops consumption.

    Args:
        name: ``metadata.name``.
        namespace: ``metadata.namespace``.
        source_alias: Alias of the source (primary) cluster, such as the primary cell's name.
        source_bootstrap_servers: ``host:port`` list of the source cluster.
        target_alias: Alias of the target (standby) cluster.
        target_bootstrap_servers: ``host:port`` list of the target cluster.
        checkpoint_interval_seconds: ``emit.checkpoints.interval.seconds``.
        sync_group_offsets_interval_seconds: ``sync.group.offsets.interval.seconds``.
        topics_pattern: Regular expression of the topics to mirror.
        groups_pattern: Regular expression of the consumer groups whose offsets to mirror.
        replicas: Kafka Connect workers.
        tasks_max: Maximum tasks per connector.
        replication_factor: Replication factor of mirrored and internal topics in the target.
        trusted_ca_secret: Secret (``ca.crt``) that holds the CA of both clusters' TLS listeners;
            ``None`` connects without TLS, which only an in-cluster listener should.
        labels: Extra ``metadata.labels``.
        metrics_config_map: ConfigMap (key :data:`MM2_METRICS_CONFIG_KEY`) holding
            :func:`mirror_maker2_metrics_config`, which ``spec.metricsConfig`` points the JMX
            exporter at; ``None`` exports no metrics.

    Raises:
        ValueError: For an alias or pattern the CRD or Kafka would refuse, or intervals that are
            not positive.
    """
    _check_alias(source_alias)
    _check_alias(target_alias)
    if source_alias == target_alias:
        raise ValueError(
            f"source and target aliases are both {source_alias!r}; with the identity "
            "replication policy the aliases must differ to tell the clusters apart."
        )
    _check_patterns([topics_pattern], "topics_pattern")
    _check_patterns([groups_pattern], "groups_pattern")
    for key, value in (
        ("checkpoint_interval_seconds", checkpoint_interval_seconds),
        ("sync_group_offsets_interval_seconds", sync_group_offsets_interval_seconds),
        ("replicas", replicas),
        ("tasks_max", tasks_max),
        ("replication_factor", replication_factor),
    ):
        if value < 1:
            raise ValueError(f"{key} must be at least 1, got {value}.")
    tls: dict[str, Any] = (
        {
            "tls": {
                "trustedCertificates": [{"secretName": trusted_ca_secret, "certificate": "ca.crt"}]
            }
        }
        if trusted_ca_secret
        else {}
    )
    metrics: dict[str, Any] = (
        {
            "metricsConfig": {
                "type": "jmxPrometheusExporter",
                "valueFrom": {
                    "configMapKeyRef": {"name": metrics_config_map, "key": MM2_METRICS_CONFIG_KEY}
                },
            }
        }
        if metrics_config_map
        else {}
    )
    rf = str(replication_factor)
    connector_common = {
        "replication.policy.class": IDENTITY_REPLICATION_POLICY,
        "replication.factor": rf,
        "offset-syncs.topic.replication.factor": rf,
        "offset-syncs.topic.location": "target",
    }
    return {
        "apiVersion": MM2_API_VERSION,
        "kind": "KafkaMirrorMaker2",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "obs-platform", **(labels or {})},
        },
        "spec": {
            "replicas": replicas,
            "target": {
                "alias": target_alias,
                "bootstrapServers": target_bootstrap_servers,
                "groupId": f"{name}-mm2",
                "configStorageTopic": f"{name}-mm2-configs",
                "statusStorageTopic": f"{name}-mm2-status",
                "offsetStorageTopic": f"{name}-mm2-offsets",
                **tls,
                "config": {
                    "config.storage.replication.factor": -1,
                    "offset.storage.replication.factor": -1,
                    "status.storage.replication.factor": -1,
                },
            },
            "mirrors": [
                {
                    "source": {
                        "alias": source_alias,
                        "bootstrapServers": source_bootstrap_servers,
                        **tls,
                    },
                    "sourceConnector": {
                        "tasksMax": tasks_max,
                        "config": {
                            **connector_common,
                            "sync.topic.acls.enabled": "false",
                            "refresh.topics.interval.seconds": "30",
                        },
                    },
                    "checkpointConnector": {
                        "tasksMax": tasks_max,
                        "config": {
                            **connector_common,
                            "checkpoints.topic.replication.factor": rf,
                            "emit.checkpoints.enabled": "true",
                            "emit.checkpoints.interval.seconds": str(checkpoint_interval_seconds),
                            "sync.group.offsets.enabled": "true",
                            "sync.group.offsets.interval.seconds": str(
                                sync_group_offsets_interval_seconds
                            ),
                            "refresh.groups.interval.seconds": "30",
                        },
                    },
                    "topicsPattern": topics_pattern,
                    "groupsPattern": groups_pattern,
                }
            ],
            **metrics,
        },
    }


def msk_replication_info(
    *,
    topics: list[str],
    consumer_groups: list[str],
    topics_exclude: list[str] | None = None,
    starting_position: str = "LATEST",
    compression: str = "NONE",
) -> dict[str, Any]:
    """Return the ``replication_info_list`` settings of an MSK Replicator (without cluster ARNs).

    Topic names are kept IDENTICAL (the replicator's default would prefix them with the source
    alias), topic configurations and ACLs are copied, new topics and groups are picked up, and
    consumer-group offsets are synchronised so consumers resume in the standby where they were.

    Args:
        topics: Regular expressions of the topics to replicate.
        consumer_groups: Regular expressions of the consumer groups to synchronise.
        topics_exclude: Topics not to replicate (MSK's internal topics are excluded by MSK).
        starting_position: ``LATEST`` (new records) or ``EARLIEST`` (whole history).
        compression: ``NONE``, ``GZIP``, ``SNAPPY``, ``LZ4`` or ``ZSTD`` in the target.

    Raises:
        ValueError: For empty or invalid patterns or an unknown position or compression.
    """
    _check_patterns(topics, "topics")
    _check_patterns(consumer_groups, "consumer_groups")
    if starting_position not in ("LATEST", "EARLIEST"):
        raise ValueError(f"starting_position {starting_position!r}: use 'LATEST' or 'EARLIEST'.")
    if compression not in ("NONE", "GZIP", "SNAPPY", "LZ4", "ZSTD"):
        raise ValueError(f"compression {compression!r}: use NONE, GZIP, SNAPPY, LZ4 or ZSTD.")
    topic_replication: dict[str, Any] = {
        "topics_to_replicates": list(topics),
        "topic_name_configuration": {"type": "IDENTICAL"},
        "copy_topic_configurations": True,
        "copy_access_control_lists_for_topics": True,
        "detect_and_copy_new_topics": True,
        "starting_position": {"type": starting_position},
    }
    if topics_exclude:
        topic_replication["topics_to_excludes"] = list(
            _check_patterns(topics_exclude, "topics_exclude")
        )
    return {
        "target_compression_type": compression,
        "topic_replications": [topic_replication],
        "consumer_group_replications": [
            {
                "consumer_groups_to_replicates": list(consumer_groups),
                "synchronise_consumer_group_offsets": True,
                "detect_and_copy_new_consumer_groups": True,
            }
        ],
    }
