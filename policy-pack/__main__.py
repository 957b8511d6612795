"""Entry point of the obs-platform guardrails policy pack.

Settings (required tags, allowed external principals, waivers) come from the first file found
of: ``$OBS_PLATFORM_GUARDRAILS`` (point it at the program's ``guardrails.yaml``, the one
``obs-platform check`` reads), ``guardrails.yaml`` in the analyzer's working directory, and
``guardrails.yaml`` next to this file. Per-policy settings can also be passed with
``pulumi preview --policy-pack-config`` (see ``obs_platform.guardrails.crossguard``).
"""

from __future__ import annotations

import os
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

from obs_platform.guardrails import CONFIG_FILE, load_config
from obs_platform.guardrails.crossguard import POLICY_PACK_NAME, make_policies, preserve_secrets


def _settings_path() -> Path | None:
    candidates = [
        os.environ.get("OBS_PLATFORM_GUARDRAILS"),
        Path.cwd() / CONFIG_FILE,
        Path(__file__).resolve().parent / CONFIG_FILE,
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


preserve_secrets()
PolicyPack(
    name=POLICY_PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(make_policies(load_config(_settings_path()))),
)
