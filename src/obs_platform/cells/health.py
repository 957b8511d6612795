"""A cell's health exposure: ``/healthz`` through an API Gateway HTTP API and an internal NLB."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from .._component import Component
from ..observability.load_balancer import internal_nlb
from .args import CellArgs

__all__ = ["ACCESS_LOG_FORMAT", "api_log_group_name", "create_ingress"]

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "path": "$context.path",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationStatus": "$context.integrationStatus",
        "integrationError": "$context.integrationErrorMessage",
    },
    sort_keys=True,
)
"""The API's access log line: JSON of HTTP API ``$context`` variables (API Gateway developer
guide, "Customizing HTTP API access logs")."""


@dataclass(frozen=True)
class Ingress:
    """What :func:`create_ingress` made.

    Attributes:
        api: The HTTP API.
        host: Its public host name (``execute-api``).
        record_target: The custom domain's regional name (with ``api_domain_name``), else
            ``None``.
        target_group: The NLB's target group (the node group's instances on the NodePort).
    """

    api: aws.apigatewayv2.Api
    host: pulumi.Output[str]
    record_target: Any
    target_group: aws.lb.TargetGroup


def api_log_group_name(cell: str) -> str:
    """The name of a cell's API access log group (fixed, so the key policy can name it)."""
    return f"/obs-platform/{cell}/api-access"


