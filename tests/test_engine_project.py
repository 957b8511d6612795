"""Program directories: stack configuration as ``pulumi`` reads it, checked before the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from obs_platform.testing import ProjectError, load_program, run_program


def _program(tmp_path: Path, stack_config: str, *, stack: str = "dev") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n", encoding="utf-8")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(stack_config, encoding="utf-8")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.s3.Bucket('logs')\n", encoding="utf-8"
    )
    return tmp_path


def test_misspelt_stack_region_is_refused_with_the_closest(tmp_path: Path) -> None:
    directory = _program(tmp_path, "config:\n  aws:region: eu-west-l\n")
    with pytest.raises(ProjectError) as caught:
        load_program(directory)
    message = str(caught.value)
    assert message.startswith(f"{directory / 'Pulumi.dev.yaml'}: aws:region 'eu-west-l'")
    assert "Did you mean 'eu-west-1'?" in message
    assert "pulumi config set aws:region" in message


def test_region_of_another_partition_is_refused(tmp_path: Path) -> None:
    directory = _program(tmp_path, "config:\n  aws:region: us-gov-west-1\n")
    with pytest.raises(ProjectError, match="partition"):
        load_program(directory)


def test_valid_stack_region_is_the_default_region(tmp_path: Path) -> None:
    directory = _program(tmp_path, "config:\n  aws:region: ap-southeast-2\n")
    assert run_program(directory).get("logs").region == "ap-southeast-2"
