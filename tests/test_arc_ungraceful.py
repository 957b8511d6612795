"""The ``{n}-arc-ungraceful`` Lambda's code against botocore's Stubber (request shapes from the
``arc-region-switch`` and ``cloudwatch`` models): it switches a stalled automatic failover to
ungraceful only in an outage, and never an operator's or a drill's execution."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from obs_platform._internal import arc_ungraceful

PLAN = "arn:aws:arc-region-switch::111111111111:plan/app-region-switch:d56652"
ALARM = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:app-primary-healthz-alarm-5413ef9"
EXECUTION = "us-east-1/0123456789abcdef"
SETTINGS = {
    "PLAN_ARN": PLAN,
    "STANDBY_REGION": "us-east-1",
    "ALARM_ARN": ALARM,
    "DATABASE_STEPS": "database-us-east-1,recover",
}
START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def clients() -> tuple[Any, Any]:
    session = botocore.session.get_session()
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    arc = session.create_client("arc-region-switch", region_name="us-east-1", **creds)
    cloudwatch = session.create_client("cloudwatch", region_name="us-east-1", **creds)
    return arc, cloudwatch


def summary(**extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "planArn": PLAN,
        "executionId": EXECUTION,
        "startTime": START,
        "mode": "graceful",
        "executionState": "pausedByFailedStep",
        "executionAction": "activate",
        "executionRegion": "us-east-1",
    }
    item.update(extra)
    return item


def details(state: str = "pausedByFailedStep", failed: str = "recover") -> dict[str, Any]:
    return {
        **summary(executionState=state),
        "stepStates": [
            {"name": failed, "status": "failed", "stepMode": "graceful"},
            {"name": "approve", "status": "completed", "stepMode": "graceful"},
        ],
    }


def alarm(state: str) -> dict[str, Any]:
    return {
        "MetricAlarms": [
            {
                "AlarmName": "app-primary-healthz-alarm-5413ef9",
                "AlarmArn": ALARM,
                "StateValue": state,
            }
        ]
    }


LIST = {"planArn": PLAN, "state": "pausedByFailedStep"}
GET = {"planArn": PLAN, "executionId": EXECUTION}
DESCRIBE = {"AlarmNames": ["app-primary-healthz-alarm-5413ef9"], "AlarmTypes": ["MetricAlarm"]}


def update(action: str) -> dict[str, Any]:
    return {
        "planArn": PLAN,
        "executionId": EXECUTION,
        "action": action,
        "comment": arc_ungraceful.COMMENT,
    }


def stalled(a: Stubber, item: dict[str, Any] | None = None, failed: str = "recover") -> None:
    """Queue the listing of one paused execution and its step states."""
    a.add_response("list_plan_executions", {"items": [item or summary()]}, LIST)
    a.add_response("get_plan_execution", details(failed=failed), GET)


def test_outage_switches_to_ungraceful_and_resumes() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a)
        c.add_response("describe_alarms", alarm("ALARM"), DESCRIBE)
        a.add_response("update_plan_execution", {}, update("switchToUngraceful"))
        a.add_response("get_plan_execution", details(), GET)  # still paused
        a.add_response("update_plan_execution", {}, update("resume"))
        done = arc_ungraceful.run(arc, cloudwatch, SETTINGS)
        a.assert_no_pending_responses()
        c.assert_no_pending_responses()
    assert done == [
        {
            "execution_id": EXECUTION,
            "reason": "step recover failed and the primary /healthz alarm is ALARM",
            "resumed": "yes",
        }
    ]


def test_switch_that_resumes_by_itself_is_not_resumed_again() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a, failed="database-us-east-1")
        c.add_response("describe_alarms", alarm("ALARM"), DESCRIBE)
        a.add_response("update_plan_execution", {}, update("switchToUngraceful"))
        a.add_response("get_plan_execution", details(state="inProgress"), GET)
        done = arc_ungraceful.run(arc, cloudwatch, SETTINGS)
        a.assert_no_pending_responses()
    assert [d["resumed"] for d in done] == ["no"]


def test_unreachable_us_east_1_counts_as_an_outage() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a)
        c.add_client_error("describe_alarms", "ServiceUnavailable", http_status_code=503)
        a.add_response("update_plan_execution", {}, update("switchToUngraceful"))
        a.add_response("get_plan_execution", details(state="inProgress"), GET)
        done = arc_ungraceful.run(arc, cloudwatch, SETTINGS)
    assert done[0]["reason"] == "step recover failed and the primary /healthz alarm does not answer"


@pytest.mark.parametrize(
    ("item", "failed", "alarm_value"),
    [
        (summary(), "recover", "OK"),  # the primary is healthy: a person decides
        (summary(), "recover", "INSUFFICIENT_DATA"),
        (summary(), "scale-us-east-1", "ALARM"),  # not the database step
        (summary(comment="obs-platform dr failover (planned)"), "recover", "ALARM"),  # the CLI's
        (summary(executionRegion="eu-west-1"), "recover", "ALARM"),  # a failback
        (summary(executionAction="deactivate"), "recover", "ALARM"),
    ],
)
def test_left_alone(item: dict[str, Any], failed: str, alarm_value: str) -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a, item, failed)
        c.add_response("describe_alarms", alarm(alarm_value), DESCRIBE)
        # No update_plan_execution is stubbed: calling it would raise.
        assert arc_ungraceful.run(arc, cloudwatch, SETTINGS) == []
        a.assert_no_pending_responses()


def test_already_ungraceful_is_not_read_or_switched() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch):
        a.add_response(
            "list_plan_executions", {"items": [summary(mode="ungraceful")], "nextToken": "n2"}, LIST
        )
        a.add_response("list_plan_executions", {"items": []}, {**LIST, "nextToken": "n2"})
        assert arc_ungraceful.run(arc, cloudwatch, SETTINGS) == []
        a.assert_no_pending_responses()


def test_access_denied_on_the_alarm_is_raised_not_taken_for_an_outage() -> None:
    arc, cloudwatch = clients()
    with Stubber(arc) as a, Stubber(cloudwatch) as c:
        stalled(a)
        c.add_client_error("describe_alarms", "AccessDenied", http_status_code=403)
        with pytest.raises(Exception, match="AccessDenied"):
            arc_ungraceful.run(arc, cloudwatch, SETTINGS)


def test_handler_reads_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    arc, cloudwatch = clients()
    made: list[tuple[str, str]] = []

    def client(service: str, region_name: str, **_: Any) -> Any:
        made.append((service, region_name))
        return arc if service == "arc-region-switch" else cloudwatch

    import boto3

    monkeypatch.setattr(boto3, "client", client)
    for key, value in SETTINGS.items():
        monkeypatch.setenv(key, value)
    with Stubber(arc) as a:
        a.add_response("list_plan_executions", {"items": []}, LIST)
        result = arc_ungraceful.handler({"detail-type": "ARC Region Switch Plan Execution"}, None)
    assert result == {"trigger": "ARC Region Switch Plan Execution", "switched": []}
    assert made == [("arc-region-switch", "us-east-1"), ("cloudwatch", "us-east-1")]


def test_alarm_name_from_arn() -> None:
    assert arc_ungraceful.alarm_name(ALARM) == "app-primary-healthz-alarm-5413ef9"
    with pytest.raises(ValueError, match="not a CloudWatch alarm ARN"):
        arc_ungraceful.alarm_name("arn:aws:sns:us-east-1:111111111111:topic")


def test_shipped_source_needs_nothing_but_the_lambda_runtime() -> None:
    # The file is the function's index.py: only the standard library and boto3/botocore.
    tree = ast.parse(Path(arc_ungraceful.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "json", "os", "collections", "typing", "boto3", "botocore"}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


ARCHIVE_MODEL = "botocore-data/arc-region-switch/2022-07-26"


def test_archive_ships_the_region_switch_model_of_the_installed_botocore() -> None:
    from botocore.loaders import Loader

    from obs_platform.dr import ungraceful

    files = ungraceful.function_archive()
    assert sorted(files) == [
        f"{ARCHIVE_MODEL}/endpoint-rule-set-1.json",
        f"{ARCHIVE_MODEL}/service-2.json",
        "index.py",
    ]
    assert files["index.py"] == Path(arc_ungraceful.__file__).read_text(encoding="utf-8")
    installed = Loader()
    shipped = json.loads(files[f"{ARCHIVE_MODEL}/service-2.json"])
    original = installed.load_service_model("arc-region-switch", "service-2")
    # Operations and shapes exactly as installed; only the protocol is pinned to the one the
    # installed botocore resolves from `protocols` (json), so an older botocore speaks it too.
    assert shipped["operations"] == json.loads(json.dumps(original["operations"]))
    assert shipped["shapes"] == json.loads(json.dumps(original["shapes"]))
    assert original["metadata"]["protocol"] == "smithy-rpc-v2-cbor"
    assert "json" in original["metadata"]["protocols"]
    assert shipped["metadata"]["protocol"] == "json"
    assert shipped["metadata"]["protocols"] == ["json"]
    rules = json.loads(files[f"{ARCHIVE_MODEL}/endpoint-rule-set-1.json"])
    assert rules == json.loads(
        json.dumps(installed.load_service_model("arc-region-switch", "endpoint-rule-set-1"))
    )
    assert ungraceful.AWS_DATA_PATH == "${LAMBDA_TASK_ROOT}/botocore-data"


def _unpacked(tmp_path: Path) -> Path:
    """The archive as Lambda unpacks it into LAMBDA_TASK_ROOT."""
    from obs_platform.dr import ungraceful

    task = tmp_path / "task"
    for name, text in ungraceful.function_archive().items():
        (task / name).parent.mkdir(parents=True, exist_ok=True)
        (task / name).write_text(text, encoding="utf-8")
    return task


def _botocore_without_region_switch(tmp_path: Path) -> Path:
    """A botocore data directory like a runtime's that predates Region switch."""
    from botocore.loaders import Loader

    old = tmp_path / "old-botocore-data"
    old.mkdir()
    for entry in Path(Loader.BUILTIN_DATA_PATH).iterdir():
        if entry.name != "arc-region-switch":
            (old / entry.name).symlink_to(entry)
    return old


