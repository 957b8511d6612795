"""Synthesis benchmark: N application cells under the offline engine.

For N = 1, 10 and 50 cells, each in a fresh subprocess, this prints the resources registered,
wall seconds, resources per second, peak memory, and the ratio of the engine's time to the
floor: re-registering the very same recorded resources (same types, names, parents, inputs)
with bare Pulumi mocks in the same process. It also prints the time of ``import obs_platform``.

Run: ``python benchmarks/synth.py`` (``--cells 1 10`` to choose N; ``--repeat 3`` keeps the best
of several runs). Figures are printed, never asserted: timing on shared machines is noisy.

Until ``Cell`` exists the program is a stand-in of the same shape (VPC, subnets, transit
attachment, EKS cluster and node group, Aurora, Kafka, IAM, KMS per cell); with ``Cell``
available, the real component is used and the output says which.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from typing import Any

REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-2"]


def _cell_program(cells: int) -> tuple[str, Any]:
    try:
        from obs_platform import Cell, CellArgs
    except (ImportError, AttributeError):
        return "stand-in", lambda: _stand_in(cells)

    def program() -> None:
        for index in range(cells):
            region = REGIONS[index % len(REGIONS)]
            Cell(
                f"cell{index}",
                CellArgs(
                    region=region,
                    dr_strategy="pilot-light",
                    replicas=index % 3,
                    rds_global=True,
                    kafka_replication=True,
                    docker_hub_credential_arn=(
                        f"arn:aws:secretsmanager:{region}:111111111111:secret:"
                        "ecr-pullthroughcache/docker-hub-Ab12Cd"
                    ),
                ),
            )

    return "Cell", program


def _stand_in(cells: int) -> None:
    import pulumi
    import pulumi_aws as aws
    import pulumi_eks as eks

    for index in range(cells):
        region = REGIONS[index % len(REGIONS)]
        parent = pulumi.ComponentResource("obs-platform:cell:Cell", f"cell{index}")
        opts = pulumi.ResourceOptions(parent=parent)
        vpc = aws.ec2.Vpc(
            f"cell{index}-vpc", cidr_block=f"10.{index}.0.0/16", region=region, opts=opts
        )
        subnets = [
            aws.ec2.Subnet(
                f"cell{index}-private-{z}",
                vpc_id=vpc.id,
                region=region,
                cidr_block=f"10.{index}.{z}.0/24",
                opts=opts,
            )
            for z in range(3)
        ]
        aws.ec2transitgateway.VpcAttachment(
            f"cell{index}-tgw",
            vpc_id=vpc.id,
            subnet_ids=[s.id for s in subnets],
            transit_gateway_id="tgw-0123456789abcdef0",
            region=region,
            opts=opts,
        )
        key = aws.kms.Key(f"cell{index}-key", region=region, enable_key_rotation=True, opts=opts)
        role = aws.iam.Role(f"cell{index}-nodes", assume_role_policy="{}", opts=opts)
        cluster = eks.Cluster(
            f"cell{index}-eks",
            name=f"cell{index}",
            vpc_id=vpc.id,
            private_subnet_ids=[s.id for s in subnets],
            skip_default_node_group=True,
            endpoint_public_access=False,
            encryption_config_key_arn=key.arn,
            opts=opts,
        )
        template = aws.ec2.LaunchTemplate(
            f"cell{index}-lt",
            region=region,
            metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 2},
            opts=opts,
        )
        aws.eks.NodeGroup(
            f"cell{index}-ng",
            cluster_name=f"cell{index}",
            node_role_arn=role.arn,
            subnet_ids=[s.id for s in subnets],
            scaling_config={"desired_size": 0, "min_size": 0, "max_size": 6},
            launch_template={"id": template.id, "version": "$Latest"},
            region=region,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[cluster]),
        )
        db = aws.rds.Cluster(
            f"cell{index}-db",
            engine="aurora-postgresql",
            storage_encrypted=True,
            deletion_protection=True,
            kms_key_id=key.arn,
            region=region,
            opts=pulumi.ResourceOptions(parent=parent, protect=True),
        )
        aws.rds.ClusterInstance(
            f"cell{index}-db-1",
            cluster_identifier=db.id,
            instance_class="db.r6g.large",
            engine="aurora-postgresql",
            region=region,
            opts=opts,
        )
        aws.msk.Cluster(
            f"cell{index}-kafka",
            kafka_version="3.7.x",
            number_of_broker_nodes=3,
            broker_node_group_info={
                "instance_type": "kafka.m7g.large",
                "client_subnets": [s.id for s in subnets],
            },
            region=region,
            opts=opts,
        )
        parent.register_outputs({})


def _replay_floor(records: list[dict[str, Any]]) -> float:
    """Re-register the recorded resources with bare Pulumi mocks; return the seconds taken."""
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    class BareMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
            return {}, None

    settings.reset_options()
    pulumi.runtime.set_mocks(BareMocks(), project="bench", stack="dev", preview=False)

    def replay() -> None:
        by_urn: dict[str, pulumi.Resource] = {}
        for record in records:
            if record["type"] == "pulumi:pulumi:Stack":
                continue
            parent = by_urn.get(record["parent"] or "")
            opts = pulumi.ResourceOptions(parent=parent)
            if record["custom"]:
                by_urn[record["urn"]] = pulumi.CustomResource(
                    record["type"], record["name"], dict(record["inputs"]), opts
                )
            else:
                component = pulumi.ComponentResource(record["type"], record["name"], None, opts)
                by_urn[record["urn"]] = component
        for component in by_urn.values():
            if isinstance(component, pulumi.ComponentResource):
                component.register_outputs({})

    # The engine pauses the cyclic garbage collector during a run; the floor gets the same, so
    # that the ratio compares registration work and not the collector.
    gc.disable()
    start = time.perf_counter()
    _sync_await(run_pulumi_func(replay))
    elapsed = time.perf_counter() - start
    gc.enable()
    settings.reset_options()
    return elapsed


class _MonitorTimer:
    """Accumulates the time spent inside the engine's monitor (recording and answering)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def install(self) -> None:
        from obs_platform.testing import engine

        for method in ("RegisterResource", "RegisterResourceOutputs", "Invoke"):
            original = getattr(engine._RecordingMonitor, method)

            def timed(monitor: Any, request: Any, _original: Any = original) -> Any:
                start = time.perf_counter()
                try:
                    return _original(monitor, request)
                finally:
                    self.seconds += time.perf_counter() - start

            setattr(engine._RecordingMonitor, method, timed)


