"""Kafka replication builders: the MM2 custom resource against its CRD, MSK Replicator settings."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import reference
from obs_platform._internal.kafka_replication import (
    IDENTITY_REPLICATION_POLICY,
    mirror_maker2,
    msk_replication_info,
    offset_sync_interval_seconds,
)


def _mm2(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        name="orders",
        namespace="kafka",
        source_alias="eu-west-1",
        source_bootstrap_servers="primary-kafka-bootstrap.example:9093",
        target_alias="us-east-1",
        target_bootstrap_servers="standby-kafka-bootstrap:9093",
        checkpoint_interval_seconds=18,
        sync_group_offsets_interval_seconds=18,
        trusted_ca_secret="cluster-ca",
    )
    args.update(overrides)
    return mirror_maker2(**args)


def _schema() -> dict[str, Any]:
    return reference.crd("kafka.strimzi.io", "kafkamirrormaker2s").schemas["v1"]


def test_mm2_validates_against_crd() -> None:
    resource = _mm2()
    schema = _schema()
    jsonschema.validate(resource, schema)
    assert resource["apiVersion"] == "kafka.strimzi.io/v1"


def test_crd_rejects_a_broken_resource() -> None:
    resource = _mm2()
    del resource["spec"]["target"]["groupId"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(resource, _schema())


def test_identity_policy_on_source_and_checkpoint_connectors() -> None:
    mirror = _mm2()["spec"]["mirrors"][0]
    assert (
        mirror["sourceConnector"]["config"]["replication.policy.class"]
        == IDENTITY_REPLICATION_POLICY
    )
    assert (
        mirror["checkpointConnector"]["config"]["replication.policy.class"]
        == IDENTITY_REPLICATION_POLICY
    )
    checkpoint = mirror["checkpointConnector"]["config"]
    assert checkpoint["emit.checkpoints.interval.seconds"] == "18"
    assert checkpoint["sync.group.offsets.interval.seconds"] == "18"
    assert checkpoint["sync.group.offsets.enabled"] == "true"
    assert mirror["source"]["tls"]["trustedCertificates"][0]["secretName"] == "cluster-ca"


def test_offset_interval_tuned_to_rpo() -> None:
    assert offset_sync_interval_seconds(60, 5.0) == 18
    assert offset_sync_interval_seconds(600, 5.0) == 60
    assert offset_sync_interval_seconds(4, 1.0) == 1
    with pytest.raises(ValueError, match="no room"):
        offset_sync_interval_seconds(5, 5.0)


@given(rpo=st.integers(3, 3600), lag=st.floats(0.1, 30))
def test_offset_interval_fits_under_target(rpo: int, lag: float) -> None:
    if rpo - lag <= 1:
        return
    interval = offset_sync_interval_seconds(rpo, lag)
    assert 1 <= interval <= 60
    assert lag + interval < rpo


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source_alias": "bad alias!"}, "alias"),
        ({"target_alias": "eu-west-1"}, "must differ"),
        ({"topics_pattern": "("}, "regular expression"),
        ({"checkpoint_interval_seconds": 0}, "at least 1"),
    ],
)
def test_mm2_refuses(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _mm2(**overrides)


def test_msk_replication_identical_names_and_offsets() -> None:
    info = msk_replication_info(
        topics=["orders.*"], consumer_groups=[".*"], topics_exclude=["tmp.*"]
    )
    topic = info["topic_replications"][0]
    assert topic["topic_name_configuration"] == {"type": "IDENTICAL"}
    assert topic["topics_to_replicates"] == ["orders.*"]
    assert topic["topics_to_excludes"] == ["tmp.*"]
    assert topic["starting_position"] == {"type": "LATEST"}
    groups = info["consumer_group_replications"][0]
    assert groups["synchronise_consumer_group_offsets"] is True
    assert groups["detect_and_copy_new_consumer_groups"] is True
    assert info["target_compression_type"] == "NONE"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"topics": []}, "at least one"),
        ({"topics": ["["]}, "regular expression"),
        ({"starting_position": "MIDDLE"}, "LATEST"),
        ({"compression": "BROTLI"}, "ZSTD"),
    ],
)
def test_msk_replication_refuses(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"topics": [".*"], "consumer_groups": [".*"], **kwargs}
    with pytest.raises(ValueError, match=message):
        msk_replication_info(**args)


def test_mirror_maker_exports_the_latency_metric_the_dr_rules_read() -> None:
    from obs_platform._internal.alert_rules import MM2_REPLICATION_LATENCY_MS
    from obs_platform._internal.kafka_replication import (
        MM2_METRICS_CONFIG_KEY,
        mirror_maker2_metrics_config,
    )

    config = yaml.safe_load(mirror_maker2_metrics_config())
    assert (config["lowercaseOutputName"], config["lowercaseOutputLabelNames"]) == (True, True)
    # The JMX exporter matches "domain<properties><>attribute" and names the sample from the
    # rule; names are lower-cased and characters Prometheus refuses become "_".
    bean = (
        "kafka.connect.mirror<type=MirrorSourceConnector, source=eu-west-1, target=us-east-1, "
        "topic=orders, partition=0><>replication-latency-ms-max"
    )
    named = []
    for rule in config["rules"]:
        match = re.fullmatch(rule["pattern"], bean)
        if match:
            name = match.expand(re.sub(r"\$(\d)", r"\\\1", rule["name"]))
            labels = {
                k: match.expand(re.sub(r"\$(\d)", r"\\\1", v))
                for k, v in rule.get("labels", {}).items()
            }
            named.append((re.sub(r"[^a-zA-Z0-9_:]", "_", name.lower()), labels))
    assert named == [
        (
            MM2_REPLICATION_LATENCY_MS,
            {"source": "eu-west-1", "target": "us-east-1", "topic": "orders", "partition": "0"},
        )
    ]
    resource = _mm2(metrics_config_map="app-mm2-metrics")
    assert resource["spec"]["metricsConfig"] == {
        "type": "jmxPrometheusExporter",
        "valueFrom": {
            "configMapKeyRef": {"name": "app-mm2-metrics", "key": MM2_METRICS_CONFIG_KEY}
        },
    }
