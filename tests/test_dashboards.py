"""Dashboards: built with grafana-foundation-sdk, datasource references checked."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from obs_platform._internal import alert_rules as ar
from obs_platform._internal import dashboards as dash
from obs_platform._internal.datasources import DATASOURCE_UIDS


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return dash.build_dashboards(rpo_target_seconds=60, rto_target_seconds=300)


def panels(model: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in model["panels"] if p["type"] != "row"]


def exprs(model: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in panels(model) for t in p.get("targets", []) if "expr" in t]


def test_three_dashboards_with_stable_uids(models: dict[str, dict[str, Any]]) -> None:
    assert list(models) == [
        "obs-platform-overview.json",
        "obs-platform-dr.json",
        "obs-platform-cell.json",
    ]
    for file_name, model in models.items():
        assert model["uid"] == file_name.removesuffix(".json")
        assert model["tags"] == ["obs-platform"]
        # grafana-foundation-sdk 11.6: the current schema (10.1 emitted schemaVersion 36, a
        # top-level "style" and variable "id"s, which the current dashboard schema rejects).
        assert model["schemaVersion"] == 41
        assert "style" not in model
        assert all("id" not in v for v in model.get("templating", {}).get("list", []))
        ids = [p["id"] for p in model["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        assert all(p.get("options", {}) is not None for p in model["panels"])
        json.dumps(model)  # serialisable as the sidecar file


def test_every_datasource_reference_is_provisioned(models: dict[str, dict[str, Any]]) -> None:
    for model in models.values():
        refs = list(dash.datasource_refs(model))
        assert refs
        for ref in refs:
            assert DATASOURCE_UIDS[ref["uid"]] == ref["type"]
        for panel in panels(model):
            assert panel["datasource"]["uid"] in DATASOURCE_UIDS
            for target in panel["targets"]:
                assert target["datasource"] == panel["datasource"]
                assert target["refId"]


def test_a_dashboard_referring_to_an_unknown_datasource_is_refused(
    models: dict[str, dict[str, Any]],
) -> None:
    broken = copy.deepcopy(models["obs-platform-dr.json"])
    panels(broken)[2]["targets"][0]["datasource"] = {"type": "prometheus", "uid": "mimir"}
    with pytest.raises(ValueError, match="refers to datasource UID 'mimir', which is not"):
        dash.check_datasource_refs(broken)
    wrong_type = copy.deepcopy(models["obs-platform-dr.json"])
    panels(wrong_type)[0]["datasource"] = {"type": "loki", "uid": "prometheus"}
    with pytest.raises(ValueError, match="as type 'loki', but it is a 'prometheus'"):
        dash.check_datasource_refs(wrong_type)


@given(st.text(min_size=1, max_size=12).filter(lambda u: u not in DATASOURCE_UIDS))
def test_any_unknown_uid_is_refused(uid: str) -> None:
    model = dash.to_json(dash.cell_dashboard())
    panels(model)[-1]["datasource"]["uid"] = uid
    with pytest.raises(ValueError, match="not provisioned"):
        dash.check_datasource_refs(model)


def test_overview_covers_ingestion_errors_and_storage(models: dict[str, dict[str, Any]]) -> None:
    text = " ".join(exprs(models["obs-platform-overview.json"]))
    for metric in (
        "prometheus_tsdb_head_samples_appended_total",
        "prometheus_remote_storage_samples_failed_total",
        "otelcol_exporter_send_failed_metric_points_total",
        "loki_distributor_lines_received_total",
        "loki_discarded_samples_total",
        "tempo_distributor_spans_received_total",
        "tempo_discarded_spans_total",
        "kubelet_volume_stats_used_bytes",
        "prometheus_tsdb_storage_blocks_bytes",
    ):
        assert metric in text, metric
    rows = [
        p["title"] for p in models["obs-platform-overview.json"]["panels"] if p["type"] == "row"
    ]
    assert rows == ["Prometheus (metrics)", "Loki (logs)", "Tempo (traces)", "Storage"]
    s3 = [
        p
        for p in panels(models["obs-platform-overview.json"])
        if p["datasource"]["uid"] == "cloudwatch"
    ]
    assert s3[0]["targets"][0]["metricName"] == "BucketSizeBytes"


def test_dr_dashboard_shows_health_lag_readiness_and_budget(
    models: dict[str, dict[str, Any]],
) -> None:
    model = models["obs-platform-dr.json"]
    text = " ".join(exprs(model))
    for needle in (
        ar.ROUTE53_HEALTH_CHECK_STATUS,
        ar.MM2_REPLICATION_LATENCY_MS,
        ar.MSK_REPLICATOR_LATENCY_MS,
        ar.STANDBY_READY_RECORD,
        ar.REPLICATION_LAG_RECORD,
        ar.RPO_TARGET_RECORD,
        ar.RTO_TARGET_RECORD,
    ):
        assert needle in text, needle
    cloudwatch = {
        t["metricName"]: t
        for p in panels(model)
        for t in p["targets"]
        if p["datasource"]["uid"] == "cloudwatch"
    }
    assert cloudwatch["HealthCheckStatus"]["region"] == "us-east-1"
    assert cloudwatch["HealthCheckStatus"]["namespace"] == "AWS/Route53"
    assert cloudwatch["AuroraGlobalDBReplicationLag"]["namespace"] == "AWS/RDS"
    aurora = next(
        p for p in panels(model) if p["title"].startswith("Aurora Global DB replication lag")
    )
    steps = aurora["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[-1] == {"value": 60000, "color": "red"}
    assert "RPO 60s" in model["description"] and "RTO 300s" in model["description"]


def test_dr_dashboard_reads_only_recorded_series_that_rules_produce() -> None:
    records = {
        r["record"]
        for g in ar.build_rule_groups(rpo_target_seconds=60, rto_target_seconds=300)
        for r in g["rules"]
        if "record" in r
    }
    model = dash.to_json(dash.dr_dashboard(rpo_target_seconds=60, rto_target_seconds=300))
    used = {
        name
        for name in (
            ar.STANDBY_NODES_RECORD,
            ar.REPLICATION_LAG_RECORD,
            ar.STANDBY_READY_RECORD,
            ar.STANDBY_CONTROL_PLANE_RECORD,
            ar.STANDBY_INSTANCES_RECORD,
            ar.STANDBY_NOT_READY_RECORD,
            ar.RPO_TARGET_RECORD,
            ar.RTO_TARGET_RECORD,
        )
        if any(name in e for e in exprs(model))
    }
    assert used == records


def test_cell_dashboard_is_templated_on_cell(models: dict[str, dict[str, Any]]) -> None:
    model = models["obs-platform-cell.json"]
    (variable,) = model["templating"]["list"]
    assert variable["name"] == "cell"
    assert variable["query"] == "label_values(k8s_node_memory_usage_bytes, cell)"
    assert variable["datasource"] == {"type": "prometheus", "uid": "prometheus"}
    queries = exprs(model)
    assert queries and all('cell="$cell"' in q for q in queries), queries
    assert any(p["datasource"]["uid"] == "loki" for p in panels(model))


@pytest.mark.tool
def test_every_prometheus_query_is_valid_promql(
    models: dict[str, dict[str, Any]], promtool: str, tmp_path: Path
) -> None:
    queries = [
        t["expr"].replace("$cell", "eu-west-1")
        for model in models.values()
        for p in panels(model)
        for t in p["targets"]
        if t["datasource"]["type"] == "prometheus"
    ]
    assert len(queries) > 20
    rules = [{"record": f"dashboard_query_{i}", "expr": q} for i, q in enumerate(queries)]
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _cloudwatch_targets(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        t["metricName"]: t
        for p in panels(model)
        for t in p.get("targets", [])
        if t["datasource"]["uid"] == "cloudwatch"
    }


def test_cloudwatch_panels_read_each_metric_where_and_as_often_as_it_is_emitted() -> None:
    models = dash.build_dashboards(
        rpo_target_seconds=60, rto_target_seconds=300, standby_region="us-east-1"
    )
    overview = _cloudwatch_targets(models["obs-platform-overview.json"])
    # BucketSizeBytes is a daily storage metric.
    assert overview["BucketSizeBytes"]["period"] == "86400"
    dr_model = models["obs-platform-dr.json"]
    dr = _cloudwatch_targets(dr_model)
    # Route 53 health-check metrics exist only in us-east-1; Aurora's global lag is emitted by
    # the secondary, in the standby region the dashboard variable selects.
    assert dr["HealthCheckStatus"]["region"] == "us-east-1"
    assert dr["AuroraGlobalDBReplicationLag"]["region"] == "$standby_region"
    (variable,) = [v for v in dr_model["templating"]["list"] if v["name"] == "standby_region"]
    assert variable["datasource"] == {"type": "cloudwatch", "uid": "cloudwatch"}
    assert variable["query"] == {"queryType": "regions", "refId": "regions"}
    assert variable["current"]["value"] == "us-east-1"
    unset = dash.build_dashboards(rpo_target_seconds=60, rto_target_seconds=300)
    unset_variables = unset["obs-platform-dr.json"]["templating"]["list"]
    (unset_region,) = [v for v in unset_variables if v["name"] == "standby_region"]
    assert "current" not in unset_region


@pytest.mark.parametrize("uid", ["obs-platform-overview.json", "obs-platform-dr.json"])
def test_overview_and_dr_dashboards_select_cells(
    models: dict[str, dict[str, Any]], uid: str
) -> None:
    model = models[uid]
    (variable,) = [v for v in model["templating"]["list"] if v["name"] == "cell"]
    assert variable["type"] == "query"
    assert variable["datasource"] == {"type": "prometheus", "uid": "prometheus"}
    assert variable["multi"] is True and variable["includeAll"] is True
    assert variable["allValue"] == ".*"
    assert variable["query"].startswith("label_values(") and variable["query"].endswith(", cell)")
    # Every Prometheus query that reads a per-cell series filters on the selected cells: the
    # cells' collector metrics, the DR records (by cell) and YACE's series (by tag_cell).
    per_cell = ("otelcol_", "obs_platform:standby", "obs_platform:replication", "aws_", "kafka_")
    reads = [e for e in exprs(model) if any(name in e for name in per_cell)]
    assert reads
    for expr in reads:
        for selector in re.findall(
            r"\b(?:otelcol_|obs_platform:standby|obs_platform:replication|aws_|kafka_)"
            r"[\w:]*(\{[^}]*\})?",
            expr,
        ):
            assert '=~"$cell"' in selector, expr
