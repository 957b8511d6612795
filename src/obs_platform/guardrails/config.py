"""Guardrails settings: ``guardrails.yaml`` in the program directory and ``--waive`` options.

A program directory may hold a ``guardrails.yaml``, reviewed with the code it governs::

    # guardrails.yaml
    required_tags: [team, cost-center]        # on top of obs-platform:managed-by
    allowed_external_principals: ["222222222222"]
    waivers:
      - rule: s3-tls-only
        resource: legacy-export-bucket        # logical name or full URN
        reason: "Read by a partner tool without TLS support; INC-1234, until 2026-12-31"

Waivers live outside the resources on purpose: a reviewer sees every exception in one file,
each with a reason that ``obs-platform check`` prints on every run, and a waiver that no longer
matches anything is reported as unused. For a one-off run, ``--waive RULE:RESOURCE=REASON``
adds a waiver on the command line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._internal import safe_yaml
from .._internal.errors import ObsPlatformError
from ._model import GuardrailsConfig, Waiver
from .rules import rule_ids

CONFIG_FILE = "guardrails.yaml"
"""The settings file ``obs-platform check`` reads from the program directory."""


class WaiverSpec(BaseModel):
    """One waiver as written in ``guardrails.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    """The rule's ID, such as ``s3-tls-only``."""
    resource: str = Field(min_length=1)
    """The resource's logical name or full URN."""
    reason: str = Field(min_length=1)
    """Why the exception is acceptable; printed on every run."""

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        if value not in rule_ids():
            raise ValueError(f"unknown rule {value!r}; known rules: {', '.join(rule_ids())}")
        return value

    @field_validator("reason")
    @classmethod
    def _real_reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a waiver needs a reason: say why, who decided and until when")
        return value.strip()


class GuardrailsFile(BaseModel):
    """The contents of ``guardrails.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    required_tags: list[str] = []
    """Tag keys required on every taggable AWS resource, besides ``obs-platform:managed-by``."""
    allowed_external_principals: list[str] = []
    """Account IDs outside the organization that RAM shares may name."""
    waivers: list[WaiverSpec] = []
    """Per-resource exceptions."""


def parse_waiver(text: str) -> Waiver:
    """Parse ``RULE:RESOURCE=REASON`` (the ``--waive`` option) into a waiver.

    ``RESOURCE`` is a logical name or a URN (URNs contain ``::``, so the rule ends at the first
    single colon and the resource at the first ``=``).

    Raises:
        ObsPlatformError: Saying which part is missing or which rule is unknown.
    """
    rule_id, sep, rest = text.partition(":")
    resource, sep2, reason = rest.partition("=")
    if not sep or not sep2 or not rule_id or not resource or not reason.strip():
        raise ObsPlatformError(
            f"--waive {text!r} is not RULE:RESOURCE=REASON.",
            field="--waive",
            value=text,
            fix="Write it as s3-tls-only:logs-bucket='why, who decided, until when'.",
        )
    try:
        spec = WaiverSpec(rule=rule_id, resource=resource, reason=reason)
    except ValidationError as exc:
        raise ObsPlatformError(
            f"--waive {text!r}: {exc.errors()[0]['msg']}",
            field="--waive",
            value=text,
            fix="Use a rule ID that `obs-platform check --list-rules` prints.",
        ) from None
    return Waiver(rule=spec.rule, resource=spec.resource, reason=spec.reason)


def load_config(
    path: Path | None,
    *,
    extra_waivers: Iterable[Waiver] = (),
    stack_config: Mapping[str, str] | None = None,
) -> GuardrailsConfig:
    """Build the run's settings from a ``guardrails.yaml``, extra waivers and stack config.

    Args:
        path: The settings file; ``None`` or a missing file means defaults.
        extra_waivers: Waivers from the command line, added after the file's.
        stack_config: The stack's configuration; its ``aws:defaultTags`` count as tags of
            every resource on the default provider.

    Raises:
        ObsPlatformError: If the file is not valid YAML or has unknown keys or rules.
    """
    data: Any = {}
    if path is not None and path.is_file():
        try:
            data = safe_yaml.load_file(path) or {}
        except safe_yaml.YamlLimitError as exc:
            raise ObsPlatformError(
                f"{path} is refused: {exc}",
                field=str(path),
                fix="Keep guardrails.yaml a short list of settings and waivers.",
            ) from None
        except yaml.YAMLError as exc:
            raise ObsPlatformError(
                f"{path} is not valid YAML: {exc}", field=str(path), fix="Fix the YAML syntax."
            ) from None
    try:
        parsed = GuardrailsFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ObsPlatformError(
            f"{path}: {problems}",
            field=str(path),
            value=data,
            fix="Keys are required_tags, allowed_external_principals and "
            "waivers (each with rule, resource, reason).",
        ) from None
    waivers = [Waiver(rule=w.rule, resource=w.resource, reason=w.reason) for w in parsed.waivers]
    waivers.extend(extra_waivers)
    return GuardrailsConfig(
        required_tags=tuple(parsed.required_tags),
        allowed_external_principals=frozenset(parsed.allowed_external_principals),
        default_tags=_default_tags(stack_config or {}),
        waivers=tuple(dict.fromkeys(waivers)),
    )


def _default_tags(stack_config: Mapping[str, str]) -> dict[str, str]:
    raw = stack_config.get("aws:defaultTags")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    tags = value.get("tags") if isinstance(value, dict) else None
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}
