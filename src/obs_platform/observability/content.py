"""The stack's day-one content as Kubernetes resources: rules, dashboards, Alertmanager config.

:func:`create_observability_content` is called by ``ObservabilityStack`` with the options that
carry its Kubernetes provider and dependencies. It creates, as children of ``owner``:

* ``{name}-rules-dr``, ``{name}-rules-ingestion``, ``{name}-rules-meta``: PrometheusRule custom
  resources (:mod:`obs_platform._internal.alert_rules`);
* ``{name}-dashboard-overview``, ``{name}-dashboard-dr``, ``{name}-dashboard-cell``: ConfigMaps
  labelled ``grafana_dashboard: "1"`` that Grafana's sidecar loads into the ``obs-platform``
  folder (:mod:`obs_platform._internal.dashboards`);
* ``{name}-alertmanager-config``: a Secret holding ``alertmanager.yaml``, rendered inside
  ``Output.apply`` from the receiver URLs, which are (made) Pulumi secrets, so no URL is ever a
  plaintext input or Helm value (:mod:`obs_platform._internal.alertmanager`).

It returns the kube-prometheus-stack values overlay that wires them in (datasources, sidecar,
Alertmanager's ``configSecret``, rule selection) for the caller to deep-merge into its values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
import yaml

from .._internal import alert_rules, dashboards
from .._internal.alertmanager import (
    AlertingArgs,
    AlertRoute,
    EmailReceiver,
    OpsgenieReceiver,
    PagerDutyReceiver,
    SlackReceiver,
    SnsReceiver,
    WebhookReceiver,
    build_alertmanager_config,
    masked_alertmanager_yaml,
)
from .._internal.datasources import DatasourceEndpoints, build_datasources
from .._internal.errors import ObsPlatformError

__all__ = [
    "AlertRoute",
    "AlertingArgs",
    "EmailReceiver",
    "ObservabilityContent",
    "OpsgenieReceiver",
    "PagerDutyReceiver",
    "SlackReceiver",
    "SnsReceiver",
    "WebhookReceiver",
    "create_observability_content",
    "kubernetes_name",
    "values_overlay",
]

DASHBOARD_LABEL: Final = "grafana_dashboard"
"""Label Grafana's dashboard sidecar watches (kube-prometheus-stack's default)."""
DASHBOARD_LABEL_VALUE: Final = "1"
FOLDER_ANNOTATION: Final = "grafana_folder"
"""Annotation naming the Grafana folder of a dashboard ConfigMap."""
DASHBOARD_FOLDER: Final = "obs-platform"
ALERTMANAGER_CONFIG_KEY: Final = "alertmanager.yaml"
"""Key of the configuration in the Alertmanager config Secret (the operator's convention)."""

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class ObservabilityContent:
    """What :func:`create_observability_content` made.

    Attributes:
        values_overlay: kube-prometheus-stack values to deep-merge into the release's values
            (Grafana datasources and dashboard sidecar, Alertmanager ``configSecret``, rule
            selection, exemplar storage). Datasource URLs may be ``Output`` values.
        resources: Every resource created (rules, dashboard ConfigMaps, the config Secret); the
            Helm release may depend on them.
        alertmanager_config_secret: Kubernetes name of the Alertmanager config Secret.
        alertmanager_config_masked: The Alertmanager configuration (YAML) with every credential
            masked, for review and ``amtool config routes test``.
        alert_names: Names of the alerts shipped.
        dashboard_uids: UIDs of the dashboards shipped.
    """

    values_overlay: dict[str, Any]
    resources: list[pulumi.Resource]
    alertmanager_config_secret: str = ""
    alertmanager_config_masked: str = ""
    alert_names: list[str] = field(default_factory=list)
    dashboard_uids: list[str] = field(default_factory=list)


def kubernetes_name(name: str, suffix: str) -> str:
    """Return a DNS-1123 object name ``<name>-<suffix>``.

    Lower-cased, other invalid characters as dashes, at most 63 characters.
    """
    raw = re.sub(r"[^a-z0-9-]+", "-", f"{name}-{suffix}".lower()).strip("-")
    return raw[:63].rstrip("-")


def values_overlay(*, endpoints: DatasourceEndpoints, config_secret: str) -> dict[str, Any]:
    """Return the kube-prometheus-stack values that wire the content in.

    Every key path exists in the pinned chart's ``values.yaml`` (``configSecret`` is documented
    there as a commented key); Grafana's keys sit under ``grafana:`` (the subchart).
    """
    return {
        "grafana": {
            "sidecar": {
                "dashboards": {
                    "enabled": True,
                    "label": DASHBOARD_LABEL,
                    "labelValue": DASHBOARD_LABEL_VALUE,
                    "folderAnnotation": FOLDER_ANNOTATION,
                    "provider": {"foldersFromFilesStructure": True},
                },
                # Our own Prometheus and Alertmanager datasources replace the chart's, so the
                # UIDs and correlation links are ours.
                "datasources": {
                    "enabled": True,
                    "defaultDatasourceEnabled": False,
                    "alertmanager": {"enabled": False},
                },
            },
            "additionalDataSources": build_datasources(endpoints),
        },
        "alertmanager": {
            "alertmanagerSpec": {"useExistingSecret": True, "configSecret": config_secret},
        },
        # The library ships its own Watchdog (routed to the heartbeat receiver).
        "defaultRules": {"disabled": {"Watchdog": True}},
        "prometheus": {
            "prometheusSpec": {
                "ruleSelectorNilUsesHelmValues": False,
                "enableFeatures": ["exemplar-storage"],
            },
        },
    }


def _render_alertmanager(alerting: AlertingArgs, urls: Any) -> str:
    resolved = dict(urls) if isinstance(urls, dict) else {}
    config = build_alertmanager_config(alerting, resolved)
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False)


