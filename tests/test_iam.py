"""Pure IAM documents (``obs_platform._internal.iam``)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from obs_platform._internal.iam import service_trust_policy


def test_service_trust_policy_exact_text() -> None:
    assert service_trust_policy("ec2.amazonaws.com") == (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
    )


@given(st.from_regex(r"[a-z][a-z0-9-]{0,30}\.amazonaws\.com", fullmatch=True))
def test_service_trust_policy_trusts_only_that_service(service: str) -> None:
    document = json.loads(service_trust_policy(service))
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
