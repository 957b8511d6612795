"""Alert rules: structure, runbook links, promtool check/test, and the PrometheusRule CRD."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import reference
from obs_platform._internal import alert_rules as ar

RPO = 60
RTO = 300
PROJECT_ROOT = Path(__file__).resolve().parents[1]
RUNBOOK = PROJECT_ROOT / "docs" / "runbook.md"

REQUIRED_ALERTS = {
    "AuroraGlobalDBReplicationLagHigh",  # replication lag above the RPO target
    "KafkaReplicationLagHigh",
    "MskReplicatorLagHigh",
    "PrimaryHealthCheckFailing",
    "StandbyNotReady",
    "ArcUngracefulFunctionFailing",  # the automatic ungraceful path cannot run
    "RemoteWriteFailing",
    "LokiIngestionErrors",
    "TempoIngestionErrors",
    "Watchdog",
}


def groups(rpo: int = RPO, rto: int = RTO) -> list[dict[str, Any]]:
    return ar.build_rule_groups(rpo_target_seconds=rpo, rto_target_seconds=rto)


def alerts(gs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for group in gs for rule in group["rules"] if "alert" in rule]


def rule(gs: list[dict[str, Any]], name: str, severity: str) -> dict[str, Any]:
    (found,) = [r for r in alerts(gs) if r["alert"] == name and r["labels"]["severity"] == severity]
    return found


# --- structure ------------------------------------------------------------------------------


def test_required_alerts_exist_and_names_are_listed_in_order() -> None:
    gs = groups()
    names = ar.alert_names(gs)
    assert set(names) >= REQUIRED_ALERTS
    assert len(names) == len(set(names))
    assert [g["name"] for g in gs] == [
        "obs-platform-dr",
        "obs-platform-ingestion",
        "obs-platform-meta",
    ]


def test_every_alert_has_severity_summary_description_and_runbook_url() -> None:
    for alert in alerts(groups()):
        assert alert["labels"]["severity"] in {"critical", "warning", "none"}, alert
        annotations = alert["annotations"]
        assert set(annotations) == {"summary", "description", "runbook_url"}
        assert annotations["summary"].strip() and annotations["description"].strip()
        assert annotations["runbook_url"] == (
            "https://obs-platform.readthedocs.io/en/latest/runbook.html#"
            + ar.runbook_anchor(alert["alert"])
        )


def test_every_runbook_url_has_a_section_in_the_runbook() -> None:
    text = RUNBOOK.read_text()
    targets = set(re.findall(r"^\(([a-z0-9-]+)\)=$", text, flags=re.MULTILINE))
    for name in ar.alert_names(groups()):
        anchor = ar.runbook_anchor(name)
        assert anchor in targets, f"docs/runbook.md has no '({anchor})=' section for {name}"
        section = text.split(f"({anchor})=", 1)[1].split("\n(", 1)[0]
        for heading in ("Meaning", "Impact", "Diagnosis", "Action"):
            assert f"**{heading}**" in section, f"{name}: runbook lacks {heading}"


def test_runbook_anchor_examples() -> None:
    assert ar.runbook_anchor("AuroraGlobalDBReplicationLagHigh") == (
        "aurora-global-db-replication-lag-high"
    )
    assert ar.runbook_anchor("Watchdog") == "watchdog"
    assert ar.runbook_anchor("MskReplicatorLagHigh") == "msk-replicator-lag-high"


@given(st.from_regex(r"[A-Z][A-Za-z0-9]{0,30}", fullmatch=True))
def test_runbook_anchor_is_a_valid_html_id(name: str) -> None:
    anchor = ar.runbook_anchor(name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", anchor)
    assert anchor.replace("-", "") == name.lower()


@given(rpo=st.integers(1, 3600), rto=st.integers(1, 7200))
def test_thresholds_follow_the_targets(rpo: int, rto: int) -> None:
    gs = groups(rpo, rto)
    critical = rule(gs, "AuroraGlobalDBReplicationLagHigh", "critical")
    warning = rule(gs, "AuroraGlobalDBReplicationLagHigh", "warning")
    assert critical["expr"].endswith(f'> {rpo * 1000}, "cell", "$1", "tag_cell", "(.+)")')
    assert f"> {rpo * 1000 // 2}," in warning["expr"]
    assert f"> {rpo * 1000}" in rule(gs, "KafkaReplicationLagHigh", "critical")["expr"]
    overdue = rule(gs, "FailoverOverdue", "critical")
    assert _seconds(overdue["for"]) == rto
    records = {r["record"]: r["expr"] for g in gs for r in g["rules"] if "record" in r}
    assert records[ar.RPO_TARGET_RECORD] == f"vector({rpo})"
    assert records[ar.RTO_TARGET_RECORD] == f"vector({rto})"


def _seconds(duration: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", duration))


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "60"])
def test_bad_targets_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="rpo_target_seconds must be a positive whole number"):
        ar.build_rule_groups(rpo_target_seconds=bad, rto_target_seconds=300)


def test_metric_names_are_the_exporters_names() -> None:
    text = yaml.safe_dump(groups())
    for metric in (
        "aws_route53_health_check_status_minimum",
        "aws_rds_aurora_global_dbreplication_lag_average",
        "aws_kafka_replication_latency_maximum",
        "aws_lambda_errors_sum",
        "aws_lambda_throttles_sum",
        "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max",
        "prometheus_remote_storage_samples_failed_total",
        "prometheus_remote_storage_samples_total",
        "otelcol_exporter_send_failed_metric_points_total",
        "otelcol_exporter_sent_metric_points_total",
        "loki_request_duration_seconds_count",
        "loki_discarded_samples_total",
        "tempo_distributor_spans_received_total",
        "tempo_discarded_spans_total",
    ):
        assert metric in text


# --- promtool -------------------------------------------------------------------------------

CELL = "eu-west-1"
STANDBY = "us-east-1"


def _series(metric: str, labels: dict[str, str], values: str) -> dict[str, str]:
    body = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{metric}{{{body}}}", "values": values}


AURORA = {
    "dimension_DBClusterIdentifier": "app-secondary",
    "tag_cell": STANDBY,
    "tag_dr_role": "standby",
}
MM2 = {"cell": CELL, "topic": "orders", "partition": "0"}
MSK = {"dimension_ReplicatorName": "orders-replicator", "tag_cell": CELL}
# PilotLightDr tags its (primary) health check with the cell only
HC_PRIMARY = {"dimension_HealthCheckId": "hc-primary", "tag_cell": CELL}
HC_STANDBY = {
    "dimension_HealthCheckId": "hc-standby",
    "tag_dr_role": "standby",
    "tag_cell": STANDBY,
}
NODE_STANDBY = {
    "cell": STANDBY,
    "dr_role": "standby",
    "dr_strategy": "pilot-light",
    "k8s_node_name": "ip-10-1-0-10",
}
# The pilot-light primary always has nodes; its standby at zero nodes ships nothing.
NODE_PRIMARY = {**NODE_STANDBY, "cell": CELL, "dr_role": "primary"}
# The standby's control plane and launched instances, read from CloudWatch through YACE.
EKS_STANDBY = {
    "dimension_ClusterName": "us-east-1-eks",
    "tag_cell": STANDBY,
    "tag_dr_role": "standby",
}


# The pair's ungraceful-failover function, tagged like the standby (dr.ungraceful).
UNGRACEFUL = {"dimension_FunctionName": "app-arc-ungraceful", "tag_cell": STANDBY}
OTHER_FUNCTION = {"dimension_FunctionName": "orders-worker", "tag_cell": STANDBY}


def ec2_standby(instance: str) -> dict[str, str]:
    return {"dimension_InstanceId": instance, "tag_cell": STANDBY, "tag_dr_role": "standby"}


# A cell's collector's own exporter metrics (prometheus/self), labelled like all it ships.
COLLECTOR = {
    "cell": CELL,
    "dr_role": "primary",
    "dr_strategy": "pilot-light",
    "exporter": "prometheusremotewrite",
    "job": "otel-collector",
    "instance": "127.0.0.1:8888",
}
WRITE = {"handler": "/api/v1/write", "job": "kps-prometheus", "instance": "prometheus-0:9090"}
AMP = {
    "remote_name": "amp",
    "url": "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
    "job": "kps-prometheus",
    "instance": "prometheus-0:9090",
}
LOKI = {"namespace": "monitoring", "job": "monitoring/loki", "route": "loki_api_v1_push"}
TEMPO = {"namespace": "monitoring", "job": "monitoring/tempo", "tenant": "single-tenant"}
LOKI_DISCARD = {"tenant": "fake", "reason": "rate_limited"}

# name -> (firing series, eval minutes, [(severity, labels)], healthy series)
CASES: dict[
    str, tuple[list[dict[str, str]], int, list[tuple[str, dict[str, str]]], list[dict[str, str]]]
] = {
    "AuroraGlobalDBReplicationLagHigh": (
        [_series(ar.AURORA_GLOBAL_LAG_MS, AURORA, "90000x20")],
        10,
        [
            (
                sev,
                {
                    "dimension_DBClusterIdentifier": "app-secondary",
                    "tag_cell": STANDBY,
                    "cell": STANDBY,
                },
            )
            for sev in ("warning", "critical")
        ],
        [_series(ar.AURORA_GLOBAL_LAG_MS, AURORA, "400x20")],
    ),
    "KafkaReplicationLagHigh": (
        [_series(ar.MM2_REPLICATION_LATENCY_MS, MM2, "45000x20")],
        10,
        [("warning", {"cell": CELL, "topic": "orders"})],
        [_series(ar.MM2_REPLICATION_LATENCY_MS, MM2, "250x20")],
    ),
    "MskReplicatorLagHigh": (
        [_series(ar.MSK_REPLICATOR_LATENCY_MS, MSK, "120000x20")],
        10,
        [
            (sev, {"dimension_ReplicatorName": "orders-replicator", "tag_cell": CELL, "cell": CELL})
            for sev in ("warning", "critical")
        ],
        [_series(ar.MSK_REPLICATOR_LATENCY_MS, MSK, "900x20")],
    ),
    "PrimaryHealthCheckFailing": (
        [
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "1 1 0x10"),
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_STANDBY, "1x12"),
        ],
        6,
        [("critical", {"dimension_HealthCheckId": "hc-primary", "tag_cell": CELL, "cell": CELL})],
        # the standby failing is not the primary failing
        [
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "1x12"),
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_STANDBY, "0x12"),
        ],
    ),
    "FailoverOverdue": (
        # the primary down beyond the RTO target, the standby's health check failing too
        [
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "0x12"),
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_STANDBY, "0x12"),
        ],
        10,
        [("critical", {"tag_cell": CELL, "cell": CELL})],
        # primary down but the standby took over
        [
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "0x12"),
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_STANDBY, "1x12"),
        ],
    ),
    "StandbyNotReady": (
        # a standby at zero nodes: its control plane answers for 10 minutes, then it is gone
        [_series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x10 _x30")],
        30,
        [("critical", {"cell": STANDBY, "reason": "control-plane"})],
        # healthy at zero nodes: the control plane answers, no instance, no node, no collector
        [_series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x40")],
    ),
    "ArcUngracefulFunctionFailing": (
        # errors every minute, then (a second pair) throttled every minute
        [
            _series(ar.LAMBDA_ERRORS, UNGRACEFUL, "1x10"),
            _series(ar.LAMBDA_THROTTLES, UNGRACEFUL, "0x10"),
            _series(
                ar.LAMBDA_THROTTLES,
                {**UNGRACEFUL, "dimension_FunctionName": "db-arc-ungraceful"},
                "1x10",
            ),
        ],
        8,
        [
            (
                "critical",
                {"dimension_FunctionName": name, "tag_cell": STANDBY, "cell": STANDBY},
            )
            for name in ("app-arc-ungraceful", "db-arc-ungraceful")
        ],
        # a lone error, and another function's errors, page nobody
        [
            _series(ar.LAMBDA_ERRORS, UNGRACEFUL, "0 0 1 0x8"),
            _series(ar.LAMBDA_THROTTLES, UNGRACEFUL, "0x10"),
            _series(ar.LAMBDA_ERRORS, OTHER_FUNCTION, "1x10"),
        ],
    ),
    "DrSignalsMissing": (
        # a pilot-light primary reports, its standby is at zero nodes (no collector series),
        # and neither a primary health-check status nor the standby's control plane arrives
        [
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_STANDBY, "1x30"),
            _series(ar.NODE_METRIC, NODE_PRIMARY, "4e9x30"),
        ],
        20,
        [
            ("warning", {"signal": "route53-health-check"}),
            ("warning", {"signal": "standby-control-plane"}),
        ],
        [
            _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "1x30"),
            _series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x30"),
            _series(ar.NODE_METRIC, NODE_PRIMARY, "4e9x30"),
        ],
    ),
    "RemoteWriteRejected": (
        [
            _series("prometheus_http_requests_total", {**WRITE, "code": "400"}, "0+10x30"),
            _series("prometheus_http_requests_total", {**WRITE, "code": "204"}, "0+100x30"),
        ],
        25,
        [("warning", {"job": "kps-prometheus"})],
        [
            _series("prometheus_http_requests_total", {**WRITE, "code": "400"}, "0+0x30"),
            _series("prometheus_http_requests_total", {**WRITE, "code": "204"}, "0+100x30"),
        ],
    ),
    "RemoteWriteFailing": (
        # the cell's collector loses a fifth of its points (some batches refused)
        [
            _series(ar.COLLECTOR_FAILED, COLLECTOR, "0+200x30"),
            _series(ar.COLLECTOR_SENT, COLLECTOR, "0+800x30"),
        ],
        25,
        [
            (sev, {"cell": CELL, "exporter": "prometheusremotewrite"})
            for sev in ("warning", "critical")
        ],
        [
            _series(ar.COLLECTOR_FAILED, COLLECTOR, "0+0x30"),
            _series(ar.COLLECTOR_SENT, COLLECTOR, "0+1000x30"),
        ],
    ),
    "AmpRemoteWriteFailing": (
        [
            _series("prometheus_remote_storage_samples_failed_total", AMP, "0+200x30"),
            _series("prometheus_remote_storage_samples_total", AMP, "0+1000x30"),
        ],
        25,
        [(sev, {"remote_name": "amp", "url": AMP["url"]}) for sev in ("warning", "critical")],
        [
            _series("prometheus_remote_storage_samples_failed_total", AMP, "0+0x30"),
            _series("prometheus_remote_storage_samples_total", AMP, "0+1000x30"),
        ],
    ),
    "CellTelemetryStopped": (
        # the cell shipped for 20 minutes, then nothing arrives (its connection fails)
        [_series(ar.COLLECTOR_SENT, COLLECTOR, "0+100x20 _x30")],
        40,
        [("critical", {"cell": CELL})],
        [_series(ar.COLLECTOR_SENT, COLLECTOR, "0+100x50")],
    ),
    "LokiIngestionErrors": (
        [
            _series(
                "loki_request_duration_seconds_count", {**LOKI, "status_code": "500"}, "0+100x30"
            ),
            _series(
                "loki_request_duration_seconds_count", {**LOKI, "status_code": "204"}, "0+100x30"
            ),
        ],
        25,
        [(sev, LOKI) for sev in ("warning", "critical")],
        [
            _series(
                "loki_request_duration_seconds_count", {**LOKI, "status_code": "500"}, "0+0x30"
            ),
            _series(
                "loki_request_duration_seconds_count", {**LOKI, "status_code": "204"}, "0+100x30"
            ),
        ],
    ),
    "TempoIngestionErrors": (
        [
            _series("tempo_discarded_spans_total", {**TEMPO, "reason": "rate_limited"}, "0+50x30"),
            _series("tempo_distributor_spans_received_total", TEMPO, "0+100x30"),
        ],
        25,
        [
            (sev, {"namespace": "monitoring", "job": "monitoring/tempo"})
            for sev in ("warning", "critical")
        ],
        [
            _series("tempo_discarded_spans_total", {**TEMPO, "reason": "rate_limited"}, "0+0x30"),
            _series("tempo_distributor_spans_received_total", TEMPO, "0+100x30"),
        ],
    ),
    "LokiDiscardingLogs": (
        [_series("loki_discarded_samples_total", LOKI_DISCARD, "0+10x30")],
        25,
        [("warning", LOKI_DISCARD)],
        [_series("loki_discarded_samples_total", LOKI_DISCARD, "0+0x30")],
    ),
    "Watchdog": ([], 1, [("none", {})], []),
}


# More firing scenarios: (name, (series, eval minutes, [(severity, labels)]))
EXTRA_FIRING: list[
    tuple[str, tuple[list[dict[str, str]], int, list[tuple[str, dict[str, str]]]]]
] = [
    # PilotLightDr creates no standby health check: the alert asks a human after the RTO target
    (
        "FailoverOverdue",
        (
            [_series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "0x12")],
            10,
            [("critical", {"tag_cell": CELL, "cell": CELL})],
        ),
    ),
    # scaled up, but one of its two running instances never became a reporting node
    (
        "StandbyNotReady",
        (
            [
                _series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x30"),
                _series(ar.EC2_STATUS_CHECK_FAILED, ec2_standby("i-01"), "0x30"),
                _series(ar.EC2_STATUS_CHECK_FAILED, ec2_standby("i-02"), "0x30"),
                _series(ar.NODE_METRIC, NODE_STANDBY, "4e9x30"),
            ],
            20,
            [("critical", {"cell": STANDBY, "reason": "nodes"})],
        ),
    ),
    # scaled up, an instance runs, no node ever reports (it cannot join the cluster)
    (
        "StandbyNotReady",
        (
            [
                _series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x30"),
                _series(ar.EC2_STATUS_CHECK_FAILED, ec2_standby("i-01"), "0x30"),
            ],
            20,
            [("critical", {"cell": STANDBY, "reason": "nodes"})],
        ),
    ),
    # the primary's health check arrives, the standby's control plane does not
    (
        "DrSignalsMissing",
        (
            [
                _series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "1x30"),
                _series(ar.NODE_METRIC, NODE_PRIMARY, "4e9x30"),
            ],
            20,
            [("warning", {"signal": "standby-control-plane"})],
        ),
    ),
    # between half the target and the target: the warning only
    (
        "AuroraGlobalDBReplicationLagHigh",
        (
            [_series(ar.AURORA_GLOBAL_LAG_MS, AURORA, "45000x20")],
            10,
            [
                (
                    "warning",
                    {
                        "dimension_DBClusterIdentifier": "app-secondary",
                        "tag_cell": STANDBY,
                        "cell": STANDBY,
                    },
                )
            ],
        ),
    ),
]

# More healthy scenarios: name -> (series, eval minutes)
EXTRA_QUIET: dict[str, tuple[list[dict[str, str]], int]] = {
    # no pilot-light cell at all: missing health checks are expected, not an alert
    "DrSignalsMissing": (
        [_series(ar.NODE_METRIC, {**NODE_PRIMARY, "dr_strategy": "none"}, "4e9x30")],
        20,
    ),
    # scaled up and ready: every running instance is a node that reports
    "StandbyNotReady": (
        [
            _series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x30"),
            _series(ar.EC2_STATUS_CHECK_FAILED, ec2_standby("i-01"), "0x30"),
            _series(ar.EC2_STATUS_CHECK_FAILED, ec2_standby("i-02"), "0x30"),
            _series(ar.NODE_METRIC, NODE_STANDBY, "4e9x30"),
            _series(ar.NODE_METRIC, {**NODE_STANDBY, "k8s_node_name": "ip-10-1-0-11"}, "4e9x30"),
            # scaled back: a terminated instance has no datapoint left (YACE exports NaN)
            _series(ar.EC2_STATUS_CHECK_FAILED, ec2_standby("i-00"), " ".join(["NaN"] * 31)),
        ],
        20,
    ),
    # a standby scaled to zero stops shipping by design: StandbyNotReady's business
    "CellTelemetryStopped": (
        [_series(ar.COLLECTOR_SENT, {**COLLECTOR, "dr_role": "standby"}, "0+100x20 _x30")],
        40,
    ),
    # a collector that cannot reach the central stack cannot report its own failures: the
    # ratio alert stays quiet and CellTelemetryStopped (above) fires instead
    "RemoteWriteFailing": ([_series(ar.COLLECTOR_SENT, COLLECTOR, "0+100x20 _x30")], 40),
    # the primary down for less than the RTO target, no standby health check at all
    "FailoverOverdue": ([_series(ar.ROUTE53_HEALTH_CHECK_STATUS, HC_PRIMARY, "1 0x12")], 4),
    # lag just under half the RPO target: quiet
    "AuroraGlobalDBReplicationLagHigh": (
        [_series(ar.AURORA_GLOBAL_LAG_MS, AURORA, "29000x20")],
        10,
    ),
}


def _render(template: str, labels: dict[str, str]) -> str:
    """Render the only template construct our annotations use: ``{{ $labels.name }}``."""

    def label(match: re.Match[str]) -> str:
        return labels.get(match.group(1), "")

    rendered = re.sub(r"\{\{ \$labels\.(\w+) \}\}", label, template)
    assert "{{" not in rendered, f"unsupported template in {template!r}"
    return rendered


def promtool_tests(gs: list[dict[str, Any]], rules_file: str) -> dict[str, Any]:
    """Return a ``promtool test rules`` file: each alert fires on its series, and is quiet on
    healthy ones."""
    tests = []
    firing_cases = [(name, case[:3]) for name, case in CASES.items()] + EXTRA_FIRING
    for name, (firing, minutes, expected) in firing_cases:
        exp_alerts = []
        for severity, labels in expected:
            definition = rule(gs, name, severity)
            full = {**labels, "severity": severity}
            exp_alerts.append(
                {
                    "exp_labels": full,
                    "exp_annotations": {
                        k: _render(v, {**full, "alertname": name})
                        for k, v in definition["annotations"].items()
                    },
                }
            )
        tests.append(
            {
                "name": f"{name} fires",
                "interval": "1m",
                "input_series": firing,
                "alert_rule_test": [
                    {"eval_time": f"{minutes}m", "alertname": name, "exp_alerts": exp_alerts}
                ],
            }
        )
    for name, (_, minutes, _, healthy) in CASES.items():
        if name != "Watchdog":  # the Watchdog fires always, by design
            tests.append(
                {
                    "name": f"{name} quiet",
                    "interval": "1m",
                    "input_series": healthy,
                    "alert_rule_test": [
                        {"eval_time": f"{minutes}m", "alertname": name, "exp_alerts": []}
                    ],
                }
            )
    for name, (series, minutes) in EXTRA_QUIET.items():
        tests.append(
            {
                "name": f"{name} quiet (extra)",
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": f"{minutes}m", "alertname": name, "exp_alerts": []}
                ],
            }
        )
    tests.append(
        {
            "name": "recording rules",
            "interval": "1m",
            "input_series": [
                _series(ar.AURORA_GLOBAL_LAG_MS, AURORA, "1500x10"),
                _series(ar.MM2_REPLICATION_LATENCY_MS, MM2, "2000x10"),
                _series(ar.MSK_REPLICATOR_LATENCY_MS, MSK, "500x10"),
                _series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x10"),
                _series(
                    ar.EKS_APISERVER_REQUESTS,
                    {**EKS_STANDBY, "tag_cell": "ap-south-1"},
                    "120x2 _x8",
                ),
            ],
            "promql_expr_test": [
                {
                    "expr": ar.REPLICATION_LAG_RECORD,
                    "eval_time": "5m",
                    "exp_samples": [
                        {
                            "labels": f'{ar.REPLICATION_LAG_RECORD}{{source="aurora", '
                            f'cell="{STANDBY}", tag_cell="{STANDBY}", '
                            'dimension_DBClusterIdentifier="app-secondary"}',
                            "value": 1.5,
                        },
                        {
                            "labels": f'{ar.REPLICATION_LAG_RECORD}{{source="mirrormaker2", '
                            f'cell="{CELL}"}}',
                            "value": 2,
                        },
                        {
                            "labels": f'{ar.REPLICATION_LAG_RECORD}{{source="msk-replicator", '
                            f'cell="{CELL}", tag_cell="{CELL}", '
                            'dimension_ReplicatorName="orders-replicator"}',
                            "value": 0.5,
                        },
                    ],
                },
                {
                    "expr": ar.STANDBY_READY_RECORD,
                    "eval_time": "9m",
                    "exp_samples": [
                        {"labels": f'{ar.STANDBY_READY_RECORD}{{cell="{STANDBY}"}}', "value": 1},
                        {"labels": f'{ar.STANDBY_READY_RECORD}{{cell="ap-south-1"}}', "value": 0},
                    ],
                },
                {
                    "expr": ar.RPO_TARGET_RECORD,
                    "eval_time": "5m",
                    "exp_samples": [{"labels": ar.RPO_TARGET_RECORD, "value": RPO}],
                },
            ],
        }
    )
    return {"rule_files": [rules_file], "evaluation_interval": "30s", "tests": tests}


def _write(tmp_path: Path, gs: list[dict[str, Any]]) -> tuple[Path, Path]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": gs}, sort_keys=False))
    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump(promtool_tests(gs, rules.name), sort_keys=False))
    return rules, tests


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_every_alert_has_a_promtool_case() -> None:
    assert set(CASES) == set(ar.alert_names(groups()))
    for name, (_, _, expected, healthy) in CASES.items():
        assert expected, name
        assert healthy or name == "Watchdog", name


@pytest.mark.tool
def test_promtool_check_rules_passes_for_every_group(promtool: str, tmp_path: Path) -> None:
    for group in groups():
        path = tmp_path / f"{group['name']}.yaml"
        path.write_text(yaml.safe_dump({"groups": [group]}, sort_keys=False))
        result = _run(promtool, "check", "rules", str(path), cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout + result.stderr


@pytest.mark.tool
def test_promtool_unit_tests_fire_on_bad_series_and_stay_quiet_on_healthy(
    promtool: str, tmp_path: Path
) -> None:
    _, tests = _write(tmp_path, groups())
    result = _run(promtool, "test", "rules", tests.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def _alert_test(
    gs: list[dict[str, Any]], name: str, series: list[dict[str, str]], checks: list[Any]
) -> dict[str, Any]:
    """A promtool test case: ``checks`` are ``(eval time, alert, [labels ...])``; the expected
    annotations are the rule's, rendered with the labels."""

    def expected_alert(alert: str, labels: dict[str, str]) -> dict[str, Any]:
        (definition,) = [r for r in alerts(gs) if r["alert"] == alert]
        full = {**labels, **definition["labels"]}
        return {
            "exp_labels": full,
            "exp_annotations": {
                k: _render(v, {**full, "alertname": alert})
                for k, v in definition["annotations"].items()
            },
        }

    return {
        "name": name,
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [
            {
                "eval_time": at,
                "alertname": alert,
                "exp_alerts": [expected_alert(alert, labels) for labels in expected],
            }
            for at, alert, expected in checks
        ],
    }


