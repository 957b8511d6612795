"""A cell's image source: how its private cluster pulls the images the cell installs.

The cell's VPC has no internet gateway or NAT, so images come from ECR through the VPC's
``ecr.api``/``ecr.dkr`` interface endpoints and the S3 gateway endpoint: pull-through caches in
the cell's account and region, or a mirror the operator filled. Or the operator provides an
egress path behind the Transit Gateway. :func:`check_image_source` refuses a configuration
with none of them, before anything is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .._component import Component
from .._internal.cell_telemetry import COLLECTOR_IMAGE
from .._internal.errors import ObsPlatformError
from .._internal.images import (
    CACHE_PREFIXES,
    CREDENTIAL_SECRET_PREFIX,
    check_credential_arn,
    ecr_registry,
    through_cache,
    through_mirror,
)
from ..dr.args import KafkaEngine
from ..observability.registry import pull_through_node_policy
from .args import CellArgs, CellImageSource

__all__ = [
    "AGENT_REGISTRIES",
    "CellImages",
    "check_image_source",
    "create_image_source",
    "runs_agent",
]

_UPSTREAM_URLS = {
    "docker.io": "registry-1.docker.io",
    "quay.io": "quay.io",
    "registry.k8s.io": "registry.k8s.io",
}
"""The upstream registry URL of each cache the cell makes (Docker Hub's API host differs)."""

STRIMZI_REGISTRY = "quay.io"
"""Where the Strimzi chart's images live (``defaultImageRegistry``)."""

AGENT_REGISTRIES: tuple[str, ...] = ("quay.io", "registry.k8s.io")
"""Where the cell's kube-prometheus-stack images live: the operator, Prometheus, its config
reloader and node-exporter on quay.io, kube-state-metrics on registry.k8s.io (the chart's
defaults); neither needs an ECR pull-through credential."""


def runs_agent(args: CellArgs) -> bool:
    """Whether the cell runs its Prometheus agent.

    It does with ``TelemetryArgs.kubernetes_metrics`` and a remote-write URL to write to.
    """
    t = args.telemetry
    return t.kubernetes_metrics and t.metrics_remote_write_url is not None


@dataclass
class CellImages:
    """What :func:`create_image_source` made.

    Attributes:
        collector_image: The collector's image reference.
        strimzi_registry: The Strimzi chart's ``defaultImageRegistry`` (``None``: the chart's).
        agent_registries: Upstream registry host -> the registry the cell's
            kube-prometheus-stack pulls it through (``None``: upstream, ``image_source=
            "egress"``).
        node_policy: An inline policy the node role needs (filling the caches), or ``None``.
        ready: What pulls must wait for (the cache rules).
    """

    collector_image: pulumi.Output[str]
    strimzi_registry: pulumi.Output[str] | None
    node_policy: pulumi.Output[str] | None
    ready: list[pulumi.Resource] = field(default_factory=list)
    agent_registries: dict[str, pulumi.Output[str]] | None = None


def check_image_source(args: CellArgs, label: str) -> None:
    """Refuse a cell whose cluster could pull none of its images.

    Raises:
        ObsPlatformError: Naming the missing setting and the ways to fix it.
    """
    source = args.image_source
    if source is CellImageSource.PULL_THROUGH_CACHE:
        credential = args.docker_hub_credential_arn
        if credential is None:
            raise ObsPlatformError(
                f"{label}: the cell's VPC has no internet path, and the collector image "
                f"({COLLECTOR_IMAGE}) is on Docker Hub, whose ECR pull-through cache needs a "
                "credential; without one no pod of the cell could start.",
                field="CellArgs.docker_hub_credential_arn",
                value=None,
                fix=f"Store Docker Hub credentials in a Secrets Manager secret named "
                f"'{CREDENTIAL_SECRET_PREFIX}...' in the cell's account and region and pass its "
                "ARN, or use image_source='mirror' with image_registry, or image_source='egress' "
                "with an egress path behind the Transit Gateway.",
            )
        if isinstance(credential, str):
            problem = check_credential_arn(credential, region=args.region)
            if problem is not None:
                raise ObsPlatformError(
                    f"{label}: docker_hub_credential_arn: {problem}.",
                    field="CellArgs.docker_hub_credential_arn",
                    value=credential,
                    fix=f"Pass the ARN of a secret named '{CREDENTIAL_SECRET_PREFIX}...' in "
                    f"{args.region}, in the cell's account.",
                )
    elif source is CellImageSource.MIRROR and args.image_registry is None:
        raise ObsPlatformError(
            f"{label}: image_source='mirror' needs image_registry (where the images were copied).",
            field="CellArgs.image_registry",
            value=None,
            fix="Pass the ECR registry and prefix of the mirror, such as "
            "'111111111111.dkr.ecr.eu-west-1.amazonaws.com/mirror'.",
        )
    elif source is CellImageSource.EGRESS and (
        (args.transit_network is None and args.transit_gateway is None)
        or "0.0.0.0/0" not in args.transit_routes
    ):
        raise ObsPlatformError(
            f"{label}: image_source='egress' pulls from the internet, but the cell has no route "
            "to it: it needs a Transit Gateway attachment and '0.0.0.0/0' in transit_routes "
            "(to an egress VPC with NAT behind the gateway).",
            field="CellArgs.image_source",
            value=source.value,
            fix="Attach the cell and add '0.0.0.0/0' to transit_routes, or use "
            "image_source='pull-through-cache' (with docker_hub_credential_arn) or 'mirror'.",
        )


def create_image_source(
    owner: Component[Any], args: CellArgs, account: pulumi.Output[str]
) -> CellImages:
    """Create the pull-through cache rules (``image_source="pull-through-cache"``).

    Children: ``{n}-ptc-docker-hub`` (Docker Hub, with ``docker_hub_credential_arn``),
    ``{n}-ptc-quay`` (Strimzi, and the Prometheus agent's operator, Prometheus and
    node-exporter images) and ``{n}-ptc-k8s`` (registry.k8s.io: kube-state-metrics) when the
    agent runs (:func:`runs_agent`). ECR creates a cached repository on first pull, as the puller,
    so the node role gets ``ecr:CreateRepository`` and ``ecr:BatchImportUpstreamImage`` on the
    cache prefixes (ECR user guide, "IAM permissions required to sync an upstream registry").
    """
    region = args.region
    strimzi = args.kafka_replication and args.kafka_engine is KafkaEngine.STRIMZI
    agent = runs_agent(args)
    if args.image_source is CellImageSource.EGRESS:
        return CellImages(pulumi.Output.from_input(COLLECTOR_IMAGE), None, None)
    if args.image_source is CellImageSource.MIRROR:
        mirror = str(args.image_registry)
        return CellImages(
            pulumi.Output.from_input(through_mirror(COLLECTOR_IMAGE, mirror)),
            pulumi.Output.from_input(mirror) if strimzi else None,
            None,
            agent_registries=(
                {host: pulumi.Output.from_input(mirror) for host in AGENT_REGISTRIES}
                if agent
                else None
            ),
        )
    hosts = ["docker.io", *(["quay.io"] if strimzi or agent else [])]
    hosts += ["registry.k8s.io"] if agent else []
    rules: list[pulumi.Resource] = []
    for host in hosts:
        prefix = CACHE_PREFIXES[host]
        rules.append(
            aws.ecr.PullThroughCacheRule(
                owner.child_name(f"ptc-{prefix}"),
                ecr_repository_prefix=prefix,
                upstream_registry_url=_UPSTREAM_URLS[host],
                credential_arn=args.docker_hub_credential_arn if host == "docker.io" else None,
                region=region,
                opts=owner.child_opts(),
            )
        )
    registry = account.apply(lambda a: ecr_registry(a, region))
    prefixes = tuple(CACHE_PREFIXES[h] for h in hosts)
    policy = account.apply(lambda a: pull_through_node_policy(a, region, prefixes))
    return CellImages(
        collector_image=registry.apply(lambda r: through_cache(COLLECTOR_IMAGE, r)),
        strimzi_registry=(
            registry.apply(lambda r: f"{r}/{CACHE_PREFIXES[STRIMZI_REGISTRY]}") if strimzi else None
        ),
        node_policy=policy,
        ready=rules,
        agent_registries=(
            {
                host: pulumi.Output.concat(registry, "/", CACHE_PREFIXES[host])
                for host in AGENT_REGISTRIES
            }
            if agent
            else None
        ),
    )
