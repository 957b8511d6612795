"""Prometheus alerting and recording rules for the platform and its pilot-light DR (pure).

:func:`build_rule_groups` returns rule groups in the Prometheus rule-file format (the same shape
as a PrometheusRule custom resource's ``spec.groups``), parameterised by the RTO and RPO targets.
Every alert carries a ``severity`` label and ``summary``, ``description`` and ``runbook_url``
annotations; the runbook URL points into ``docs/runbook.md`` (:func:`runbook_url`).

Metric names are the ones the exporters really publish. Where a series comes from an exporter,
the assumption is stated here and in the runbook:

* **CloudWatch metrics through YACE** (``prometheus-community/yet-another-cloudwatch-exporter``),
  whose names are ``aws_<service>_<snake_case metric>_<statistic>`` and whose dimension labels
  are ``dimension_<Dimension>``:

  - Route 53 ``HealthCheckStatus`` (Minimum, us-east-1 only) ->
    ``aws_route53_health_check_status_minimum{dimension_HealthCheckId}``;
  - Aurora ``AuroraGlobalDBReplicationLag`` (milliseconds, Average, emitted by the secondary) ->
    ``aws_rds_aurora_global_dbreplication_lag_average{dimension_DBClusterIdentifier}``
    (YACE only splits a capital after a lower-case letter, hence ``dbreplication``);
  - MSK Replicator ``ReplicationLatency`` (milliseconds, Maximum) ->
    ``aws_kafka_replication_latency_maximum{dimension_ReplicatorName}``.

  - EKS ``apiserver_request_total`` (Sum, vended free in ``AWS/EKS`` for clusters 1.28+,
    dimension ``ClusterName``) of clusters tagged ``dr-role=standby`` ->
    ``aws_eks_apiserver_request_total_sum{dimension_ClusterName}``: a standby's control plane
    answers (its own controllers call it) even at zero nodes;
  - EC2 ``StatusCheckFailed`` (Maximum, 1-minute, free) of instances tagged
    ``dr-role=standby`` -> ``aws_ec2_status_check_failed_maximum{dimension_InstanceId}``: the
    standby's launched nodes, which the cell's collector must report once they join.
  - Lambda ``Errors`` and ``Throttles`` (Sum; Lambda developer guide, *Types of metrics for
    Lambda functions*) of functions tagged ``dr-role=standby`` ->
    ``aws_lambda_errors_sum`` / ``aws_lambda_throttles_sum{dimension_FunctionName}``: the
    pairs' ``{name}-arc-ungraceful`` functions (YACE ``AWS/Lambda`` discovers
    ``lambda:function``, dimension ``FunctionName``).

  YACE is expected to export the resource tags :data:`CELL_TAG` and :data:`DR_ROLE_TAG` on
  these metrics (``exportedTagsOnMetrics``), giving ``tag_cell`` and ``tag_dr_role`` labels;
  the rules copy ``tag_cell`` into ``cell`` so alerts route by cell. ``PilotLightDr`` tags its
  (primary) health check with ``cell`` and ``dr-role=primary``, and its database clusters with
  ``cell``; a health check tagged ``dr-role=standby`` is treated as the standby's
  (:data:`PRIMARY_HEALTH_CHECK_MATCHERS`).
* **MirrorMaker 2 on Strimzi** with Strimzi 1.2.0's JMX-exporter rules
  (:func:`.kafka_replication.mirror_maker2_metrics_config`): the source connector's
  ``replication-latency-ms-max`` becomes
  ``kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max{source, target,
  topic, partition}``, scraped by the standby cell's collector (which adds ``cell``, the
  standby's name).
* **Cells** ship metrics with the OpenTelemetry Collector's Prometheus remote-write exporter,
  labelled ``cell``, ``dr_role`` (``primary``/``standby``) and ``dr_strategy``
  (``none``/``pilot-light``); the kubeletstats receiver's ``k8s.node.memory.usage`` arrives as
  :data:`NODE_METRIC`. A standby at zero nodes ships nothing, so its readiness comes from
  CloudWatch (its control plane and instances, above; :func:`standby_rules`). The collector's
  own metrics travel the same way: its exporters count
  ``otelcol_exporter_sent_metric_points_total`` and
  ``otelcol_exporter_send_failed_metric_points_total`` by ``exporter`` (collector internal
  telemetry, "normal" level), which is what :func:`ingestion_rules` watches for a cell's
  shipping; a cell whose series stop arriving altogether (a connection that never succeeds)
  is caught by their absence.
* **Prometheus** remote-write senders (the central server to Amazon Managed Service for
  Prometheus) export ``prometheus_remote_storage_samples_total`` /
  ``..._samples_failed_total`` (Prometheus 2.22+); the receiving Prometheus counts
  ``prometheus_http_requests_total{handler="/api/v1/write"}`` by status ``code``.
* **Loki** exports ``loki_request_duration_seconds_count{route, status_code}`` and
  ``loki_discarded_samples_total{reason, tenant}``; **Tempo** exports
  ``tempo_distributor_spans_received_total`` and ``tempo_discarded_spans_total{reason}``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, Final

RUNBOOK_BASE_URL: Final = "https://obs-platform.readthedocs.io/en/latest/runbook.html"
"""The published runbook page; each alert links to ``#<anchor>`` on it."""

