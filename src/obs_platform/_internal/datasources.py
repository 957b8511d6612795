"""Grafana datasource provisioning with stable UIDs and correlation links (pure).

:func:`build_datasources` returns the list that goes into kube-prometheus-stack's
``grafana.additionalDataSources`` (one Grafana provisioning file). UIDs are fixed
(:data:`DATASOURCE_UIDS`) so dashboards and links can refer to them. Correlations:

* Prometheus exemplars -> Tempo (``exemplarTraceIdDestinations`` on the ``trace_id`` label);
* Loki log lines -> Tempo (``derivedFields``): the ``trace_id`` structured metadata that Loki
  stores for every OTLP log record (the cells ship logs only over OTLP), and, for lines that
  print one, a trace ID found in the text;
* Tempo traces -> Loki (``tracesToLogsV2``): the span's ``service.name`` and
  ``k8s.namespace.name`` as the stream labels Loki's OTLP ingestion indexes them under
  (``service_name``, ``k8s_namespace_name``: Loki 3.7 ``pkg/loghttp/push/otlp_config.go``,
  ``DefaultOTLPResourceAttributesAsIndexLabels``), filtered by ``trace_id`` in structured
  metadata rather than a text search; -> Prometheus (``tracesToMetrics``), service graph and
  node graph from Prometheus.

CloudWatch uses the Grafana pod's AWS credentials (IRSA or EKS Pod Identity, ``authType:
default``) and, when ``cloudwatch_role_arn`` is set, assumes that role (``assumeRoleArn``).
Each other account (``cloudwatch_accounts``: the cells' reader roles) gets its own CloudWatch
datasource that assumes that account's role, with the account's first region as its default
(Grafana's CloudWatch provisioning keys ``authType``, ``assumeRoleArn``, ``defaultRegion``;
Grafana docs, "Configure the Amazon CloudWatch data source", provisioning examples). Assuming a
role is on by default in Grafana (``[aws] assume_role_enabled = true``). No ``externalId``: the
reader roles trust named roles of the same organisation, not a third party.

Grafana expands ``$VAR`` and ``${VAR}`` in provisioning files from its environment, and the chart
passes ``additionalDataSources`` through Helm's ``tpl``; every literal ``$`` is therefore written
``$$`` and no value contains ``{{``.

URLs are ``Input[str]``: they are placed in the result as they are (a string or an ``Output``),
so the values may be known only after deploy.
"""

from __future__ import annotations

from typing import Any, Final

from .types import ArgsModel, Input, Region

PROMETHEUS_UID: Final = "prometheus"
LOKI_UID: Final = "loki"
TEMPO_UID: Final = "tempo"
CLOUDWATCH_UID: Final = "cloudwatch"
ALERTMANAGER_UID: Final = "alertmanager"

DATASOURCE_UIDS: Final[dict[str, str]] = {
    PROMETHEUS_UID: "prometheus",
    LOKI_UID: "loki",
    TEMPO_UID: "tempo",
    CLOUDWATCH_UID: "cloudwatch",
    ALERTMANAGER_UID: "alertmanager",
}
"""Every provisioned datasource UID and its Grafana plugin type."""

TRACE_ID_LABEL: Final = "trace_id"
"""Exemplar label carrying the trace ID (the OpenTelemetry SDKs' default)."""

LOKI_TRACE_ID_REGEX: Final = r'(?:trace_?[iI][dD])["=: ]+"?(\w+)'
"""Extracts a trace ID from a log line: ``trace_id=abc``, ``traceID: abc``, ``"traceId":"abc"``."""

LOKI_TRACE_ID_METADATA: Final = "trace_id"
"""The structured-metadata key under which Loki keeps an OTLP log record's trace ID."""

LOKI_OTLP_LABELS: Final[dict[str, str]] = {
    "service.name": "service_name",
    "k8s.namespace.name": "k8s_namespace_name",
}
"""OTLP resource attributes -> the Loki stream labels its OTLP ingestion indexes them as (dots
become underscores); only attributes in Loki's default index-label list are used."""

TRACES_TO_LOGS_QUERY: Final = '{${__tags}} | trace_id="${__trace.traceId}"'
"""The LogQL Grafana runs from a span: its stream labels, then the trace ID in structured
metadata (``${__tags}`` and ``${__trace.traceId}`` are Grafana's trace-to-logs variables)."""


