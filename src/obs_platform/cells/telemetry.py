"""A cell's telemetry: the OpenTelemetry Collector DaemonSet that ships to the central stack.

The DaemonSet runs with the least it needs:

* RBAC: ``get`` on ``nodes/stats`` (what the kubeletstats receiver needs with
  ``auth_type: serviceAccount`` and no ``extra_metadata_labels``; its README, "Role-based
  access control") and ``nodes/metrics`` (the kubelet's and cAdvisor's ``/metrics`` paths).
  No ``nodes/proxy``, which would allow running commands in any container through the
  kubelet.
* User 0 and group 0, because containerd writes ``/var/log/pods/*/*/*.log`` as
  ``-rw-r----- root root`` (kubernetes/kubernetes#124349): the contrib image's default non-root
  user cannot read them, which is why the collector's own Helm chart runs its log-collection
  preset as ``runAsUser: 0``/``runAsGroup: 0`` (opentelemetry-helm-charts,
  ``templates/_pod.tpl``). Every capability is dropped (root reads its own files without
  ``DAC_OVERRIDE``), privilege escalation is off, the root filesystem is read-only, seccomp is
  ``RuntimeDefault`` and ``/var/log/pods`` is mounted read-only.
* No host ports unless :attr:`TelemetryArgs.host_ports` asks for them: workloads reach their
  node's collector through the ``otel-collector`` Service (``internalTrafficPolicy: Local``).
* Ingest credentials live in a Kubernetes Secret and reach the collector as environment
  variables; the ConfigMap holds only ``${env:...}`` references.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._component import Component
from .._internal.cell_agent import AGENT_RELEASE, agent_values, cell_labels
from .._internal.cell_telemetry import (
    CA_FILE,
    COLLECTOR_IMAGE,
    CREDENTIALS_ENV,
    EVENTS_RBAC,
    QUEUE_DIRECTORY,
    CollectorTransport,
    collector_config,
    events_collector_config,
    grpc_is_plaintext,
)
from .._internal.charts import KUBE_PROMETHEUS_STACK, prometheus_operator_crd_urls
from .._internal.datasources import GRAFANA_CLOUDWATCH_ACTIONS
from .._internal.errors import ObsPlatformError
from .._internal.pod_security import HOST_PORTS_ANNOTATION
from ..dr.args import KafkaEngine
from ..observability.releases import kube_prometheus_stack_release
from .args import TENANT_PATTERN, CellArgs, TelemetryArgs
from .images import runs_agent

__all__ = [
    "CLOUDWATCH_READER_ACTIONS",
    "TELEMETRY_NAMESPACE",
    "check_telemetry",
    "cloudwatch_reader_policy",
    "cloudwatch_reader_trust",
    "create_cloudwatch_reader",
    "create_telemetry",
]

CLOUDWATCH_READER_ACTIONS: tuple[str, ...] = (
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:ListMetrics",
    "tag:GetResources",
)
"""What the shared stack's CloudWatch exporter does in the cell's account (read-only; these
APIs take no resource ARNs, so the grant is on ``*`` for these actions only)."""


def cloudwatch_reader_trust(*principal_arns: str) -> str:
    """The reader role's trust policy: only the given principals.

    The exporter's role, and Grafana's when it reads this account too.
    """
    principals: str | list[str] = (
        principal_arns[0] if len(principal_arns) == 1 else sorted(set(principal_arns))
    )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": principals},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def cloudwatch_reader_policy(grafana: bool = False) -> str:
    """The reader role's inline policy: :data:`CLOUDWATCH_READER_ACTIONS` only.

    With ``grafana``, also what Grafana's CloudWatch datasource reads
    (:data:`GRAFANA_CLOUDWATCH_ACTIONS`, all read-only).
    """
    actions = list(CLOUDWATCH_READER_ACTIONS)
    if grafana:
        actions += [a for a in GRAFANA_CLOUDWATCH_ACTIONS if a not in actions]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadCloudWatchMetrics",
                    "Effect": "Allow",
                    "Action": actions,
                    "Resource": "*",
                }
            ],
        }
    )


def create_cloudwatch_reader(owner: Component[Any], args: CellArgs) -> pulumi.Output[str | None]:
    """Create ``{n}-cloudwatch-reader-role`` for the shared stack's CloudWatch exporter.

    Made through the cell's own provider, so it lives in the cell's account, where the cell's
    DR metrics are (Aurora's global lag on a standby's secondary, MSK Replicator in the target
    region). The stack lists it in ``ObservabilityStackArgs.cloudwatch_accounts``; YACE assumes
    it (its job ``roles``). ``None`` without ``TelemetryArgs.cloudwatch_reader_principal_arn``.
    """
    principal = args.telemetry.cloudwatch_reader_principal_arn
    grafana = args.telemetry.cloudwatch_grafana_principal_arn
    if principal is None:
        return pulumi.Output.from_input(None)
    principals = [principal] if grafana is None else [principal, grafana]
    role = aws.iam.Role(
        owner.child_name("cloudwatch-reader-role"),
        assume_role_policy=pulumi.Output.all(*principals).apply(
            lambda arns: cloudwatch_reader_trust(*(str(arn) for arn in arns))
        ),
        description="The central CloudWatch exporter reads this account's DR metrics",
        max_session_duration=3600,
        tags=owner.tags(),
        opts=owner.child_opts(),
    )
    aws.iam.RolePolicy(
        owner.child_name("cloudwatch-reader-policy"),
        role=role.id,
        policy=cloudwatch_reader_policy(grafana=grafana is not None),
        opts=owner.child_opts(),
    )
    arn: pulumi.Output[str | None] = role.arn
    return arn


TELEMETRY_NAMESPACE = "obs-telemetry"
"""Namespace of the cell's collectors and its Prometheus agent."""