def test_a_runtime_botocore_without_region_switch_makes_the_client_from_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader, create_loader

    from obs_platform.dr import ungraceful

    task, old = _unpacked(tmp_path), _botocore_without_region_switch(tmp_path)
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

    def session_with(paths: list[str]) -> botocore.session.Session:
        session = botocore.session.Session()
        session.register_component(
            "data_loader", Loader(extra_search_paths=paths, include_default_search_paths=False)
        )
        return session

    # The old botocore alone does not know the service: the failure the archive prevents.
    with pytest.raises(UnknownServiceError):
        session_with([str(old)]).create_client("arc-region-switch", "us-east-1", **creds)
    # AWS_DATA_PATH as the function sets it, expanded as botocore expands it.
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(task))
    archive_path = create_loader(ungraceful.AWS_DATA_PATH).search_paths[0]
    assert archive_path == str(task / "botocore-data")
    arc = session_with([archive_path, str(old)]).create_client(
        "arc-region-switch", "us-east-1", **creds
    )
    sent: list[Any] = []

    class SentError(Exception):
        pass

    def capture(request: Any, **_: Any) -> None:
        sent.append(request)
        raise SentError

    arc.meta.events.register("before-send.*", capture)
    with pytest.raises(SentError):
        arc.list_plan_executions(planArn=PLAN, state="pausedByFailedStep")
    with pytest.raises(SentError):
        arc.update_plan_execution(
            planArn=PLAN, executionId=EXECUTION, action="switchToUngraceful", comment="c"
        )
    # The model's shape on the wire: awsJson1_0 (targetPrefix ArcRegionSwitch) to the region's
    # execution endpoint (UseControlPlaneEndpoint is set only on plan operations).
    assert [r.method for r in sent] == ["POST", "POST"]
    assert [r.url for r in sent] == ["https://arc-region-switch.us-east-1.amazonaws.com/"] * 2
    assert [r.headers["X-Amz-Target"] for r in sent] == [
        b"ArcRegionSwitch.ListPlanExecutions",
        b"ArcRegionSwitch.UpdatePlanExecution",
    ]
    assert sent[0].headers["Content-Type"] == b"application/x-amz-json-1.0"
    assert json.loads(sent[0].body) == {"planArn": PLAN, "state": "pausedByFailedStep"}
    assert json.loads(sent[1].body) == {
        "planArn": PLAN,
        "executionId": EXECUTION,
        "action": "switchToUngraceful",
        "comment": "c",
    }
    # The model's rules hold before anything is sent: planArn is required, no unknown field.
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError, match="planArn"):
        arc.list_plan_executions(state="pausedByFailedStep")
    with pytest.raises(ParamValidationError, match="mode"):
        arc.list_plan_executions(planArn=PLAN, mode="graceful")


