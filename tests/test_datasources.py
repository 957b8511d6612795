"""Grafana datasource provisioning: UIDs, correlation links, escaping, CloudWatch role."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform import ArgsError
from obs_platform._internal.datasources import (
    DATASOURCE_UIDS,
    LOKI_TRACE_ID_REGEX,
    DatasourceEndpoints,
    build_datasources,
    escape_provisioning,
)

ROLE = "arn:aws:iam::123456789012:role/grafana-cloudwatch"


def endpoints(**overrides: Any) -> DatasourceEndpoints:
    values: dict[str, Any] = {
        "prometheus_url": "http://kps-prometheus.monitoring:9090",
        "loki_url": "http://loki-gateway.monitoring",
        "tempo_url": "http://tempo.monitoring:3200",
        "alertmanager_url": "http://kps-alertmanager.monitoring:9093",
        "region": "eu-west-1",
    }
    values.update(overrides)
    return DatasourceEndpoints(**values)


def by_uid(datasources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["uid"]: d for d in datasources}


def test_one_datasource_per_backend_with_stable_uids_and_types() -> None:
    sources = build_datasources(endpoints())
    assert [(d["uid"], d["type"]) for d in sources] == list(DATASOURCE_UIDS.items())
    assert [d["uid"] for d in sources] == [
        "prometheus",
        "loki",
        "tempo",
        "cloudwatch",
        "alertmanager",
    ]
    assert [d["isDefault"] for d in sources] == [True, False, False, False, False]
    assert all(d["editable"] is False and d["access"] == "proxy" for d in sources)
    urls = {d["uid"]: d.get("url") for d in sources}
    assert urls == {
        "prometheus": "http://kps-prometheus.monitoring:9090",
        "loki": "http://loki-gateway.monitoring",
        "tempo": "http://tempo.monitoring:3200",
        "cloudwatch": None,
        "alertmanager": "http://kps-alertmanager.monitoring:9093",
    }


def test_correlation_links() -> None:
    sources = by_uid(build_datasources(endpoints()))
    assert sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"] == [
        {"name": "trace_id", "datasourceUid": "tempo", "urlDisplayLabel": "View trace"}
    ]
    metadata, in_line = sources["loki"]["jsonData"]["derivedFields"]
    # OTLP logs carry the trace ID as structured metadata, not in the line.
    assert metadata == {
        "name": "TraceID",
        "datasourceUid": "tempo",
        "matcherType": "label",
        "matcherRegex": "trace_id",
        "url": "$${__value.raw}",
        "urlDisplayLabel": "View trace",
    }
    assert in_line["matcherType"] == "regex" and in_line["url"] == "$${__value.raw}"
    tempo = sources["tempo"]["jsonData"]
    logs = tempo["tracesToLogsV2"]
    assert logs["datasourceUid"] == "loki"
    # Loki's OTLP ingestion indexes k8s.namespace.name as k8s_namespace_name, not namespace.
    assert logs["tags"] == [
        {"key": "service.name", "value": "service_name"},
        {"key": "k8s.namespace.name", "value": "k8s_namespace_name"},
    ]
    assert (logs["customQuery"], logs["filterByTraceID"]) == (True, False)
    assert logs["query"] == '{$${__tags}} | trace_id="$${__trace.traceId}"'
    assert tempo["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert tempo["tracesToMetrics"]["queries"][0]["query"] == (
        "sum(rate(traces_spanmetrics_calls_total{$$__tags}[5m]))"
    )
    assert tempo["serviceMap"] == {"datasourceUid": "prometheus"}
    assert tempo["lokiSearch"] == {"datasourceUid": "loki"}
    for source in sources.values():
        for link in _links(source):
            assert link in DATASOURCE_UIDS, f"{source['uid']} links to unknown {link!r}"


def _links(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "datasourceUid"]
        return found + [x for v in node.values() for x in _links(v)]
    if isinstance(node, list):
        return [x for v in node for x in _links(v)]
    return []


@pytest.mark.parametrize(
    "line",
    [
        'level=info trace_id=4bf92f3577b34da6a3ce929d0e0e4736 msg="ok"',
        '{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","msg":"ok"}',
        "traceID: 4bf92f3577b34da6a3ce929d0e0e4736",
    ],
)
def test_trace_id_regex_extracts_the_id(line: str) -> None:
    match = re.search(LOKI_TRACE_ID_REGEX, line)
    assert match is not None and match.group(1) == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_cloudwatch_uses_pod_credentials_and_optionally_assumes_a_role() -> None:
    plain = by_uid(build_datasources(endpoints()))["cloudwatch"]["jsonData"]
    assert plain == {"authType": "default", "defaultRegion": "eu-west-1"}
    with_role = by_uid(build_datasources(endpoints(cloudwatch_role_arn=ROLE)))["cloudwatch"]
    assert with_role["jsonData"] == {
        "authType": "default",
        "defaultRegion": "eu-west-1",
        "assumeRoleArn": ROLE,
    }


def test_no_unescaped_dollar_and_no_helm_template() -> None:
    text = json.dumps(build_datasources(endpoints(cloudwatch_role_arn=ROLE)))
    assert "{{" not in text  # the chart passes additionalDataSources through tpl
    assert not re.search(r"(?<!\$)\$(?!\$)", text.replace("$$", "")), text


@given(st.text(max_size=40))
def test_escaping_doubles_every_dollar(value: str) -> None:
    escaped = escape_provisioning(value)
    assert escaped.replace("$$", "$") == value
    assert escaped.count("$") == 2 * value.count("$")


def test_outputs_pass_through_unchanged() -> None:
    url = object.__new__(pulumi.Output)
    role = object.__new__(pulumi.Output)
    sources = by_uid(build_datasources(endpoints(prometheus_url=url, cloudwatch_role_arn=role)))
    assert sources["prometheus"]["url"] is url
    assert sources["cloudwatch"]["jsonData"]["assumeRoleArn"] is role


def test_region_is_validated() -> None:
    with pytest.raises(ArgsError, match="eu-west-9"):
        endpoints(region="eu-west-9")
    unknown = r"DatasourceEndpoints\.grafana_url \(got '\[masked: 8 characters\]'\): unknown field"
    with pytest.raises(ArgsError, match=unknown):
        endpoints(grafana_url="http://x")
