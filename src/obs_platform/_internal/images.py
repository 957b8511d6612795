"""Container image references rewritten to an image source that works without internet (pure).

Private VPCs have no internet path, so a cluster pulls its images from ECR: through a
pull-through cache rule (``<registry>/<prefix>/<upstream path>``, ECR user guide, "Sync an
upstream registry with an Amazon ECR private registry") or from a mirror the operator filled
(``<mirror>/<upstream path>``). Docker Hub and GitHub Container Registry caches need a Secrets
Manager credential whose name starts with ``ecr-pullthroughcache/``; quay.io and
registry.k8s.io do not.
"""

from __future__ import annotations

import re

__all__ = [
    "CACHE_PREFIXES",
    "CREDENTIAL_SECRET_PREFIX",
    "check_credential_arn",
    "ecr_registry",
    "split_image",
    "through_cache",
    "through_mirror",
]

CACHE_PREFIXES: dict[str, str] = {
    "docker.io": "docker-hub",
    "quay.io": "quay",
    "ghcr.io": "ghcr",
    "registry.k8s.io": "k8s",
}
"""ECR repository prefix of each upstream's pull-through cache (the shared stack uses the same)."""

CREDENTIAL_SECRET_PREFIX = "ecr-pullthroughcache/"
"""ECR refuses a pull-through credential whose secret name does not start with this."""

_SECRET_ARN = re.compile(
    r"^arn:aws:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):secret:(?P<name>.+)$"
)


def ecr_registry(account_id: str, region: str) -> str:
    """Return an account's private ECR registry host in ``region``."""
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com"


def split_image(image: str) -> tuple[str, str]:
    """Split an image reference into its registry host and path (Docker's rules).

    The first component is a host when it has a ``.`` or ``:`` or is ``localhost``; otherwise
    the image is on Docker Hub (``docker.io``), where single-name images live under
    ``library/``.
    """
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    path = image if rest else f"library/{image}"
    return "docker.io", path


def through_cache(image: str, registry: str) -> str:
    """Return ``image`` as pulled through ``registry``'s pull-through cache.

    Raises:
        ValueError: If no cache is made for the image's registry.
    """
    host, path = split_image(image)
    if host not in CACHE_PREFIXES:
        raise ValueError(
            f"image {image!r} is on {host}, which has no pull-through cache here; mirror it "
            "into ECR (image_source='mirror')."
        )
    return f"{registry}/{CACHE_PREFIXES[host]}/{path}"


def through_mirror(image: str, mirror: str) -> str:
    """Return ``image`` as pulled from a mirror (``<mirror>/<upstream path>``)."""
    return f"{mirror.rstrip('/')}/{split_image(image)[1]}"


def check_credential_arn(value: str, *, region: str) -> str | None:
    """Return why ECR would refuse a pull-through credential secret ARN, or ``None``.

    ECR needs the secret in the rule's region and named ``ecr-pullthroughcache/...``.
    """
    match = _SECRET_ARN.match(value)
    if match is None:
        return "it is not a Secrets Manager secret ARN (arn:aws:secretsmanager:...:secret:...)"
    if not match["name"].startswith(CREDENTIAL_SECRET_PREFIX):
        return f"ECR accepts only secrets named {CREDENTIAL_SECRET_PREFIX}..."
    if match["region"] != region:
        return f"the secret is in {match['region']}, but the cache rule is in {region}"
    return None