def measure(cells: int, repeat: int) -> dict[str, Any]:
    """Measure one N in this process (called in a fresh subprocess)."""
    from obs_platform.testing import run

    shape, program = _cell_program(cells)
    # One untimed run first: importing the provider SDK modules is paid once per process and
    # would otherwise be charged to the engine, not to synthesis.
    run(program, project="bench", stack="dev", config={"aws:region": "eu-west-1"})
    timer = _MonitorTimer()
    timer.install()
    ours = floor = float("inf")
    monitor = 0.0
    plan = None
    for _ in range(repeat):
        timer.seconds = 0.0
        start = time.perf_counter()
        plan = run(program, project="bench", stack="dev", config={"aws:region": "eu-west-1"})
        elapsed = time.perf_counter() - start
        if elapsed < ours:
            ours, monitor = elapsed, timer.seconds
        records = plan.to_json()["resources"]
        floor = min(floor, _replay_floor(records))
    assert plan is not None
    count = len(plan.resources) - 1  # without the stack
    return {
        "cells": cells,
        "program": shape,
        "resources": count,
        "seconds": ours,
        "resources_per_second": count / ours,
        "ms_per_resource": 1000 * ours / count,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "floor_seconds": floor,
        "ratio_to_floor": ours / floor,
        "monitor_seconds": monitor,
        "monitor_share": monitor / ours,
    }


def import_seconds() -> float:
    """Time ``import obs_platform`` in a fresh interpreter."""
    code = (
        "import time; s = time.perf_counter(); import obs_platform; print(time.perf_counter() - s)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.repeat)))
        return
    imports = sorted(import_seconds() for _ in range(3))
    print(f"import obs_platform: {imports[1]:.3f} s (median of 3, target < 0.5 s)")
    header = (
        f"{'cells':>5} {'program':>8} {'resources':>9} {'seconds':>8} {'res/s':>7} "
        f"{'ms/res':>7} {'peak MiB':>8} {'floor s':>8} {'ratio':>6} {'engine s':>8} "
        f"{'share':>6}"
    )
    print(header)
    rows = []
    for cells in args.cells:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(cells), "--repeat", str(args.repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{row['cells']:>5} {row['program']:>8} {row['resources']:>9} "
            f"{row['seconds']:>8.2f} {row['resources_per_second']:>7.0f} "
            f"{row['ms_per_resource']:>7.2f} {row['peak_rss_mib']:>8.0f} "
            f"{row['floor_seconds']:>8.2f} {row['ratio_to_floor']:>6.2f} "
            f"{row['monitor_seconds']:>8.2f} {row['monitor_share']:>6.0%}"
        )
    if len(rows) > 1:
        flat = rows[-1]["ms_per_resource"] / rows[0]["ms_per_resource"]
        print(
            f"time per resource, N={rows[-1]['cells']} over N={rows[0]['cells']}: {flat:.2f} "
            "(1.0 is flat)"
        )
    print("targets: ratio <= 1.3; time per resource flat from N = 1 to 50")
    print("ratio: engine / re-registering the recorded resources with bare mocks (the floor);")
    print("engine s / share: time inside the engine's monitor (decoding, answering, recording)")
    print("  and its share of the run; the rest is the program and the provider SDK classes")


if __name__ == "__main__":
    main()