QUEUE_HOST_PATH = "/var/lib/obs-platform/otel-collector"
"""The node directory that holds the DaemonSet's persistent queues and log offsets (mounted at
:data:`.cell_telemetry.QUEUE_DIRECTORY`), so that they outlive the pod."""

CREDENTIALS_SECRET = "otel-collector-credentials"
"""The Secret with the cell's ingest username and password (collectors and agent)."""


def check_telemetry(args: TelemetryArgs, cell: str, label: str) -> str:
    """Return the cell's tenant, or refuse a cell name that cannot be one.

    Raises:
        ObsPlatformError: ``username`` is unset and the cell's name is no valid tenant.
    """
    tenant = args.username or cell
    if not re.match(TENANT_PATTERN, tenant):
        raise ObsPlatformError(
            f"{label}: the cell's name {cell!r} is its ingest tenant (Loki/Tempo "
            "X-Scope-OrgID), which must be lower-case letters, digits, '.', '_' or '-'.",
            field="TelemetryArgs.username",
            value=cell,
            fix="Set TelemetryArgs.username to a valid tenant, such as 'eu-west-1'.",
        )
    return tenant


def _plaintext_with_password(args: TelemetryArgs) -> list[str]:
    plain = []
    for name in ("metrics_remote_write_url", "logs_otlp_url"):
        value = getattr(args, name)
        if isinstance(value, str) and value.startswith("http://"):
            plain.append(name)
    if isinstance(args.traces_otlp_endpoint, str) and grpc_is_plaintext(args.traces_otlp_endpoint):
        plain.append("traces_otlp_endpoint")
    return plain


