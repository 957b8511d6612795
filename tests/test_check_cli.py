"""``obs-platform check``: output, exit codes, JSON report, waivers from file and command line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from obs_platform.cli import COMMAND_MODULES, main
from obs_platform.guardrails import RULES

PROGRAM = textwrap.dedent("""
    import json
    import pulumi
    import pulumi_aws as aws

    TAGS = {"obs-platform:managed-by": "obs-platform"}
    bucket = aws.s3.Bucket("logs", tags=TAGS, opts=pulumi.ResourceOptions(protect=True))
    aws.s3.BucketServerSideEncryptionConfiguration(
        "logs-sse", bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}])
    aws.s3.BucketLogging("logs-logging", bucket=bucket.id, target_bucket=bucket.id,
                         target_prefix="access/")
    aws.s3.BucketPublicAccessBlock(
        "logs-pab", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True)
    aws.s3.BucketPolicy("logs-policy", bucket=bucket.id, policy=bucket.arn.apply(
        lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, arn + "/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})))
    aws.ecr.Repository("apps", image_scanning_configuration={"scan_on_push": True},
                       image_tag_mutability=pulumi.Config().get("mutability") or "IMMUTABLE",
                       tags=TAGS)
""")


def make_program(root: Path, mutability: str = "IMMUTABLE", guardrails: str | None = None) -> Path:
    program = root / "prog"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: prog\nruntime: python\n", encoding="utf-8")
    (program / "Pulumi.dev.yaml").write_text(
        f"config:\n  aws:region: eu-west-1\n  prog:mutability: {mutability}\n", encoding="utf-8"
    )
    (program / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    if guardrails is not None:
        (program / "guardrails.yaml").write_text(guardrails, encoding="utf-8")
    return program


def test_check_is_registered() -> None:
    assert "check" in COMMAND_MODULES


def test_clean_program_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = make_program(tmp_path)
    target = tmp_path / "out" / "report.json"
    assert main(["check", str(program), "--json", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"Guardrails for prog/dev: {len(RULES)} rules over 6 resources" in out
    assert "\n\nPASSED: 0 error(s), 0 warning(s), 0 waived\nReport JSON written to" in out
    report = json.loads(target.read_text(encoding="utf-8"))
    assert report["format"] == "obs-platform.check/1"
    assert report["passed"] is True and report["violations"] == []


def test_violation_prints_rule_resource_why_fix_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = make_program(tmp_path, mutability="MUTABLE")
    target = tmp_path / "report.json"
    assert main(["check", str(program), "--json", str(target)]) == 1
    out = capsys.readouterr().out
    assert "ERROR   ecr-immutable-tags  aws:ecr/repository:Repository  apps" in out
    assert "    what: imageTagMutability is MUTABLE" in out
    assert "    why: A mutable tag lets a push silently replace what a deployment runs." in out
    assert "    fix: Set image_tag_mutability='IMMUTABLE'." in out
    assert "FAILED: 1 error(s), 0 warning(s), 0 waived" in out
    violation = json.loads(target.read_text(encoding="utf-8"))["violations"][0]
    assert violation["rule"] == "ecr-immutable-tags"
    assert violation["urn"].endswith("aws:ecr/repository:Repository::apps")
    assert violation["waived"] is None


def test_waiver_in_guardrails_yaml_is_printed_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = make_program(
        tmp_path,
        mutability="MUTABLE",
        guardrails=(
            "waivers:\n"
            "  - rule: ecr-immutable-tags\n"
            "    resource: apps\n"
            "    reason: Preview images reuse :pr-N tags; OPS-42, until 2027-01-31\n"
            "  - rule: s3-tls-only\n"
            "    resource: old-bucket\n"
            "    reason: kept after removal\n"
        ),
    )
    assert main(["check", str(program)]) == 0
    out = capsys.readouterr().out
    assert "WAIVED  ecr-immutable-tags  aws:ecr/repository:Repository  apps" in out
    assert "    waived: Preview images reuse :pr-N tags; OPS-42, until 2027-01-31" in out
    assert "UNUSED  waiver s3-tls-only:old-bucket matched no violation" in out
    assert "PASSED: 0 error(s), 0 warning(s), 1 waived" in out


def test_waive_option_and_config_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = make_program(tmp_path, mutability="MUTABLE")
    assert (
        main(["check", str(program), "--waive", "ecr-immutable-tags:apps=one-off preview, OPS-43"])
        == 0
    )
    assert "waived: one-off preview, OPS-43" in capsys.readouterr().out
    settings = tmp_path / "strict.yaml"
    settings.write_text("required_tags: [team]\n", encoding="utf-8")
    assert (
        main(
            [
                "check",
                str(program),
                "--config",
                str(settings),
                "--waive",
                "ecr-immutable-tags:apps=OPS-43",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "ERROR   required-tags  aws:s3/bucket:Bucket  logs" in out
    assert "    what: missing tag(s) team" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--waive", "ecr-immutable-tags:apps"], "is not RULE:RESOURCE=REASON"),
        (["--waive", "nope:apps=x"], "unknown rule 'nope'"),
        (["--config", "missing.yaml"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    program = make_program(tmp_path)
    argv = [a if a != "missing.yaml" else str(tmp_path / a) for a in argv]
    assert main(["check", str(program), *argv]) == 2
    assert message in capsys.readouterr().err


def test_missing_program_dir_and_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "PROGRAM_DIR is required" in capsys.readouterr().err
    assert main(["check", "--list-rules"]) == 0
    out = capsys.readouterr().out
    for rule in RULES:
        assert f"{rule.id}  [{rule.severity.value}]  {rule.title}" in out


def test_check_reads_other_stacks_as_plan_does(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import EXAMPLES, shared_account_plan_json

    cells = str(EXAMPLES / "app-cells")
    assert main(["check", cells]) == 2  # the shared stack's outputs are needed, as for plan
    assert "organization/shared-account/dev" in capsys.readouterr().err
    assert main(["check", cells, "--stack-outputs", str(shared_account_plan_json())]) == 0
    out = capsys.readouterr().out
    assert "PASSED: 0 error(s), 0 warning(s), 2 waived" in out
    assert "us-east-1-ingress-logs-bucket" in out
