"""The plan diagram: places (account, region, component) and cross-region links, as DOT and SVG.

A small program of raw resources, run under the offline engine, carries one of each link the
diagram draws; the DOT text is asserted exactly, then rendered with graphviz.
"""

# ruff: noqa: E501 - the expected DOT text is kept verbatim, one statement a line

from __future__ import annotations

import subprocess
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given
from hypothesis import strategies as st

from obs_platform import ObsPlatformError
from obs_platform.cli import main
from obs_platform.diagram import (
    Diagram,
    DiagramEdge,
    DiagramNode,
    LinkKind,
    _quote,
    arn_account,
    arn_region,
    build_diagram,
    render,
    to_dot,
)
from obs_platform.testing import Plan, run

SHARED = "222222222222"
CELLS = "333333333333"


class _Part(pulumi.ComponentResource):
    def __init__(self, token: str, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(token, name, None, opts)


def _program() -> None:
    shared = aws.Provider("shared", region="eu-west-1", allowed_account_ids=[SHARED])
    cells = aws.Provider(
        "cells",
        region="eu-west-1",
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=f"arn:aws:iam::{CELLS}:role/deploy")],
    )

    net = _Part(
        "obs-platform:network:TransitNetwork",
        "core",
        pulumi.ResourceOptions(providers={"aws": shared}),
    )
    child = pulumi.ResourceOptions(parent=net)
    tgw_eu = aws.ec2transitgateway.TransitGateway("core-tgw-eu-west-1", opts=child)
    tgw_us = aws.ec2transitgateway.TransitGateway(
        "core-tgw-us-east-1", region="us-east-1", opts=child
    )
    aws.ec2transitgateway.PeeringAttachment(
        "core-peer",
        transit_gateway_id=tgw_eu.id,
        peer_transit_gateway_id=tgw_us.id,
        peer_region="us-east-1",
        opts=child,
    )
    aws.iam.Role("core-role", assume_role_policy="{}", opts=child)
    repo = aws.ecr.Repository("core-ecr", opts=child)
    aws.ecr.ReplicationConfiguration(
        "core-ecr-replication",
        replication_configuration={
            "rules": [{"destinations": [{"region": "us-east-1", "registry_id": SHARED}]}]
        },
        opts=pulumi.ResourceOptions(parent=net, depends_on=[repo]),
    )

    primary = _Part(
        "obs-platform:cell:Cell", "eu", pulumi.ResourceOptions(providers={"aws": cells})
    )
    standby = _Part(
        "obs-platform:cell:Cell", "us", pulumi.ResourceOptions(providers={"aws": cells})
    )
    glob = aws.rds.GlobalCluster(
        "db-global",
        global_cluster_identifier="orders",
        engine="aurora-postgresql",
        opts=pulumi.ResourceOptions(provider=cells),
    )
    aws.rds.Cluster(
        "eu-db",
        engine="aurora-postgresql",
        master_username="app",
        manage_master_user_password=True,
        global_cluster_identifier=glob.global_cluster_identifier,
        opts=pulumi.ResourceOptions(parent=primary),
    )
    aws.rds.Cluster(
        "us-db",
        engine="aurora-postgresql",
        region="us-east-1",
        global_cluster_identifier=glob.global_cluster_identifier,
        opts=pulumi.ResourceOptions(parent=standby),
    )
    kafka_eu = aws.msk.Cluster(
        "eu-kafka",
        kafka_version="3.6.0",
        number_of_broker_nodes=3,
        broker_node_group_info={
            "instance_type": "kafka.m7g.large",
            "client_subnets": ["a", "b", "c"],
        },
        opts=pulumi.ResourceOptions(parent=primary),
    )
    kafka_us = aws.msk.Cluster(
        "us-kafka",
        kafka_version="3.6.0",
        number_of_broker_nodes=3,
        region="us-east-1",
        broker_node_group_info={
            "instance_type": "kafka.m7g.large",
            "client_subnets": ["a", "b", "c"],
        },
        opts=pulumi.ResourceOptions(parent=standby),
    )
    aws.msk.Replicator(
        "us-kafka-replicator",
        replicator_name="eu-to-us",
        region="us-east-1",
        service_execution_role_arn="arn:aws:iam::333333333333:role/replicator",
        kafka_clusters=[
            {
                "amazon_msk_cluster": {"msk_cluster_arn": kafka_eu.arn},
                "vpc_config": {"subnet_ids": ["a"]},
            },
            {
                "amazon_msk_cluster": {"msk_cluster_arn": kafka_us.arn},
                "vpc_config": {"subnet_ids": ["b"]},
            },
        ],
        replication_info_list={
            "source_kafka_cluster_arn": kafka_eu.arn,
            "target_kafka_cluster_arn": kafka_us.arn,
            "target_compression_type": "NONE",
            "topic_replications": [{"topics_to_replicates": [".*"]}],
            "consumer_group_replications": [{"consumer_groups_to_replicates": [".*"]}],
        },
        opts=pulumi.ResourceOptions(parent=standby),
    )
    bucket_eu = aws.s3.Bucket("eu-data", opts=pulumi.ResourceOptions(parent=primary))
    bucket_us = aws.s3.Bucket(
        "us-data", region="us-east-1", opts=pulumi.ResourceOptions(parent=standby)
    )
    aws.s3.BucketReplicationConfig(
        "eu-data-replication",
        bucket=bucket_eu.bucket,
        role="arn:aws:iam::1:role/r",
        rules=[{"status": "Enabled", "destination": {"bucket": bucket_us.arn}}],
        opts=pulumi.ResourceOptions(parent=primary),
    )

    dr = _Part(
        "obs-platform:dr:PilotLightDr", "dr", pulumi.ResourceOptions(providers={"aws": cells})
    )
    for region, role in (("eu-west-1", "PRIMARY"), ("us-east-1", "SECONDARY")):
        aws.route53.Record(
            f"dr-api-{role.lower()}",
            zone_id="Z1",
            name="api.example.com",
            type="CNAME",
            ttl=60,
            set_identifier=f"{region}-{role.lower()}",
            records=["lb.example.com"],
            failover_routing_policies=[{"type": role}],
            opts=pulumi.ResourceOptions(parent=dr),
        )
    pulumi.export("ok", True)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return run(_program, project="links", stack="test", config={"aws:region": "eu-west-1"})


