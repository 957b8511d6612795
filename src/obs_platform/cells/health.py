"""A cell's health exposure: ``/healthz`` through an API Gateway HTTP API and an internal NLB."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from .._component import Component
from .args import CellArgs

__all__ = ["create_ingress"]


def create_ingress(
    owner: Component[Any], args: CellArgs, vpc_id: Any, subnet_ids: Any, cidr: Any
) -> tuple[Any, pulumi.Output[str], Any]:
    """Expose the workloads (and ``/healthz``): internal NLB, VPC link, public HTTP API.

    Returns:
        The API, its public host name, and the target of the failover record (the custom
        domain's regional name with ``api_domain_name``, else ``None``).
    """
    sg = aws.ec2.SecurityGroup(
        owner.child_name("ingress-sg"),
        vpc_id=vpc_id,
        region=args.region,
        description="API Gateway VPC link to the cell's internal load balancer.",
        ingress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [cidr]}],
        egress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": [cidr]}],
        tags=owner.tags({"Name": owner.child_name("ingress-sg")}),
        opts=owner.child_opts(),
    )
    nlb = aws.lb.LoadBalancer(
        owner.child_name("ingress"),
        load_balancer_type="network",
        internal=True,
        subnets=subnet_ids,
        security_groups=[sg.id],
        region=args.region,
        enable_cross_zone_load_balancing=True,
        tags=owner.tags({"Name": owner.child_name("ingress")}),
        opts=owner.child_opts(),
    )
    targets = aws.lb.TargetGroup(
        owner.child_name("ingress-targets"),
        port=80,
        protocol="TCP",
        target_type="ip",
        vpc_id=vpc_id,
        region=args.region,
        health_check={
            "protocol": "HTTP",
            "path": args.healthz_path,
            "interval": 10,
            "healthy_threshold": 2,
            "unhealthy_threshold": 2,
        },
        tags=owner.tags({"Name": owner.child_name("ingress-targets")}),
        opts=owner.child_opts(),
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
    aws.apigatewayv2.Route(
        owner.child_name("api-route"),
        api_id=api.id,
        route_key="$default",
        target=pulumi.Output.concat("integrations/", integration.id),
        region=args.region,
        opts=owner.child_opts(),
    )
    stage = aws.apigatewayv2.Stage(
        owner.child_name("api-stage"),
        api_id=api.id,
        name="$default",
        auto_deploy=True,
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
    return api, host, record_target
