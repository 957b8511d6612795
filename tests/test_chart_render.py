"""Every Helm release of the plans, rendered by real Helm from the whole pinned charts.

Variants: both examples as shipped, the shared stack distributed and behind the pull-through
cache, and Strimzi cells with MirrorMaker 2. Each release is rendered once per session with its
plan's values; then every object (rendered or created directly by the plan) is validated against
the Kubernetes schema of the cluster's version, or its CRD; every pod template against the Pod
Security level its namespace enforces; the values are checked for keys that change nothing;
and the rendered configuration (rules, Loki, Tempo, images, scrape targets) is checked for
what the stack relies on.

Needs Helm (``bash scripts/install-helm.sh``) and the reference charts; skips without them,
fails under ``CI``.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pulumi
import pulumi_aws as aws
import pytest
import yaml

from conftest import EXAMPLES, REFERENCE_DIR, STACK_IMAGES, app_cells_stack_outputs, need
from helm_render import (
    INSTALL_HELM,
    KNOWN_REFERENCE_GAPS,
    ChartLibrary,
    MissingChartError,
    MissingDependencyError,
    Release,
    Rendered,
    RenderError,
    containers,
    find_helm,
    helm_template,
    plan_objects,
    pod_specs,
    releases,
)
from obs_platform import (
    Cell,
    CellArgs,
    KafkaReplicationArgs,
    ObservabilityStack,
    PilotLightDr,
    PilotLightDrArgs,
    TelemetryArgs,
)
from obs_platform._internal import helm_values as hv
from obs_platform._internal.cell_agent import CLUSTER_LABEL
from obs_platform._internal.pod_security import Level, namespace_level, violations
from obs_platform.observability.registry import UPSTREAMS
from obs_platform.testing import Plan, run, run_program

pytestmark = [pytest.mark.reference, pytest.mark.tool]

ECR = "111111111111.dkr.ecr.eu-west-1.amazonaws.com"
DOCKER_HUB_SECRET = (
    "arn:aws:secretsmanager:eu-west-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
)
GIVEN_VPC: dict[str, Any] = {
    "vpc_id": "vpc-0123456789abcdef0",
    "private_subnet_ids": ["subnet-0a", "subnet-0b", "subnet-0c"],
}


def _stack(**overrides: Any) -> Plan:
    def program() -> None:
        ObservabilityStack(
            "shared-obs",
            {
                "region": "eu-west-1",
                **GIVEN_VPC,
                "grafana_admin_password": pulumi.Output.secret("not-a-real-password"),
                **STACK_IMAGES,
                **overrides,
            },
        )

    return run(program, project="shared-account", config={"aws:region": "eu-west-1"})


def _docker_hub(region: str, account: str) -> str:
    return (
        f"arn:aws:secretsmanager:{region}:{account}:secret:ecr-pullthroughcache/docker-hub-Ab12Cd"
    )


def _strimzi_cells() -> Plan:
    def program() -> None:
        telemetry = TelemetryArgs(
            metrics_remote_write_url="https://prometheus.shared.internal/api/v1/write",
            logs_otlp_url="https://loki.shared.internal/otlp",
            traces_otlp_endpoint="tempo.shared.internal:4317",
        )
        cells = []
        for region, cidr, extra, opts in (
            (
                "eu-west-1",
                "10.16.0.0/20",
                {"docker_hub_credential_arn": _docker_hub("eu-west-1", "111111111111")},
                None,
            ),
            (
                "us-east-1",
                "10.32.0.0/20",
                {
                    "standby": True,
                    "docker_hub_credential_arn": _docker_hub("us-east-1", "222222222222"),
                },
                pulumi.ResourceOptions(
                    providers=[
                        aws.Provider(
                            "standby-account",
                            region="us-east-1",
                            assume_roles=[{"role_arn": "arn:aws:iam::222222222222:role/deployer"}],
                        )
                    ]
                ),
            ),
        ):
            cells.append(
                Cell(
                    region,
                    CellArgs(
                        region=region,
                        dr_strategy="pilot-light",
                        replicas=3,
                        kafka_replication=True,
                        kafka_engine="strimzi",
                        kafka_advertised_host=f"kafka.{region}.cells.internal",
                        vpc_cidr=cidr,
                        telemetry=telemetry,
                        **extra,
                    ),
                    opts=opts,
                )
            )
        PilotLightDr(
            "app",
            PilotLightDrArgs(
                primary=cells[0].dr_site(),
                standby=cells[1].dr_site(),
                zone_id="Z0123456789EXAMPLE",
                record_name="app.example.com",
                database=None,
                kafka=KafkaReplicationArgs(engine="strimzi"),
            ),
        )

    return run(program, project="app-cells", config={"aws:region": "eu-west-1"})


VARIANTS: dict[str, Callable[[], Plan]] = {
    "shared-account": lambda: run_program(EXAMPLES / "shared-account"),
    "shared-distributed": lambda: _stack(
        scale="distributed", tempo_kafka_address="kafka.obs.internal:9092"
    ),
    "shared-pull-through-cache": lambda: _stack(
        image_source="pull-through-cache", docker_hub_credential_arn=DOCKER_HUB_SECRET
    ),
    "app-cells": lambda: run_program(
        EXAMPLES / "app-cells", stack_outputs=app_cells_stack_outputs()
    ),
    "strimzi-cells": _strimzi_cells,
}


@dataclass(frozen=True)
class Variant:
    """A plan and what its releases render to."""

    name: str
    plan: Plan
    kube_version: str
    rendered: tuple[Rendered, ...]
    missing: tuple[str, ...] = ()
    """Releases the reference data cannot render (a dependency chart is absent), with why."""

    def whole(self) -> Variant:
        """This variant, once every release rendered (skips, or fails under CI, otherwise)."""
        need(not self.missing, "; ".join(self.missing))
        return self

    @property
    def plan_objects(self) -> list[dict[str, Any]]:
        return plan_objects(self.plan)

    def objects(self) -> Iterator[dict[str, Any]]:
        """Every Kubernetes object: rendered ones, then the plan's own."""
        for rendered in self.rendered:
            yield from rendered.objects
        yield from self.plan_objects

    def release(self, name: str, *, standby: bool = False) -> Rendered:
        """The release ``name`` of the primary stack (or, with ``standby``, of its standby
        ``{name}-dr``, which the shared-account example runs too)."""
        found = [
            r
            for r in self.rendered
            if r.release.name == name and (STANDBY_PART in r.release.resource) == standby
        ]
        if not found:
            self.whole()
        (one,) = found
        return one


