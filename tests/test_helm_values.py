"""Helm values builders against the pinned charts' defaults and Loki's schema; pure helpers.

Every key path a builder sets must exist in the chart's default ``values.yaml`` or sit under a
map the chart leaves free-form. Paths the defaults lack but the chart documents (a commented key)
or reads in its templates (``.Values.<path>``) are listed per chart below, and each listing is
itself checked against the chart, so the allowance cannot hide a typo.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference
from obs_platform._internal import charts as pins
from obs_platform._internal import helm_values as hv
from obs_platform._internal.eks import (
    ami_type_for,
    check_instance_type,
    check_kubernetes_version,
    is_graviton,
)
from obs_platform._internal.helm_values import Scale
from obs_platform._internal.kubeconfig import pin_kubeconfig

KPS = pins.KUBE_PROMETHEUS_STACK.chart
GRAFANA = "grafana"  # kube-prometheus-stack's subchart, at the version it depends on
LOKI = pins.LOKI.chart
TEMPO = pins.TEMPO.chart
TEMPO_DISTRIBUTED = pins.TEMPO_DISTRIBUTED.chart

DOCUMENTED: dict[str, tuple[str, ...]] = {
    # Commented keys in the defaults, or subtrees a config template renders verbatim.
    KPS: ("alertmanager.alertmanagerSpec.configSecret",),
    GRAFANA: ("persistence.storageClassName", "serviceAccount.annotations"),
    LOKI: ("loki.storage.bucketNames", "loki.limits_config"),
    TEMPO: ("tempo.storage", "persistence.storageClassName"),
    TEMPO_DISTRIBUTED: ("storage.trace.s3",),
}


SUBCHART_KEYS: dict[str, tuple[str, ...]] = {
    # Values of kube-prometheus-stack's subcharts, which the reference data does not hold
    # (kube-state-metrics 8.4.0 and prometheus-node-exporter 4.56.1 keep ``image.registry``).
    KPS: ("kube-state-metrics.image", "prometheus-node-exporter.image.registry"),
}

MIRROR = {
    host: f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/{prefix}"
    for host, prefix in (
        ("quay.io", "quay"),
        ("registry.k8s.io", "k8s"),
        ("ghcr.io", "ghcr"),
        ("docker.io", "docker-hub"),
    )
}

UNUSED_IMAGES: dict[str, tuple[str, ...]] = {
    # Images of features the stack leaves off (CRD upgrade job, Thanos ruler, Helm tests,
    # image renderer, enterprise) or that a chart keeps for jobs it does not run.
    KPS: ("crds.upgradeJob.", "thanosRuler."),
    GRAFANA: ("testFramework.", "imageRenderer."),
    LOKI: ("test.", "defaults.statefulSetRecreateJob."),
    TEMPO: (),
    TEMPO_DISTRIBUTED: ("provisioner.",),
}


def _chart(name: str) -> reference.ChartReference:
    """The derived reference of a pinned chart, or of kube-prometheus-stack's Grafana."""
    if name == GRAFANA:
        return reference.chart(pins.KUBE_PROMETHEUS_STACK).dependency(GRAFANA)
    return reference.chart(name)


def _defaults(chart: str) -> dict[str, Any]:
    return _chart(chart).values


def _unknown(chart: str, values: dict[str, Any]) -> list[str]:
    """Unknown paths of a chart's values; kube-prometheus-stack's ``grafana:`` goes to Grafana."""
    if chart != KPS:
        return hv.unknown_value_paths(values, _defaults(chart), extra_known=DOCUMENTED[chart])
    own = {k: v for k, v in values.items() if k != "grafana"}
    unknown = hv.unknown_value_paths(
        own, _defaults(KPS), extra_known=DOCUMENTED[KPS] + SUBCHART_KEYS[KPS]
    )
    grafana_defaults = hv.deep_merge(_defaults(GRAFANA), _defaults(KPS)["grafana"])
    unknown += [
        "grafana." + p
        for p in hv.unknown_value_paths(
            values.get("grafana", {}), grafana_defaults, extra_known=DOCUMENTED[GRAFANA]
        )
    ]
    return unknown


