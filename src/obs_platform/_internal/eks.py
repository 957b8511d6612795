"""EKS settings validated without AWS: instance types, AMI families, Kubernetes versions (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator

_INSTANCE_TYPE = re.compile(
    r"^(?P<family>[a-z]+(?P<generation>[1-9][0-9]?)(?P<options>[a-z-]*))\."
    r"(?P<size>nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal(?:-[1-9][0-9]*xl)?)$"
)
_K8S_VERSION = re.compile(r"^1\.(?P<minor>[2-9][0-9])$")
MIN_KUBERNETES_MINOR = 30
"""The oldest Kubernetes minor version accepted (older ones are out of EKS standard support)."""


def check_instance_type(value: str) -> str:
    """Validate an EC2 instance type name such as ``m7i.xlarge``.

    Raises:
        ValueError: If the name does not have the ``family.size`` shape EC2 uses.
    """
    if not isinstance(value, str) or not _INSTANCE_TYPE.match(value):
        raise ValueError(
            f"{value!r} is not an EC2 instance type; write family.size in lower case, such as "
            "'m7i.xlarge', 'm7g.2xlarge' or 'r7i.large'."
        )
    return value


InstanceType = Annotated[str, AfterValidator(check_instance_type)]
"""An EC2 instance type name (``m7i.xlarge``)."""


def is_graviton(instance_type: str) -> bool:
    """Return whether an instance type runs on AWS Graviton (arm64).

    Graviton types have a ``g`` right after the generation digit (``m7g``, ``c7gn``, ``r8g``,
    ``t4g``); ``a1`` is the first generation.
    """
    match = _INSTANCE_TYPE.match(check_instance_type(instance_type))
    assert match is not None
    return match["family"].startswith("a1") or match["options"].startswith("g")


def ami_type_for(instance_types: Sequence[str]) -> str:
    """Return the EKS AL2023 AMI type for a node group's instance types.

    Raises:
        ValueError: If the types mix arm64 and x86_64, which one node group cannot run.
    """
    arches = {is_graviton(t) for t in instance_types}
    if len(arches) > 1:
        raise ValueError(
            f"instance types {list(instance_types)!r} mix Graviton (arm64) and x86_64; one node "
            "group runs one AMI. Split them into two node groups."
        )
    return "AL2023_ARM_64_STANDARD" if arches == {True} else "AL2023_x86_64_STANDARD"


def check_kubernetes_version(value: str) -> str:
    """Validate an EKS Kubernetes minor version such as ``"1.34"``.

    Raises:
        ValueError: If the value is not ``1.MINOR`` or is older than EKS standard support.
    """
    match = _K8S_VERSION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f"{value!r} is not an EKS Kubernetes version; write the minor version "
            "only, such as '1.34'."
        )
    if int(match["minor"]) < MIN_KUBERNETES_MINOR:
        raise ValueError(
            f"Kubernetes {value} is out of EKS standard support; use "
            f"1.{MIN_KUBERNETES_MINOR} or newer."
        )
    return value


KubernetesVersion = Annotated[str, AfterValidator(check_kubernetes_version)]
"""An EKS Kubernetes minor version (``1.34``)."""