EXPECTED_DOT = r"""digraph plan {
  graph [label="links / test", labelloc=t, fontname=Helvetica, fontsize=16, rankdir=LR, compound=true, nodesep=0.4, ranksep=1.2];
  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11];
  edge [fontname=Helvetica, fontsize=10];
  subgraph "cluster_222222222222" {
    label="account 222222222222";
    style="rounded,bold"; color="#555555"; fontname=Helvetica;
    subgraph "cluster_222222222222_eu-west-1" {
      label="eu-west-1";
      style="rounded,dashed"; color="#888888";
      "TransitNetwork:core@222222222222/eu-west-1" [label="TransitNetwork\ncore\n5 resources", fillcolor="#dbe9f6"];
    }
    subgraph "cluster_222222222222_us-east-1" {
      label="us-east-1";
      style="rounded,dashed"; color="#888888";
      "TransitNetwork:core@222222222222/us-east-1" [label="TransitNetwork\ncore\n1 resource", fillcolor="#dbe9f6"];
    }
  }
  subgraph "cluster_333333333333" {
    label="account 333333333333";
    style="rounded,bold"; color="#555555"; fontname=Helvetica;
    subgraph "cluster_333333333333_global" {
      label="global";
      style="rounded,dashed"; color="#888888";
      "PilotLightDr:dr@333333333333/global" [label="PilotLightDr\ndr\n2 resources", fillcolor="#fde3c8"];
    }
    subgraph "cluster_333333333333_eu-west-1" {
      label="eu-west-1";
      style="rounded,dashed"; color="#888888";
      "program:program@333333333333/eu-west-1" [label="program\n1 resource", fillcolor="#eeeeee"];
      "Cell:eu@333333333333/eu-west-1" [label="Cell\neu\n4 resources", fillcolor="#e8defa"];
    }
    subgraph "cluster_333333333333_us-east-1" {
      label="us-east-1";
      style="rounded,dashed"; color="#888888";
      "Cell:us@333333333333/us-east-1" [label="Cell\nus\n4 resources", fillcolor="#e8defa"];
    }
  }
  "TransitNetwork:core@222222222222/eu-west-1" -> "TransitNetwork:core@222222222222/us-east-1" [label="TGW peering", color="#1f5fa8", dir=both, penwidth=2];
  "Cell:eu@333333333333/eu-west-1" -> "Cell:us@333333333333/us-east-1" [label="Aurora global DB", color="#c0392b"];
  "Cell:eu@333333333333/eu-west-1" -> "Cell:us@333333333333/us-east-1" [label="Kafka replication", color="#8e44ad"];
  "Cell:eu@333333333333/eu-west-1" -> "Cell:us@333333333333/us-east-1" [label="S3 replication", color="#27ae60"];
  "TransitNetwork:core@222222222222/eu-west-1" -> "TransitNetwork:core@222222222222/us-east-1" [label="ECR replication", color="#16a085"];
  "PilotLightDr:dr@333333333333/global" -> "Cell:eu@333333333333/eu-west-1" [label="failover PRIMARY", color="#d35400"];
  "PilotLightDr:dr@333333333333/global" -> "Cell:us@333333333333/us-east-1" [label="failover SECONDARY", color="#d35400"];
}
"""


