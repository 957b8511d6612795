"""Grafana dashboards built with grafana-foundation-sdk (pure).

:func:`build_dashboards` returns ``{file name: dashboard JSON}`` for the Grafana sidecar:

* ``obs-platform-overview.json``: ingestion rates and errors of Prometheus, Loki and Tempo, and
  storage (volumes, TSDB, S3 buckets);
* ``obs-platform-dr.json``: Route 53 health-check status, Aurora Global Database replication lag,
  Kafka replication lag, standby readiness, and the RPO/RTO budget against the targets;
* ``obs-platform-cell.json``: one cell, chosen with the ``cell`` template variable.

Every panel and query refers to a datasource by one of the stable UIDs of
:mod:`.datasources`; :func:`check_datasource_refs` refuses any other reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from grafana_foundation_sdk.builders import cloudwatch as cw
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import loki, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import cloudwatch as cwm
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
)

from . import alert_rules as ar
from .datasources import CLOUDWATCH_UID, DATASOURCE_UIDS, LOKI_UID, PROMETHEUS_UID

DASHBOARD_TAG: Final = "obs-platform"
"""Tag on every dashboard the library ships."""

OVERVIEW_UID: Final = "obs-platform-overview"
DR_UID: Final = "obs-platform-dr"
CELL_UID: Final = "obs-platform-cell"

PROM: Final = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
LOKI: Final = DataSourceRef(type_val="loki", uid=LOKI_UID)
CLOUDWATCH: Final = DataSourceRef(type_val="cloudwatch", uid=CLOUDWATCH_UID)


def _prom(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    return (
        prometheus.Dataquery()
        .expr(expr)
        .legend_format(legend or "__auto")
        .ref_id(ref)
        .datasource(PROM)
    )


def _series(
    title: str,
    unit: str,
    *queries: prometheus.Dataquery | loki.Dataquery,
    description: str = "",
    span: int = 12,
    datasource: DataSourceRef = PROM,
) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(datasource).span(span).height(8)
    if description:
        panel = panel.description(description)
    for query in queries:
        panel = panel.with_target(query)
    return panel


def _thresholds(*steps: tuple[float | None, str]) -> db.ThresholdsConfig:
    return (
        db.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def _cloudwatch(
    namespace: str,
    metric: str,
    statistic: str,
    dimensions: dict[str, str | list[str]],
    region: str = "default",
    ref: str = "A",
    period_seconds: int = 60,
) -> cw.CloudWatchMetricsQuery:
    return (
        cw.CloudWatchMetricsQuery()
        .datasource(CLOUDWATCH)
        .ref_id(ref)
        .query_mode(cwm.CloudWatchQueryMode.METRICS)
        .metric_query_type(cwm.MetricQueryType.SEARCH)
        .metric_editor_mode(cwm.MetricEditorMode.BUILDER)
        .namespace(namespace)
        .metric_name(metric)
        .statistic(statistic)
        .dimensions(dimensions)
        .match_exact(False)
        .region(region)
        .period(str(period_seconds))
    )


S3_STORAGE_METRIC_PERIOD_SECONDS: Final = 86400
"""S3 publishes ``BucketSizeBytes`` once a day (S3 user guide, "Metrics and dimensions", daily
storage metrics); a shorter period leaves the panel mostly empty."""

STANDBY_REGION_VARIABLE: Final = "standby_region"
"""DR dashboard variable: the region of the Aurora secondary, where ``AuroraGlobalDBReplicationLag``
is emitted (Aurora user guide, "Monitoring Aurora global databases")."""


def _status_mappings(ok: str, bad: str) -> list[Any]:
    return [
        ValueMap(
            options={
                "1": ValueMappingResult(text=ok, color="green", index=0),
                "0": ValueMappingResult(text=bad, color="red", index=1),
            }
        )
    ]


def _dashboard(uid: str, title: str, description: str) -> db.Dashboard:
    return (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([DASHBOARD_TAG])
        .time("now-6h", "now")
        .refresh("1m")
        .readonly()
        .timezone("utc")
    )


def overview_dashboard() -> db.Dashboard:
    """Platform overview: ingestion and errors of Prometheus, Loki and Tempo; storage."""
    remote_failed = "rate(prometheus_remote_storage_samples_failed_total[5m])"
    remote_total = "rate(prometheus_remote_storage_samples_total[5m])"
    cell_failed = f"rate({ar.COLLECTOR_FAILED}{{{ar.REMOTE_WRITE_EXPORTER}, {CELLS}}}[5m])"
    cell_sent = f"rate({ar.COLLECTOR_SENT}{{{ar.REMOTE_WRITE_EXPORTER}, {CELLS}}}[5m])"
    return (
        _dashboard(
            OVERVIEW_UID,
            "Observability platform overview",
            "Ingestion rates and errors of Prometheus, Loki and Tempo, and storage.",
        )
        # The cells' own shipping; the central stack's panels have no cell.
        .with_variable(_cells_variable(f"label_values({ar.COLLECTOR_SENT}, cell)"))
        .with_row(db.Row("Prometheus (metrics)"))
        .with_panel(
            _series(
                "Samples ingested",
                "short",
                _prom("sum(rate(prometheus_tsdb_head_samples_appended_total[5m]))", "appended"),
                _prom(
                    'sum by (code) (rate(prometheus_http_requests_total{handler="/api/v1/write"}'
                    "[5m]))",
                    "remote-write requests {{code}}",
                    "B",
                ),
                description="Samples appended to the head block, and remote-write requests "
                "received by status code.",
            )
        )
        .with_panel(
            _series(
                "Remote-write errors (received and sent)",
                "percentunit",
                _prom(
                    'sum(rate(prometheus_http_requests_total{handler="/api/v1/write", '
                    'code!~"2.."}[5m])) / sum(rate(prometheus_http_requests_total'
                    '{handler="/api/v1/write"}[5m]))',
                    "rejected (received from cells)",
                ),
                _prom(
                    f"sum by (remote_name) ({remote_failed}) / sum by (remote_name) "
                    f"({remote_failed} + {remote_total})",
                    "failed to send to {{remote_name}}",
                    "B",
                ),
                _prom(
                    f"sum by (cell) ({cell_failed}) / (sum by (cell) ({cell_failed}) + "
                    f"sum by (cell) ({cell_sent}))",
                    "failed to ship from cell {{cell}}",
                    "C",
                ),
                description="Share of remote-write requests the central Prometheus rejects "
                "(alert RemoteWriteRejected), of samples it fails to send to Amazon Managed "
                "Service for Prometheus (alert AmpRemoteWriteFailing), and of metric points "
                "the cells' collectors fail to ship (alert RemoteWriteFailing).",
            )
        )
        .with_row(db.Row("Loki (logs)"))
        .with_panel(
            _series(
                "Log lines and bytes received",
                "short",
                _prom("sum(rate(loki_distributor_lines_received_total[5m]))", "lines/s"),
                _prom("sum(rate(loki_distributor_bytes_received_total[5m]))", "bytes/s", "B"),
            )
        )
        .with_panel(
            _series(
                "Loki push errors and discards",
                "short",
                _prom(
                    'sum by (route) (rate(loki_request_duration_seconds_count{route=~"'
                    f'{ar.LOKI_PUSH_ROUTES}", status_code=~"5.."}}[5m]))',
                    "5xx {{route}}",
                ),
                _prom(
                    "sum by (reason) (rate(loki_discarded_samples_total[5m]))",
                    "discarded {{reason}}",
                    "B",
                ),
            )
        )
        .with_row(db.Row("Tempo (traces)"))
        .with_panel(
            _series(
                "Spans and bytes received",
                "short",
                _prom("sum(rate(tempo_distributor_spans_received_total[5m]))", "spans/s"),
                _prom("sum(rate(tempo_distributor_bytes_received_total[5m]))", "bytes/s", "B"),
            )
        )
        .with_panel(
            _series(
                "Tempo discarded spans",
                "short",
                _prom("sum by (reason) (rate(tempo_discarded_spans_total[5m]))", "{{reason}}"),
            )
        )
        .with_row(db.Row("Storage"))
        .with_panel(
            _series(
                "Volume usage",
                "percentunit",
                _prom(
                    "max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_used_bytes / "
                    "kubelet_volume_stats_capacity_bytes)",
                    "{{persistentvolumeclaim}}",
                ),
                description="Used share of each persistent volume (Prometheus, Alertmanager, "
                "Loki and Tempo WAL).",
                span=8,
            )
        )
        .with_panel(
            _series(
                "Prometheus TSDB size",
                "bytes",
                _prom(
                    "sum by (pod) (prometheus_tsdb_storage_blocks_bytes + "
                    "prometheus_tsdb_wal_storage_size_bytes)",
                    "{{pod}}",
                ),
                span=8,
            )
        )
        .with_panel(
            timeseries.Panel()
            .title("S3 bucket size (Loki, Tempo)")
            .unit("bytes")
            .datasource(CLOUDWATCH)
            .span(8)
            .height(8)
            .description("CloudWatch BucketSizeBytes (daily) of the object-storage buckets.")
            .with_target(
                _cloudwatch(
                    "AWS/S3",
                    "BucketSizeBytes",
                    "Average",
                    {"BucketName": "*", "StorageType": "StandardStorage"},
                    period_seconds=S3_STORAGE_METRIC_PERIOD_SECONDS,
                )
            )
        )
    )


def _standby_region_variable(default: str | None) -> db.QueryVariable:
    """The CloudWatch regions, to pick the standby's; ``default`` is pre-selected."""
    variable = (
        db.QueryVariable(STANDBY_REGION_VARIABLE)
        .label("Standby region")
        .datasource(CLOUDWATCH)
        .query({"queryType": "regions", "refId": "regions"})
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
    )
    if default is not None:
        variable = variable.current(VariableOption(text=default, value=default, selected=True))
    return variable