def _kube_version(plan: Plan) -> str:
    versions = {
        str(r.inputs["version"])
        for r in plan.resources
        if r.type in ("eks:index:Cluster", "aws:eks/cluster:Cluster") and "version" in r.inputs
    }
    assert len(versions) == 1, versions
    return f"{versions.pop()}.0"


@pytest.fixture(scope="session")
def helm() -> str:
    path = find_helm()
    need(path is not None, f"helm not installed; run `{INSTALL_HELM}`")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def library(reference_dir: Path) -> ChartLibrary:
    return ChartLibrary(reference_dir)


_RENDERS: dict[tuple[str, str, str], Rendered | str] = {}


def render(helm: str, library: ChartLibrary, release: Release) -> Rendered | str:
    """Render a release once per session (same chart, version and values: same render); a
    string says which dependency the reference data lacks."""
    key = (release.chart, release.version, json.dumps(release.values, sort_keys=True))
    if key not in _RENDERS:
        try:
            _RENDERS[key] = helm_template(helm, library, release)
        except MissingDependencyError as missing:
            _RENDERS[key] = f"{release.resource}: {missing}"
        except MissingChartError as missing:
            pytest.fail(f"{release.resource}: {missing}")
    cached = _RENDERS[key]
    if isinstance(cached, str):
        return cached
    return Rendered(release=release, objects=cached.objects, stubbed=cached.stubbed)


@cache
def _plan(name: str) -> Plan:
    return VARIANTS[name]()


@pytest.fixture(scope="session", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest, helm: str, library: ChartLibrary) -> Variant:
    """A whole variant: tests over all its objects need every release rendered."""
    return _variant(request.param, helm, library).whole()


def _variant(name: str, helm: str, library: ChartLibrary) -> Variant:
    plan = _plan(name)
    kube = _kube_version(plan)
    results = [render(helm, library, r) for r in releases(plan, kube)]
    return Variant(
        name,
        plan,
        kube,
        rendered=tuple(r for r in results if not isinstance(r, str)),
        missing=tuple(r for r in results if isinstance(r, str)),
    )


@pytest.fixture(scope="session")
def shared(helm: str, library: ChartLibrary) -> Variant:
    """The shared-account example; tests that read one release reach it even when another
    cannot be rendered."""
    return _variant("shared-account", helm, library)


@pytest.fixture(scope="session")
def distributed(helm: str, library: ChartLibrary) -> Variant:
    return _variant("shared-distributed", helm, library)


@pytest.fixture(scope="session")
def pull_through(helm: str, library: ChartLibrary) -> Variant:
    return _variant("shared-pull-through-cache", helm, library)


@pytest.fixture(scope="session")
def strimzi(helm: str, library: ChartLibrary) -> Variant:
    return _variant("strimzi-cells", helm, library)


# --- every release renders ----------------------------------------------------------------


STANDBY_PART = "-dr-"
"""The standby stack's releases are ``{name}-dr-*`` (``ObservabilityStackArgs.standby``)."""

EXPECTED_RELEASES = {
    # The example runs the stack's standby (shared-obs-dr): every release twice.
    "shared-account": ["yace", "yace", "kps", "loki", "tempo", "kps", "loki", "tempo"],
    "shared-distributed": ["yace", "kps", "loki", "tempo"],
    "shared-pull-through-cache": ["yace", "kps", "loki", "tempo"],
    # Each cell's Prometheus agent (kube-prometheus-stack in agent mode).
    "app-cells": ["obs-agent", "obs-agent"],
    "strimzi-cells": ["eu-west-1-strimzi", "obs-agent", "us-east-1-strimzi", "obs-agent"],
}