def test_dot_text_is_exact(plan: Plan) -> None:
    assert to_dot(plan) == EXPECTED_DOT


def test_places_accounts_from_providers_and_regions_from_resources(plan: Plan) -> None:
    diagram = build_diagram(plan)
    clusters = diagram.clusters()
    assert list(clusters) == [SHARED, CELLS]
    assert list(clusters[SHARED]) == ["eu-west-1", "us-east-1"]
    assert list(clusters[CELLS]) == ["global", "eu-west-1", "us-east-1"]
    # The IAM role (no region) joins its component's home place: 5 = tgw, peering, role, ecr x2.
    assert diagram.node("TransitNetwork:core@222222222222/eu-west-1").resources == 5
    assert [n.owner for n in clusters[CELLS]["eu-west-1"]] == ["program", "eu"]


def test_links_have_the_right_kinds_and_directions(plan: Plan) -> None:
    edges = build_diagram(plan).edges
    by_kind = {edge.kind: edge for edge in edges}
    assert set(by_kind) == set(LinkKind)
    assert by_kind[LinkKind.AURORA].source.startswith("Cell:eu@")  # the writer, not the reader
    assert by_kind[LinkKind.KAFKA].target.startswith("Cell:us@")
    assert all(edge.count == 1 for edge in edges)


def test_same_link_twice_is_drawn_once_with_a_count() -> None:
    diagram = Diagram(
        "p / s",
        (DiagramNode("a", "a", "", "1", "r1", 1), DiagramNode("b", "b", "", "1", "r2", 1)),
        (DiagramEdge("a", "b", LinkKind.FAILOVER, "failover PRIMARY", 2),),
    )
    assert '"a" -> "b" [label="failover PRIMARY (x2)", color="#d35400"];' in diagram.to_dot()


def test_peer_outside_the_program_gets_an_external_box() -> None:
    def program() -> None:
        tgw = aws.ec2transitgateway.TransitGateway("tgw")
        aws.ec2transitgateway.PeeringAttachment(
            "peer",
            transit_gateway_id=tgw.id,
            peer_transit_gateway_id="tgw-0123",
            peer_region="ap-southeast-2",
            peer_account_id="444444444444",
        )

    diagram = build_diagram(run(program, config={"aws:region": "eu-west-1"}))
    external = diagram.node("external@444444444444/ap-southeast-2")
    assert external.external and external.label == "outside this program"
    assert [(e.source, e.target) for e in diagram.edges] == [
        ("program:program@111111111111/eu-west-1", "external@444444444444/ap-southeast-2")
    ]


def test_arn_parsing() -> None:
    assert arn_account("arn:aws:iam::123456789012:role/x") == "123456789012"
    assert arn_account("arn:aws:s3:::bucket") is None
    assert arn_account("not-an-arn") is None
    assert arn_region("arn:aws:kafka:eu-west-1:123456789012:cluster/x/y") == "eu-west-1"
    assert arn_region("arn:aws:iam::123456789012:role/x") is None