CELL_VARIABLE: Final = "cell"
"""The cell template variable (every cell, or some) on the overview and DR dashboards."""

CELLS: Final = f'cell=~"${CELL_VARIABLE}"'
"""Label matcher of the selected cells (``All`` is ``.*``)."""


def _cells_variable(query: str) -> db.QueryVariable:
    """The ``cell`` variable: the cells ``query`` (a ``label_values``) lists, several or all."""
    return (
        db.QueryVariable(CELL_VARIABLE)
        .label("Cell")
        .datasource(PROM)
        .query(query)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(text="All", value="$__all", selected=True))
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
    )


def dr_dashboard(
    *, rpo_target_seconds: int, rto_target_seconds: int, standby_region: str | None = None
) -> db.Dashboard:
    """DR overview: health checks, replication lag, standby readiness, RPO/RTO budget.

    Args:
        rpo_target_seconds: The RPO target the lag panels measure against.
        rto_target_seconds: The RTO target.
        standby_region: The standby's region, pre-selected in the ``standby_region``
            variable the Aurora lag panel reads (the secondary emits the metric there);
            ``None`` leaves the choice to the viewer.
    """
    lag = f"{ar.REPLICATION_LAG_RECORD}{{{CELLS}}}"
    tagged = f'tag_cell=~"${CELL_VARIABLE}"'
    return (
        _dashboard(
            DR_UID,
            "Disaster recovery overview",
            f"Pilot-light DR posture against the targets: RPO {rpo_target_seconds}s, "
            f"RTO {rto_target_seconds}s.",
        )
        .with_variable(_cells_variable('label_values({__name__=~"obs_platform:.+"}, cell)'))
        .with_variable(_standby_region_variable(standby_region))
        .with_row(db.Row("Budget against targets"))
        .with_panel(
            stat.Panel()
            .title("RPO target")
            .unit("s")
            .datasource(PROM)
            .span(4)
            .height(5)
            .with_target(_prom(ar.RPO_TARGET_RECORD, "RPO target"))
        )
        .with_panel(
            stat.Panel()
            .title("RTO target")
            .unit("s")
            .datasource(PROM)
            .span(4)
            .height(5)
            .with_target(_prom(ar.RTO_TARGET_RECORD, "RTO target"))
        )
        .with_panel(
            stat.Panel()
            .title("RPO budget used (worst replication lag / target)")
            .unit("percentunit")
            .datasource(PROM)
            .span(16)
            .height(5)
            .thresholds(_thresholds((None, "green"), (0.5, "orange"), (1.0, "red")))
            .with_target(
                _prom(
                    f"max by (source) ({lag}) / on () group_left () {ar.RPO_TARGET_RECORD}",
                    "{{source}}",
                )
            )
        )
        .with_panel(
            _series(
                "Replication lag against the RPO target",
                "s",
                _prom(f"max by (source, cell) ({lag})", "{{source}} {{cell}}"),
                _prom(ar.RPO_TARGET_RECORD, "RPO target", "B"),
                description="Aurora Global Database, MSK Replicator and MirrorMaker 2 lag "
                "(recording rule) against the RPO target.",
                span=24,
            )
        )
        .with_row(db.Row("Route 53 health checks"))
        .with_panel(
            stat.Panel()
            .title("Health-check status")
            .datasource(PROM)
            .span(12)
            .height(6)
            .mappings(_status_mappings("Healthy", "Failing"))
            .thresholds(_thresholds((None, "red"), (1, "green")))
            .with_target(
                _prom(
                    f"min by (tag_dr_role, tag_cell) "
                    f"({ar.ROUTE53_HEALTH_CHECK_STATUS}{{{tagged}}})",
                    "{{tag_cell}} {{tag_dr_role}}",
                )
            )
        )
        .with_panel(
            timeseries.Panel()
            .title("HealthCheckStatus (CloudWatch, us-east-1)")
            .datasource(CLOUDWATCH)
            .span(12)
            .height(6)
            .min(0)
            .max(1)
            .with_target(
                _cloudwatch(
                    "AWS/Route53",
                    "HealthCheckStatus",
                    "Minimum",
                    {"HealthCheckId": "*"},
                    region="us-east-1",
                )
            )
        )
        .with_row(db.Row("Databases and Kafka"))
        .with_panel(
            timeseries.Panel()
            .title("Aurora Global DB replication lag (CloudWatch)")
            .unit("ms")
            .datasource(CLOUDWATCH)
            .span(12)
            .height(8)
            .description(
                "AuroraGlobalDBReplicationLag of each secondary cluster, read in the "
                "standby region (the secondary emits it there)."
            )
            .thresholds(_thresholds((None, "green"), (rpo_target_seconds * 1000, "red")))
            .with_target(
                _cloudwatch(
                    "AWS/RDS",
                    "AuroraGlobalDBReplicationLag",
                    "Average",
                    {"DBClusterIdentifier": "*"},
                    region=f"${STANDBY_REGION_VARIABLE}",
                )
            )
        )
        .with_panel(
            _series(
                "Kafka replication latency",
                "ms",
                _prom(
                    f"max by (cell, topic) ({ar.MM2_REPLICATION_LATENCY_MS}{{{CELLS}}})",
                    "MM2 {{cell}} {{topic}}",
                ),
                _prom(
                    f"max by (dimension_ReplicatorName) "
                    f"({ar.MSK_REPLICATOR_LATENCY_MS}{{{tagged}}})",
                    "MSK Replicator {{dimension_ReplicatorName}}",
                    "B",
                ),
            )
        )
        .with_row(db.Row("Standby"))
        .with_panel(
            stat.Panel()
            .title("Standby readiness")
            .datasource(PROM)
            .span(6)
            .height(5)
            .mappings(_status_mappings("Ready", "Not ready"))
            .thresholds(_thresholds((None, "red"), (1, "green")))
            .with_target(_prom(f"{ar.STANDBY_READY_RECORD}{{{CELLS}}}", "{{cell}}"))
        )
        .with_panel(
            stat.Panel()
            .title("Standby not ready because")
            .description(
                "control-plane: the EKS API server stopped reporting; nodes: running "
                "instances that are not reporting nodes (StandbyNotReady)."
            )
            .datasource(PROM)
            .span(6)
            .height(5)
            .with_target(
                _prom(
                    f"max by (cell, reason) ({ar.STANDBY_NOT_READY_RECORD}{{{CELLS}}})",
                    "{{cell}} {{reason}}",
                )
            )
        )
        .with_panel(
            stat.Panel()
            .title("Standby control plane")
            .description("AWS/EKS apiserver_request_total of clusters tagged dr-role=standby.")
            .datasource(PROM)
            .span(6)
            .height(5)
            .mappings(_status_mappings("Answering", "Silent"))
            .thresholds(_thresholds((None, "red"), (1, "green")))
            .with_target(_prom(f"{ar.STANDBY_CONTROL_PLANE_RECORD}{{{CELLS}}}", "{{cell}}"))
        )
        .with_panel(
            stat.Panel()
            .title("Standby instances and nodes")
            .description("Running instances (EC2) against nodes whose collector reports.")
            .datasource(PROM)
            .span(6)
            .height(5)
            .with_target(_prom(f"{ar.STANDBY_INSTANCES_RECORD}{{{CELLS}}}", "{{cell}} instances"))
            .with_target(_prom(f"{ar.STANDBY_NODES_RECORD}{{{CELLS}}}", "{{cell}} nodes", "B"))
        )
    )