DR_ROLE_TAG: Final = "dr-role"
"""AWS tag (values ``primary``/``standby``) that YACE exports as the ``tag_dr_role`` label."""

CELL_TAG: Final = "cell"
"""AWS tag naming the cell that YACE exports as the ``tag_cell`` label."""

DR_ROLE_LABEL: Final = "dr_role"
"""Label (values ``primary``/``standby``) on the metrics cells ship (:data:`NODE_METRIC`)."""

DR_STRATEGY_LABEL: Final = "dr_strategy"
"""Label (values ``none``/``pilot-light``) on the metrics cells ship: where a pilot-light cell
reports, DR is in use and its CloudWatch signals must exist."""

RULE_LABELS: Final = {"app.kubernetes.io/part-of": "obs-platform"}
"""Labels on every PrometheusRule object the library creates."""

# Metric names, in one place so the dashboards and tests use the same ones.
ROUTE53_HEALTH_CHECK_STATUS: Final = "aws_route53_health_check_status_minimum"
AURORA_GLOBAL_LAG_MS: Final = "aws_rds_aurora_global_dbreplication_lag_average"
MSK_REPLICATOR_LATENCY_MS: Final = "aws_kafka_replication_latency_maximum"
EKS_APISERVER_REQUESTS: Final = "aws_eks_apiserver_request_total_sum"
EC2_STATUS_CHECK_FAILED: Final = "aws_ec2_status_check_failed_maximum"
LAMBDA_ERRORS: Final = "aws_lambda_errors_sum"
LAMBDA_THROTTLES: Final = "aws_lambda_throttles_sum"
UNGRACEFUL_FUNCTION_MATCHER: Final = 'dimension_FunctionName=~".+-arc-ungraceful"'
"""The ``{name}-arc-ungraceful`` functions of the pilot-light pairs (``dr.ungraceful``)."""
MM2_REPLICATION_LATENCY_MS: Final = (
    "kafka_connect_mirror_mirrorsourceconnector_replication_latency_ms_max"
)

NODE_METRIC: Final = "k8s_node_memory_usage_bytes"
"""A node metric every cell ships (OpenTelemetry kubeletstats ``k8s.node.memory.usage``)."""

COLLECTOR_SENT: Final = "otelcol_exporter_sent_metric_points_total"
"""Metric points a cell's collector exporter delivered (collector internal telemetry)."""

COLLECTOR_FAILED: Final = "otelcol_exporter_send_failed_metric_points_total"
"""Metric points a cell's collector exporter failed to deliver (after its retries)."""

REMOTE_WRITE_EXPORTER: Final = 'exporter=~"prometheusremotewrite.*"'
"""Matches the cells' remote-write exporter in the collector's ``exporter`` label."""

STANDBY_LOOKBACK: Final = "1d"
"""How long a standby seen but not listed in ``standby_cells`` stays watched once it vanishes."""