def test_every_release_renders(variant: Variant) -> None:
    assert [r.release.name for r in variant.rendered] == EXPECTED_RELEASES[variant.name]
    for rendered in variant.rendered:
        assert rendered.objects, f"{rendered.release.resource} rendered nothing"


def test_a_render_error_fails(helm: str, library: ChartLibrary, shared: Variant) -> None:
    loki = shared.release("loki").release
    # Loki's values schema wants a number of replicas.
    broken = {**loki.values, "singleBinary": {"replicas": "one"}}
    with pytest.raises(RenderError, match="singleBinary"):
        helm_template(helm, library, loki, broken)


def test_kube_prometheus_stack_renders_its_parts(shared: Variant) -> None:
    kps = shared.release("kps")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in kps.objects}
    for expected in (
        ("Prometheus", "kps-prometheus"),
        ("Alertmanager", "kps-alertmanager"),
        ("Deployment", "kps-operator"),
    ):
        assert expected in kinds
    # EKS hides these control-plane targets: no monitor, no rule for them.
    names = {name for _, name in kinds}
    for absent in ("kps-kube-etcd", "kps-kube-scheduler", "kps-kube-controller-manager"):
        assert absent not in names


@pytest.mark.parametrize(
    ("subchart", "kind", "name"),
    [
        ("grafana", "Deployment", "kps-grafana"),
        ("prometheus-node-exporter", "DaemonSet", "kps-prometheus-node-exporter"),
        ("kube-state-metrics", "Deployment", "kps-kube-state-metrics"),
    ],
)
def test_kube_prometheus_stack_renders_its_subcharts(
    shared: Variant, subchart: str, kind: str, name: str
) -> None:
    kps = shared.release("kps")
    kps.needs(subchart)
    assert (kind, name) in {(o["kind"], o["metadata"]["name"]) for o in kps.objects}


def test_known_reference_gaps_are_still_gaps(reference_dir: Path) -> None:
    """A gap listed in KNOWN_REFERENCE_GAPS that the data now has must leave the list, so that
    the tests it skips run again."""
    filled = [
        gap
        for gap in KNOWN_REFERENCE_GAPS
        if (reference_dir / "charts" / gap / "templates").is_dir()
        or list(reference_dir.glob(f"charts/*/charts/{gap.rsplit('-', 1)[0]}/templates"))
    ]
    assert filled == [], f"remove {filled} from helm_render.KNOWN_REFERENCE_GAPS"


# --- schemas ------------------------------------------------------------------------------


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: the CRDs are megabytes of YAML."""

CRD_SOURCES = (
    "crds/*.yaml",
    "charts/kube-prometheus-stack-*/charts/crds/crds/*.yaml",
    "charts/strimzi-kafka-operator-*/crds/*.yaml",
)
"""Where the reference data keeps CRDs: its own folder, and the charts' CRD files."""


@cache
def _crd_schemas(reference: Path) -> dict[tuple[str, str], dict[str, Any]]:
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for pattern in CRD_SOURCES:
        for path in sorted(reference.glob(pattern)):
            try:
                documents = list(yaml.load_all(path.read_text(), Loader=_LOADER))
            except yaml.YAMLError:
                # The AlertmanagerConfig CRD holds a YAML 1.1 '=' scalar PyYAML refuses; the
                # library emits no AlertmanagerConfig.
                continue
            for crd in documents:
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    schema = version["schema"]["openAPIV3Schema"]
                    schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


_BUILT_IN_GROUPS = frozenset(
    {
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "storage.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
    }
)


@cache
def _k8s_validator(kube_version: str, kind: str, api_version: str) -> jsonschema.Validator | None:
    """kubernetes-validate's strict schema of one kind at a cluster version, compiled once
    (its own ``validate`` re-reads every schema file on each call)."""
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    directory = f"kubernetes-json-schema/v{utils.major_minor(kube_version)}.0-local-strict"
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{directory}/{kind.lower()}-{api}.json", kube_version)
    except FileNotFoundError:
        return None
    definitions = _k8s_definitions(directory, kube_version)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = definitions @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


@cache
def _k8s_definitions(directory: str, kube_version: str) -> Any:
    from kubernetes_validate import utils
    from referencing import Resource

    return Resource.from_contents(
        utils.schema_contents(f"{directory}/_definitions.json", kube_version)
    )


