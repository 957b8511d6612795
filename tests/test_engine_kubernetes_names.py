"""The engine refuses Kubernetes names, namespaces and labels the API server refuses.

Rules and messages: apimachinery's ``pkg/util/validation`` (see
``obs_platform._internal.kubernetes_names``); which rule per kind: ``pkg/apis/*/validation``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pulumi
import pulumi_kubernetes as k8s
import pytest

from obs_platform._internal import kubernetes_names as names
from obs_platform.testing import ProgramError, run
from obs_platform.testing._checks import PlanRefusedError

LABEL_REGEX = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"


def _plan(program: Callable[[], None]):  # type: ignore[no-untyped-def]
    return run(program, config={"aws:region": "eu-west-1"})


def _refused(program: Callable[[], None]) -> PlanRefusedError:
    with pytest.raises(ProgramError) as caught:
        _plan(program)
    error = caught.value.original
    assert isinstance(error, PlanRefusedError)
    return error


def _meta(**fields: object) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(**fields)  # type: ignore[arg-type]


def test_a_namespace_name_must_be_a_dns_label() -> None:
    error = _refused(lambda: k8s.core.v1.Namespace("ns", metadata=_meta(name="Monitoring")))
    assert str(error) == (
        "kubernetes:core/v1:Namespace resource 'ns' was refused by the Kubernetes API server: "
        'Namespace "Monitoring" is invalid: metadata.name: Invalid value: "Monitoring": a '
        "lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        f"regex used for validation is '{LABEL_REGEX}'). Resource urn:pulumi:dev::project::"
        "pulumi:pulumi:Stack$kubernetes:core/v1:Namespace::ns. Fix: Use a DNS-1123 label: at "
        "most 63 lowercase letters, digits and '-', starting and ending with a letter or digit. "
        "Rule: k8s.io/kubernetes/pkg/apis/core/validation ValidateNamespaceName "
        "(NameIsDNSLabel)."
    )
    assert (error.field, error.value) == ("metadata.name", "Monitoring")
    dotted = _refused(lambda: k8s.core.v1.Namespace("ns", metadata=_meta(name="team.a")))
    assert "must not contain dots" in str(dotted)
    long = _refused(lambda: k8s.core.v1.Namespace("ns", metadata=_meta(name="n" * 64)))
    assert "must be no more than 63 characters" in str(long)
    plan = _plan(lambda: k8s.core.v1.Namespace("ns", metadata=_meta(name="n" * 63)))
    assert plan.get("ns").inputs["metadata"]["name"] == "n" * 63


def test_a_service_name_is_a_dns_1035_label_a_config_map_a_subdomain() -> None:
    error = _refused(
        lambda: k8s.core.v1.Service("svc", metadata=_meta(name="1-ingest", namespace="app"))
    )
    assert 'Service "1-ingest" is invalid: metadata.name' in str(error)
    assert "start with an alphabetic character" in str(error)

    def fine() -> None:
        k8s.core.v1.Service("svc", metadata=_meta(name="ingest-1", namespace="app"))
        k8s.core.v1.ConfigMap("cm", metadata=_meta(name="1.dashboards.v2", namespace="app"))

    plan = _plan(fine)
    assert plan.get("cm").inputs["metadata"]["name"] == "1.dashboards.v2"
    error = _refused(lambda: k8s.core.v1.ConfigMap("cm", metadata=_meta(name="Dashboards")))
    assert "a lowercase RFC 1123 subdomain must consist of" in str(error)
    error = _refused(lambda: k8s.core.v1.ConfigMap("cm", metadata=_meta(name="d" * 254)))
    assert "must be no more than 253 characters" in str(error)


def test_rbac_names_are_path_segments_and_cronjobs_have_52_characters() -> None:
    def fine() -> None:
        k8s.rbac.v1.ClusterRole("role", metadata=_meta(name="system:obs-platform:Reader"))

    assert _plan(fine).get("role").inputs["metadata"]["name"] == "system:obs-platform:Reader"
    error = _refused(lambda: k8s.rbac.v1.ClusterRole("role", metadata=_meta(name="a/b")))
    assert "Invalid value: \"a/b\": may not contain '/'" in str(error)
    spec = k8s.batch.v1.CronJobSpecArgs(
        schedule="@hourly",
        job_template=k8s.batch.v1.JobTemplateSpecArgs(
            spec=k8s.batch.v1.JobSpecArgs(
                template=k8s.core.v1.PodTemplateSpecArgs(
                    spec=k8s.core.v1.PodSpecArgs(
                        containers=[k8s.core.v1.ContainerArgs(name="c", image="busybox")]
                    )
                )
            )
        ),
    )
    error = _refused(lambda: k8s.batch.v1.CronJob("cron", metadata=_meta(name="c" * 53), spec=spec))
    assert "must be no more than 52 characters" in str(error)
    assert _plan(lambda: k8s.batch.v1.CronJob("cron", metadata=_meta(name="c" * 52), spec=spec))


def test_the_namespace_of_an_object_is_a_namespace_name() -> None:
    error = _refused(
        lambda: k8s.core.v1.ConfigMap("cm", metadata=_meta(name="cm", namespace="Team_A"))
    )
    assert 'ConfigMap "cm" is invalid: metadata.namespace: Invalid value: "Team_A"' in str(error)
    assert error.field == "metadata.namespace"


def test_label_keys_and_values() -> None:
    error = _refused(
        lambda: k8s.core.v1.ConfigMap(
            "cm", metadata=_meta(name="cm", labels={"app.kubernetes.io/My Name": "x"})
        )
    )
    assert 'metadata.labels: Invalid value: "app.kubernetes.io/My Name": name part must' in (
        str(error)
    )
    error = _refused(
        lambda: k8s.core.v1.ConfigMap("cm", metadata=_meta(name="cm", labels={"team": "v" * 64}))
    )
    assert "metadata.labels[team]" in str(error)
    assert "must be no more than 63 characters" in str(error)
    error = _refused(
        lambda: k8s.core.v1.ConfigMap(
            "cm", metadata=_meta(name="cm", labels={"Example.com/team": "a"})
        )
    )
    assert "prefix part a lowercase RFC 1123 subdomain" in str(error)
    error = _refused(
        lambda: k8s.core.v1.ConfigMap("cm", metadata=_meta(name="cm", annotations={"a/b/c": "x"}))
    )
    assert 'metadata.annotations: Invalid value: "a/b/c": a qualified name' in str(error)

    def fine() -> None:
        k8s.core.v1.ConfigMap(
            "cm",
            metadata=_meta(
                name="cm",
                labels={"example.com/Team_A.b": "Value_1.x", "empty": ""},
                annotations={"kubernetes.io/description": "anything at all: spaces, too"},
            ),
        )

    assert _plan(fine).get("cm").inputs["metadata"]["labels"]["empty"] == ""


def test_pod_template_and_selector_labels() -> None:
    def deployment(template_label: str) -> None:
        labels = {"app": template_label}
        k8s.apps.v1.Deployment(
            "web",
            metadata=_meta(name="web", namespace="app"),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=_meta(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        containers=[k8s.core.v1.ContainerArgs(name="web", image="nginx")]
                    ),
                ),
            ),
        )

    error = _refused(lambda: deployment("web server"))
    assert 'Deployment "web" is invalid: spec.template.metadata.labels[app]' in str(error)
    assert _plan(lambda: deployment("web-server")).get("web").type == (
        "kubernetes:apps/v1:Deployment"
    )


def test_an_auto_named_object_is_checked_with_its_auto_name() -> None:
    error = _refused(lambda: k8s.core.v1.ConfigMap("Grafana_Dashboards"))
    assert 'ConfigMap "Grafana_Dashboards-' in str(error)
    assert "the object is auto-named '<logical name>-<8 characters>'" in str(error)
    long = "n" * 55  # 55 + '-' + 8 = 64 > 63
    error = _refused(lambda: k8s.core.v1.Namespace(long))
    assert "must be no more than 63 characters" in str(error)
    plan = _plan(lambda: k8s.core.v1.Namespace("n" * 54))
    assert len(plan.get("n" * 54).outputs["metadata"]["name"]) == 63


def test_a_helm_release_name_has_53_characters_and_a_namespace_name() -> None:
    def release(name: str, namespace: str = "monitoring") -> Callable[[], None]:
        return lambda: k8s.helm.v3.Release(
            "release", name=name, namespace=namespace, chart="nginx", version="1.0.0"
        )

    error = _refused(release("r" * 54))
    assert "invalid release name, must match regex" in str(error)
    assert "the length must not be longer than 53" in str(error)
    assert _plan(release("r" * 53)).get("release").inputs["name"] == "r" * 53
    error = _refused(release("kps", "Monitoring"))
    assert 'namespace: Invalid value: "Monitoring"' in str(error)


def test_a_name_known_only_after_deploy_is_left_to_the_api_server() -> None:
    def program() -> None:
        # An Output still unknown (as in a preview): its value must not be checked.
        loop = asyncio.get_event_loop()
        value: asyncio.Future[str] = loop.create_future()
        value.set_result("Not_Yet")
        known: asyncio.Future[bool] = loop.create_future()
        known.set_result(False)
        later = pulumi.Output(set(), value, known)
        k8s.core.v1.ConfigMap("cm", metadata=_meta(name=later))

    assert _plan(program).get("cm").inputs["metadata"]["name"] == "[unknown]"


@pytest.mark.parametrize(
    ("check", "value", "valid"),
    [
        (names.dns1123_label, "a" * 63, True),
        (names.dns1123_label, "-a", False),
        (names.dns1123_subdomain, "a.b-c.d", True),
        (names.dns1123_subdomain, "a..b", False),
        (names.dns1035_label, "a1", True),
        (names.dns1035_label, "1a", False),
        (names.qualified_name, "a" * 63, True),
        (names.qualified_name, "a" * 64, False),
        (names.qualified_name, "/a", False),
        (names.label_value, "", True),
        (names.label_value, "-a", False),
        (names.path_segment_name, "..", False),
        (names.path_segment_name, "a%b", False),
    ],
)
def test_the_rules(check: Callable[[str], list[str]], value: str, valid: bool) -> None:
    assert (check(value) == []) is valid