def create_ingress(
    owner: Component[Any],
    args: CellArgs,
    vpc_id: Any,
    subnet_ids: Any,
    cidr: Any,
    *,
    key: aws.kms.Key,
    cluster: eks.Cluster,
    nodes: aws.eks.NodeGroup,
    provider: k8s.Provider,
    account_id: pulumi.Input[str],
) -> Ingress:
    """Expose the workloads (and ``/healthz``): NodePort Service, internal NLB, VPC link, HTTP API.

    The path is API Gateway -> VPC link -> NLB listener (port 80) -> the nodes' NodePort
    ``ingress_node_port`` -> the pods selected by ``ingress_selector`` on ``ingress_port``. The
    node group's Auto Scaling group is attached to the target group (instance targets, as the
    shared stack's ingest does), so nodes register as they launch, also when a standby scales
    up from zero; no in-cluster load-balancer controller is needed. The NLB has a security
    group, so targets must admit it: "update the security groups for your targets to allow
    traffic from the load balancer ... on both the listener port and the health check port"
    (Elastic Load Balancing, Network Load Balancers user guide, "Security groups"). Health
    checks go to the traffic port, so exactly one port is opened on the nodes, from that group
    only. The NLB is built by :func:`obs_platform.observability.load_balancer.internal_nlb`, as
    the shared stack's ingest NLB is: deletion protection (``ingress_deletion_protection``) and
    access logs to its own bucket ``{cell}-ingress-logs-bucket`` in ``account_id``
    (``ingress_access_logs``).

    Returns:
        What the exposure made (:class:`Ingress`).
    """
    node_sg = cluster.node_security_group_id
    sg = aws.ec2.SecurityGroup(
        owner.child_name("ingress-sg"),
        vpc_id=vpc_id,
        region=args.region,
        description="API Gateway VPC link to the cell's internal load balancer.",
        ingress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [cidr]}],
        egress=[
            {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [cidr]},
            {
                "protocol": "tcp",
                "from_port": args.ingress_node_port,
                "to_port": args.ingress_node_port,
                "security_groups": [node_sg],
                "description": "Traffic and health checks to the nodes' NodePort",
            },
        ],
        tags=owner.tags({"Name": owner.child_name("ingress-sg")}),
        opts=owner.child_opts(),
    )
    aws.vpc.SecurityGroupIngressRule(
        owner.child_name("nodes-from-ingress"),
        security_group_id=node_sg,
        referenced_security_group_id=sg.id,
        ip_protocol="tcp",
        from_port=args.ingress_node_port,
        to_port=args.ingress_node_port,
        description="Traffic and health checks from the cell's ingress NLB",
        region=args.region,
        tags=owner.tags({"Name": owner.child_name("nodes-from-ingress")}),
        opts=owner.child_opts(),
    )
    namespace = k8s.core.v1.Namespace(
        owner.child_name("workload-namespace"),
        metadata={"name": args.workload_namespace, "labels": {"obs-platform/cell": owner._name}},
        opts=owner.child_opts(provider=provider),
    )
    k8s.core.v1.Service(
        owner.child_name("ingress-service"),
        metadata={
            "name": "cell-ingress",
            "namespace": args.workload_namespace,
            "labels": {"app.kubernetes.io/part-of": "obs-platform"},
        },
        spec={
            "type": "NodePort",
            "selector": dict(args.ingress_selector),
            "ports": [
                {
                    "name": "http",
                    "port": 80,
                    "targetPort": args.ingress_port,
                    "nodePort": args.ingress_node_port,
                    "protocol": "TCP",
                }
            ],
        },
        opts=owner.child_opts(provider=provider, depends_on=[namespace]),
    )
    nlb, _ = internal_nlb(
        owner,
        "ingress",
        region=args.region,
        subnet_ids=subnet_ids,
        security_group_ids=[sg.id],
        access_logs_account_id=account_id if args.ingress_access_logs else None,
        deletion_protection=args.ingress_deletion_protection_enabled,
        protect=args.protect,
    )
    # Target group names are at most 32 characters and pulumi-aws auto-names them with 8 more
    # (provider/aliases.go: AutoName("name", 32, "-")): "{cell}-ingress-targets" overflowed for
    # every region name. The alias keeps stacks deployed under the old name.
    targets = aws.lb.TargetGroup(
        owner.child_name("tg"),
        port=args.ingress_node_port,
        protocol="TCP",
        target_type="instance",
        vpc_id=vpc_id,
        region=args.region,
        health_check={
            "protocol": "HTTP",
            "port": "traffic-port",
            "path": args.healthz_path,
            "matcher": "200-399",
            "interval": 10,
            "healthy_threshold": 2,
            "unhealthy_threshold": 2,
        },
        tags=owner.tags({"Name": owner.child_name("tg")}),
        opts=owner.child_opts(aliases=[pulumi.Alias(name=owner.child_name("ingress-targets"))]),
    )
    listener = aws.lb.Listener(
        owner.child_name("ingress-listener"),
        load_balancer_arn=nlb.arn,
        port=80,
        protocol="TCP",
        region=args.region,
        default_actions=[{"type": "forward", "target_group_arn": targets.arn}],
        tags=owner.tags({"Name": owner.child_name("ingress-listener")}),
        opts=owner.child_opts(),
    )
    aws.autoscaling.Attachment(
        owner.child_name("ingress-attachment"),
        autoscaling_group_name=nodes.resources.apply(lambda r: r[0].autoscaling_groups[0].name),
        lb_target_group_arn=targets.arn,
        region=args.region,
        opts=owner.child_opts(),
    )
    api = aws.apigatewayv2.Api(
        owner.child_name("api"),
        protocol_type="HTTP",
        region=args.region,
        description=f"Public HTTPS front of cell {owner._name} (and its /healthz).",
        tags=owner.tags({"Name": owner.child_name("api")}),
        opts=owner.child_opts(),
    )
    link = aws.apigatewayv2.VpcLink(
        owner.child_name("api-link"),
        name=owner.child_name("api-link"),
        subnet_ids=subnet_ids,
        security_group_ids=[sg.id],
        region=args.region,
        tags=owner.tags({"Name": owner.child_name("api-link")}),
        opts=owner.child_opts(),
    )
    integration = aws.apigatewayv2.Integration(
        owner.child_name("api-integration"),
        api_id=api.id,
        integration_type="HTTP_PROXY",
        integration_method="ANY",
        integration_uri=listener.arn,
        connection_type="VPC_LINK",
        connection_id=link.id,
        payload_format_version="1.0",
        region=args.region,
        opts=owner.child_opts(),
    )
    # Only what is declared is routed: GET on the health path, and api_routes. A request for any
    # other route gets API Gateway's 404 and never reaches the VPC link.
    target = pulumi.Output.concat("integrations/", integration.id)
    aws.apigatewayv2.Route(
        owner.child_name("api-route"),
        api_id=api.id,
        route_key=f"GET {args.healthz_path}",
        target=target,
        region=args.region,
        opts=owner.child_opts(),
    )
    for index, route_key in enumerate(args.api_routes):
        aws.apigatewayv2.Route(
            owner.child_name(f"api-route-{index}"),
            api_id=api.id,
            route_key=route_key,
            target=target,
            region=args.region,
            opts=owner.child_opts(),
        )
    logs = aws.cloudwatch.LogGroup(
        owner.child_name("api-logs"),
        name=api_log_group_name(owner._name),
        retention_in_days=args.api_log_retention_days,
        kms_key_id=key.arn,
        region=args.region,
        tags=owner.tags({"Name": owner.child_name("api-logs")}),
        opts=owner.child_opts(),
    )
    stage = aws.apigatewayv2.Stage(
        owner.child_name("api-stage"),
        api_id=api.id,
        name="$default",
        auto_deploy=True,
        access_log_settings={"destination_arn": logs.arn, "format": ACCESS_LOG_FORMAT},
        default_route_settings={"throttling_burst_limit": 5000, "throttling_rate_limit": 10000},
        region=args.region,
        tags=owner.tags({"Name": owner.child_name("api-stage")}),
        opts=owner.child_opts(),
    )
    host = api.api_endpoint.apply(lambda url: url.removeprefix("https://").rstrip("/"))
    record_target: Any = None
    if args.api_domain_name is not None:
        domain = aws.apigatewayv2.DomainName(
            owner.child_name("api-domain"),
            domain_name=args.api_domain_name,
            domain_name_configuration={
                "certificate_arn": args.api_certificate_arn,
                "endpoint_type": "REGIONAL",
                "security_policy": "TLS_1_2",
            },
            region=args.region,
            tags=owner.tags({"Name": owner.child_name("api-domain")}),
            opts=owner.child_opts(),
        )
        aws.apigatewayv2.ApiMapping(
            owner.child_name("api-mapping"),
            api_id=api.id,
            domain_name=domain.id,
            stage=stage.id,
            region=args.region,
            opts=owner.child_opts(),
        )
        record_target = domain.domain_name_configuration.target_domain_name
    return Ingress(api=api, host=host, record_target=record_target, target_group=targets)