def test_unknown_format_is_refused(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(ObsPlatformError, match=r"unknown format '\.?jpg'|unknown format 'jpg'"):
        render(plan, tmp_path / "plan.jpg")


def test_missing_dot_says_how_to_install_it(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(ObsPlatformError, match="install graphviz"):
        render(plan, tmp_path / "plan.svg", dot_command="no-such-dot-command")


def test_dot_file_needs_no_graphviz(plan: Plan, tmp_path: Path) -> None:
    path = render(plan, tmp_path / "plan.dot", dot_command="no-such-dot-command")
    assert path.read_text(encoding="utf-8") == EXPECTED_DOT


@pytest.mark.tool
def test_svg_and_png_render_with_graphviz(plan: Plan, tmp_path: Path, dot: str) -> None:
    svg = render(plan, tmp_path / "plan.svg", dot_command=dot).read_text(encoding="utf-8")
    assert svg.count('<g id="clust') == 7  # 2 accounts + 5 regions
    assert svg.count('class="edge"') == 7
    for text in ("TGW peering", "Aurora global DB", "failover SECONDARY", "account 333333333333"):
        assert text in svg
    png = render(plan, tmp_path / "plan.png", dot_command=dot).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    # graphviz accepts the DOT text without a warning.
    checked = subprocess.run(
        [dot, "-Tcanon"], input=EXPECTED_DOT.encode(), capture_output=True, check=False
    )
    assert checked.returncode == 0 and checked.stderr == b""


@pytest.mark.tool
def test_cli_plan_writes_a_diagram(
    tmp_path: Path, dot: str, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "prog"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n", encoding="utf-8")
    (program / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-central-1\n", encoding="utf-8"
    )
    (program / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.ec2transitgateway.TransitGateway('tgw')\n", encoding="utf-8"
    )
    out = tmp_path / "out" / "tiny.svg"
    assert main(["plan", str(program), "--diagram", str(out)]) == 0
    assert "Diagram written to" in capsys.readouterr().out
    assert "account 111111111111" in out.read_text(encoding="utf-8")
    assert main(["plan", str(program), "--diagram", str(tmp_path / "x.gif")]) == 2
    assert "unknown format 'gif'" in capsys.readouterr().err


def test_app_cells_example_draws_two_accounts_and_its_dr_links() -> None:
    from conftest import EXAMPLES, app_cells_stack_outputs
    from obs_platform.testing import run_program

    diagram = build_diagram(
        run_program(EXAMPLES / "app-cells", stack_outputs=app_cells_stack_outputs())
    )
    assert len(diagram.clusters()) == 2  # the primary's and the standby's accounts
    kinds = {edge.kind for edge in diagram.edges}
    assert {LinkKind.AURORA, LinkKind.KAFKA, LinkKind.FAILOVER} <= kinds
    failover = {
        edge.label: diagram.node(edge.target)
        for edge in diagram.edges
        if edge.kind is LinkKind.FAILOVER
    }
    assert failover["failover PRIMARY"].region == "eu-west-1"
    assert failover["failover SECONDARY"].region == "us-east-1"
    assert failover["failover PRIMARY"].account != failover["failover SECONDARY"].account


def test_shared_account_example_draws_the_peering() -> None:
    from conftest import EXAMPLES
    from obs_platform.testing import run_program

    diagram = build_diagram(run_program(EXAMPLES / "shared-account"))
    (peering,) = [edge for edge in diagram.edges if edge.kind is LinkKind.PEERING]
    source, target = diagram.node(peering.source), diagram.node(peering.target)
    assert (source.owner_type, source.region) == (
        "obs-platform:network:TransitNetwork",
        "eu-west-1",
    )
    assert (target.owner_type, target.region) == (
        "obs-platform:network:TransitNetwork",
        "us-east-1",
    )


# --- pure helpers, by property ------------------------------------------------------------------

_ACCOUNTS = st.from_regex(r"\A\d{12}\Z")
_REGIONS = st.sampled_from(["eu-west-1", "us-east-1", "ap-southeast-2", "sa-east-1"])
_RESOURCE = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)


@given(_ACCOUNTS, _REGIONS, st.sampled_from(["kafka", "rds", "ec2"]), _RESOURCE)
def test_arn_parts_round_trip(account: str, region: str, service: str, resource: str) -> None:
    arn = f"arn:aws:{service}:{region}:{account}:{resource}"
    assert arn_account(arn) == account
    assert arn_region(arn) == region
    assert arn_account(f"arn:aws:s3:::{resource}") is None


@given(st.text(max_size=60))
def test_quoted_dot_strings_are_closed_and_single_line(text: str) -> None:
    quoted = _quote(text)
    assert quoted.startswith('"') and quoted.endswith('"') and "\n" not in quoted
    # Read back by DOT's rules: a backslash escapes the next character, "\n" is a newline.
    decoded, chars = [], iter(quoted[1:-1])
    for char in chars:
        if char == '"':
            raise AssertionError(f"unescaped quote in {quoted!r}")
        if char == "\\":
            following = next(chars)
            decoded.append("\n" if following == "n" else following)
        else:
            decoded.append(char)
    assert "".join(decoded) == text