GRAFANA_CLOUDWATCH_ACTIONS: Final[tuple[str, ...]] = (
    "cloudwatch:DescribeAlarmsForMetric",
    "cloudwatch:DescribeAlarmHistory",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListMetrics",
    "cloudwatch:GetMetricData",
    "cloudwatch:GetInsightRuleReport",
    "logs:DescribeLogGroups",
    "logs:GetLogGroupFields",
    "logs:StartQuery",
    "logs:StopQuery",
    "logs:GetQueryResults",
    "logs:GetLogEvents",
    "ec2:DescribeTags",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "tag:GetResources",
)
"""What Grafana's CloudWatch datasource reads (read-only), in the shared account and in each
account whose reader role it assumes."""

CLOUDWATCH_UID_MAX: Final = 40
"""Grafana's longest datasource UID."""


class CloudWatchAccountDatasource(ArgsModel):
    """Another account Grafana reads CloudWatch in, through a role there."""

    role_arn: Input[str]
    """The role Grafana assumes (the cell's ``cloudwatch_reader_role_arn``)."""
    account_id: str
    """The account's ID (from the role ARN): the datasource's UID and name carry it."""
    region: Region
    """The datasource's default region (the account's first listed region)."""
    cell: str | None = None
    """The cell these metrics belong to, shown in the datasource's name."""


def cloudwatch_account_uids(accounts: tuple[CloudWatchAccountDatasource, ...]) -> list[str]:
    """Return each account datasource's UID.

    ``cloudwatch-<account>``, numbered from 2 when an account is listed more than once (at
    most 27 characters, under Grafana's 40).
    """
    seen: dict[str, int] = {}
    uids: list[str] = []
    for account in accounts:
        seen[account.account_id] = seen.get(account.account_id, 0) + 1
        count = seen[account.account_id]
        uids.append(f"{CLOUDWATCH_UID}-{account.account_id}" + (f"-{count}" if count > 1 else ""))
    return uids


class DatasourceEndpoints(ArgsModel):
    """Where Grafana reaches each backend (in-cluster service URLs, usually)."""

    prometheus_url: Input[str]
    """Prometheus (or a compatible query endpoint) base URL."""
    loki_url: Input[str]
    """Loki base URL (the gateway or query frontend)."""
    tempo_url: Input[str]
    """Tempo base URL (the query frontend)."""
    alertmanager_url: Input[str]
    """Alertmanager base URL."""
    region: Region
    """Default AWS region of the CloudWatch datasource."""
    cloudwatch_role_arn: Input[str] | None = None
    """IAM role Grafana assumes for CloudWatch; ``None`` uses the pod's own credentials."""
    tenants: tuple[str, ...] = ()
    """The Loki/Tempo tenants (the cells) Grafana reads, all at once (``X-Scope-OrgID:
    a|b``, Loki's multi-tenant queries and Tempo's cross-tenant federation)."""
    cloudwatch_accounts: tuple[CloudWatchAccountDatasource, ...] = ()
    """Other accounts, each read by its own CloudWatch datasource through its role."""


TENANT_HEADER: Final = "X-Scope-OrgID"
"""The header Loki and Tempo take the tenant (or ``|``-joined tenants) from."""


def tenant_header(tenants: tuple[str, ...]) -> dict[str, Any]:
    """Return Grafana's custom-header settings that read every tenant.

    The ``jsonData`` and ``secureJsonData`` parts; empty without tenants.
    """
    if not tenants:
        return {}
    return {
        "jsonData": {"httpHeaderName1": TENANT_HEADER},
        "secureJsonData": {"httpHeaderValue1": "|".join(tenants)},
    }


def escape_provisioning(value: str) -> str:
    """Escape ``$`` for a Grafana provisioning file (``$`` -> ``$$``)."""
    return value.replace("$", "$$")