def _validate(obj: Mapping[str, Any], kube_version: str, reference: Path) -> str | None:
    api, kind = obj["apiVersion"], obj["kind"]
    name = f"{kind}/{obj['metadata'].get('name')}"
    group = api.split("/")[0] if "/" in api else ""
    if group and group not in _BUILT_IN_GROUPS:
        schema = _crd_schemas(reference).get((api, kind))
        if schema is None:
            return f"{name}: no CRD for {api} {kind} in the reference data"
        validator: jsonschema.Validator | None = jsonschema.Draft7Validator(schema)
        # Not checked against the metaschema: the operator's patterns use Go's (?i) flag.
    else:
        validator = _k8s_validator(kube_version, kind, api)
        if validator is None:
            return f"{name}: Kubernetes {kube_version} has no {api} {kind}"
    assert validator is not None
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(obj)))
    if error is not None:
        return f"{name}: {error.message} at {list(error.absolute_path)}"
    return None


def test_every_object_validates_against_its_schema(variant: Variant, reference_dir: Path) -> None:
    failures = [
        failure
        for obj in variant.objects()
        if (failure := _validate(obj, variant.kube_version, reference_dir))
    ]
    assert failures == []


# --- Pod Security -------------------------------------------------------------------------


def _namespace_levels(variant: Variant) -> dict[str, Level]:
    levels: dict[str, Level] = {}
    for obj in variant.objects():
        if obj["kind"] == "Namespace":
            metadata = obj["metadata"]
            levels[metadata["name"]] = namespace_level(metadata.get("labels"))
    return levels


