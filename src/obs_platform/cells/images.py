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

__all__ = ["CellImages", "check_image_source", "create_image_source"]

_UPSTREAM_URLS = {"docker.io": "registry-1.docker.io", "quay.io": "quay.io"}
"""The upstream registry URL of each cache the cell makes (Docker Hub's API host differs)."""

STRIMZI_REGISTRY = "quay.io"
"""Where the Strimzi chart's images live (``defaultImageRegistry``)."""


@dataclass
class CellImages:
    """What :func:`create_image_source` made.

    Attributes:
        collector_image: The collector's image reference.
        strimzi_registry: The Strimzi chart's ``defaultImageRegistry`` (``None``: the chart's).
        node_policy: An inline policy the node role needs (filling the caches), or ``None``.
        ready: What pulls must wait for (the cache rules).
    """

    collector_image: pulumi.Output[str]
    strimzi_registry: pulumi.Output[str] | None
    node_policy: pulumi.Output[str] | None
    ready: list[pulumi.Resource] = field(default_factory=list)


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

    Children: ``{n}-ptc-docker-hub`` (Docker Hub, with ``docker_hub_credential_arn``) and, for
    Strimzi, ``{n}-ptc-quay``. ECR creates a cached repository on first pull, as the puller,
    so the node role gets ``ecr:CreateRepository`` and ``ecr:BatchImportUpstreamImage`` on the
    cache prefixes (ECR user guide, "IAM permissions required to sync an upstream registry").
    """
    region = args.region
    strimzi = args.kafka_replication and args.kafka_engine is KafkaEngine.STRIMZI
    if args.image_source is CellImageSource.EGRESS:
        return CellImages(pulumi.Output.from_input(COLLECTOR_IMAGE), None, None)
    if args.image_source is CellImageSource.MIRROR:
        mirror = str(args.image_registry)
        return CellImages(
            pulumi.Output.from_input(through_mirror(COLLECTOR_IMAGE, mirror)),
            pulumi.Output.from_input(mirror) if strimzi else None,
            None,
        )
    hosts = ["docker.io", *(["quay.io"] if strimzi else [])]
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
    )