def cell_dashboard() -> db.Dashboard:
    """One cell's view, templated on the ``cell`` label.

    Cells ship with the OpenTelemetry Collector: kubeletstats node and pod metrics (remote-write,
    with Kubernetes resource attributes as ``k8s_*`` labels) and logs by OTLP to Loki, where
    ``cell`` is filtered as a label or as structured metadata.
    """
    cell = 'cell="$cell"'
    node = f"{ar.NODE_METRIC}{{{cell}}}"
    return (
        _dashboard(
            CELL_UID,
            "Cell",
            "One application cell: nodes, telemetry freshness, replication, readiness, "
            "workloads and logs.",
        )
        .with_variable(
            db.QueryVariable("cell")
            .label("Cell")
            .datasource(PROM)
            .query(f"label_values({ar.NODE_METRIC}, cell)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        )
        .with_row(db.Row("Health"))
        .with_panel(
            stat.Panel()
            .title("Nodes reporting")
            .datasource(PROM)
            .span(6)
            .height(5)
            .with_target(_prom(f"count({node})", "nodes"))
            .thresholds(_thresholds((None, "red"), (1, "green")))
        )
        .with_panel(
            stat.Panel()
            .title("Telemetry age")
            .unit("s")
            .datasource(PROM)
            .span(6)
            .height(5)
            .description("Seconds since the cell's last node sample arrived.")
            .with_target(_prom(f"time() - max(timestamp({node}))", "age"))
            .thresholds(_thresholds((None, "green"), (120, "orange"), (300, "red")))
        )
        .with_panel(
            stat.Panel()
            .title("Standby readiness")
            .datasource(PROM)
            .span(6)
            .height(5)
            .mappings(_status_mappings("Ready", "Not ready"))
            .with_target(_prom(f"{ar.STANDBY_READY_RECORD}{{{cell}}}", "{{cell}}"))
        )
        .with_panel(
            stat.Panel()
            .title("Replication lag")
            .unit("s")
            .datasource(PROM)
            .span(6)
            .height(5)
            .with_target(
                _prom(f"max by (source) ({ar.REPLICATION_LAG_RECORD}{{{cell}}})", "{{source}}")
            )
        )
        .with_row(db.Row("Workloads"))
        .with_panel(
            _series(
                "CPU by namespace",
                "short",
                _prom(
                    "sum by (k8s_namespace_name) "
                    f"(rate(k8s_pod_cpu_time_seconds_total{{{cell}}}[5m]))",
                    "{{k8s_namespace_name}}",
                ),
                description="CPU seconds per second (kubeletstats k8s.pod.cpu.time).",
            )
        )
        .with_panel(
            _series(
                "Memory by namespace",
                "bytes",
                _prom(
                    f"sum by (k8s_namespace_name) (k8s_pod_memory_usage_bytes{{{cell}}})",
                    "{{k8s_namespace_name}}",
                ),
            )
        )
        .with_row(db.Row("Logs"))
        .with_panel(
            _series(
                "Log lines by level",
                "short",
                loki.Dataquery()
                .expr(
                    'sum by (detected_level) (count_over_time({service_name=~".+"} '
                    f"| {cell} [1m]))"
                )
                .legend_format("{{detected_level}}")
                .ref_id("A")
                .datasource(LOKI),
                datasource=LOKI,
                span=24,
            )
        )
    )


def to_json(dashboard: db.Dashboard) -> dict[str, Any]:
    """Return a dashboard builder's JSON model, with panel IDs and without null options."""
    model: dict[str, Any] = json.loads(json.dumps(dashboard.build(), cls=JSONEncoder))
    for number, panel in enumerate(_panels(model), start=1):
        panel["id"] = number
        if panel.get("options", {}) is None:
            del panel["options"]
    return model


def build_dashboards(
    *, rpo_target_seconds: int, rto_target_seconds: int, standby_region: str | None = None
) -> dict[str, dict[str, Any]]:
    """Return every dashboard as ``{"<uid>.json": model}``.

    ``standby_region`` pre-selects the DR dashboard's standby region (:func:`dr_dashboard`).

    Each is checked by :func:`check_datasource_refs` before it is returned.
    """
    dashboards = {
        f"{OVERVIEW_UID}.json": to_json(overview_dashboard()),
        f"{DR_UID}.json": to_json(
            dr_dashboard(
                rpo_target_seconds=rpo_target_seconds,
                rto_target_seconds=rto_target_seconds,
                standby_region=standby_region,
            )
        ),
        f"{CELL_UID}.json": to_json(cell_dashboard()),
    }
    for model in dashboards.values():
        check_datasource_refs(model)
    return dashboards


def _panels(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in model.get("panels") or []:
        yield panel
        yield from panel.get("panels") or []


def datasource_refs(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every ``datasource`` reference (a dict) anywhere in a dashboard model."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasource" and isinstance(value, dict):
                yield value
            else:
                yield from datasource_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from datasource_refs(item)


def check_datasource_refs(model: dict[str, Any], known: dict[str, str] = DATASOURCE_UIDS) -> None:
    """Refuse a dashboard that refers to a datasource not provisioned.

    Args:
        model: Dashboard JSON.
        known: Provisioned datasource UIDs and their plugin types.

    Raises:
        ValueError: A reference without a UID, to an unknown UID, or with a wrong type.
    """
    title = model.get("title")
    for ref in datasource_refs(model):
        uid = ref.get("uid")
        if uid not in known:
            raise ValueError(
                f"dashboard {title!r} refers to datasource UID {uid!r}, which is "
                f"not provisioned; use one of {sorted(known)}."
            )
        if ref.get("type") not in (None, known[uid]):
            raise ValueError(
                f"dashboard {title!r} refers to datasource {uid!r} as type "
                f"{ref.get('type')!r}, but it is a {known[uid]!r} datasource."
            )


__all__ = [
    "CELL_UID",
    "DASHBOARD_TAG",
    "DR_UID",
    "OVERVIEW_UID",
    "build_dashboards",
    "check_datasource_refs",
    "datasource_refs",
]