def create_telemetry(
    owner: Component[Any],
    args: CellArgs,
    account: pulumi.Output[str],
    provider: k8s.Provider,
    *,
    crd_provider: k8s.Provider | None = None,
    vpc_id: pulumi.Input[str] | None = None,
    image: pulumi.Input[str] = COLLECTOR_IMAGE,
    image_ready: list[pulumi.Resource] | None = None,
    agent_registries: Mapping[str, pulumi.Output[str]] | None = None,
) -> None:
    """Run the OpenTelemetry Collector DaemonSet in :data:`TELEMETRY_NAMESPACE`.

    With ``TelemetryArgs.ingest_zone_id`` the cell's VPC also joins the stack's private zone
    (``{n}-ingest-zone-association``), through the cell's own AWS provider: Route 53's
    ``AssociateVPCWithHostedZone`` is called by the VPC's account, after the zone's account
    authorized it when the accounts differ (Route 53 developer guide, "Associating an Amazon
    VPC and a private hosted zone that you created with different AWS accounts").
    ``crd_provider`` (server-side apply with force) applies the Prometheus agent's CRDs; the
    cell makes it whenever the agent runs (:func:`.images.runs_agent`).
    """
    opts = owner.child_opts(provider=provider)
    t = args.telemetry
    if t.ingest_zone_id is not None and vpc_id is not None:
        aws.route53.ZoneAssociation(
            owner.child_name("ingest-zone-association"),
            zone_id=t.ingest_zone_id,
            vpc_id=vpc_id,
            vpc_region=args.region,
            opts=owner.child_opts(),
        )
    tenant = check_telemetry(t, owner._name, f"Cell {owner._name!r}")
    if t.password is not None and (plain := _plaintext_with_password(t)):
        pulumi.log.warn(
            f"Cell {owner._name!r}: {', '.join(plain)} is plaintext, so the ingest password "
            "crosses the network unencrypted; use the stack's TLS endpoints "
            "(ObservabilityStackArgs.ingest_certificate_arn).",
            resource=owner,
        )
    namespace = k8s.core.v1.Namespace(
        owner.child_name("telemetry-namespace"),
        metadata={
            "name": TELEMETRY_NAMESPACE,
            # The collector mounts /var/log/pods from the host, which Pod Security `baseline`
            # refuses (hostPath volumes), so the namespace says what it needs.
            "labels": {"pod-security.kubernetes.io/enforce": "privileged"},
        },
        opts=opts,
    )
    labels = {
        "app.kubernetes.io/name": "otel-collector",
        "app.kubernetes.io/managed-by": "obs-platform",
    }
    meta = {"name": "otel-collector", "namespace": TELEMETRY_NAMESPACE, "labels": labels}
    after = owner.child_opts(provider=provider, depends_on=[namespace])
    strimzi = args.kafka_replication and args.kafka_engine is KafkaEngine.STRIMZI
    k8s.core.v1.ServiceAccount(owner.child_name("telemetry-sa"), metadata=meta, opts=after)
    k8s.rbac.v1.ClusterRole(
        owner.child_name("telemetry-role"),
        metadata={"name": f"obs-platform-otel-{owner._name}", "labels": labels},
        rules=[
            # kubeletstats reads /stats/summary (nodes/stats); the kubelet and cAdvisor
            # metrics are /metrics and /metrics/cadvisor (nodes/metrics).
            {"apiGroups": [""], "resources": ["nodes/stats", "nodes/metrics"], "verbs": ["get"]},
            # Strimzi cells: the collector discovers the Kafka and MirrorMaker 2 pods to scrape.
            *(
                [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}]
                if strimzi
                else []
            ),
        ],
        opts=opts,
    )
    k8s.rbac.v1.ClusterRoleBinding(
        owner.child_name("telemetry-binding"),
        metadata={"name": f"obs-platform-otel-{owner._name}", "labels": labels},
        role_ref={
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": f"obs-platform-otel-{owner._name}",
        },
        subjects=[
            {
                "kind": "ServiceAccount",
                "name": "otel-collector",
                "namespace": TELEMETRY_NAMESPACE,
            }
        ],
        opts=after,
    )
    env: list[dict[str, Any]] = [
        {"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    ]
    depends: list[pulumi.Resource] = []
    if t.password is not None:
        credentials = k8s.core.v1.Secret(
            owner.child_name("telemetry-credentials"),
            metadata={**meta, "name": CREDENTIALS_SECRET},
            type="kubernetes.io/basic-auth",
            string_data={"username": tenant, "password": pulumi.Output.secret(t.password)},
            opts=after,
        )
        depends.append(credentials)
        env += [
            {
                "name": variable,
                "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": key}},
            }
            for variable, key in zip(CREDENTIALS_ENV, ("username", "password"), strict=True)
        ]
    transport = CollectorTransport(
        tenant=tenant,
        basic_auth=t.password is not None,
        ca_file=CA_FILE if t.ca_certificate_pem else None,
    )
    config = pulumi.Output.all(
        account, t.metrics_remote_write_url, t.logs_otlp_url, t.traces_otlp_endpoint
    ).apply(
        lambda v: collector_config(
            cell=owner._name,
            dr_role=args.dr_role,
            dr_strategy=args.dr_strategy.value,
            scrape_strimzi=strimzi,
            region=args.region,
            account=v[0],
            metrics_remote_write_url=v[1],
            logs_otlp_url=v[2],
            traces_otlp_endpoint=v[3],
            transport=transport,
            buffer_seconds=t.outage_buffer_seconds,
            records_per_second=t.expected_records_per_second,
        )
    )
    data: dict[str, Any] = {"config.yaml": config}
    if t.ca_certificate_pem:
        data["ca.crt"] = t.ca_certificate_pem  # a CA certificate is public
    config_map = k8s.core.v1.ConfigMap(
        owner.child_name("telemetry-config"), metadata=meta, data=data, opts=after
    )
    ports: list[dict[str, Any]] = [
        {"name": "otlp-grpc", "containerPort": 4317, "protocol": "TCP"},
        {"name": "otlp-http", "containerPort": 4318, "protocol": "TCP"},
    ]
    if t.host_ports:
        for port in ports:
            port["hostPort"] = port["containerPort"]
    k8s.core.v1.Service(
        owner.child_name("telemetry-service"),
        metadata=meta,
        spec={
            "selector": labels,
            # Each workload's spans and metrics go to the collector on its own node.
            "internalTrafficPolicy": "Local",
            "ports": [
                {"name": p["name"], "port": p["containerPort"], "targetPort": p["name"]}
                for p in ports
            ],
        },
        opts=after,
    )
    items = [{"key": "config.yaml", "path": "config.yaml"}]
    if t.ca_certificate_pem:
        items.append({"key": "ca.crt", "path": "ca/ca.crt"})
    # The daemonset-host-ports guardrail admits host ports only when the workload says why.
    daemon_meta = (
        {
            **meta,
            "annotations": {HOST_PORTS_ANNOTATION: "TelemetryArgs.host_ports: OTLP on node IPs"},
        }
        if t.host_ports
        else meta
    )
    k8s.apps.v1.DaemonSet(
        owner.child_name("telemetry-collector"),
        metadata=daemon_meta,
        spec={
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": "otel-collector",
                    "securityContext": {
                        "runAsUser": 0,
                        "runAsGroup": 0,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        _collector_container(
                            image,
                            env,
                            requests={"cpu": "100m", "memory": "256Mi"},
                            memory_limit="512Mi",
                            mounts=[
                                {
                                    "name": "pods",
                                    "mountPath": "/var/log/pods",
                                    "readOnly": True,
                                },
                                {"name": "queue", "mountPath": QUEUE_DIRECTORY},
                            ],
                            ports=ports,
                        )
                    ],
                    "volumes": [
                        {"name": "config", "configMap": {"name": "otel-collector", "items": items}},
                        {
                            "name": "pods",
                            "hostPath": {"path": "/var/log/pods", "type": "Directory"},
                        },
                        {
                            "name": "queue",
                            "hostPath": {"path": QUEUE_HOST_PATH, "type": "DirectoryOrCreate"},
                        },
                    ],
                },
            },
        },
        opts=owner.child_opts(
            provider=provider, depends_on=[config_map, *depends, *(image_ready or [])]
        ),
    )
    secret = CREDENTIALS_SECRET if t.password is not None else None
    ca_map = "otel-collector" if t.ca_certificate_pem else None
    if runs_agent(args):
        assert crd_provider is not None, "the agent's CRDs need the cell's CRD provider"
        _create_agent(
            owner,
            args,
            account,
            provider,
            crd_provider,
            secret=secret,
            ca_config_map=ca_map,
            registries=agent_registries,
            depends_on=[namespace, config_map, *depends, *(image_ready or [])],
        )
    if t.kubernetes_events and t.logs_otlp_url is not None:
        _create_events_collector(
            owner,
            args,
            account,
            provider,
            transport=transport,
            env=env,
            image=image,
            ca=bool(t.ca_certificate_pem),
            depends_on=[namespace, *depends, *(image_ready or [])],
        )