def _pods(variant: Variant) -> Iterator[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
    for obj in variant.objects():
        for metadata, spec in pod_specs(obj):
            namespace = obj["metadata"].get("namespace") or "default"
            yield f"{obj['kind']}/{obj['metadata']['name']}", namespace, metadata, spec


def test_every_pod_is_admitted_by_its_namespace_level(variant: Variant) -> None:
    levels = _namespace_levels(variant)
    refused = {}
    for name, namespace, metadata, spec in _pods(variant):
        found = violations(levels.get(namespace, Level.PRIVILEGED), spec, metadata)
        if found:
            refused[f"{namespace}/{name}"] = found
    assert refused == {}


def test_monitoring_enforces_baseline_and_node_exporter_runs_privileged(shared: Variant) -> None:
    levels = _namespace_levels(shared)
    assert levels["monitoring"] is Level.BASELINE
    kps = shared.release("kps")
    kps.needs("prometheus-node-exporter")
    exporter = kps.get("DaemonSet", "kps-prometheus-node-exporter")
    namespace = exporter["metadata"]["namespace"]
    assert namespace == "monitoring-node-exporter"
    assert levels[namespace] is Level.PRIVILEGED
    # What baseline would refuse, so the separate namespace is needed.
    ((metadata, spec),) = pod_specs(exporter)
    assert any("hostNetwork" in v for v in violations(Level.BASELINE, spec, metadata))


# --- values that change nothing -----------------------------------------------------------


def _leaves(values: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in values.items():
        path = (*prefix, key)
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, path)
        else:
            yield path


def _free_form_or_known(defaults: Any, path: tuple[str, ...]) -> bool:
    """Whether the chart's defaults know ``path``, or leave a map on it free-form (an empty
    map, a list or null: the templates pass such a subtree through whole, ``toYaml``)."""
    node = defaults
    for part in path:
        if node is None or isinstance(node, list) or (isinstance(node, Mapping) and not node):
            return True
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _without(values: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(values))
    node = copy
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return copy


def _chart_defaults(library: ChartLibrary, release: Release) -> dict[str, Any]:
    folder = library.source(release.chart, release.version)
    defaults: dict[str, Any] = yaml.safe_load((folder / "values.yaml").read_text()) or {}
    for dependency in (yaml.safe_load((folder / "Chart.yaml").read_text())).get(
        "dependencies"
    ) or []:
        # A subchart's values live under its name (or alias), defaulted by the subchart.
        key = dependency.get("alias") or dependency["name"]
        sub = library.reference / "charts" / f"{dependency['name']}-{dependency['version']}"
        if (sub / "values.yaml").is_file():
            sub_defaults = yaml.safe_load((sub / "values.yaml").read_text()) or {}
            defaults[key] = hv.deep_merge(sub_defaults, defaults.get(key) or {})
    return defaults


def test_no_value_is_a_silent_no_op(variant: Variant, helm: str, library: ChartLibrary) -> None:
    """A value whose key the chart's defaults do not hold is rendered again without it: an
    identical render means no template reads it (a silent no-op)."""
    no_ops = []
    for rendered in variant.rendered:
        release = rendered.release
        defaults = _chart_defaults(library, release)
        # Values of a subchart the reference data lacks cannot change the render: not judged
        # here (the gap is named by test_kube_prometheus_stack_renders_its_subcharts).
        stubbed = {gap.rsplit("-", 1)[0] for gap in rendered.stubbed}
        for path in _leaves(release.values):
            if path[0] in stubbed or _free_form_or_known(defaults, path):
                continue
            try:
                reduced = helm_template(helm, library, release, _without(release.values, path))
            except RenderError:
                continue  # the chart requires it: it has an effect
            if reduced.objects == rendered.objects:
                no_ops.append(f"{release.name}: {'.'.join(path)}")
    assert no_ops == []


def test_the_no_op_check_finds_a_key_no_template_reads(
    shared: Variant, helm: str, library: ChartLibrary
) -> None:
    yace = shared.release("yace")
    values = {**yace.release.values, "useStatefulSet": False}
    assert not _free_form_or_known(_chart_defaults(library, yace.release), ("useStatefulSet",))
    assert helm_template(helm, library, yace.release, values).objects == yace.objects


# --- images -------------------------------------------------------------------------------


def images(rendered: Rendered) -> list[str]:
    """Every image a release's pods run, sorted."""
    found = set()
    for obj in rendered.objects:
        for _, spec in pod_specs(obj):
            found.update(c["image"] for c in containers(spec))
    # The Prometheus and Alertmanager CRs name their images; the operator runs them.
    for kind in ("Prometheus", "Alertmanager"):
        for obj in rendered.of_kind(kind):
            found.add(obj["spec"]["image"])
    return sorted(found)


def _registry(image: str) -> str:
    first = image.split("/")[0]
    return first if "." in first or ":" in first else "docker.io"


def test_images_are_listed_per_release_through_the_examples_caches(shared: Variant) -> None:
    """The example uses the default image source, ECR pull-through caches: every image of every
    release comes through one of the stack's cache rules (an ECR prefix per upstream)."""
    for standby, ecr in ((False, ECR), (True, ECR.replace("eu-west-1", "us-east-1"))):
        # The standby (shared-obs-dr) pulls through its own region's caches.
        prefixes = {f"{ecr}/{upstream.prefix}/" for upstream in UPSTREAMS}
        by_release = {
            r.release.name: images(r)
            for r in shared.whole().rendered
            if (STANDBY_PART in r.release.resource) == standby
        }
        assert set(by_release) == {"kps", "loki", "tempo", "yace"}
        for name, listed in by_release.items():
            assert listed, name
            assert [i for i in listed if not any(i.startswith(p) for p in prefixes)] == [], name
        assert any("/prometheus/prometheus:" in i for i in by_release["kps"])
        assert any(
            "/grafana/loki:" in i or i.startswith("grafana/loki:") for i in by_release["loki"]
        )


def test_pull_through_cache_serves_every_image(pull_through: Variant) -> None:
    upstream = {
        release.release.name: [i for i in images(release) if not i.startswith(f"{ECR}/")]
        for release in pull_through.whole().rendered
    }
    assert upstream == {"kps": [], "loki": [], "tempo": [], "yace": []}


# --- configuration the stack relies on ----------------------------------------------------


SHARED_VARIANTS = ("shared-account", "shared-distributed", "shared-pull-through-cache")


@pytest.mark.parametrize("name", SHARED_VARIANTS)
def test_loki_config_stores_on_s3_with_tsdb_and_retention(
    name: str, helm: str, library: ChartLibrary
) -> None:
    loki = _variant(name, helm, library).release("loki")
    config = yaml.safe_load(loki.config_maps["loki"]["config.yaml"])
    (period,) = config["schema_config"]["configs"]
    assert (period["store"], period["schema"], period["object_store"]) == ("tsdb", "v13", "s3")
    assert config["common"]["storage"]["s3"]["region"] == "eu-west-1"
    assert config["limits_config"]["retention_period"] == "720h"
    assert config["compactor"]["retention_enabled"] is True
    # OTLP logs keep trace_id as structured metadata (needs schema v13, allowed by default).
    assert config["limits_config"].get("allow_structured_metadata", True) is True


def _tempo_config(variant: Variant) -> dict[str, Any]:
    maps = variant.release("tempo").config_maps
    # tempo renders ConfigMap "tempo", tempo-distributed "tempo-config".
    data = maps.get("tempo-config") or maps["tempo"]
    config: dict[str, Any] = yaml.safe_load(data["tempo.yaml"])
    return config


@pytest.mark.parametrize("name", ["shared-account", "shared-distributed"])
def test_tempo_generates_service_graphs_and_span_metrics_for_every_tenant(
    name: str, helm: str, library: ChartLibrary
) -> None:
    config = _tempo_config(_variant(name, helm, library))
    (remote_write,) = config["metrics_generator"]["storage"]["remote_write"]
    assert remote_write["url"] == (
        "http://kps-prometheus.monitoring.svc.cluster.local:9090/api/v1/write"
    )
    # Tempo takes processors from the overrides only; "defaults" applies to every tenant.
    processors = config["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert processors == ["service-graphs", "span-metrics"]


def test_grafana_recreates_its_single_rwo_volume(pull_through: Variant) -> None:
    # A stack without a standby keeps Grafana on SQLite on one volume.
    kps = pull_through.release("kps")
    kps.needs("grafana")
    grafana = kps.get("Deployment", "kps-grafana")
    claim = kps.get("PersistentVolumeClaim", "kps-grafana")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert grafana["spec"]["strategy"] == {"type": "Recreate"}


def test_the_standbys_loki_reads_the_replica_buckets_in_its_region(shared: Variant) -> None:
    loki = shared.release("loki", standby=True)
    config = yaml.safe_load(loki.config_maps["loki"]["config.yaml"])
    s3 = config["common"]["storage"]["s3"]
    assert s3["region"] == "us-east-1"
    bucket = "aws:s3/bucket:Bucket"
    chunks = shared.plan.get("shared-obs-loki-chunks-replica-bucket", bucket).outputs["bucket"]
    ruler = shared.plan.get("shared-obs-loki-ruler-replica-bucket", bucket).outputs["bucket"]
    assert s3["bucketnames"] == chunks
    assert config["ruler"]["storage"]["s3"]["bucketnames"] == ruler


@pytest.mark.parametrize("standby", [False, True])
def test_grafana_on_the_global_database_rolls_two_replicas_without_a_volume(
    shared: Variant, standby: bool
) -> None:
    # The example runs a standby: both Grafanas keep their state in Aurora (issue 19).
    kps = shared.release("kps", standby=standby)
    kps.needs("grafana")
    grafana = kps.get("Deployment", "kps-grafana")
    spec = grafana["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert not kps.of_kind("PersistentVolumeClaim")
    (container,) = [c for c in spec["template"]["spec"]["containers"] if c["name"] == "grafana"]
    assert {"secretRef": {"name": "grafana-database"}} in container["envFrom"]
    # No database setting in the rendered configuration: it all comes from the Secret.
    ini = kps.get("ConfigMap", "kps-grafana")["data"]["grafana.ini"]
    assert "[database]" not in ini


def _stock_dashboards(kps: Rendered) -> dict[str, dict[str, Any]]:
    """The stock dashboards kube-prometheus-stack renders, by ConfigMap data key."""
    return {
        key: json.loads(text)
        for config_map in kps.of_kind("ConfigMap")
        if config_map["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
        for key, text in config_map.get("data", {}).items()
        if key.endswith(".json")
    }


def test_stock_dashboards_select_a_cell_by_its_cluster_label(shared: Variant) -> None:
    kps = shared.release("kps")
    dashboards = _stock_dashboards(kps)
    with_cluster = {
        key: variable
        for key, model in dashboards.items()
        for variable in model.get("templating", {}).get("list", [])
        if variable["name"] == "cluster"
    }
    # Most stock dashboards have a cluster variable; multicluster shows it (hide 0, not 2).
    assert len(with_cluster) >= 20, sorted(dashboards)
    assert {key: v["hide"] for key, v in with_cluster.items() if v["hide"] != 0} == {}
    # Each lists the values of ``cluster`` on series a cell's agent ships (kubelet/cAdvisor,
    # kube-state-metrics, node-exporter jobs under kube-prometheus-stack's own names).
    queries = {v["query"] for v in with_cluster.values()}
    assert all(re.fullmatch(r"label_values\(.+,\s*cluster\)", q) for q in queries), queries
    assert 'label_values(up{job="kube-state-metrics"}, cluster)' in queries
    assert 'label_values(up{job="kubelet", metrics_path="/metrics/cadvisor"}, cluster)' in queries
    # The cells' series carry cluster = the cell's name (CLUSTER_LABEL); the stack's own
    # targets get the stack's, from the default scrape class of its Prometheus.
    assert CLUSTER_LABEL == "cluster"
    prometheus = kps.get("Prometheus", "kps-prometheus")
    (scrape_class,) = prometheus["spec"]["scrapeClasses"]
    assert scrape_class == {
        "name": "obs-platform-cluster",
        "default": True,
        "relabelings": [
            {"action": "replace", "targetLabel": "cluster", "replacement": "shared-obs-eks"}
        ],
    }
    assert prometheus["spec"]["externalLabels"] == {"cluster": "shared-obs-eks"}


@pytest.mark.parametrize("standby", [False, True])
def test_rules_of_the_render_pass_promtool(
    shared: Variant, promtool: str, tmp_path: Path, standby: bool
) -> None:
    # Each stack's Prometheus loads its own rules (the example's standby has the same ones).
    groups = [
        group
        for rendered in shared.whole().rendered
        if (STANDBY_PART in rendered.release.resource) == standby
        for obj in rendered.objects
        if obj["kind"] == "PrometheusRule"
        for group in obj["spec"]["groups"]
    ]
    groups += [
        group
        for resource in shared.plan.resources
        if resource.type.endswith(":PrometheusRule") and (STANDBY_PART in resource.name) == standby
        for group in resource.inputs["spec"]["groups"]
    ]
    names = [g["name"] for g in groups]
    assert {"obs-platform-dr", "obs-platform-ingestion", "obs-platform-meta"} <= set(names)
    assert len(names) > 20  # kube-prometheus-stack's own rules are rendered too
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_reference_dir_is_the_configured_one(reference_dir: Path) -> None:
    assert reference_dir == REFERENCE_DIR


# --- every metric an alert or a panel reads has a way in ---------------------------------

_PROMQL_WORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "bool",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "inf",
        "nan",
    }
)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (label matchers, ranges, grouping removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][\w:]*)(\s*\()?", expr):
        name, call = match.groups()
        if not call and name not in _PROMQL_WORDS and not name.startswith("__"):
            names.add(name)
    return names


def test_metric_names_reads_metrics_not_functions_or_labels() -> None:
    assert metric_names(
        'sum by (cell) (rate(a_total{x="b c"}[5m])) / on () group_left () b:rec > bool 1'
    ) == {"a_total", "b:rec"}


def _used_metrics(variant: Variant) -> dict[str, str]:
    """Metric -> where it is used, over the plan's rules and its dashboards' Prometheus panels."""
    used: dict[str, str] = {}
    recorded: set[str] = set()
    for obj in variant.plan_objects:
        if obj["kind"] == "PrometheusRule":
            for group in obj["spec"]["groups"]:
                for rule in group["rules"]:
                    if "record" in rule:
                        recorded.add(rule["record"])
                    for name in metric_names(rule["expr"]):
                        used.setdefault(name, f"rule {rule.get('alert') or rule.get('record')}")
        if obj["kind"] == "ConfigMap" and "grafana_dashboard" in obj["metadata"].get("labels", {}):
            for model in obj["data"].values():
                for panel in _all_panels(json.loads(model)):
                    for target in panel.get("targets") or []:
                        if target.get("datasource", {}).get("type") == "prometheus":
                            for name in metric_names(target["expr"]):
                                used.setdefault(name, f"panel {panel['title']!r}")
    return {name: where for name, where in used.items() if name not in recorded}


def _all_panels(model: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for panel in model.get("panels") or []:
        yield panel
        yield from _all_panels(panel)


def _scraped_services(rendered: Rendered) -> set[str]:
    """Services of a render that one of its ServiceMonitors selects, on a port they have."""
    selected = set()
    for monitor in rendered.of_kind("ServiceMonitor"):
        spec = monitor["spec"]
        wanted = spec["selector"].get("matchLabels") or {}
        ports = {e.get("port") for e in spec["endpoints"]}
        for service in rendered.of_kind("Service"):
            labels = service["metadata"].get("labels") or {}
            names = {p.get("name") for p in service["spec"].get("ports") or []}
            if wanted.items() <= labels.items() and ports & names:
                selected.add(service["metadata"]["name"])
    return selected


def _cell_receivers(plan: Plan) -> set[str]:
    """Receivers of the metrics pipelines of the cells' collectors (shipped by remote-write)."""
    found: set[str] = set()
    for resource in plan.resources:
        if resource.name.endswith("-telemetry-config"):
            config = yaml.safe_load(resource.inputs["data"]["config.yaml"])
            metrics = config["service"]["pipelines"].get("metrics")
            if metrics and "prometheusremotewrite" in metrics["exporters"]:
                found.update(metrics["receivers"])
    return found


# metric prefix -> (release, Service it is scraped from) or ("cells", collector receiver)
SCRAPE_PATHS: dict[str, tuple[str, str]] = {
    "aws_": ("yace", "yace"),
    "loki_": ("loki", "loki"),
    "tempo_": ("tempo", "tempo"),
    "prometheus_": ("kps", "kps-prometheus"),
    # The operator keeps the kubelet's Service (kube-system/kps-kubelet) itself: not rendered.
    "kubelet_": ("kps", "monitor:kps-kubelet"),
    "k8s_": ("cells", "kubeletstats"),
    "otelcol_": ("cells", "prometheus/self"),
    "kafka_connect_": ("cells", "prometheus/strimzi"),
}


def test_every_metric_an_alert_or_panel_reads_has_a_scrape_path(
    shared: Variant, helm: str, library: ChartLibrary
) -> None:
    used = _used_metrics(shared.whole())
    scraped = {r.release.name: _scraped_services(r) for r in shared.rendered}
    receivers = _cell_receivers(_plan("app-cells")) | _cell_receivers(_plan("strimzi-cells"))
    without = {}
    for metric, where in sorted(used.items()):
        paths = [path for prefix, path in SCRAPE_PATHS.items() if metric.startswith(prefix)]
        if not paths:
            without[metric] = f"{where}: no known source"
            continue
        ((release, target),) = paths
        if release == "cells":
            ok = target in receivers
        elif target.startswith("monitor:"):
            monitors = shared.release(release).of_kind("ServiceMonitor")
            ok = target.removeprefix("monitor:") in {m["metadata"]["name"] for m in monitors}
        else:
            ok = target in scraped.get(release, ())
        if not ok:
            without[metric] = f"{where}: {release}/{target} is not scraped"
    assert without == {}


def test_alertmanager_reads_the_plans_config_secret(shared: Variant) -> None:
    (alertmanager,) = shared.release("kps").of_kind("Alertmanager")
    secret_name = alertmanager["spec"]["configSecret"]
    secrets = {o["metadata"]["name"]: o for o in shared.plan_objects if o["kind"] == "Secret"}
    # The operator reads alertmanager.yaml from it (the content is a Pulumi secret, amtool-checked
    # where it is built: tests/test_alertmanager.py).
    assert secrets[secret_name]["metadata"]["namespace"] == alertmanager["metadata"]["namespace"]


def test_loki_and_tempo_flush_at_the_defaults_the_telemetry_rpo_reads(
    helm: str, library: ChartLibrary
) -> None:
    # The stack's telemetry_rpo takes Loki's and Tempo's flush settings from what the library
    # renders and the binaries' defaults for the rest: the rendered configs must set none of
    # them (else the figure would be wrong), and the figure must follow what they hold.
    from obs_platform._internal.telemetry_rpo import LOKI_DEFAULTS, TEMPO_DEFAULTS, telemetry_rpo

    variant = _variant("shared-account", helm, library)
    loki = yaml.safe_load(variant.release("loki").config_maps["loki"]["config.yaml"])["ingester"]
    tempo = _tempo_config(variant).get("ingester") or {}
    assert not set(loki) & set(LOKI_DEFAULTS), loki
    assert not set(tempo) & set(TEMPO_DEFAULTS), tempo
    assert loki["wal"]["flush_on_shutdown"] is True  # the chart's own default, kept
    (entry,) = variant.plan.dr()
    figure = telemetry_rpo(loki, tempo, target_seconds=entry["telemetry_rpo"]["rpo_target_seconds"])
    assert figure.as_output() == entry["telemetry_rpo"]


@pytest.mark.parametrize("standby", [False, True])
def test_grafana_replicas_form_one_alerting_cluster(shared: Variant, standby: bool) -> None:
    # Two Grafanas on one database each evaluate the Grafana-managed rules; without HA peering
    # every notification would go out twice (Grafana docs, Configure high availability).
    import configparser

    kps = shared.release("kps", standby=standby)
    kps.needs("grafana")
    headless = kps.get("Service", "kps-grafana-headless")
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["ports"] == [
        {"name": "gossip-tcp", "port": 9094, "targetPort": "gossip-tcp"}
    ]
    grafana = kps.get("Deployment", "kps-grafana")
    assert headless["spec"]["selector"] == grafana["spec"]["selector"]["matchLabels"]
    (container,) = [
        c for c in grafana["spec"]["template"]["spec"]["containers"] if c["name"] == "grafana"
    ]
    assert {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}} in (
        container["env"]
    )
    ports = {(p["name"], p["containerPort"], p["protocol"]) for p in container["ports"]}
    assert {("gossip-tcp", 9094, "TCP"), ("gossip-udp", 9094, "UDP")} <= ports
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(kps.get("ConfigMap", "kps-grafana")["data"]["grafana.ini"])
    alerting = ini["unified_alerting"]
    assert alerting["ha_peers"] == "kps-grafana-headless:9094"
    assert alerting["ha_listen_address"] == alerting["ha_advertise_address"] == "${POD_IP}:9094"
    assert alerting["enabled"] == "true"


def test_a_single_grafana_has_no_alerting_cluster(pull_through: Variant) -> None:
    kps = pull_through.release("kps")
    kps.needs("grafana")
    assert not [s for s in kps.of_kind("Service") if s["metadata"]["name"].endswith("-headless")]
    assert "ha_peers" not in kps.get("ConfigMap", "kps-grafana")["data"]["grafana.ini"]


@pytest.mark.parametrize("ca_configmap", [None, "grafana-database-ca"])
def test_grafana_gets_its_database_tls_settings_and_the_mounted_bundle(
    shared: Variant,
    helm: str,
    library: ChartLibrary,
    reference_dir: Path,
    ca_configmap: str | None,
) -> None:
    # The example has no bundle (ssl_mode=require); with one, the library's values mount the
    # ConfigMap and name the file: rendered with the real chart on top of the example's values.
    import dataclasses

    base = shared.release("kps")
    base.needs("grafana")
    mode = "verify-ca" if ca_configmap else "require"
    values = hv.deep_merge(
        dict(base.release.values), {"grafana": hv.grafana_database_tls(mode, ca_configmap)}
    )
    rendered = render(helm, library, dataclasses.replace(base.release, values=values))
    assert not isinstance(rendered, str), rendered
    grafana = rendered.get("Deployment", "kps-grafana")
    pod = grafana["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "grafana"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["GF_DATABASE_SSL_MODE"] == mode
    assert {"secretRef": {"name": "grafana-database"}} in container["envFrom"]
    if ca_configmap is None:
        assert "GF_DATABASE_CA_CERT_PATH" not in env
        return
    assert env["GF_DATABASE_CA_CERT_PATH"] == "/etc/grafana/database-ca/rds-ca.pem"
    volume = next(v for v in pod["volumes"] if v["name"] == "database-ca")
    assert volume["configMap"]["name"] == "grafana-database-ca"
    mount = next(m for m in container["volumeMounts"] if m["name"] == "database-ca")
    assert (mount["mountPath"], mount["readOnly"]) == ("/etc/grafana/database-ca", True)
    assert _validate(grafana, shared.kube_version, reference_dir) is None