def build_datasources(endpoints: DatasourceEndpoints) -> list[dict[str, Any]]:
    """Return the Grafana datasource provisioning entries for ``endpoints``."""
    window = {"spanStartTimeShift": "-5m", "spanEndTimeShift": "5m"}
    cloudwatch_json: dict[str, Any] = {"authType": "default", "defaultRegion": endpoints.region}
    if endpoints.cloudwatch_role_arn is not None:
        cloudwatch_json["assumeRoleArn"] = endpoints.cloudwatch_role_arn
    sources: list[dict[str, Any]] = [
        {
            "name": "Prometheus",
            "type": "prometheus",
            "uid": PROMETHEUS_UID,
            "access": "proxy",
            "url": endpoints.prometheus_url,
            "isDefault": True,
            "editable": False,
            "jsonData": {
                "httpMethod": "POST",
                "exemplarTraceIdDestinations": [
                    {
                        "name": TRACE_ID_LABEL,
                        "datasourceUid": TEMPO_UID,
                        "urlDisplayLabel": "View trace",
                    }
                ],
            },
        },
        {
            "name": "Loki",
            "type": "loki",
            "uid": LOKI_UID,
            "access": "proxy",
            "url": endpoints.loki_url,
            "isDefault": False,
            "editable": False,
            "jsonData": {
                "maxLines": 1000,
                "derivedFields": [
                    {
                        # matcherType "label": matcherRegex names a label or structured-
                        # metadata key, read as it is.
                        "name": "TraceID",
                        "datasourceUid": TEMPO_UID,
                        "matcherType": "label",
                        "matcherRegex": LOKI_TRACE_ID_METADATA,
                        "url": escape_provisioning("${__value.raw}"),
                        "urlDisplayLabel": "View trace",
                    },
                    {
                        "name": "TraceID in line",
                        "datasourceUid": TEMPO_UID,
                        "matcherType": "regex",
                        "matcherRegex": escape_provisioning(LOKI_TRACE_ID_REGEX),
                        "url": escape_provisioning("${__value.raw}"),
                        "urlDisplayLabel": "View trace",
                    },
                ],
            },
        },
        {
            "name": "Tempo",
            "type": "tempo",
            "uid": TEMPO_UID,
            "access": "proxy",
            "url": endpoints.tempo_url,
            "isDefault": False,
            "editable": False,
            "jsonData": {
                "tracesToLogsV2": {
                    "datasourceUid": LOKI_UID,
                    **window,
                    # The custom query filters by trace_id in structured metadata; the built-in
                    # filterByTraceID would search the line text, which OTLP logs lack.
                    "filterByTraceID": False,
                    "filterBySpanID": False,
                    "customQuery": True,
                    "query": escape_provisioning(TRACES_TO_LOGS_QUERY),
                    "tags": [
                        {"key": key, "value": label} for key, label in LOKI_OTLP_LABELS.items()
                    ],
                },
                "tracesToMetrics": {
                    "datasourceUid": PROMETHEUS_UID,
                    **window,
                    "tags": [{"key": "service.name", "value": "service"}],
                    "queries": [
                        {
                            "name": "Request rate",
                            "query": escape_provisioning(
                                "sum(rate(traces_spanmetrics_calls_total{$__tags}[5m]))"
                            ),
                        }
                    ],
                },
                "serviceMap": {"datasourceUid": PROMETHEUS_UID},
                "nodeGraph": {"enabled": True},
                "lokiSearch": {"datasourceUid": LOKI_UID},
            },
        },
        {
            "name": "CloudWatch",
            "type": "cloudwatch",
            "uid": CLOUDWATCH_UID,
            "access": "proxy",
            "isDefault": False,
            "editable": False,
            "jsonData": cloudwatch_json,
        },
        *(
            {
                "name": f"CloudWatch {account.cell or 'account'} ({account.account_id})",
                "type": "cloudwatch",
                "uid": uid,
                "access": "proxy",
                "isDefault": False,
                "editable": False,
                "jsonData": {
                    "authType": "default",
                    "assumeRoleArn": account.role_arn,
                    "defaultRegion": account.region,
                },
            }
            for account, uid in zip(
                endpoints.cloudwatch_accounts,
                cloudwatch_account_uids(endpoints.cloudwatch_accounts),
                strict=True,
            )
        ),
        {
            "name": "Alertmanager",
            "type": "alertmanager",
            "uid": ALERTMANAGER_UID,
            "access": "proxy",
            "url": endpoints.alertmanager_url,
            "isDefault": False,
            "editable": False,
            "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
        },
    ]
    header = tenant_header(endpoints.tenants)
    for source in sources:
        if header and source["uid"] in (LOKI_UID, TEMPO_UID):
            source["jsonData"].update(header["jsonData"])
            source["secureJsonData"] = dict(header["secureJsonData"])
    return sources
