"""No secret passed in lands outside a Secret: every ConfigMap, Helm value, tag and name of the
plans of a stack and a cell is scanned for each secret value given to them."""

from __future__ import annotations

import json

import pulumi

from conftest import STACK_IMAGES
from conftest import docker_hub_credential as docker_hub
from obs_platform import Cell, ObservabilityStack
from obs_platform.testing import run

SECRETS = {
    "grafana": "Gr4fana-Admin-Pw-51fe",
    "ingest-eu": "ingest-eu-west-1-pw-7c1d",
    "ingest-us": "ingest-us-east-1-pw-93aa",
    "slack": "https://hooks.slack.com/services/T0SECRET/B0SECRET/ZZZZSECRETZZZZ",
    "webhook": "https://hc-ping.com/5ecret-heartbeat-token",
    "pagerduty": "5ecretpagerdutyroutingkey0000000",
    "opsgenie": "5ecret-opsgenie-api-key",
    "smtp": "5ecret-smtp-password",
}


def program() -> None:
    secret = pulumi.Output.secret
    ObservabilityStack(
        "shared",
        {
            "region": "eu-west-1",
            "vpc_id": "vpc-0123456789abcdef0",
            "private_subnet_ids": ["subnet-0a", "subnet-0b"],
            "grafana_admin_password": secret(SECRETS["grafana"]),
            **STACK_IMAGES,
            "ingest_tenants": {
                "eu-west-1": secret(SECRETS["ingest-eu"]),
                "us-east-1": secret(SECRETS["ingest-us"]),
            },
            "alerting": {
                "slack_receivers": [{"name": "chat", "api_url": secret(SECRETS["slack"])}],
                "webhook_receivers": [{"name": "beat", "url": secret(SECRETS["webhook"])}],
                "pagerduty_receivers": [
                    {"name": "pager", "routing_key": secret(SECRETS["pagerduty"])}
                ],
                "opsgenie_receivers": [{"name": "genie", "api_key": secret(SECRETS["opsgenie"])}],
                "email_receivers": [
                    {
                        "name": "mail",
                        "to": ["oncall@example.com"],
                        "sender": "am@example.com",
                        "smarthost": "smtp.example.com:587",
                        "auth_username": "am",
                        "auth_password": secret(SECRETS["smtp"]),
                    }
                ],
                "default_receiver": "chat",
                "heartbeat_receiver": "beat",
                "routes": [
                    {"receiver": "pager", "severities": ["critical"]},
                    {"receiver": "genie", "cells": ["eu-west-1"]},
                    {"receiver": "mail", "severities": ["warning"]},
                ],
            },
        },
    )
    Cell(
        "eu-west-1",
        {
            "region": "eu-west-1",
            "docker_hub_credential_arn": docker_hub(),
            "telemetry": {
                "metrics_remote_write_url": "https://ingest.obs.internal:9090/api/v1/write",
                "logs_otlp_url": "https://ingest.obs.internal:3100/otlp",
                "traces_otlp_endpoint": "ingest.obs.internal:4317",
                "password": secret(SECRETS["ingest-eu"]),
            },
        },
    )


def test_no_secret_outside_a_secret() -> None:
    plan = run(program, config={"aws:region": "eu-west-1"})
    for resource in plan.resources:
        text = json.dumps(
            {
                "name": resource.name,
                "urn": resource.urn,
                "inputs": resource.inputs,
                "outputs": resource.outputs,
            }
        )
        for label, value in SECRETS.items():
            assert value not in text, f"{label} secret in {resource.type} {resource.name}"
    assert all(value not in json.dumps(plan.outputs) for value in SECRETS.values())
    # the scan can fail: the Secrets that hold them exist and are masked
    for name in (
        "shared-ingest-gateway-users",
        "shared-alertmanager-config",
        "eu-west-1-telemetry-credentials",
        "shared-grafana-admin",
    ):
        assert plan.get(name).inputs["stringData"] == "[secret]"
