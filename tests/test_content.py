"""create_observability_content under the offline engine, and its kube-prometheus-stack overlay."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

import reference
from obs_platform._internal.alertmanager import (
    AlertingArgs,
    AlertRoute,
    SlackReceiver,
    WebhookReceiver,
)
from obs_platform._internal.charts import KUBE_PROMETHEUS_STACK
from obs_platform._internal.datasources import DatasourceEndpoints
from obs_platform._internal.errors import ObsPlatformError
from obs_platform._internal.helm_values import unknown_value_paths
from obs_platform.observability.content import (
    ObservabilityContent,
    create_observability_content,
    kubernetes_name,
    values_overlay,
)
from obs_platform.testing import Plan, run

SLACK_URL = "https://hooks.slack.com/services/T000/B000/SECRETSECRET"
HEARTBEAT_URL = "https://hc-ping.com/plain-string-token"
OWNER_TYPE = "test:index:Owner"
PROMETHEUSRULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"


def endpoints() -> DatasourceEndpoints:
    return DatasourceEndpoints(
        prometheus_url="http://kps-prometheus.monitoring:9090",
        loki_url="http://loki-gateway.monitoring",
        tempo_url="http://tempo.monitoring:3200",
        alertmanager_url="http://kps-alertmanager.monitoring:9093",
        region="eu-west-1",
        cloudwatch_role_arn="arn:aws:iam::123456789012:role/grafana-cloudwatch",
    )


def synthesize(
    alerting: AlertingArgs | None = None, *, captured: dict[str, Any] | None = None
) -> tuple[Plan, dict[str, Any]]:
    box: dict[str, Any] = {}

    def program() -> None:
        owner = pulumi.ComponentResource(OWNER_TYPE, "shared")
        provider = k8s.Provider("shared-k8s", kubeconfig="{}")
        gate = k8s.core.v1.Namespace(
            "shared-monitoring-ns",
            metadata={"name": "monitoring"},
            opts=pulumi.ResourceOptions(provider=provider),
        )
        config = pulumi.Config()
        args = alerting or AlertingArgs(
            slack_receivers=[
                SlackReceiver(
                    name="oncall", api_url=config.require_secret("slackUrl"), channel="#oncall"
                )
            ],
            webhook_receivers=[WebhookReceiver(name="heartbeat", url=HEARTBEAT_URL)],
            default_receiver="oncall",
            heartbeat_receiver="heartbeat",
            routes=[AlertRoute(receiver="oncall", severities=["critical"])],
        )
        content = create_observability_content(
            owner,
            "shared-content",
            namespace="monitoring",
            alerting=args,
            endpoints=endpoints(),
            rto_target_seconds=300,
            rpo_target_seconds=60,
            opts=pulumi.ResourceOptions(provider=provider, depends_on=[gate]),
        )
        box["content"] = content
        secret = content.resources[-1]
        assert isinstance(secret, k8s.core.v1.Secret)
        if captured is not None:
            secret.string_data.apply(lambda data: captured.update(data or {}))

    plan = run(
        program,
        config={"aws:region": "eu-west-1", "project:slackUrl": SLACK_URL},
        secret_keys={"project:slackUrl"},
    )
    return plan, box


@pytest.fixture(scope="module")
def synthesized() -> tuple[Plan, ObservabilityContent, dict[str, Any]]:
    captured: dict[str, Any] = {}
    plan, box = synthesize(captured=captured)
    return plan, box["content"], captured


def test_children_types_names_parent_and_provider(synthesized: Any) -> None:
    plan, content, _ = synthesized
    owner = plan.get("shared", OWNER_TYPE)
    provider = plan.get("shared-k8s")
    gate = plan.get("shared-monitoring-ns")
    children = {(r.type, r.name) for r in plan.children(owner)}
    assert children == {
        (PROMETHEUSRULE, "shared-content-rules-dr"),
        (PROMETHEUSRULE, "shared-content-rules-ingestion"),
        (PROMETHEUSRULE, "shared-content-rules-meta"),
        (CONFIGMAP, "shared-content-dashboard-overview"),
        (CONFIGMAP, "shared-content-dashboard-dr"),
        (CONFIGMAP, "shared-content-dashboard-cell"),
        (SECRET, "shared-content-alertmanager-config"),
    }
    assert len(content.resources) == 7
    for child in plan.children(owner):
        assert child.provider is not None and child.provider.startswith(provider.urn)
        assert gate.urn in child.depends_on
        assert child.inputs["metadata"]["namespace"] == "monitoring"
        assert child.region is None


def test_prometheusrules_carry_the_groups(synthesized: Any) -> None:
    plan, content, _ = synthesized
    rule = plan.get("shared-content-rules-dr", PROMETHEUSRULE)
    assert rule.inputs["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule.inputs["kind"] == "PrometheusRule"
    assert rule.inputs["metadata"]["name"] == "shared-content-rules-dr"
    (group,) = rule.inputs["spec"]["groups"]
    assert group["name"] == "obs-platform-dr"
    names = {r.get("alert") for r in group["rules"]}
    assert {
        "AuroraGlobalDBReplicationLagHigh",
        "PrimaryHealthCheckFailing",
        "StandbyNotReady",
    } <= names
    assert "Watchdog" in content.alert_names


def test_prometheusrule_inputs_validate_against_the_crd(synthesized: Any) -> None:
    plan, _, _ = synthesized
    validator = reference.crd("monitoring.coreos.com", "prometheusrules").validator("v1")
    rules = plan.by_type(PROMETHEUSRULE)
    assert len(rules) == 3
    for rule in rules:
        validator.validate(rule.inputs)


def test_dashboard_configmaps_are_labelled_for_the_sidecar(synthesized: Any) -> None:
    plan, content, _ = synthesized
    maps = plan.by_type(CONFIGMAP)
    assert sorted(m.name for m in maps) == [
        "shared-content-dashboard-cell",
        "shared-content-dashboard-dr",
        "shared-content-dashboard-overview",
    ]
    for config_map in maps:
        metadata = config_map.inputs["metadata"]
        assert metadata["labels"]["grafana_dashboard"] == "1"
        assert metadata["annotations"] == {"grafana_folder": "obs-platform"}
        ((file_name, body),) = config_map.inputs["data"].items()
        model = json.loads(body)
        assert file_name == f"{model['uid']}.json"
    assert content.dashboard_uids == [
        "obs-platform-overview",
        "obs-platform-dr",
        "obs-platform-cell",
    ]


def test_alertmanager_config_is_a_secret_and_no_url_leaks(synthesized: Any) -> None:
    plan, content, captured = synthesized
    secret = plan.get("shared-content-alertmanager-config", SECRET)
    assert secret.inputs["stringData"] == "[secret]"
    assert secret.inputs["metadata"]["name"] == content.alertmanager_config_secret
    assert content.alertmanager_config_secret == "shared-content-alertmanager-config"
    dumped = json.dumps(plan.to_json())
    assert SLACK_URL not in dumped
    assert HEARTBEAT_URL not in dumped  # a plain-string URL is made secret too
    assert "SECRETSECRET" not in json.dumps(content.values_overlay, default=str)
    config = yaml.safe_load(captured["alertmanager.yaml"])
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["oncall"]["slack_configs"][0]["api_url"] == SLACK_URL
    assert receivers["heartbeat"]["webhook_configs"][0]["url"] == HEARTBEAT_URL
    routes = {tuple(r["matchers"]): r["receiver"] for r in config["route"]["routes"]}
    assert routes[('alertname="Watchdog"',)] == "heartbeat"
    assert routes[('alertname="InfoInhibitor"',)] == "null"


def test_default_alerting_renders_a_null_config() -> None:
    captured: dict[str, Any] = {}
    plan, _ = synthesize(AlertingArgs(), captured=captured)
    assert plan.get("shared-content-alertmanager-config").inputs["stringData"] == "[secret]"
    config = yaml.safe_load(captured["alertmanager.yaml"])
    assert config["receivers"] == [{"name": "null"}]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"namespace": "Monitoring"}, "namespace"),
        ({"rto_target_seconds": 0}, "rto_target_seconds"),
        ({"rpo_target_seconds": 1.5}, "rpo_target_seconds"),
        ({"alerting": {"default_receiver": "null"}}, "alerting"),
        ({"endpoints": None}, "endpoints"),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(
    kwargs: dict[str, Any], field: str
) -> None:
    def program() -> None:
        owner = pulumi.ComponentResource(OWNER_TYPE, "shared")
        arguments: dict[str, Any] = {
            "namespace": "monitoring",
            "alerting": AlertingArgs(),
            "endpoints": endpoints(),
            "rto_target_seconds": 300,
            "rpo_target_seconds": 60,
            "opts": pulumi.ResourceOptions(),
        }
        arguments.update(kwargs)
        try:
            create_observability_content(owner, "shared-content", **arguments)
        except ObsPlatformError as exc:
            assert exc.field == field
            raise

    with pytest.raises(Exception, match=field) as info:
        run(program, config={"aws:region": "eu-west-1"})
    assert "ObsPlatformError" in repr(info.value.__cause__) or field in str(info.value)


def test_kubernetes_name() -> None:
    assert kubernetes_name("Shared_Obs", "rules-dr") == "shared-obs-rules-dr"
    assert len(kubernetes_name("x" * 80, "alertmanager-config")) == 63


# --- the values overlay against the pinned charts -----------------------------------------

# documented as a commented key in the chart's values.yaml
COMMENTED_KEYS = {"alertmanager.alertmanagerSpec.configSecret"}


def unknown_paths(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> list[str]:
    return unknown_value_paths(values, defaults, extra_known=COMMENTED_KEYS)


def merged_grafana_defaults(kps: dict[str, Any], grafana: dict[str, Any]) -> dict[str, Any]:
    def merge(a: Any, b: Any) -> Any:
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            return {
                k: merge(a.get(k), b.get(k)) if k in a and k in b else a.get(k, b.get(k))
                for k in {*a, *b}
            }
        return b if b is not None else a

    return dict(merge(grafana, kps["grafana"]))


def test_overlay_key_paths_exist_in_the_pinned_charts() -> None:
    kps_chart = reference.chart(KUBE_PROMETHEUS_STACK)
    kps, grafana = kps_chart.values, kps_chart.dependency("grafana").values
    overlay = values_overlay(endpoints=endpoints(), config_secret="shared-alertmanager-config")
    grafana_overlay = overlay.pop("grafana")
    assert unknown_paths(overlay, kps) == []
    merged = merged_grafana_defaults(kps, grafana)
    assert unknown_paths({"grafana": grafana_overlay}, {"grafana": merged}) == []
    assert all(kps_chart.documents(path) for path in COMMENTED_KEYS)


def test_overlay_content() -> None:
    overlay = values_overlay(endpoints=endpoints(), config_secret="shared-alertmanager-config")
    assert overlay["alertmanager"] == {
        "alertmanagerSpec": {
            "useExistingSecret": True,
            "configSecret": "shared-alertmanager-config",
        }
    }
    sidecar = overlay["grafana"]["sidecar"]
    assert sidecar["dashboards"]["label"] == "grafana_dashboard"
    assert sidecar["dashboards"]["labelValue"] == "1"
    assert sidecar["datasources"]["defaultDatasourceEnabled"] is False
    assert [d["uid"] for d in overlay["grafana"]["additionalDataSources"]] == [
        "prometheus",
        "loki",
        "tempo",
        "cloudwatch",
        "alertmanager",
    ]
    assert overlay["defaultRules"] == {"disabled": {"Watchdog": True}}
    assert overlay["prometheus"]["prometheusSpec"]["ruleSelectorNilUsesHelmValues"] is False


def test_unknown_path_check_catches_a_typo() -> None:
    kps = reference.chart(KUBE_PROMETHEUS_STACK).values
    assert unknown_paths({"alertmanager": {"alertmanagerSpecc": {}}}, kps) == [
        "alertmanager.alertmanagerSpecc"
    ]