TELEMETRY_LOOKBACK: Final = "1d"
"""How far back a cell counts as known when its telemetry stops (``CellTelemetryStopped``)."""

PRIMARY_HEALTH_CHECK_MATCHERS: Final = 'tag_cell!="", tag_dr_role!="standby"'
"""Route 53 health checks of primaries: obs-platform's (tagged ``cell``) not marked standby."""

# Recording rules the dashboards read.
STANDBY_NODES_RECORD: Final = "obs_platform:standby_nodes:count"
REPLICATION_LAG_RECORD: Final = "obs_platform:replication_lag_seconds:max"
STANDBY_READY_RECORD: Final = "obs_platform:standby_ready:min"
STANDBY_CONTROL_PLANE_RECORD: Final = "obs_platform:standby_control_plane:up"
STANDBY_INSTANCES_RECORD: Final = "obs_platform:standby_instances:count"
STANDBY_EXPECTED_RECORD: Final = "obs_platform:standby_expected:info"
STANDBY_NOT_READY_RECORD: Final = "obs_platform:standby_not_ready:info"
RPO_TARGET_RECORD: Final = "obs_platform:rpo_target_seconds"
RTO_TARGET_RECORD: Final = "obs_platform:rto_target_seconds"

_CELL_NAME = re.compile(r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?")

LOKI_PUSH_ROUTES: Final = "loki_api_v1_push|api_prom_push|otlp_v1_logs"
"""Loki's push endpoints as they appear in the ``route`` label."""


def runbook_anchor(alertname: str) -> str:
    """Return the runbook anchor of an alert.

    ``AuroraGlobalDBReplicationLagHigh`` -> ``aurora-global-db-replication-lag-high``.
    """
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", alertname)
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", words)
    return words.lower()


def runbook_url(alertname: str, base_url: str = RUNBOOK_BASE_URL) -> str:
    """Return the runbook URL of an alert (``<base>#<anchor>``)."""
    return f"{base_url}#{runbook_anchor(alertname)}"


def _duration(seconds: int) -> str:
    """Format seconds as a Prometheus duration (``90`` -> ``1m30s``)."""
    if seconds <= 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts)


def _alert(
    name: str,
    expr: str,
    *,
    severity: str,
    for_seconds: int,
    summary: str,
    description: str,
    base_url: str,
) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": name, "expr": expr}
    if for_seconds:
        rule["for"] = _duration(for_seconds)
    rule["labels"] = {"severity": severity}
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": runbook_url(name, base_url),
    }
    return rule


def _cell_from_tag(expr: str) -> str:
    """Copy YACE's ``tag_cell`` label into ``cell`` so cell routes match."""
    return f'label_replace({expr}, "cell", "$1", "tag_cell", "(.+)")'


def _cell_vector(cells: Sequence[str]) -> str:
    """A constant vector with one sample (value 1) per cell, labelled ``cell``."""
    return "\nor ".join(f'label_replace(vector(1), "cell", "{cell}", "", "")' for cell in cells)