LOST = {"cell": STANDBY, "reason": "control-plane"}


@pytest.mark.tool
def test_a_listed_standby_never_resolves_once_lost(promtool: str, tmp_path: Path) -> None:
    # The stack lists the standby (ObservabilityStackArgs.standby_cells); ap-south-1 is another
    # standby it does not list.
    gs = ar.build_rule_groups(
        rpo_target_seconds=RPO, rto_target_seconds=RTO, standby_cells=(STANDBY,)
    )
    other = {**EKS_STANDBY, "tag_cell": "ap-south-1", "dimension_ClusterName": "ap-south-1-eks"}
    tests = [
        # listed, never seen (it was never built, or its exporter role is missing): it fires
        # and DrSignalsMissing says which signal is absent, with no pilot-light cell reporting
        _alert_test(
            gs,
            "listed standby never seen",
            [],
            [
                ("20m", "StandbyNotReady", [LOST]),
                (
                    "20m",
                    "DrSignalsMissing",
                    [{"signal": "route53-health-check"}, {"signal": "standby-control-plane"}],
                ),
            ],
        ),
        # both seen for ten minutes, then gone: a day later the listed one still fires and the
        # unlisted one has dropped out of the lookback
        _alert_test(
            gs,
            "lost standbys",
            [
                _series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x10"),
                _series(ar.EKS_APISERVER_REQUESTS, other, "120x10"),
            ],
            [
                ("2h", "StandbyNotReady", [LOST, {**LOST, "cell": "ap-south-1"}]),
                ("26h", "StandbyNotReady", [LOST]),
            ],
        ),
        # listed and healthy at zero nodes: quiet, and the dashboard's record says ready
        _alert_test(
            gs,
            "listed standby healthy at zero nodes",
            [_series(ar.EKS_APISERVER_REQUESTS, EKS_STANDBY, "120x30")],
            [("25m", "StandbyNotReady", [])],
        ),
    ]
    tests[2]["promql_expr_test"] = [
        {
            "expr": ar.STANDBY_READY_RECORD,
            "eval_time": "25m",
            "exp_samples": [
                {"labels": f'{ar.STANDBY_READY_RECORD}{{cell="{STANDBY}"}}', "value": 1}
            ],
        }
    ]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": gs}, sort_keys=False))
    (tmp_path / "tests.yaml").write_text(
        yaml.safe_dump(
            {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests},
            sort_keys=False,
        )
    )
    result = _run(promtool, "test", "rules", "tests.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # Without the list, the same lost standby resolves after the lookback: the list matters.
    unlisted = groups()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": unlisted}, sort_keys=False))
    result = _run(promtool, "test", "rules", "tests.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert "listed standby never seen" in result.stdout + result.stderr


def test_standby_cells_must_be_cell_names() -> None:
    with pytest.raises(ValueError, match="standby_cells holds 'a\"b'"):
        ar.build_rule_groups(rpo_target_seconds=60, rto_target_seconds=300, standby_cells=('a"b',))


@pytest.mark.tool
def test_promtool_unit_tests_catch_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    gs = groups()
    broken = copy.deepcopy(gs)
    critical = rule(broken, "AuroraGlobalDBReplicationLagHigh", "critical")
    critical["expr"] = critical["expr"].replace(f"> {RPO * 1000}", f"> {RPO * 1000 * 10}")
    rules, _ = _write(tmp_path, broken)
    tests = tmp_path / "tests.yaml"
    # the expectations come from the intact rules
    tests.write_text(yaml.safe_dump(promtool_tests(gs, rules.name), sort_keys=False))
    result = _run(promtool, "test", "rules", tests.name, cwd=tmp_path)
    assert result.returncode != 0
    assert "AuroraGlobalDBReplicationLagHigh" in result.stdout + result.stderr


@pytest.mark.tool
def test_promtool_check_rules_refuses_an_invalid_expression(promtool: str, tmp_path: Path) -> None:
    gs = groups()
    gs[1]["rules"][0]["expr"] = "sum by (cell) (rate(prometheus_remote_storage_samples_total[5m]"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"groups": gs}))
    assert _run(promtool, "check", "rules", str(path), cwd=tmp_path).returncode != 0