def _collector_container(
    image: pulumi.Input[str],
    env: list[dict[str, Any]],
    *,
    requests: dict[str, str],
    memory_limit: str,
    mounts: list[dict[str, Any]],
    ports: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A collector container, hardened the same way for the DaemonSet and the events one.

    Its configuration is at ``/conf``; health probes; a read-only root filesystem, no
    privilege escalation, every capability dropped.
    """
    container: dict[str, Any] = {
        "name": "otel-collector",
        "image": image,
        "args": ["--config=/conf/config.yaml"],
        "env": env,
    }
    if ports:
        container["ports"] = ports
    container.update(
        {
            "readinessProbe": {"httpGet": {"path": "/", "port": 13133}},
            "livenessProbe": {"httpGet": {"path": "/", "port": 13133}},
            "resources": {"requests": requests, "limits": {"memory": memory_limit}},
            "securityContext": {
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "privileged": False,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [
                {"name": "config", "mountPath": "/conf", "readOnly": True},
                *mounts,
            ],
        }
    )
    return container


def _create_agent(
    owner: Component[Any],
    args: CellArgs,
    account: pulumi.Output[str],
    provider: k8s.Provider,
    crd_provider: k8s.Provider,
    *,
    secret: str | None,
    ca_config_map: str | None,
    registries: Mapping[str, pulumi.Output[str]] | None,
    depends_on: list[pulumi.Resource],
) -> None:
    """Install ``{n}-prometheus-crds`` and ``{n}-telemetry-agent``.

    The agent is kube-prometheus-stack in Prometheus agent mode
    (:mod:`obs_platform._internal.cell_agent`).
    The operator's CRDs are applied from the operator release that the chart pin ships, as in
    the shared stack (Helm never upgrades CRDs), through ``crd_provider``: server-side apply,
    because client-side apply copies the whole object into its ``last-applied-configuration``
    annotation and Kubernetes caps an object's annotations at 256 KiB in total (apimachinery's
    ``TotalAnnotationSizeLimitB``), which the ``prometheuses`` CRD exceeds
    (prometheus-operator's Documentation/troubleshooting.md: "metadata.annotations: Too long:
    must have at most 262144 bytes", fixed with ``kubectl apply --server-side
    --force-conflicts``); and with force (pulumi-kubernetes ``enablePatchForce``, the
    ``--force-conflicts``), so a field manager left by an earlier Helm install of the same CRDs
    does not block the upgrade. The release runs in
    :data:`TELEMETRY_NAMESPACE` beside the collector: it authenticates with the same Secret,
    trusts the same CA ConfigMap, and node-exporter needs the namespace's ``privileged`` Pod
    Security level (host network, PID and paths).
    """
    t = args.telemetry
    crds = k8s.yaml.v2.ConfigGroup(
        owner.child_name("prometheus-crds"),
        files=prometheus_operator_crd_urls(),
        opts=owner.child_opts(provider=crd_provider, depends_on=depends_on),
    )
    values = pulumi.Output.all(account, t.metrics_remote_write_url).apply(
        lambda v: agent_values(
            labels=cell_labels(
                cell=owner._name,
                region=args.region,
                account=v[0],
                dr_role=args.dr_role,
                dr_strategy=args.dr_strategy.value,
            ),
            remote_write_url=v[1],
            credentials_secret=secret,
            ca_config_map=ca_config_map,
            samples_per_second=t.expected_samples_per_second,
            buffer_seconds=t.outage_buffer_seconds,
            mirror=registries,
        )
    )
    kube_prometheus_stack_release(
        owner.child_name("telemetry-agent"),
        release_name=AGENT_RELEASE,
        version=KUBE_PROMETHEUS_STACK.version,
        namespace=TELEMETRY_NAMESPACE,
        values=values,
        opts=owner.child_opts(provider=provider, depends_on=[*depends_on, crds]),
    )


def _create_events_collector(
    owner: Component[Any],
    args: CellArgs,
    account: pulumi.Output[str],
    provider: k8s.Provider,
    *,
    transport: CollectorTransport,
    env: list[dict[str, Any]],
    image: pulumi.Input[str],
    ca: bool,
    depends_on: list[pulumi.Resource],
) -> None:
    """Run ``{n}-telemetry-events``, the collector that ships the cell's Kubernetes events.

    One replica watches the events and ships them to Loki (``k8sobjects``; with more, each
    event would arrive once per replica). It reads no host path, so it runs as the image's
    non-root user with the ``restricted`` profile; its queue is an ``emptyDir`` (which
    survives container restarts).
    """
    t = args.telemetry
    name = "otel-collector-events"
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "obs-platform"}
    meta = {"name": name, "namespace": TELEMETRY_NAMESPACE, "labels": labels}
    opts = owner.child_opts(provider=provider, depends_on=depends_on)
    k8s.core.v1.ServiceAccount(owner.child_name("telemetry-events-sa"), metadata=meta, opts=opts)
    role = f"obs-platform-otel-events-{owner._name}"
    k8s.rbac.v1.ClusterRole(
        owner.child_name("telemetry-events-role"),
        metadata={"name": role, "labels": labels},
        rules=list(EVENTS_RBAC),
        opts=opts,
    )
    k8s.rbac.v1.ClusterRoleBinding(
        owner.child_name("telemetry-events-binding"),
        metadata={"name": role, "labels": labels},
        role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        subjects=[{"kind": "ServiceAccount", "name": name, "namespace": TELEMETRY_NAMESPACE}],
        opts=opts,
    )
    config = pulumi.Output.all(account, t.logs_otlp_url).apply(
        lambda v: events_collector_config(
            cell=owner._name,
            dr_role=args.dr_role,
            dr_strategy=args.dr_strategy.value,
            region=args.region,
            account=v[0],
            logs_otlp_url=v[1],
            transport=transport,
            buffer_seconds=t.outage_buffer_seconds,
        )
    )
    data: dict[str, Any] = {"config.yaml": config}
    items = [{"key": "config.yaml", "path": "config.yaml"}]
    if ca:
        data["ca.crt"] = t.ca_certificate_pem
        items.append({"key": "ca.crt", "path": "ca/ca.crt"})
    config_map = k8s.core.v1.ConfigMap(
        owner.child_name("telemetry-events-config"), metadata=meta, data=data, opts=opts
    )
    k8s.apps.v1.Deployment(
        owner.child_name("telemetry-events"),
        metadata=meta,
        spec={
            "replicas": 1,
            # Never two at once, not even during a rollout: the old pod stops first.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": name,
                    "securityContext": {
                        "runAsNonRoot": True,
                        # The contrib image's own user (its Dockerfile: USER 10001).
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        _collector_container(
                            image,
                            [e for e in env if e["name"] != "K8S_NODE_NAME"],
                            requests={"cpu": "50m", "memory": "128Mi"},
                            memory_limit="256Mi",
                            mounts=[{"name": "queue", "mountPath": QUEUE_DIRECTORY}],
                        )
                    ],
                    "volumes": [
                        {"name": "config", "configMap": {"name": name, "items": items}},
                        {"name": "queue", "emptyDir": {"sizeLimit": "2Gi"}},
                    ],
                },
            },
        },
        opts=owner.child_opts(provider=provider, depends_on=[config_map, *depends_on]),
    )
