"""Kubeconfig adjustments for a cluster made in the same program (pure).

A Kubernetes provider built from an EKS cluster's kubeconfig must get its token for the right
region (and, where the deployment assumes a role, as that role); otherwise ``aws eks get-token``
uses whatever region and identity the shell happens to have, and ``pulumi destroy`` from another
machine fails to reach the cluster.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any


def _set_flag(args: list[str], flag: str, value: str) -> list[str]:
    out = list(args)
    if flag in out:
        index = out.index(flag)
        if index + 1 < len(out):
            out[index + 1] = value
        else:
            out.append(value)
    else:
        out += [flag, value]
    return out


def pin_kubeconfig(
    kubeconfig: Mapping[str, Any] | str, *, region: str, role_arn: str | None = None
) -> str:
    """Return the kubeconfig as JSON with every ``aws eks get-token`` user pinned to a region.

    Args:
        kubeconfig: The kubeconfig, as a dict or as JSON/YAML-free JSON text.
        region: The cluster's region, set as ``--region``.
        role_arn: A role to get the token as (``--role-arn``), or ``None``.

    Raises:
        ValueError: If the kubeconfig has no ``aws eks get-token`` user to pin.
    """
    config: dict[str, Any] = copy.deepcopy(
        json.loads(kubeconfig) if isinstance(kubeconfig, str) else dict(kubeconfig)
    )
    pinned = 0
    for user in config.get("users") or []:
        exec_config = (user.get("user") or {}).get("exec")
        if not isinstance(exec_config, dict):
            continue
        args = [str(a) for a in exec_config.get("args") or []]
        if exec_config.get("command") == "aws" and args[:2] == ["eks", "get-token"]:
            args = _set_flag(args, "--region", region)
            if role_arn is not None:
                args = _set_flag(args, "--role-arn", role_arn)
            exec_config["args"] = args
            pinned += 1
    if not pinned:
        raise ValueError(
            "the kubeconfig has no 'aws eks get-token' user to pin to a region; "
            "pass the kubeconfig of an EKS cluster made by pulumi-eks."
        )
    return json.dumps(config, sort_keys=True)