def test_the_function_environment_reaches_botocore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # boto3.client in the handler uses a default session: it reads AWS_DATA_PATH itself.
    from obs_platform.dr import ungraceful

    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    monkeypatch.setenv("AWS_DATA_PATH", ungraceful.AWS_DATA_PATH)
    loader = botocore.session.Session().get_component("data_loader")
    assert loader.search_paths[0] == str(tmp_path / "botocore-data")


def test_an_installed_botocore_without_the_model_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import UnknownServiceError
    from botocore.loaders import Loader

    from obs_platform._internal import botocore_models

    def unknown(self: Loader, service: str, type_name: str) -> str:
        raise UnknownServiceError(service_name=service, known_service_names="s3")

    monkeypatch.setattr(Loader, "determine_latest_version", unknown)
    with pytest.raises(RuntimeError, match=r"no 'arc-region-switch' model .* botocore 1\.40\.1"):
        botocore_models.service_model_files("arc-region-switch", "botocore-data")


def test_the_package_requires_a_boto3_whose_botocore_has_region_switch() -> None:
    import tomllib

    from obs_platform._internal.botocore_models import MIN_BOTOCORE

    project = Path(__file__).resolve().parents[1] / "pyproject.toml"
    dependencies = tomllib.loads(project.read_text(encoding="utf-8"))["project"]["dependencies"]
    (boto3,) = [d for d in dependencies if d.startswith("boto3")]
    # boto3 x.y.z requires botocore x.y.z: the same lower bound.
    assert boto3 == f"boto3>={MIN_BOTOCORE},<2"
