"""The cell's collector: TLS or plaintext, credentials from a Secret, least privilege."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
import yaml

from conftest import docker_hub_credential, parsed_collector_config
from obs_platform import Cell, CellArgs, ObsPlatformError, TelemetryArgs
from obs_platform._internal.cell_telemetry import (
    CREDENTIALS_ENV,
    CollectorTransport,
)
from obs_platform.cells.telemetry import check_telemetry
from obs_platform.testing import Plan, run

PASSWORD = "s3cr3t-ingest-pa55word"
SECRET_NAME = "otel-collector-credentials"
CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def build(telemetry: dict[str, Any], *, name: str = "eu-west-1") -> Plan:
    def program() -> None:
        t = dict(telemetry)
        if "password" in t:
            t["password"] = pulumi.Output.secret(t["password"])
        Cell(
            name,
            {
                "region": "eu-west-1",
                "telemetry": t,
                "docker_hub_credential_arn": docker_hub_credential(),
            },
        )

    return run(program, config={"aws:region": "eu-west-1"})


def config_of(plan: Plan, name: str = "eu-west-1") -> dict[str, Any]:
    data = plan.get(f"{name}-telemetry-config").inputs["data"]
    loaded: dict[str, Any] = yaml.safe_load(data["config.yaml"])
    return loaded


TLS = {
    "metrics_remote_write_url": "https://ingest.obs.internal:9090/api/v1/write",
    "logs_otlp_url": "https://ingest.obs.internal:3100/otlp",
    "traces_otlp_endpoint": "ingest.obs.internal:4317",
}
PLAIN = {
    "metrics_remote_write_url": "http://ingest.obs.internal:9090/api/v1/write",
    "logs_otlp_url": "http://ingest.obs.internal:3100/otlp",
    "traces_otlp_endpoint": "http://ingest.obs.internal:4317",
}


@pytest.fixture(scope="module")
def authenticated() -> Plan:
    return build({**TLS, "password": PASSWORD, "ca_certificate_pem": CA})


def test_grpc_dials_tls_unless_plaintext_is_explicit() -> None:
    tls = config_of(build(TLS))["exporters"]
    # configtls: without insecure the otlp exporter dials TLS, so TLS endpoints get a TLS block
    assert tls["otlp/tempo"]["tls"] == {"min_version": "1.2"}
    assert tls["otlphttp/loki"]["tls"] == {"min_version": "1.2"}
    assert tls["prometheusremotewrite"]["tls"] == {"min_version": "1.2"}
    plain = config_of(build(PLAIN))["exporters"]
    assert plain["otlp/tempo"]["tls"] == {"insecure": True}
    assert "tls" not in plain["otlphttp/loki"]
    assert "tls" not in plain["prometheusremotewrite"]


def test_credentials_come_from_a_secret_never_the_config_map(authenticated: Plan) -> None:
    config = config_of(authenticated)
    assert config["extensions"]["basicauth/client"] == {
        "client_auth": {
            "username": "${env:TELEMETRY_USERNAME}",
            "password": "${env:TELEMETRY_PASSWORD}",
        }
    }
    assert config["service"]["extensions"] == [
        "health_check",
        "file_storage/queue",
        "basicauth/client",
    ]
    for exporter in ("prometheusremotewrite", "otlphttp/loki", "otlp/tempo"):
        assert config["exporters"][exporter]["auth"] == {"authenticator": "basicauth/client"}
    secret = authenticated.get("eu-west-1-telemetry-credentials")
    assert secret.type == "kubernetes:core/v1:Secret"
    assert secret.inputs["metadata"]["name"] == "otel-collector-credentials"
    assert secret.inputs["metadata"]["namespace"] == "obs-telemetry"
    assert secret.inputs["type"] == "kubernetes.io/basic-auth"
    assert secret.inputs["stringData"] == "[secret]"  # the provider marks all of it secret
    container = authenticated.get("eu-west-1-telemetry-collector").inputs["spec"]["template"][
        "spec"
    ]["containers"][0]
    assert [e for e in container["env"] if e["name"] in CREDENTIALS_ENV] == [
        {
            "name": "TELEMETRY_USERNAME",
            "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": "username"}},
        },
        {
            "name": "TELEMETRY_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": SECRET_NAME, "key": "password"}},
        },
    ]
    daemonset = authenticated.get("eu-west-1-telemetry-collector")
    assert secret.urn in daemonset.depends_on
    # The password is nowhere in the plan: not in a ConfigMap, an env value, a name or a tag.
    assert PASSWORD not in json.dumps(authenticated.to_json())


def test_tenant_header_on_loki_and_tempo(authenticated: Plan) -> None:
    exporters = config_of(authenticated)["exporters"]
    assert exporters["otlphttp/loki"]["headers"] == {"X-Scope-OrgID": "eu-west-1"}
    assert exporters["otlp/tempo"]["headers"] == {"X-Scope-OrgID": "eu-west-1"}
    assert "headers" not in exporters["prometheusremotewrite"]


def test_private_ca_is_mounted_and_trusted(authenticated: Plan) -> None:
    exporters = config_of(authenticated)["exporters"]
    for exporter in ("prometheusremotewrite", "otlphttp/loki", "otlp/tempo"):
        assert exporters[exporter]["tls"] == {"min_version": "1.2", "ca_file": "/conf/ca/ca.crt"}
    config_map = authenticated.get("eu-west-1-telemetry-config").inputs["data"]
    assert config_map["ca.crt"] == CA
    volumes = authenticated.get("eu-west-1-telemetry-collector").inputs["spec"]["template"]["spec"][
        "volumes"
    ]
    assert volumes[0]["configMap"]["items"] == [
        {"key": "config.yaml", "path": "config.yaml"},
        {"key": "ca.crt", "path": "ca/ca.crt"},
    ]


def test_collector_scrapes_its_own_metrics() -> None:
    config = config_of(build(TLS))
    assert "prometheus/self" in config["receivers"]
    assert config["service"]["pipelines"]["metrics"]["receivers"] == [
        "otlp",
        "kubeletstats",
        "prometheus/kubelet",
        "prometheus/self",
    ]
    (scrape,) = config["receivers"]["prometheus/self"]["config"]["scrape_configs"]
    assert scrape["static_configs"][0]["targets"] == ["127.0.0.1:8888"]
    reader = config["service"]["telemetry"]["metrics"]["readers"][0]
    assert reader["pull"]["exporter"]["prometheus"] == {"host": "127.0.0.1", "port": 8888}


def test_daemonset_least_privilege() -> None:
    plan = build(TLS)
    role = plan.get("eu-west-1-telemetry-role")
    assert role.inputs["rules"] == [
        {"apiGroups": [""], "resources": ["nodes/stats", "nodes/metrics"], "verbs": ["get"]}
    ]
    pod = plan.get("eu-west-1-telemetry-collector").inputs["spec"]["template"]["spec"]
    # root (group 0) reads the root-owned 0640 pod logs; nothing else is granted
    assert pod["securityContext"] == {
        "runAsUser": 0,
        "runAsGroup": 0,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = pod["containers"]
    assert container["securityContext"] == {
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert all("hostPort" not in p for p in container["ports"])
    assert {"name": "pods", "mountPath": "/var/log/pods", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert "hostNetwork" not in pod
    service = plan.get("eu-west-1-telemetry-service").inputs["spec"]
    assert service["internalTrafficPolicy"] == "Local"
    assert [p["port"] for p in service["ports"]] == [4317, 4318]
    namespace = plan.get("eu-west-1-telemetry-namespace").inputs["metadata"]
    assert namespace["labels"] == {"pod-security.kubernetes.io/enforce": "privileged"}


def test_host_ports_only_when_asked() -> None:
    plan = build({**TLS, "host_ports": True})
    (container,) = plan.get("eu-west-1-telemetry-collector").inputs["spec"]["template"]["spec"][
        "containers"
    ]
    assert [(p["containerPort"], p["hostPort"]) for p in container["ports"]] == [
        (4317, 4317),
        (4318, 4318),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("metrics_remote_write_url", "https://u:pw@prom/api/v1/write", "credentials in the URL"),
        ("logs_otlp_url", "loki.shared/otlp", r"not an http\(s\) URL"),
        ("traces_otlp_endpoint", "tempo.shared", "not host:port"),
        ("username", "Cell One", "should match pattern"),
    ],
)
def test_bad_telemetry_args_are_refused(field: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TelemetryArgs.model_validate({field: value})


def test_cell_name_that_is_no_tenant_is_refused() -> None:
    with pytest.raises(ObsPlatformError) as err:
        check_telemetry(TelemetryArgs(), "Cell.One", "Cell 'Cell.One'")
    assert err.value.field == "TelemetryArgs.username"
    assert "X-Scope-OrgID" in str(err.value)
    assert check_telemetry(TelemetryArgs(username="tenant-a"), "Cell.One", "x") == "tenant-a"


def test_explicit_username_is_the_tenant() -> None:
    plan = build({**TLS, "username": "tenant-a"})
    assert config_of(plan)["exporters"]["otlp/tempo"]["headers"] == {"X-Scope-OrgID": "tenant-a"}


def test_pure_config_without_transport_is_the_cell_tenant() -> None:
    config = parsed_collector_config(
        logs_otlp_url="https://loki/otlp", transport=CollectorTransport(tenant="tenant-a")
    )
    assert config["exporters"]["otlphttp/loki"]["headers"] == {"X-Scope-OrgID": "tenant-a"}
    assert "basicauth/client" not in config["extensions"]
    assert CellArgs.model_validate({"region": "eu-west-1"}).telemetry.password is None


def test_cell_vpc_joins_the_ingest_zone_through_its_own_provider() -> None:
    def program() -> None:
        import pulumi_aws as aws

        provider = aws.Provider(
            "cell-account",
            region="us-east-1",
            assume_roles=[{"role_arn": "arn:aws:iam::222222222222:role/deployer"}],
        )
        Cell(
            "us-east-1",
            {
                "region": "us-east-1",
                "telemetry": {**TLS, "ingest_zone_id": "Z0123456789ABC"},
                "docker_hub_credential_arn": docker_hub_credential("us-east-1"),
            },
            pulumi.ResourceOptions(providers=[provider]),
        )

    plan = run(program, config={"aws:region": "eu-west-1"})
    association = plan.get("us-east-1-ingest-zone-association")
    assert association.type == "aws:route53/zoneAssociation:ZoneAssociation"
    assert association.inputs == {
        "zoneId": "Z0123456789ABC",
        "vpcId": plan.get("us-east-1-vpc", "aws:ec2/vpc:Vpc").outputs["id"],
        "vpcRegion": "us-east-1",
    }
    assert association.provider == plan.get("cell-account").urn
    assert association.parent == plan.get("us-east-1", "obs-platform:cell:Cell").urn


def test_kubelet_and_cadvisor_metrics_as_kube_prometheus_stack_labels_them() -> None:
    config = config_of(build(TLS))
    jobs = config["receivers"]["prometheus/kubelet"]["config"]["scrape_configs"]
    assert [(j["job_name"], j["metrics_path"]) for j in jobs] == [
        ("kubelet", "/metrics"),
        ("kubelet-cadvisor", "/metrics/cadvisor"),
    ]
    for job in jobs:
        assert job["scheme"] == "https"
        assert job["authorization"] == {
            "credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"
        }
        (static,) = job["static_configs"]
        assert static["targets"] == ["${env:K8S_NODE_NAME}:10250"]
        assert static["labels"]["metrics_path"] == job["metrics_path"]
        # the stock dashboards select job="kubelet" for both paths
        assert job["relabel_configs"] == [{"target_label": "job", "replacement": "kubelet"}]
    # cell, region, account and dr_role ride on every remote-written series
    external = config["exporters"]["prometheusremotewrite"]["external_labels"]
    assert {"cell", "region", "account", "dr_role"} <= set(external)