def _kps(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = dict(
        cluster_name="shared-eks",
        storage_class="gp3",
        prometheus_retention_days=15,
        prometheus_volume_gib=200,
        prometheus_replicas=2,
        alertmanager_volume_gib=10,
        alertmanager_replicas=2,
        grafana_volume_gib=10,
        grafana_admin_secret="grafana-admin",
        node_exporter_namespace="monitoring-node-exporter",
    )
    settings.update(overrides)
    return hv.kube_prometheus_stack_values(**settings)


def _loki(scale: Scale = Scale.MONOLITHIC, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = dict(
        scale=scale,
        region="eu-west-1",
        chunks_bucket="chunks-b",
        ruler_bucket="ruler-b",
        retention_days=30,
    )
    settings.update(overrides)
    return hv.loki_values(**settings)


def _tempo(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = dict(
        region="eu-west-1",
        traces_bucket="traces-b",
        retention_days=14,
        storage_class="gp3",
        wal_volume_gib=20,
        metrics_remote_write_url="http://p:9090/api/v1/write",
    )
    settings.update(overrides)
    return hv.tempo_values(**settings)


def _tempo_distributed(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = dict(
        region="eu-west-1",
        traces_bucket="traces-b",
        retention_days=14,
        kafka_address="kafka:9092",
        kafka_partitions=3,
        metrics_remote_write_url="http://p:9090/api/v1/write",
    )
    settings.update(overrides)
    return hv.tempo_distributed_values(**settings)


def _all_builds() -> list[tuple[str, dict[str, Any]]]:
    amp = hv.AmpRemoteWrite(
        url="https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
        region="eu-west-1",
    )
    return [
        (KPS, _kps()),
        (
            KPS,
            _kps(
                amp=amp,
                prometheus_role_arn="arn:aws:iam::1:role/p",
                grafana_role_arn="arn:aws:iam::1:role/g",
            ),
        ),
        (LOKI, _loki()),
        (LOKI, _loki(Scale.DISTRIBUTED, role_arn="arn:aws:iam::1:role/l")),
        (TEMPO, _tempo()),
        (TEMPO, _tempo(role_arn="arn:aws:iam::1:role/t")),
        (TEMPO_DISTRIBUTED, _tempo_distributed()),
        (KPS, _kps(mirror=MIRROR)),
        (LOKI, _loki(Scale.DISTRIBUTED, mirror=MIRROR)),
        (TEMPO, _tempo(mirror=MIRROR)),
        (TEMPO_DISTRIBUTED, _tempo_distributed(mirror=MIRROR)),
    ]


# --- key paths against the reference -----------------------------------------------------------


@pytest.mark.parametrize("index", range(11))
def test_every_value_path_is_known_to_the_pinned_chart(index: int) -> None:
    chart, values = _all_builds()[index]
    assert _unknown(chart, values) == []


@pytest.mark.parametrize("chart", sorted(DOCUMENTED))
def test_documented_allowances_are_really_documented(chart: str) -> None:
    for path in DOCUMENTED[chart]:
        assert _chart(chart).documents(path), f"{chart}: {path} is neither commented nor templated"


@pytest.mark.parametrize(
    ("chart", "bad"),
    [
        (KPS, {"prometheus": {"prometheusSpec": {"retentionDays": "15d"}}}),
        (KPS, {"grafana": {"admin": {"existingSecrets": "x"}}}),
        (KPS, {"kubeScheduller": {"enabled": False}}),
        (LOKI, {"loki": {"storage": {"bucketName": {"chunks": "x"}}}}),
        (LOKI, {"singlebinary": {"replicas": 1}}),
        (TEMPO, {"tempo": {"retentionPeriod": "24h"}}),
        (TEMPO_DISTRIBUTED, {"ingest": {"kafkaAddress": "x"}}),
    ],
)
def test_a_wrong_key_fails(chart: str, bad: dict[str, Any]) -> None:
    good = dict(_all_builds())[chart]
    unknown = _unknown(chart, hv.deep_merge(good, bad))
    assert len(unknown) == 1


@pytest.mark.parametrize("scale", list(Scale))
def test_loki_values_pass_the_chart_schema(scale: Scale) -> None:
    schema = _chart(LOKI).values_schema
    assert schema is not None
    jsonschema.validate(_loki(scale, role_arn="arn:aws:iam::1:role/l"), schema)


def test_loki_schema_rejects_a_wrongly_typed_value() -> None:
    schema = _chart(LOKI).values_schema
    assert schema is not None
    bad = hv.deep_merge(_loki(), {"deploymentMode": 3})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_subchart_allowances_name_real_subcharts() -> None:
    dependencies = set(_chart(KPS).dependencies)
    assert {path.split(".")[0] for path in SUBCHART_KEYS[KPS]} <= dependencies


def _images(tree: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``{registry, repository}`` block in a values tree, with its dotted path."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(tree, dict):
        if "registry" in tree and "repository" in tree:
            found.append((path, tree))
        for key, value in tree.items():
            found += _images(value, f"{path}{key}.")
    return found


@pytest.mark.parametrize("index", range(7, 11))
def test_with_a_mirror_no_image_is_pulled_upstream(index: int) -> None:
    chart, values = _all_builds()[index]
    charts = [(chart, values)]
    if chart == KPS:  # Grafana's images are the subchart's, under ``grafana:``
        charts = [(KPS, values), (GRAFANA, values["grafana"])]
    mirrors = set(MIRROR.values())
    for name, ours in charts:
        merged = hv.deep_merge(_chart(name).image_defaults(), ours)
        global_registry = (merged.get("global") or {}).get("image", {}) or {}
        for path, image in _images(merged):
            if path.startswith(UNUSED_IMAGES[name]):
                continue
            registry = image["registry"] or global_registry.get("registry")
            if registry is None and name == LOKI:
                registry = merged["loki"]["image"]["registry"]  # components inherit it
            assert registry in mirrors, f"{name}: {path} pulls from {registry!r}"
            repository = image["repository"]  # None: inherited from the chart's main image
            if registry.endswith("/docker-hub") and repository and "/" not in repository:
                pytest.fail(f"{name}: {path} needs library/{image['repository']}")


def test_the_mirror_check_sees_every_default_image() -> None:
    # Without a mirror the same walk finds the charts' own registries: the derived image blocks
    # are the defaults' (a block lost in derivation would let an upstream pull through).
    images = dict(_images(_chart(KPS).image_defaults()))
    assert images["prometheus.prometheusSpec.image."] == {
        "registry": "quay.io",
        "repository": "prometheus/prometheus",
    }
    assert images["prometheusOperator.admissionWebhooks.patch.image."]["registry"] == "ghcr.io"
    assert len(images) == 10


# --- what the builders say ---------------------------------------------------------------------


def test_kube_prometheus_stack_eks_profile() -> None:
    values = _kps()
    assert values["crds"] == {"enabled": False}
    for target in ("kubeEtcd", "kubeScheduler", "kubeControllerManager", "kubeProxy"):
        assert values[target] == {"enabled": False}
    assert values["defaultRules"]["rules"] == {
        "etcd": False,
        "kubeControllerManager": False,
        "kubeSchedulerAlerting": False,
        "kubeSchedulerRecording": False,
        "kubeProxy": False,
        "windows": False,
    }
    spec = values["prometheus"]["prometheusSpec"]
    flags = {k: v for k, v in spec.items() if k.endswith("NilUsesHelmValues")}
    assert flags == {
        f"{kind}SelectorNilUsesHelmValues": False
        for kind in ("rule", "serviceMonitor", "podMonitor", "probe", "scrapeConfig")
    }
    assert spec["enableRemoteWriteReceiver"] is True
    assert spec["retention"] == "15d"
    assert spec["retentionSize"] == "180GB"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim == {
        "storageClassName": "gp3",
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "200Gi"}},
    }
    assert "remoteWrite" not in spec
    assert values["grafana"]["admin"] == {
        "existingSecret": "grafana-admin",
        "userKey": "admin-user",
        "passwordKey": "admin-password",
    }
    assert "adminPassword" not in values["grafana"]


def test_amp_remote_write_is_sigv4_signed() -> None:
    spec = _kps(
        amp=hv.AmpRemoteWrite(url="https://aps/ws/api/v1/remote_write", region="us-east-1"),
        prometheus_role_arn="arn:aws:iam::1:role/p",
    )["prometheus"]
    assert spec["prometheusSpec"]["remoteWrite"][0]["sigv4"] == {"region": "us-east-1"}
    assert spec["prometheusSpec"]["remoteWrite"][0]["url"] == "https://aps/ws/api/v1/remote_write"
    assert spec["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/p"
    }


def test_loki_schema_storage_and_modes() -> None:
    mono, dist = _loki(), _loki(Scale.DISTRIBUTED)
    assert mono["loki"]["schemaConfig"] == {
        "configs": [
            {
                "from": "2025-01-01",
                "store": "tsdb",
                "object_store": "s3",
                "schema": "v13",
                "index": {"prefix": "loki_index_", "period": "24h"},
            }
        ]
    }
    assert mono["loki"]["storage"] == {
        "type": "s3",
        "bucketNames": {"chunks": "chunks-b", "ruler": "ruler-b"},
        "s3": {"region": "eu-west-1"},
    }
    assert mono["loki"]["limits_config"]["retention_period"] == "720h"
    assert (mono["deploymentMode"], dist["deploymentMode"]) == ("Monolithic", "Distributed")
    assert mono["singleBinary"]["replicas"] == 1 and dist["singleBinary"]["replicas"] == 0
    assert mono["loki"]["commonConfig"]["replication_factor"] == 1
    assert dist["loki"]["commonConfig"]["replication_factor"] == 3
    for values in (mono, dist):  # simple-scalable stays off
        assert {values[t]["replicas"] for t in ("read", "write", "backend")} == {0}
    assert "annotations" not in mono["serviceAccount"]


def test_tempo_values_on_s3_with_otlp() -> None:
    mono, dist = _tempo(), _tempo_distributed(kafka_partitions=6)
    assert mono["tempo"]["storage"]["trace"] == {
        "backend": "s3",
        "s3": {
            "bucket": "traces-b",
            "endpoint": "s3.eu-west-1.amazonaws.com",
            "region": "eu-west-1",
        },
    }
    assert set(mono["tempo"]["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert mono["tempo"]["retention"] == "336h"
    assert dist["traces"]["otlp"] == {"grpc": {"enabled": True}, "http": {"enabled": True}}
    assert dist["blockBuilder"]["replicas"] == dist["liveStore"]["replicas"] == 6
    assert dist["ingest"]["kafka"] == {
        "address": "kafka:9092",
        "auto_create_topic_default_partitions": 6,
    }


def test_in_cluster_urls_follow_the_fixed_names() -> None:
    mono = hv.in_cluster_urls("monitoring", Scale.MONOLITHIC)
    dist = hv.in_cluster_urls("obs", Scale.DISTRIBUTED)
    assert mono.prometheus == "http://kps-prometheus.monitoring.svc.cluster.local:9090"
    assert mono.alertmanager == "http://kps-alertmanager.monitoring.svc.cluster.local:9093"
    assert mono.loki == "http://loki-gateway.monitoring.svc.cluster.local:80"
    assert mono.tempo == "http://tempo.monitoring.svc.cluster.local:3200"
    assert dist.tempo == "http://tempo-query-frontend.obs.svc.cluster.local:3200"
    assert dist.otlp_grpc == "tempo-distributor.obs.svc.cluster.local:4317"


_SECRET_WORDS = re.compile(r"password|secret|token|api_?key|webhook", re.IGNORECASE)


def _leaves(values: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(values, dict):
        return [leaf for k, v in values.items() for leaf in _leaves(v, f"{path}.{k}")]
    if isinstance(values, list):
        return [leaf for i, v in enumerate(values) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, values)]


def test_no_builder_puts_a_secret_in_values() -> None:
    allowed = {".grafana.admin.existingSecret", ".grafana.admin.passwordKey"}
    for _, values in _all_builds():
        for path, value in _leaves(values):
            if _SECRET_WORDS.search(path.rsplit(".", 1)[-1]):
                assert path in allowed, path
            assert not (isinstance(value, str) and value.startswith(("AKIA", "ghp_", "xox")))


# --- pure helpers ------------------------------------------------------------------------------

_keys = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
_trees = st.recursive(
    st.integers() | st.text(max_size=3) | st.none(),
    lambda inner: st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(_keys, _trees, max_size=5), st.dictionaries(_keys, _trees, max_size=5))
def test_deep_merge_overlay_wins_and_base_keys_survive(
    base: dict[str, Any], overlay: dict[str, Any]
) -> None:
    merged = hv.deep_merge(base, overlay)
    assert set(merged) == set(base) | set(overlay)
    for key, value in overlay.items():
        if not (isinstance(value, dict) and isinstance(base.get(key), dict)):
            assert merged[key] == value
    assert hv.deep_merge(merged, overlay) == merged  # idempotent


@given(st.dictionaries(_keys, _trees, max_size=5))
def test_a_tree_has_no_unknown_paths_against_itself(tree: dict[str, Any]) -> None:
    assert hv.unknown_value_paths(tree, tree) == []


@given(st.dictionaries(_keys, _trees, min_size=1, max_size=5))
def test_an_added_key_is_reported(tree: dict[str, Any]) -> None:
    assert hv.unknown_value_paths({**tree, "zz-not-there": 1}, tree) == ["zz-not-there"]


def test_free_form_defaults_accept_anything_below() -> None:
    defaults = {"a": {}, "b": [], "c": None, "d": {"e": 1}}
    values = {"a": {"x": {"y": 1}}, "b": {"q": 1}, "c": {"r": 2}, "d": {"e": 2, "f": 3}}
    assert hv.unknown_value_paths(values, defaults) == ["d.f"]
    assert hv.unknown_value_paths(values, defaults, free_form=["d"]) == []


def _kubeconfig(args: list[str]) -> dict[str, Any]:
    return {"users": [{"name": "aws", "user": {"exec": {"command": "aws", "args": args}}}]}


def test_kubeconfig_is_pinned_to_region_and_role() -> None:
    pinned = json.loads(
        pin_kubeconfig(
            _kubeconfig(["eks", "get-token", "--cluster-name", "c", "--region", "us-east-1"]),
            region="eu-west-1",
            role_arn="arn:aws:iam::1:role/deploy",
        )
    )
    assert pinned["users"][0]["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "c",
        "--region",
        "eu-west-1",
        "--role-arn",
        "arn:aws:iam::1:role/deploy",
    ]
    plain = json.loads(
        pin_kubeconfig(json.dumps(_kubeconfig(["eks", "get-token"])), region="eu-west-1")
    )
    assert plain["users"][0]["user"]["exec"]["args"] == [
        "eks",
        "get-token",
        "--region",
        "eu-west-1",
    ]
    with pytest.raises(ValueError, match="no 'aws eks get-token' user"):
        pin_kubeconfig({"users": []}, region="eu-west-1")


@pytest.mark.parametrize(
    ("instance_type", "graviton"),
    [
        ("m7i.xlarge", False),
        ("m7g.2xlarge", True),
        ("c7gn.metal", True),
        ("t4g.medium", True),
        ("r7i.large", False),
        ("c6in.32xlarge", False),
        ("m7i.metal-24xl", False),
        ("a1.large", True),
        ("m7i-flex.large", False),
    ],
)
def test_instance_types_and_architecture(instance_type: str, graviton: bool) -> None:
    assert check_instance_type(instance_type) == instance_type
    assert is_graviton(instance_type) is graviton


@pytest.mark.parametrize(
    "bad", ["m7i", "M7i.xlarge", "m7i.huge", "xlarge", "m7i.xlarge ", "m.large", "7m.large", ""]
)
def test_malformed_instance_types_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="is not an EC2 instance type"):
        check_instance_type(bad)


def test_ami_type_follows_the_architecture() -> None:
    assert ami_type_for(["m7i.xlarge", "m6i.xlarge"]) == "AL2023_x86_64_STANDARD"
    assert ami_type_for(["m7g.xlarge"]) == "AL2023_ARM_64_STANDARD"
    with pytest.raises(ValueError, match="mix Graviton"):
        ami_type_for(["m7g.xlarge", "m7i.xlarge"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.29", "out of EKS standard support"),
        ("1.34.1", "not an EKS Kubernetes version"),
        ("v1.34", "not an EKS Kubernetes version"),
    ],
)
def test_kubernetes_versions(value: str, message: str) -> None:
    assert check_kubernetes_version("1.34") == "1.34"
    with pytest.raises(ValueError, match=message):
        check_kubernetes_version(value)
