"""What each cell ships, rendered by real Helm from the pinned kube-prometheus-stack chart.

The app-cells example's plan (read with the shared stack's outputs, as its README does) holds
one ``{cell}-telemetry-agent`` release per cell: kube-prometheus-stack in Prometheus agent
mode. These tests render it with ``helm template`` (``tests/helm_render.py``) and check the
objects the cell then runs: the agent remote-writes to the stack's ingest name over TLS with
the tenant's credentials from a Secret, with the cell's labels on every series; the chart's
kube-state-metrics, node-exporter and API server ServiceMonitors are there, and every
ServiceMonitor/PodMonitor of the cell is discovered; nothing a cell should not run (rules,
Alertmanager, Grafana, webhooks) is rendered; every image comes through the cell's own
pull-through caches. The generic checks (every object against its Kubernetes or CRD schema,
every pod against its namespace's Pod Security level, no value a silent no-op) run over the
same renders in ``test_chart_render.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helm_render import ChartLibrary, Rendered, find_helm, pod_specs
from obs_platform._internal.pod_security import Level, violations
from test_chart_render import Variant, _namespace_levels, _variant, images

CELLS = {"eu-west-1": "111111111111", "us-east-1": "222222222222"}
"""The example's cells and their accounts (the conftest's stack outputs)."""


@pytest.fixture(scope="module")
def app_cells(reference_dir: Path) -> Variant:
    helm = find_helm()
    if helm is None:
        pytest.skip("helm not installed; run `bash scripts/install-helm.sh`")
    return _variant("app-cells", helm, ChartLibrary(reference_dir))


def _agent(variant: Variant, cell: str) -> Rendered:
    (found,) = [r for r in variant.rendered if r.release.resource == f"{cell}-telemetry-agent"]
    return found


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_agent_writes_to_the_ingest_name_over_tls_with_the_tenants_secret(
    app_cells: Variant, cell: str
) -> None:
    agent = _agent(app_cells, cell)
    assert (agent.release.chart, agent.release.version) == ("kube-prometheus-stack", "88.5.3")
    assert agent.release.namespace == "obs-telemetry"
    ((cr),) = agent.of_kind("PrometheusAgent")
    assert cr["apiVersion"] == "monitoring.coreos.com/v1alpha1"
    spec = cr["spec"]
    ((write),) = spec["remoteWrite"]
    assert write["url"] == "https://ingest.obs.internal:9090/api/v1/write"
    assert write["tlsConfig"] == {"minVersion": "TLS12"}
    secret = {"name": "otel-collector-credentials"}
    assert write["basicAuth"] == {
        "username": {**secret, "key": "username"},
        "password": {**secret, "key": "password"},
    }
    assert spec["externalLabels"] == {
        "cell": cell,
        "cluster": cell,
        "region": cell,
        "account": CELLS[cell],
        "dr_role": "primary" if cell == "eu-west-1" else "standby",
        "dr_strategy": "pilot-light",
    }
    # The Secret the agent reads is the cell's, in the same namespace.
    (credentials,) = [
        o
        for o in app_cells.plan_objects
        if o["kind"] == "Secret"
        and o["metadata"]["name"] == "otel-collector-credentials"
        and o["metadata"]["namespace"] == "obs-telemetry"
    ][:1]
    assert credentials["type"] == "kubernetes.io/basic-auth"


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_agent_discovers_every_monitor_and_ships_the_kubernetes_view(
    app_cells: Variant, cell: str
) -> None:
    agent = _agent(app_cells, cell)
    ((cr),) = agent.of_kind("PrometheusAgent")
    spec = cr["spec"]
    # Empty selectors: every ServiceMonitor, PodMonitor, Probe and ScrapeConfig, any namespace.
    for kind in ("serviceMonitor", "podMonitor", "probe", "scrapeConfig"):
        assert spec[f"{kind}Selector"] == {}, kind
        assert spec[f"{kind}NamespaceSelector"] == {}, kind
    monitors = {o["metadata"]["name"] for o in agent.of_kind("ServiceMonitor")}
    assert "obs-agent-apiserver" in monitors
    # The collector scrapes the kubelet and cAdvisor (job="kubelet"): not twice.
    assert "obs-agent-kubelet" not in monitors
    # The subcharts' own ServiceMonitors and workloads: skipped, naming the gap, where the
    # reference data lacks the subcharts (helm_render.KNOWN_REFERENCE_GAPS).
    agent.needs("kube-state-metrics")
    agent.needs("prometheus-node-exporter")
    assert {"obs-agent-kube-state-metrics", "obs-agent-prometheus-node-exporter"} <= monitors
    assert agent.get("Deployment", "obs-agent-kube-state-metrics")
    exporter = agent.get("DaemonSet", "obs-agent-prometheus-node-exporter")
    # node-exporter needs the host: its namespace is privileged, which baseline would refuse.
    levels = _namespace_levels(app_cells)
    assert levels[exporter["metadata"]["namespace"]] is Level.PRIVILEGED
    ((metadata, pod),) = pod_specs(exporter)
    assert any("hostNetwork" in v for v in violations(Level.BASELINE, pod, metadata))


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_a_cell_runs_no_rules_alertmanager_grafana_or_webhooks(
    app_cells: Variant, cell: str
) -> None:
    agent = _agent(app_cells, cell)
    kinds = {o["kind"] for o in agent.objects}
    for absent in (
        "Prometheus",
        "Alertmanager",
        "PrometheusRule",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "Job",
    ):
        assert absent not in kinds, absent
    assert not [o for o in agent.objects if "grafana" in o["metadata"]["name"]]


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_agent_image_comes_through_the_cells_own_caches(
    app_cells: Variant, cell: str
) -> None:
    agent = _agent(app_cells, cell)
    ecr = f"{CELLS[cell]}.dkr.ecr.{cell}.amazonaws.com"
    ((cr),) = agent.of_kind("PrometheusAgent")
    listed = [*images(agent), cr["spec"]["image"]]
    operator = agent.get("Deployment", "obs-agent-operator")
    ((_, pod),) = pod_specs(operator)
    reloader = [
        a.split("=", 1)[1]
        for a in pod["containers"][0]["args"]
        if a.startswith("--prometheus-config-reloader=")
    ]
    listed += reloader
    assert reloader and cr["spec"]["image"]
    assert [i for i in listed if not i.startswith((f"{ecr}/quay/", f"{ecr}/k8s/"))] == []
    cache_rules = {
        r.inputs["ecrRepositoryPrefix"]: r.inputs["upstreamRegistryUrl"]
        for r in app_cells.plan.resources
        if r.type == "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
        and r.name.startswith(f"{cell}-")
    }
    assert cache_rules == {
        "docker-hub": "registry-1.docker.io",
        "quay": "quay.io",
        "k8s": "registry.k8s.io",
    }


def test_the_events_collector_is_one_restricted_replica(app_cells: Variant) -> None:
    (events,) = [
        o
        for o in app_cells.plan_objects
        if o["kind"] == "Deployment" and o["metadata"]["name"] == "otel-collector-events"
    ][:1]
    assert events["spec"]["replicas"] == 1
    assert events["spec"]["strategy"] == {"type": "Recreate"}
    ((metadata, pod),) = pod_specs(events)
    assert violations(Level.RESTRICTED, pod, metadata) == []