# --- the PrometheusRule CRD -----------------------------------------------------------------


def crd_validate(manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    """Validate against a CRD's openAPIV3Schema. The schema itself is not checked against the
    JSON Schema metaschema: the operator's patterns use Go's inline ``(?i)`` flag."""
    jsonschema.Draft7Validator(schema).validate(manifest)


@pytest.fixture(scope="module")
def prometheusrule_schema() -> dict[str, Any]:
    return reference.crd("monitoring.coreos.com", "prometheusrules").schemas["v1"]


def test_prometheusrule_manifests_validate_against_the_crd(
    prometheusrule_schema: dict[str, Any],
) -> None:
    for group in groups():
        manifest = ar.prometheus_rule(f"shared-{group['name']}", "monitoring", group)
        crd_validate(manifest, prometheusrule_schema)
        assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
        assert manifest["kind"] == "PrometheusRule"
        assert manifest["metadata"]["labels"] == {"app.kubernetes.io/part-of": "obs-platform"}


def test_the_crd_check_refuses_an_invalid_rule(prometheusrule_schema: dict[str, Any]) -> None:
    group = copy.deepcopy(groups()[0])
    group["rules"][-1]["for"] = "ten minutes"
    manifest = ar.prometheus_rule("shared-dr", "monitoring", group)
    with pytest.raises(jsonschema.ValidationError):
        crd_validate(manifest, prometheusrule_schema)
    del group["rules"][-1]["for"]
    del group["rules"][-1]["expr"]
    with pytest.raises(jsonschema.ValidationError, match="'expr' is a required property"):
        crd_validate(ar.prometheus_rule("x", "monitoring", group), prometheusrule_schema)
