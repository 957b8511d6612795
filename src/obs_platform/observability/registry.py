"""ECR for the monitoring workloads: private repositories, pull-through caches, DR replication.

Repositories scan on push, refuse tag overwrites (IMMUTABLE), expire old images and encrypt with
a customer-managed key. Pull-through cache rules let the cluster pull the charts' upstream images
(quay.io, registry.k8s.io, and ghcr.io and Docker Hub when their credentials are given: ECR
requires a Secrets Manager credential for those two, "Docker Hub, Microsoft Azure Container
Registry, GitHub Container Registry, and GitLab Container Registry (requires authentication
with AWS Secrets Manager secret)", ECR user guide, "Sync an upstream registry") through ECR, so
nodes in private subnets need no internet path for images. Replication copies the registry's
images to the DR region on a switch.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from .._component import Component

_REPOSITORY_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")

UNTAGGED_EXPIRY_DAYS = 14
"""Days an untagged image is kept before the lifecycle policy expires it."""


@dataclass(frozen=True)
class Upstream:
    """An upstream registry cached through ECR.

    Attributes:
        prefix: The ECR repository prefix (``quay`` -> ``<registry>/quay/prometheus/...``).
        url: The upstream registry.
        needs_credentials: Whether ECR requires a Secrets Manager credential for it.
        image_host: The registry host image references name (``docker.io`` for Docker Hub).
    """

    prefix: str
    url: str
    needs_credentials: bool = False
    image_host: str = ""

    @property
    def host(self) -> str:
        """The registry host in image references."""
        return self.image_host or self.url


UPSTREAMS: tuple[Upstream, ...] = (
    Upstream("quay", "quay.io"),
    Upstream("k8s", "registry.k8s.io"),
    Upstream("ghcr", "ghcr.io", needs_credentials=True),
    Upstream("docker-hub", "registry-1.docker.io", needs_credentials=True, image_host="docker.io"),
)
"""The registries the pinned charts pull from: Prometheus and its operator (quay.io),
kube-state-metrics (registry.k8s.io), exporters (ghcr.io), Grafana, Loki and Tempo (Docker Hub)."""


def check_repository_name(value: str) -> str:
    """Validate an ECR repository name (lower case, ``/``-separated, 2-256 characters).

    Raises:
        ValueError: If ECR would refuse the name.
    """
    if (
        not isinstance(value, str)
        or not 2 <= len(value) <= 256
        or not _REPOSITORY_NAME.match(value)
    ):
        raise ValueError(
            f"{value!r} is not an ECR repository name; use 2-256 lower-case letters, digits "
            "and . _ - separated by '/', such as 'observability/exporters'."
        )
    return value


def lifecycle_policy(keep_images: int) -> str:
    """Return the repositories' ECR lifecycle policy.

    Untagged images expire after :data:`UNTAGGED_EXPIRY_DAYS`; only the newest ``keep_images``
    images are kept.
    """
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"expire untagged images after {UNTAGGED_EXPIRY_DAYS} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": UNTAGGED_EXPIRY_DAYS,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"keep the newest {keep_images} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_images,
                    },
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


@dataclass
class Registry:
    """What :func:`create_registry` made.

    Attributes:
        repositories: The private repositories by name.
        cache_rules: The pull-through cache rules by upstream image host.
    """

    repositories: dict[str, aws.ecr.Repository]
    cache_rules: dict[str, aws.ecr.PullThroughCacheRule]


def mirror_registries(account_id: pulumi.Input[str], region: str) -> dict[str, pulumi.Output[str]]:
    """Return, per upstream image host, the ECR registry prefix that caches it."""
    account: pulumi.Output[str] = pulumi.Output.from_input(account_id)

    def registry(prefix: str) -> pulumi.Output[str]:
        return account.apply(lambda a: f"{a}.dkr.ecr.{region}.amazonaws.com/{prefix}")

    return {upstream.host: registry(upstream.prefix) for upstream in UPSTREAMS}


def pull_through_node_policy(
    account_id: str, region: str, prefixes: tuple[str, ...] | None = None
) -> str:
    """The nodes' extra permissions to fill a pull-through cache on first pull.

    ECR creates the cached repository and imports the upstream image as the puller, so the node
    role needs ``ecr:CreateRepository`` and ``ecr:BatchImportUpstreamImage``, limited here to the
    cache prefixes (``prefixes``, default every upstream's).
    """
    chosen = prefixes if prefixes is not None else tuple(u.prefix for u in UPSTREAMS)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "FillPullThroughCaches",
                    "Effect": "Allow",
                    "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
                    "Resource": [
                        f"arn:aws:ecr:{region}:{account_id}:repository/{prefix}/*"
                        for prefix in chosen
                    ],
                }
            ],
        }
    )


def create_registry(
    owner: Component[Any],
    *,
    region: str,
    repositories: tuple[str, ...],
    keep_images: int,
    key: aws.kms.Key,
    pull_through_cache: bool,
    docker_hub_credential_arn: pulumi.Input[str] | None,
    replicate_to: str | None,
    ghcr_credential_arn: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> Registry:
    """Create the repositories, pull-through cache rules and (optionally) replication.

    Args:
        owner: The component the children belong to.
        region: The registry's region.
        repositories: Repository names.
        keep_images: How many images each repository keeps.
        key: The KMS key that encrypts the repositories.
        pull_through_cache: Create the pull-through cache rules.
        docker_hub_credential_arn: Secrets Manager secret (name prefixed
            ``ecr-pullthroughcache/``) holding Docker Hub credentials; without it, no Docker Hub
            rule is made (ECR refuses one without credentials).
        ghcr_credential_arn: The same for GitHub Container Registry (a GitHub token).
        replicate_to: The DR region to replicate images to, or ``None``.
        opts: Extra options for the children.

    Returns:
        The repositories and cache rules.
    """
    repos: dict[str, aws.ecr.Repository] = {}
    for name in repositories:
        role = "ecr-" + re.sub(r"[^a-z0-9]+", "-", name)
        repo = aws.ecr.Repository(
            owner.child_name(role),
            name=name,
            region=region,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}],
            tags=owner.tags({"Name": name}),
            opts=owner.child_opts(opts),
        )
        aws.ecr.LifecyclePolicy(
            owner.child_name(f"{role}-lifecycle"),
            repository=repo.name,
            policy=lifecycle_policy(keep_images),
            region=region,
            opts=owner.child_opts(opts),
        )
        repos[name] = repo
    rules: dict[str, aws.ecr.PullThroughCacheRule] = {}
    if pull_through_cache:
        for upstream in UPSTREAMS:
            credential = {"docker-hub": docker_hub_credential_arn, "ghcr": ghcr_credential_arn}.get(
                upstream.prefix
            )
            if upstream.needs_credentials and credential is None:
                continue
            rules[upstream.host] = aws.ecr.PullThroughCacheRule(
                owner.child_name(f"ptc-{upstream.prefix}"),
                ecr_repository_prefix=upstream.prefix,
                upstream_registry_url=upstream.url,
                credential_arn=credential,
                region=region,
                opts=owner.child_opts(opts),
            )
    if replicate_to is not None and repositories:
        # ECR has one replication configuration per registry and region; this one is limited
        # to the stack's repositories by prefix filters.
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=owner))
        aws.ecr.ReplicationConfiguration(
            owner.child_name("ecr-replication"),
            region=region,
            replication_configuration={
                "rules": [
                    {
                        "destinations": [
                            {"region": replicate_to, "registry_id": account.account_id}
                        ],
                        "repository_filters": [
                            {"filter": name, "filter_type": "PREFIX_MATCH"} for name in repositories
                        ],
                    }
                ]
            },
            opts=owner.child_opts(opts),
        )
    return Registry(repos, rules)