def standby_rules(standby_cells: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Return the recording rules that say which standby cells are not ready, and why.

    A pilot-light standby at zero nodes runs no collector and ships nothing, so readiness is
    read from CloudWatch through YACE (see the module docstring), where the standby's account
    and region publish it whatever its size:

    * ``reason="control-plane"``: a standby that should exist has no EKS control plane
      answering (no ``apiserver_request_total``). Which standbys should exist: the listed
      ``standby_cells`` (never forgotten, so a lost standby never resolves) and any standby
      whose control plane reported in the last :data:`STANDBY_LOOKBACK`.
    * ``reason="nodes"``: the standby was scaled up and has more running instances (EC2
      ``StatusCheckFailed`` series, a ``NaN`` after termination is not counted) than nodes
      whose collector reports (:data:`NODE_METRIC`): nodes that launched but never joined or
      became ready. A standby at zero nodes has neither, which is healthy.

    Args:
        standby_cells: Names of the standby cells that must always exist.
    """
    eks = f'{EKS_APISERVER_REQUESTS}{{tag_dr_role="standby", tag_cell!=""}}'
    ec2 = f'{EC2_STATUS_CHECK_FAILED}{{tag_dr_role="standby", tag_cell!=""}} >= 0'
    rules: list[dict[str, Any]] = [
        {
            "record": STANDBY_NODES_RECORD,
            "expr": f'count by (cell) ({NODE_METRIC}{{{DR_ROLE_LABEL}="standby"}})',
        },
        # 1 while the standby's API server answers (a NaN, no datapoint, is 0).
        {
            "record": STANDBY_CONTROL_PLANE_RECORD,
            "expr": f"max by (cell) ({_cell_from_tag(eks)}) > bool 0",
        },
        {
            "record": STANDBY_INSTANCES_RECORD,
            "expr": f"count by (cell) ({_cell_from_tag(ec2)})",
        },
    ]
    watched = f"group by (cell) (max_over_time({STANDBY_CONTROL_PLANE_RECORD}[{STANDBY_LOOKBACK}]))"
    if standby_cells:
        rules.append({"record": STANDBY_EXPECTED_RECORD, "expr": _cell_vector(standby_cells)})
        watched = f"{STANDBY_EXPECTED_RECORD}\nor {watched}"
    nodes_or_none = f"{STANDBY_NODES_RECORD} or on (cell) 0 * {STANDBY_INSTANCES_RECORD}"
    rules.append(
        {
            "record": STANDBY_NOT_READY_RECORD,
            "expr": (
                f"label_replace(\n({watched})\n"
                f"unless on (cell) ({STANDBY_CONTROL_PLANE_RECORD} == 1),\n"
                '"reason", "control-plane", "", "")\n'
                f"or label_replace(\ngroup by (cell) ({STANDBY_INSTANCES_RECORD} > on (cell) "
                f'({nodes_or_none})),\n"reason", "nodes", "", "")'
            ),
        }
    )
    # 1 for a ready standby, 0 for one that is not: what the DR dashboard shows.
    rules.append(
        {
            "record": STANDBY_READY_RECORD,
            "expr": (
                f"0 * group by (cell) ({STANDBY_NOT_READY_RECORD})\n"
                f"or on (cell) ({STANDBY_CONTROL_PLANE_RECORD} == 1)"
            ),
        }
    )
    return rules


def dr_rules(
    *,
    rpo_target_seconds: int,
    rto_target_seconds: int,
    standby_cells: Sequence[str] = (),
    base_url: str = RUNBOOK_BASE_URL,
) -> dict[str, Any]:
    """Return the ``obs-platform-dr`` rule group.

    Replication lag against the RPO target, primary health check, failover overdue against the
    RTO target, standby readiness (:func:`standby_rules`), and the recording rules the DR
    dashboard reads.

    Args:
        rpo_target_seconds: Recovery point objective; lag above it is critical, above half of
            it a warning.
        rto_target_seconds: Recovery time objective; a primary down that long without the
            standby healthy means failover is overdue.
        standby_cells: Standby cells that must always exist (``StandbyNotReady`` fires for a
            listed one that is gone, however long ago it went).
        base_url: Runbook page URL.
    """
    alert = functools.partial(_alert, base_url=base_url)
    rpo_ms = rpo_target_seconds * 1000
    half_ms = rpo_ms // 2
    primary = f"{ROUTE53_HEALTH_CHECK_STATUS}{{{PRIMARY_HEALTH_CHECK_MATCHERS}}}"
    standby = f'{ROUTE53_HEALTH_CHECK_STATUS}{{tag_dr_role="standby"}}'
    aurora_by = f"max by (dimension_DBClusterIdentifier, tag_cell) ({AURORA_GLOBAL_LAG_MS})"
    msk_by = f"max by (dimension_ReplicatorName, tag_cell) ({MSK_REPLICATOR_LATENCY_MS})"
    mm2_by = f"max by (cell, topic) ({MM2_REPLICATION_LATENCY_MS})"
    lag_target = f"(target {rpo_target_seconds}s)"
    rules: list[dict[str, Any]] = [
        {"record": RPO_TARGET_RECORD, "expr": f"vector({rpo_target_seconds})"},
        {"record": RTO_TARGET_RECORD, "expr": f"vector({rto_target_seconds})"},
        {
            "record": REPLICATION_LAG_RECORD,
            "expr": (
                f'label_replace({_cell_from_tag(aurora_by)} / 1000, "source", "aurora", "", "")\n'
                f'or label_replace({_cell_from_tag(msk_by)} / 1000, "source", "msk-replicator", '
                '"", "")\n'
                f'or label_replace(max by (cell) ({MM2_REPLICATION_LATENCY_MS}) / 1000, "source", '
                '"mirrormaker2", "", "")'
            ),
        },
        *standby_rules(standby_cells),
    ]
    for severity, threshold_ms, for_seconds, what in (
        ("warning", half_ms, 300, f"above half the RPO target {lag_target}"),
        ("critical", rpo_ms, 120, f"above the RPO target {lag_target}"),
    ):
        rules.append(
            alert(
                "AuroraGlobalDBReplicationLagHigh",
                _cell_from_tag(f"{aurora_by} > {threshold_ms}"),
                severity=severity,
                for_seconds=for_seconds,
                summary=f"Aurora Global Database replication lag is {what}.",
                description=(
                    "Secondary cluster {{ $labels.dimension_DBClusterIdentifier }} lags its "
                    f"primary by more than {threshold_ms} ms "
                    "(AuroraGlobalDBReplicationLag); a failover now would lose more data "
                    f"than the {rpo_target_seconds}s RPO allows."
                    if severity == "critical"
                    else "Secondary cluster {{ $labels.dimension_DBClusterIdentifier }} lags its "
                    f"primary by more than {threshold_ms} ms (AuroraGlobalDBReplicationLag),"
                    f" half of the {rpo_target_seconds}s RPO budget."
                ),
            )
        )
        rules.append(
            alert(
                "KafkaReplicationLagHigh",
                f"{mm2_by} > {threshold_ms}",
                severity=severity,
                for_seconds=for_seconds,
                summary=f"MirrorMaker 2 replication latency is {what}.",
                description=(
                    "MirrorMaker 2 replicates topic {{ $labels.topic }} of cell "
                    "{{ $labels.cell }} with a latency above "
                    f"{threshold_ms} ms (RPO target {rpo_target_seconds}s)."
                ),
            )
        )
        rules.append(
            alert(
                "MskReplicatorLagHigh",
                _cell_from_tag(f"{msk_by} > {threshold_ms}"),
                severity=severity,
                for_seconds=for_seconds,
                summary=f"MSK Replicator replication latency is {what}.",
                description=(
                    "MSK Replicator {{ $labels.dimension_ReplicatorName }} has a "
                    f"ReplicationLatency above {threshold_ms} ms "
                    f"(RPO target {rpo_target_seconds}s)."
                ),
            )
        )
    rules.append(
        alert(
            "PrimaryHealthCheckFailing",
            _cell_from_tag(f"min by (dimension_HealthCheckId, tag_cell) ({primary}) < 1"),
            severity="critical",
            for_seconds=60,
            summary="The primary region's Route 53 health check is failing.",
            description=(
                "Route 53 health check {{ $labels.dimension_HealthCheckId }} of cell "
                "{{ $labels.cell }} reports the primary /healthz unhealthy; DNS fails over "
                "to the standby."
            ),
        )
    )
    rules.append(
        alert(
            "FailoverOverdue",
            # The standby's own health check (tagged dr-role=standby) proves it serves; without
            # one the alert cannot tell, and asks a human after the RTO target.
            _cell_from_tag(
                f"(min by (tag_cell) ({primary}) < 1)\nunless on () (max({standby}) >= 1)"
            ),
            severity="critical",
            for_seconds=rto_target_seconds,
            summary="The primary is down and no standby is healthy after the RTO target.",
            description=(
                "Cell {{ $labels.cell }}: the primary health check has failed for longer than "
                f"the {rto_target_seconds}s RTO target and no standby health check reports "
                "healthy; the failover is stuck or unverified."
            ),
        )
    )
    rules.append(
        alert(
            "StandbyNotReady",
            # Ten minutes: a scaled-down node's instance keeps its last status datapoint for
            # YACE's 5-minute window after the node left, and a new node needs a few minutes
            # to join and start its collector.
            f"max by (cell, reason) ({STANDBY_NOT_READY_RECORD})",
            severity="critical",
            for_seconds=600,
            summary="The standby region is not ready to take over.",
            description=(
                "Standby cell {{ $labels.cell }} is not ready ({{ $labels.reason }}): with "
                "reason control-plane its EKS API server no longer reports (the cluster is "
                "gone or unreachable), with reason nodes it has running instances that never "
                "became reporting nodes; a failover to it would not meet the RTO."
            ),
        )
    )

    def function_reports(metric: str) -> str:
        by = "max by (dimension_FunctionName, tag_cell)"
        return f"{by} ({metric}{{{UNGRACEFUL_FUNCTION_MATCHER}}}) > 0"

    rules.append(
        alert(
            "ArcUngracefulFunctionFailing",
            # The function runs every minute and reports Errors/Throttles of 0 when it works;
            # five minutes of failures is a broken function, not a transient API error.
            _cell_from_tag(
                f"{function_reports(LAMBDA_ERRORS)}\nor {function_reports(LAMBDA_THROTTLES)}"
            ),
            severity="critical",
            for_seconds=300,
            summary="The automatic ungraceful-failover function is failing.",
            description=(
                "Function {{ $labels.dimension_FunctionName }} (standby cell "
                "{{ $labels.cell }}) has returned errors or been throttled for 5 minutes: "
                "during a regional outage a paused automatic failover would wait for a "
                "person instead of going ungraceful."
            ),
        )
    )
    # DR is in use where a pilot-light cell reports or a standby is listed.
    dr_in_use = f'count({NODE_METRIC}{{{DR_STRATEGY_LABEL}="pilot-light"}}) > 0'
    if standby_cells:
        dr_in_use += f"\nor count({STANDBY_EXPECTED_RECORD}) > 0"
    rules.append(
        alert(
            "DrSignalsMissing",
            # Only where DR is in use: a pilot-light cell reports (the primary always has
            # nodes; a standby at zero nodes reports nothing), so a platform without
            # pilot-light cells does not carry an alert that fires forever.
            # The standby's control plane is read the same way: none at all means the
            # exporter cannot read the standby's account or region (or the cluster lacks its
            # dr-role tag), and StandbyNotReady cannot tell a lost standby from a healthy one.
            f'(label_replace(absent({primary}), "signal", "route53-health-check", "", "")\n'
            f'or label_replace(absent({EKS_APISERVER_REQUESTS}{{tag_dr_role=~"standby"}}), '
            '"signal", "standby-control-plane", "", ""))\n'
            f"and on () ({dr_in_use})",
            severity="warning",
            for_seconds=900,
            summary="A DR signal from CloudWatch does not reach Prometheus.",
            description=(
                "DR is in use, but the CloudWatch exporter publishes no {{ $labels.signal }} "
                "series (route53-health-check: a primary HealthCheckStatus tagged cell; "
                "standby-control-plane: an EKS apiserver_request_total of a cluster tagged "
                "dr-role=standby), so the DR alerts that read it cannot fire."
            ),
        )
    )
    return {"name": "obs-platform-dr", "interval": "30s", "rules": rules}


def ingestion_rules(*, base_url: str = RUNBOOK_BASE_URL) -> dict[str, Any]:
    """Return the ``obs-platform-ingestion`` group: shipping and ingestion alerts.

    The cells' collectors' shipping, remote-write to AMP, Loki and Tempo ingestion.
    """
    alert = functools.partial(_alert, base_url=base_url)
    cell_failed = f"rate({COLLECTOR_FAILED}{{{REMOTE_WRITE_EXPORTER}}}[5m])"
    cell_sent = f"rate({COLLECTOR_SENT}{{{REMOTE_WRITE_EXPORTER}}}[5m])"
    cell_ratio = (
        f"sum by (cell, exporter) ({cell_failed})\n/\n"
        f"(sum by (cell, exporter) ({cell_failed}) + sum by (cell, exporter) ({cell_sent}))"
    )
    failed = "rate(prometheus_remote_storage_samples_failed_total[5m])"
    total = "rate(prometheus_remote_storage_samples_total[5m])"
    remote_ratio = (
        f"sum by (remote_name, url) ({failed})\n/\nsum by (remote_name, url) ({failed} + {total})"
    )
    loki_errors = (
        f"sum by (namespace, job, route) (rate(loki_request_duration_seconds_count"
        f'{{route=~"{LOKI_PUSH_ROUTES}", status_code=~"5.."}}[5m]))'
    )
    loki_all = (
        f"sum by (namespace, job, route) (rate(loki_request_duration_seconds_count"
        f'{{route=~"{LOKI_PUSH_ROUTES}"}}[5m]))'
    )
    tempo_discarded = "sum by (namespace, job) (rate(tempo_discarded_spans_total[5m]))"
    tempo_received = "sum by (namespace, job) (rate(tempo_distributor_spans_received_total[5m]))"
    rules: list[dict[str, Any]] = []
    for severity, ratio, for_seconds in (("warning", 0.01, 900), ("critical", 0.10, 300)):
        pct = f"{ratio:.0%}"
        rules.append(
            alert(
                "RemoteWriteFailing",
                f"(\n{cell_ratio}\n) > {ratio}",
                severity=severity,
                for_seconds=for_seconds,
                summary=f"A cell's collector fails to ship more than {pct} of its metrics.",
                description=(
                    "The OpenTelemetry Collector of cell {{ $labels.cell }} fails to send "
                    f"more than {pct} of its metric points through {{{{ $labels.exporter }}}} "
                    "to the central Prometheus; those metrics are lost."
                ),
            )
        )
        rules.append(
            alert(
                "AmpRemoteWriteFailing",
                f"(\n{remote_ratio}\n) > {ratio}",
                severity=severity,
                for_seconds=for_seconds,
                summary=f"Prometheus fails to forward more than {pct} of its samples to AMP.",
                description=(
                    "The central Prometheus fails to send more than "
                    f"{pct} of its samples to {{{{ $labels.remote_name }}}} "
                    "({{ $labels.url }}); Amazon Managed Service for Prometheus misses them."
                ),
            )
        )
        rules.append(
            alert(
                "LokiIngestionErrors",
                f"(\n{loki_errors}\n/\n{loki_all}\n) > {ratio}",
                severity=severity,
                for_seconds=for_seconds,
                summary=f"Loki answers more than {pct} of log pushes with a 5xx error.",
                description=(
                    "Loki {{ $labels.job }} fails more than "
                    f"{pct} of requests on {{{{ $labels.route }}}}; log lines are being "
                    "lost or retried."
                ),
            )
        )
        rules.append(
            alert(
                "TempoIngestionErrors",
                f"(\n{tempo_discarded}\n/\n({tempo_received} + {tempo_discarded})\n) > {ratio}",
                severity=severity,
                for_seconds=for_seconds,
                summary=f"Tempo discards more than {pct} of received spans.",
                description=(
                    "Tempo {{ $labels.job }} discards more than "
                    f"{pct} of spans (tempo_discarded_spans_total); traces are incomplete."
                ),
            )
        )
    seen = f'{COLLECTOR_SENT}{{{DR_ROLE_LABEL}!="standby"}}'
    rules.append(
        alert(
            "CellTelemetryStopped",
            # Known in the last day, silent now: a cell whose shipping never gets through (a
            # refused connection, a TLS mismatch) cannot report its own failures. Standbys are
            # left to StandbyNotReady (a pilot-light standby at zero nodes ships nothing).
            f"group by (cell) (max_over_time({seen}[{TELEMETRY_LOOKBACK}]))\n"
            f"unless on (cell) group by (cell) ({seen})",
            severity="critical",
            for_seconds=600,
            summary="A cell's telemetry stopped reaching the central stack.",
            description=(
                "Cell {{ $labels.cell }} shipped metrics in the last day but none for 10 "
                "minutes: its collector is down or cannot reach the ingest endpoint, so its "
                "metrics, and likely its logs and traces, are being lost."
            ),
        )
    )
    write = 'prometheus_http_requests_total{handler="/api/v1/write"'
    rules.append(
        alert(
            "RemoteWriteRejected",
            f'(\nsum by (job) (rate({write}, code!~"2.."}}[5m]))\n/\n'
            f"sum by (job) (rate({write}}}[5m]))\n) > 0.05",
            severity="warning",
            for_seconds=900,
            summary="The central Prometheus rejects more than 5% of remote-write requests.",
            description=(
                "{{ $labels.job }} answers more than 5% of /api/v1/write requests with an "
                "error: senders (cells' collectors) are losing or retrying metrics."
            ),
        )
    )
    rules.append(
        alert(
            "LokiDiscardingLogs",
            "sum by (tenant, reason) (rate(loki_discarded_samples_total[5m])) > 0",
            severity="warning",
            for_seconds=900,
            summary="Loki is discarding log lines.",
            description=(
                "Loki discards lines of tenant {{ $labels.tenant }} for reason "
                "{{ $labels.reason }}; raise the limit or fix the sender."
            ),
        )
    )
    return {"name": "obs-platform-ingestion", "interval": "30s", "rules": rules}


def meta_rules(*, base_url: str = RUNBOOK_BASE_URL) -> dict[str, Any]:
    """Return the ``obs-platform-meta`` group: the Watchdog (dead man's switch)."""
    return {
        "name": "obs-platform-meta",
        "rules": [
            _alert(
                "Watchdog",
                "vector(1)",
                severity="none",
                for_seconds=0,
                summary="The alerting pipeline is alive (always firing).",
                description=(
                    "This alert always fires. Alertmanager sends it to the heartbeat receiver; "
                    "when the heartbeat stops, Prometheus or Alertmanager is down."
                ),
                base_url=base_url,
            )
        ],
    }


def build_rule_groups(
    *,
    rpo_target_seconds: int,
    rto_target_seconds: int,
    standby_cells: Sequence[str] = (),
    base_url: str = RUNBOOK_BASE_URL,
) -> list[dict[str, Any]]:
    """Return every rule group the library ships, in the Prometheus rule-file format.

    Args:
        rpo_target_seconds: Recovery point objective in seconds (positive).
        rto_target_seconds: Recovery time objective in seconds (positive).
        standby_cells: Standby cells ``StandbyNotReady`` always watches (see
            :func:`standby_rules`).
        base_url: Runbook page URL.

    Raises:
        ValueError: A target is not a positive number of seconds, or a standby cell's name is
            not a cell name.
    """
    for field, value in (
        ("rpo_target_seconds", rpo_target_seconds),
        ("rto_target_seconds", rto_target_seconds),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(
                f"{field} must be a positive whole number of seconds, got "
                f"{value!r}; pass for example 60 (RPO) or 300 (RTO)."
            )
    for cell in standby_cells:
        if not isinstance(cell, str) or not _CELL_NAME.fullmatch(cell):
            raise ValueError(
                f"standby_cells holds {cell!r}, which is not a cell name; pass the standby "
                "cells' names (lower-case letters, digits, '.', '_' and '-')."
            )
    return [
        dr_rules(
            rpo_target_seconds=rpo_target_seconds,
            rto_target_seconds=rto_target_seconds,
            standby_cells=standby_cells,
            base_url=base_url,
        ),
        ingestion_rules(base_url=base_url),
        meta_rules(base_url=base_url),
    ]


def alert_names(groups: list[dict[str, Any]]) -> list[str]:
    """Return the distinct alert names in ``groups``, in order of first appearance."""
    names: list[str] = []
    for group in groups:
        for rule in group["rules"]:
            if "alert" in rule and rule["alert"] not in names:
                names.append(rule["alert"])
    return names


def prometheus_rule(name: str, namespace: str, group: dict[str, Any]) -> dict[str, Any]:
    """Return a ``monitoring.coreos.com/v1`` PrometheusRule manifest holding one group."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(RULE_LABELS)},
        "spec": {"groups": [group]},
    }