def _check(
    name: str,
    namespace: str,
    alerting: Any,
    endpoints: Any,
    rto_target_seconds: Any,
    rpo_target_seconds: Any,
) -> None:
    where = f"observability content {name!r}"
    if not isinstance(name, str) or not name:
        raise ObsPlatformError(
            f"{where}: the name must be a non-empty string.",
            field="name",
            value=name,
            fix="Pass the owning component's name.",
        )
    if not isinstance(namespace, str) or not _DNS_LABEL.match(namespace):
        raise ObsPlatformError(
            f"{where}: namespace {namespace!r} is not a Kubernetes namespace name.",
            field="namespace",
            value=namespace,
            fix="Use lower-case letters, digits and dashes, at most 63 characters.",
        )
    if not isinstance(alerting, AlertingArgs):
        raise ObsPlatformError(
            f"{where}: alerting must be AlertingArgs, got {type(alerting).__name__}.",
            field="alerting",
            value=alerting,
            fix="Pass AlertingArgs(...).",
        )
    if not isinstance(endpoints, DatasourceEndpoints):
        raise ObsPlatformError(
            f"{where}: endpoints must be DatasourceEndpoints, got {type(endpoints).__name__}.",
            field="endpoints",
            value=endpoints,
            fix="Pass DatasourceEndpoints(...).",
        )
    for label, value in (
        ("rto_target_seconds", rto_target_seconds),
        ("rpo_target_seconds", rpo_target_seconds),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ObsPlatformError(
                f"{where}: {label} must be a positive whole number of seconds, got {value!r}.",
                field=label,
                value=value,
                fix="Pass for example 300 (RTO) or 60 (RPO).",
            )


def create_observability_content(
    owner: pulumi.Resource,
    name: str,
    *,
    namespace: str,
    alerting: AlertingArgs,
    endpoints: DatasourceEndpoints,
    rto_target_seconds: int,
    rpo_target_seconds: int,
    opts: pulumi.ResourceOptions,
    standby_region: str | None = None,
    standby_cells: tuple[str, ...] = (),
) -> ObservabilityContent:
    """Create the rules, dashboards and Alertmanager config Secret; return the values overlay.

    Args:
        owner: Parent of every resource created.
        name: Prefix of the children's logical names (``f"{name}-<role>"``) and of their
            Kubernetes object names.
        namespace: Namespace of kube-prometheus-stack (Alertmanager reads its config Secret
            there; the sidecar finds dashboards in any namespace).
        alerting: Alert routing.
        endpoints: Where Grafana reaches each backend.
        rto_target_seconds: RTO target; the DR rules and dashboard measure against it.
        rpo_target_seconds: RPO target; replication lag above it is critical.
        opts: Options for every child (the Kubernetes provider, ``depends_on``); ``parent`` is
            set to ``owner``.
        standby_region: The DR standby's region, pre-selected on the DR dashboard.
        standby_cells: Standby cells the ``StandbyNotReady`` alert always watches.

    Raises:
        ObsPlatformError: An argument is invalid (checked before anything is created).
    """
    _check(name, namespace, alerting, endpoints, rto_target_seconds, rpo_target_seconds)
    from pulumi_kubernetes.apiextensions import CustomResource
    from pulumi_kubernetes.core.v1 import ConfigMap, Secret
    from pulumi_kubernetes.meta.v1 import ObjectMetaArgs

    groups = alert_rules.build_rule_groups(
        rpo_target_seconds=rpo_target_seconds,
        rto_target_seconds=rto_target_seconds,
        standby_cells=standby_cells,
    )
    models = dashboards.build_dashboards(
        rpo_target_seconds=rpo_target_seconds,
        rto_target_seconds=rto_target_seconds,
        standby_region=standby_region,
    )
    child_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=owner))
    labels = dict(alert_rules.RULE_LABELS)
    resources: list[pulumi.Resource] = []

    for group in groups:
        role = "rules-" + group["name"].removeprefix("obs-platform-")
        manifest = alert_rules.prometheus_rule(kubernetes_name(name, role), namespace, group)
        resources.append(
            CustomResource(
                f"{name}-{role}",
                api_version=manifest["apiVersion"],
                kind=manifest["kind"],
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=child_opts,
            )
        )

    for file_name, model in models.items():
        role = "dashboard-" + model["uid"].removeprefix("obs-platform-")
        resources.append(
            ConfigMap(
                f"{name}-{role}",
                metadata=ObjectMetaArgs(
                    name=kubernetes_name(name, role),
                    namespace=namespace,
                    labels={**labels, DASHBOARD_LABEL: DASHBOARD_LABEL_VALUE},
                    annotations={FOLDER_ANNOTATION: DASHBOARD_FOLDER},
                ),
                data={file_name: json.dumps(model, sort_keys=True)},
                opts=child_opts,
            )
        )

    secret_name = kubernetes_name(name, "alertmanager-config")
    urls = {
        receiver: pulumi.Output.secret(url) for receiver, url in alerting.receiver_urls().items()
    }

    def render(resolved: Any) -> str:
        return _render_alertmanager(alerting, resolved)

    rendered: pulumi.Output[str] = pulumi.Output.secret(pulumi.Output.all(**urls).apply(render))
    resources.append(
        Secret(
            f"{name}-alertmanager-config",
            metadata=ObjectMetaArgs(name=secret_name, namespace=namespace, labels=labels),
            type="Opaque",
            string_data={ALERTMANAGER_CONFIG_KEY: rendered},
            opts=child_opts,
        )
    )

    return ObservabilityContent(
        values_overlay=values_overlay(endpoints=endpoints, config_secret=secret_name),
        resources=resources,
        alertmanager_config_secret=secret_name,
        alertmanager_config_masked=masked_alertmanager_yaml(alerting),
        alert_names=alert_rules.alert_names(groups),
        dashboard_uids=[model["uid"] for model in models.values()],
    )
