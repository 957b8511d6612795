"""Ingest endpoints for the cells: one internal Network Load Balancer over NodePort Services.

Cells reach the stack over the Transit Gateway, never the internet. The NLB is ``internal``, in
the cluster's private subnets, behind a security group open only to ``ingest_allowed_cidrs``.
It forwards to fixed NodePorts on the managed node groups (instance targets, attached to each
group's Auto Scaling group), so no in-cluster load-balancer controller and no ``LoadBalancer``
Service is needed, and destroy order is plain AWS resources.

=====================  ============  ==========  ====================================
endpoint               NLB port      NodePort    backend (selector)
=====================  ============  ==========  ====================================
Prometheus remote-write 9090         30090       ingest gateway (:8080) -> Prometheus
Loki push / OTLP logs   3100         30100       ingest gateway (:8080) -> Loki gateway
OTLP gRPC / HTTP        4317 / 4318  30317/30318 ingest gateway (:4317 h2c, :8080) -> Tempo
Grafana                 80 (443 TLS) 30300       Grafana (:3000)
=====================  ============  ==========  ====================================

Every write goes through the authenticating gateway (:mod:`.._internal.ingest_gateway`):
basic auth against the users in ``ingest_tenants``, only the write paths, and the tenant of
Loki and Tempo set from the authenticated user.

Names: a private hosted zone (``ingest_zone_name``, default ``obs.internal``) associated with the
stack's VPC holds ``ingest.<zone>``, an alias of the NLB; the exported URLs use that name, so a
certificate for it (ACM Private CA, or a public certificate for a real domain) matches. Cell VPCs
join the zone with a ``ZoneAssociation`` made through the cell's own provider; a VPC in another
account must first be authorized here (``ingest_zone_authorized_vpcs``: Route 53's
``CreateVPCAssociationAuthorization``, run by the zone's account). The zone's own ``vpcs`` are
ignored after creation, because in-line associations and separate ``ZoneAssociation`` resources
fight over the same list (terraform-provider-aws ``aws_route53_zone`` docs: use
``ignore_changes`` on ``vpc`` with ``aws_route53_zone_association``).

TLS: with ``ingest_certificate_arn`` every listener terminates TLS 1.2+; the OTLP gRPC listener
also negotiates ALPN ``h2`` (``alpn_policy="HTTP2Only"``), which gRPC clients require (grpc-go
since 1.67 refuses a TLS connection without ALPN). The NLB writes access logs for its TLS
listeners (the NLB guide: only TLS connections are logged) to its own bucket, and deletion
protection is on by default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._internal.helm_values import KPS_RELEASE, LOKI_RELEASE, TEMPO_RELEASE, Scale
from .._internal.ingest_gateway import (
    GATEWAY_GRPC_PORT,
    GATEWAY_HTTP_PORT,
    GATEWAY_IMAGE,
    GatewayUpstreams,
    gateway_config,
    htpasswd,
)
from .failover import IngestFailover, ingest_health_check, standby_records
from .load_balancer import internal_nlb

if TYPE_CHECKING:
    from .._component import Component
    from .cluster import ClusterParts


@dataclass(frozen=True)
class IngestPort:
    """One forwarded port.

    Attributes:
        role: Part of the child names.
        service: Which NodePort Service carries it.
        listener_port: The NLB's port (plain TCP).
        tls_port: The NLB's port when TLS terminates on it.
        node_port: The NodePort.
        target_port: The pod's port.
        alpn_policy: The TLS listener's ALPN policy (``HTTP2Only`` for gRPC), or ``None``.
    """

    role: str
    service: str
    listener_port: int
    tls_port: int
    node_port: int
    target_port: int
    alpn_policy: str | None = None


PORTS: tuple[IngestPort, ...] = (
    # The write paths end on the authenticating gateway (its HTTP or HTTP/2 port).
    IngestPort("remote-write", "prometheus", 9090, 9090, 30090, GATEWAY_HTTP_PORT),
    IngestPort("loki-push", "loki", 3100, 3100, 30100, GATEWAY_HTTP_PORT),
    IngestPort("otlp-grpc", "otlp", 4317, 4317, 30317, GATEWAY_GRPC_PORT, alpn_policy="HTTP2Only"),
    IngestPort("otlp-http", "otlp", 4318, 4318, 30318, GATEWAY_HTTP_PORT),
    IngestPort("grafana", "grafana", 80, 443, 30300, 3000),
)
"""The forwarded ports."""

TARGET_GROUP_ROLES: dict[str, str] = {
    "remote-write": "rw",
    "loki-push": "loki",
    "otlp-grpc": "grpc",
    "otlp-http": "http",
    "grafana": "grafana",
}
"""The short role in each port's target group name, ``{name}-tg-{role}``: target group names
have 32 characters, of which the auto-name suffix takes 8."""


GATEWAY_LABELS: dict[str, str] = {
    "app.kubernetes.io/name": "ingest-gateway",
    "app.kubernetes.io/part-of": "obs-platform",
}
"""Labels of the authenticating gateway's pods."""


def selectors(scale: Scale) -> dict[str, dict[str, str]]:
    """Pod selectors of the ingest Services: the gateway for writes, Grafana for Grafana."""
    del scale  # the gateway forwards to Tempo or its distributor (see gateway_upstreams)
    return {
        "prometheus": GATEWAY_LABELS,
        "loki": GATEWAY_LABELS,
        "otlp": GATEWAY_LABELS,
        "grafana": {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": KPS_RELEASE},
    }


def gateway_upstreams(namespace: str, scale: Scale) -> GatewayUpstreams:
    """Where the gateway forwards: Prometheus, Loki's gateway, Tempo (or its distributor)."""
    tempo = "tempo-distributor" if scale is Scale.DISTRIBUTED else TEMPO_RELEASE

    def host(service: str, port: int) -> str:
        return f"{service}.{namespace}.svc.cluster.local:{port}"

    return GatewayUpstreams(
        prometheus=host(f"{KPS_RELEASE}-prometheus", 9090),
        loki=host(f"{LOKI_RELEASE}-gateway", 80),
        tempo_http=host(tempo, 4318),
        tempo_grpc=host(tempo, 4317),
    )


INGEST_PASSWORD_LENGTH = 32
"""Characters of a generated ingest password (letters and digits: no escaping in htpasswd,
environment variables or basic-auth headers; 32 of 62 symbols is about 190 bits)."""


def ingest_passwords(
    owner: Component[Any], tenants: Mapping[str, pulumi.Input[str] | None]
) -> dict[str, pulumi.Output[str]]:
    """Each tenant's ingest password: the one given, or a generated one.

    A tenant without a password gets ``{n}-ingest-password-{tenant}``, a ``random.
    RandomPassword`` (pulumi-random): generated once and kept in the stack's state, so it is
    stable across updates and lives in this one stack; the cells read it from the stack's
    secret output ``ingest_password_<tenant>`` through a StackReference. Every password is a
    Pulumi secret.
    """
    resolved: dict[str, pulumi.Output[str]] = {}
    for tenant in sorted(tenants):
        given = tenants[tenant]
        if given is None:
            import pulumi_random as random  # a dependency; imported where it is used

            given = random.RandomPassword(
                owner.child_name(f"ingest-password-{tenant}"),
                length=INGEST_PASSWORD_LENGTH,
                special=False,
                min_lower=1,
                min_upper=1,
                min_numeric=1,
                opts=owner.child_opts(),
            ).result
        resolved[tenant] = pulumi.Output.secret(given)
    return resolved


def create_gateway(
    owner: Component[Any],
    *,
    namespace: str,
    scale: Scale,
    tenants: Mapping[str, pulumi.Input[str]],
    provider: k8s.Provider,
    depends_on: list[pulumi.Resource],
    image_registry: pulumi.Input[str] | None = None,
    replicas: int = 2,
) -> k8s.apps.v1.Deployment:
    """Run the authenticating gateway: htpasswd Secret, nginx ConfigMap, Deployment.

    Args:
        owner: The component the children belong to.
        namespace: Where it runs (the releases' namespace).
        scale: Selects Tempo or its distributor as the OTLP backend.
        tenants: Ingest user (= Loki/Tempo tenant) -> password (Pulumi secrets).
        provider: The cluster's Kubernetes provider.
        depends_on: What it waits for (the namespace).
        image_registry: A registry to pull the image through (the Docker Hub pull-through
            cache), or ``None`` for Docker Hub.
        replicas: Gateway pods.
    """
    opts = owner.child_opts(provider=provider, depends_on=depends_on)
    meta = {"name": "ingest-gateway", "namespace": namespace, "labels": GATEWAY_LABELS}
    names = sorted(tenants)
    passwords = pulumi.Output.all(*[tenants[n] for n in names]).apply(
        lambda values: htpasswd(dict(zip(names, values, strict=True)))
    )
    secret = k8s.core.v1.Secret(
        owner.child_name("ingest-gateway-users"),
        metadata={**meta, "name": "ingest-gateway-users"},
        string_data={"htpasswd": pulumi.Output.secret(passwords)},  # type: ignore[arg-type]
        opts=opts,
    )
    config = k8s.core.v1.ConfigMap(
        owner.child_name("ingest-gateway-config"),
        metadata=meta,
        data={"nginx.conf": gateway_config(gateway_upstreams(namespace, scale))},
        opts=opts,
    )
    registry, repository, tag = GATEWAY_IMAGE
    image = pulumi.Output.from_input(image_registry or registry).apply(
        lambda r: f"{r}/{repository}:{tag}"
    )
    probe = {"httpGet": {"path": "/healthz", "port": GATEWAY_HTTP_PORT}}
    return k8s.apps.v1.Deployment(
        owner.child_name("ingest-gateway"),
        metadata=meta,
        spec={
            "replicas": replicas,
            "selector": {"matchLabels": GATEWAY_LABELS},
            "template": {
                "metadata": {
                    "labels": GATEWAY_LABELS,
                    # A new user list or configuration rolls the pods.
                    "annotations": {
                        "obs-platform/users": passwords.apply(
                            lambda text: hashlib.sha256(text.encode()).hexdigest()[:16]
                        ),
                    },
                },
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 101,
                        "runAsGroup": 101,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": GATEWAY_LABELS},
                        }
                    ],
                    "containers": [
                        {
                            "name": "nginx",
                            "image": image,
                            "ports": [
                                {"name": "http", "containerPort": GATEWAY_HTTP_PORT},
                                {"name": "grpc", "containerPort": GATEWAY_GRPC_PORT},
                            ],
                            "readinessProbe": probe,
                            "livenessProbe": probe,
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "64Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                            "securityContext": {
                                "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {
                                    "name": "config",
                                    "mountPath": "/etc/nginx/nginx.conf",
                                    "subPath": "nginx.conf",
                                    "readOnly": True,
                                },
                                {
                                    "name": "users",
                                    "mountPath": "/etc/nginx/secrets",
                                    "readOnly": True,
                                },
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "config", "configMap": {"name": "ingest-gateway"}},
                        {"name": "users", "secret": {"secretName": "ingest-gateway-users"}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
        },
        opts=owner.child_opts(provider=provider, depends_on=[*depends_on, secret, config]),
    )


@dataclass
class IngestEndpoints:
    """The endpoints' URLs (Outputs of the NLB's DNS name).

    Attributes:
        load_balancer: The NLB.
        host: The name the URLs use (``ingest.<zone>``, or the NLB's DNS name without a zone).
        zone_id: The private hosted zone, or ``None``.
        remote_write_url: Prometheus remote-write URL.
        loki_push_url: Loki push URL.
        loki_otlp_url: Loki's OTLP logs endpoint (an OTLP/HTTP exporter appends ``/v1/logs``).
        otlp_endpoint: OTLP gRPC endpoint.
        otlp_http_endpoint: OTLP HTTP endpoint.
        grafana_url: Grafana URL.
    """

    load_balancer: aws.lb.LoadBalancer
    host: pulumi.Output[str]
    zone_id: pulumi.Output[str] | None
    remote_write_url: pulumi.Output[str]
    loki_push_url: pulumi.Output[str]
    loki_otlp_url: pulumi.Output[str]
    otlp_endpoint: pulumi.Output[str]
    otlp_http_endpoint: pulumi.Output[str]
    grafana_url: pulumi.Output[str]


def create_ingest(
    owner: Component[Any],
    *,
    region: str,
    namespace: str,
    scale: Scale,
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[list[str]] | list[pulumi.Input[str]],
    allowed_cidrs: tuple[str, ...],
    certificate_arn: pulumi.Input[str] | None,
    cluster: ClusterParts,
    depends_on: list[pulumi.Resource],
    zone_name: str | None = None,
    authorized_vpcs: tuple[tuple[pulumi.Input[str], str], ...] = (),
    access_logs_account_id: pulumi.Input[str] | None = None,
    deletion_protection: bool = True,
    protect: bool = True,
    tenants: Mapping[str, pulumi.Input[str]] | None = None,
    image_registry: pulumi.Input[str] | None = None,
    failover: IngestFailover | None = None,
) -> IngestEndpoints:
    """Create the NodePort Services, the internal NLB, its listeners and target groups.

    Args:
        owner: The component the children belong to.
        region: The NLB's region.
        namespace: The Services' namespace.
        scale: Selects the OTLP backend (Tempo or its distributor).
        vpc_id: The VPC.
        subnet_ids: Private subnets for the NLB.
        allowed_cidrs: Who may connect.
        certificate_arn: ACM certificate for TLS listeners, or ``None`` for TCP.
        cluster: The cluster (node groups, node security group, Kubernetes provider).
        depends_on: What the Services wait for (the namespace and cluster readiness).
        zone_name: The private hosted zone to create (``ingest.<zone>``), or ``None``.
        authorized_vpcs: ``(vpc_id, region)`` of VPCs in other accounts allowed to associate
            with the zone.
        access_logs_account_id: The stack's account, to write access logs to a bucket of its
            own; ``None`` writes none.
        deletion_protection: The NLB's deletion protection.
        protect: Protect the access-log bucket.
        tenants: Ingest users and passwords of the authenticating gateway.
        image_registry: Where the gateway's image comes from (a pull-through cache), or
            ``None`` for Docker Hub.
        failover: The standby's ingest, to make ``ingest.<zone>`` a failover pair
            (:mod:`.failover`), or ``None`` for a simple alias.
    """
    create_gateway(
        owner,
        namespace=namespace,
        scale=scale,
        tenants=tenants or {},
        provider=cluster.provider,
        depends_on=depends_on,
        image_registry=image_registry,
    )
    pods = selectors(scale)
    for service, selector in pods.items():
        k8s.core.v1.Service(
            owner.child_name(f"ingest-{service}"),
            metadata={
                "name": f"ingest-{service}",
                "namespace": namespace,
                "labels": {"app.kubernetes.io/part-of": "obs-platform"},
            },
            spec={
                "type": "NodePort",
                "selector": selector,
                "ports": [
                    {
                        "name": p.role,
                        "port": p.listener_port,
                        "targetPort": p.target_port,
                        "nodePort": p.node_port,
                        "protocol": "TCP",
                    }
                    for p in PORTS
                    if p.service == service
                ],
            },
            opts=owner.child_opts(provider=cluster.provider, depends_on=depends_on),
        )

    group = aws.ec2.SecurityGroup(
        owner.child_name("ingest-sg"),
        vpc_id=vpc_id,
        region=region,
        description="Internal ingest NLB: telemetry from cells over the transit network",
        tags=owner.tags({"Name": owner.child_name("ingest-sg")}),
        opts=owner.child_opts(),
    )
    tls = certificate_arn is not None
    for port in PORTS:
        listen = port.tls_port if tls else port.listener_port
        for index, cidr in enumerate(allowed_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                owner.child_name(f"ingest-sg-{port.role}-{index}"),
                security_group_id=group.id,
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=listen,
                to_port=listen,
                region=region,
                tags=owner.tags(),
                description=f"{port.role} from {cidr}",
                opts=owner.child_opts(),
            )
        aws.vpc.SecurityGroupEgressRule(
            owner.child_name(f"ingest-sg-{port.role}-to-nodes"),
            security_group_id=group.id,
            referenced_security_group_id=cluster.node_security_group_id,
            ip_protocol="tcp",
            from_port=port.node_port,
            to_port=port.node_port,
            region=region,
            tags=owner.tags(),
            description=f"{port.role} to the nodes' NodePort",
            opts=owner.child_opts(),
        )
        aws.vpc.SecurityGroupIngressRule(
            owner.child_name(f"nodes-from-ingest-{port.role}"),
            security_group_id=cluster.node_security_group_id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port.node_port,
            to_port=port.node_port,
            region=region,
            tags=owner.tags(),
            description=f"{port.role} from the ingest NLB",
            opts=owner.child_opts(),
        )

    nlb, _ = internal_nlb(
        owner,
        "ingest",
        region=region,
        subnet_ids=subnet_ids,
        security_group_ids=[group.id],
        access_logs_account_id=access_logs_account_id,
        deletion_protection=deletion_protection,
        protect=protect,
    )
    targets: dict[str, aws.lb.TargetGroup] = {}
    for port in PORTS:
        # Target group names are at most 32 characters and pulumi-aws auto-names them with 8
        # more (provider/aliases.go: AutoName("name", 32, "-")): "{name}-ingest-{role}"
        # overflowed. The alias keeps stacks deployed under the old name.
        target = aws.lb.TargetGroup(
            owner.child_name(f"tg-{TARGET_GROUP_ROLES[port.role]}"),
            port=port.node_port,
            protocol="TCP",
            target_type="instance",
            vpc_id=vpc_id,
            region=region,
            health_check={"protocol": "TCP", "port": "traffic-port"},
            tags=owner.tags({"Name": owner.child_name(f"tg-{TARGET_GROUP_ROLES[port.role]}")}),
            opts=owner.child_opts(
                aliases=[pulumi.Alias(name=owner.child_name(f"ingest-{port.role}"))]
            ),
        )
        targets[port.role] = target
        listener_args: dict[str, Any] = (
            {
                "protocol": "TLS",
                "port": port.tls_port,
                "certificate_arn": certificate_arn,
                "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                **({"alpn_policy": port.alpn_policy} if port.alpn_policy else {}),
            }
            if tls
            else {"protocol": "TCP", "port": port.listener_port}
        )
        aws.lb.Listener(
            owner.child_name(f"ingest-{port.role}"),
            load_balancer_arn=nlb.arn,
            region=region,
            default_actions=[{"type": "forward", "target_group_arn": target.arn}],
            tags=owner.tags(),
            opts=owner.child_opts(),
            **listener_args,
        )
        for group_name, node_group in cluster.node_groups.items():
            aws.autoscaling.Attachment(
                owner.child_name(f"{group_name}-ingest-{port.role}"),
                autoscaling_group_name=node_group.resources.apply(
                    lambda r: r[0].autoscaling_groups[0].name
                ),
                lb_target_group_arn=target.arn,
                region=region,
                opts=owner.child_opts(),
            )

    host: pulumi.Output[str] = nlb.dns_name
    zone_id: pulumi.Output[str] | None = None
    if zone_name is not None:
        zone = aws.route53.Zone(
            owner.child_name("ingest-zone"),
            name=zone_name,
            comment=f"Ingest names of {owner.child_name('eks')} (private)",
            vpcs=[{"vpc_id": vpc_id, "vpc_region": region}],
            tags=owner.tags({"Name": owner.child_name("ingest-zone")}),
            # Cells associate their VPCs with ZoneAssociation resources of their own.
            opts=owner.child_opts(ignore_changes=["vpcs"]),
        )
        routing: dict[str, Any] = {}
        if failover is not None:
            health = ingest_health_check(
                owner,
                region=region,
                load_balancer=nlb,
                target_group=targets["remote-write"],
                evaluation_periods=failover.evaluation_periods,
                writer_cluster_id=failover.writer_cluster_id,
            )
            routing = {
                "set_identifier": "primary",
                "failover_routing_policies": [{"type": "PRIMARY"}],
                "health_check_id": health.id,
            }
        record = aws.route53.Record(
            owner.child_name("ingest-record"),
            zone_id=zone.zone_id,
            name=f"ingest.{zone_name}",
            type="A",
            aliases=[
                {"name": nlb.dns_name, "zone_id": nlb.zone_id, "evaluate_target_health": True}
            ],
            # A simple record and a failover pair cannot share a name: turning a standby on
            # replaces the record, so the old one must go first.
            opts=owner.child_opts(delete_before_replace=failover is not None),
            **routing,
        )
        if failover is not None:
            standby_records(
                owner, zone_id=zone.zone_id, name=f"ingest.{zone_name}", failover=failover
            )
        for index, (other_vpc, other_region) in enumerate(authorized_vpcs):
            aws.route53.VpcAssociationAuthorization(
                owner.child_name(f"ingest-zone-authorization-{index}"),
                zone_id=zone.zone_id,
                vpc_id=other_vpc,
                vpc_region=other_region,
                opts=owner.child_opts(),
            )
        fqdn = f"ingest.{zone_name}"
        host = record.name.apply(lambda _: fqdn)  # known at preview, after the record
        zone_id = zone.zone_id

    scheme = "https" if tls else "http"

    def url(port: IngestPort, path: str = "") -> pulumi.Output[str]:
        number = port.tls_port if tls else port.listener_port
        default = (tls and number == 443) or (not tls and number == 80)
        suffix = "" if default else f":{number}"
        return host.apply(lambda dns: f"{scheme}://{dns}{suffix}{path}")

    by_role = {p.role: p for p in PORTS}
    return IngestEndpoints(
        load_balancer=nlb,
        host=host,
        zone_id=zone_id,
        remote_write_url=url(by_role["remote-write"], "/api/v1/write"),
        loki_push_url=url(by_role["loki-push"], "/loki/api/v1/push"),
        loki_otlp_url=url(by_role["loki-push"], "/otlp"),
        otlp_endpoint=url(by_role["otlp-grpc"]),
        otlp_http_endpoint=url(by_role["otlp-http"]),
        grafana_url=url(by_role["grafana"]),
    )
