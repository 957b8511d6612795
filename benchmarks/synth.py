"""Synthesis benchmark: the offline engine against two floors, and the ``plan`` command whole.

In-process, for N = 1, 10, 50 and 100 application cells (``Cell``, pilot-light, replicated
data), each N in a fresh subprocess after one untimed run that pays the imports:

- **engine**: ``obs_platform.testing.run`` of the program (answers, recording, the plan);
- **SDK floor**: the very resources of the recorded plan, with the same inputs, registered
  again through the same pulumi-aws / pulumi-eks / pulumi-kubernetes classes under plain
  ``pulumi.runtime.Mocks`` (outputs = inputs). The floor program is generated from the plan;
  the line says how many of its registrations reached the mocks with inputs identical to the
  engine's (``same inputs``);
- **bare floor**: the same records as bare ``CustomResource``/``ComponentResource``
  registrations (no SDK class), what the SDK itself costs on top of Pulumi's runtime;

each timed as the best of ``--repeat`` with the garbage collector charged equally: collector
off during the body (as the engine runs), then one full collection inside the timer. Then per
resource figures, peak memory per resource (resident-set growth from after the imports to the
run's peak), and flatness (time per resource at the largest N over N = 10).

Whole process: ``python -m obs_platform plan`` of ``examples/app-cells`` and of generated
N-cell programs, best of ``--repeat`` wall-clock runs. With ``--baseline DIR`` (a checkout of
earlier code, e.g. ``git worktree add /tmp/base <commit>``) the same runs of that tree are
interleaved with this one's, so before and after come from one run of this script; the
engine's in-process figures of both trees are printed too. With ``--cdk DIR`` (a folder where
``npm install aws-cdk-lib aws-cdk constructs`` was run), ``cdk synth`` of
``benchmarks/cdk/app.js`` (the same shape and about the same number of resources) is timed
the same way, with and without CDK's built-in template validation.

Run: ``python benchmarks/synth.py [--cells 1 10 50 100] [--repeat 3] [--baseline DIR]
[--cdk DIR]``. Figures are printed, never asserted: timing on shared machines is noisy, so
compare ratios from one run. ``benchmarks/RESULTS.md`` keeps a dated run.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-2"]
CONFIG = {"aws:region": "eu-west-1"}

# The N-cell program, as a function (in-process figures) and as a program directory (whole
# process figures). The same text for both.
CELLS_PROGRAM = """\
from obs_platform import Cell, CellArgs

REGIONS = {regions!r}
for index in range({cells}):
    region = REGIONS[index % len(REGIONS)]
    Cell(
        f"cell{{index}}",
        CellArgs(
            region=region,
            dr_strategy="pilot-light",
            replicas=index % 3,
            rds_global=True,
            kafka_replication=True,
            vpc_cidr=f"10.{{index}}.0.0/20",
            docker_hub_credential_arn=(
                f"arn:aws:secretsmanager:{{region}}:111111111111:secret:"
                "ecr-pullthroughcache/docker-hub-Ab12Cd"
            ),
        ),
    )
"""


def _program_source(cells: int) -> str:
    return CELLS_PROGRAM.format(regions=REGIONS, cells=cells)


def _cell_program(cells: int) -> Callable[[], None]:
    code = compile(_program_source(cells), f"<{cells} cells>", "exec")

    def program() -> None:
        exec(code, {"__name__": "__main__"})

    return program


# --- timing ------------------------------------------------------------------------------------


def _timed(body: Callable[[], Any]) -> float:
    """Seconds for ``body`` with the collector off, plus one full collection of what it left.

    The engine turns the collector off for a run; the floors get the same, and all three pay
    for their garbage inside the timer, so that the ratios compare work and not who collects.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    start = time.perf_counter()
    result = body()
    gc.collect()
    elapsed = time.perf_counter() - start
    del result
    if was_enabled:
        gc.enable()
    return elapsed


def _memory_kib() -> tuple[int, int]:
    """(current, peak) resident set of this process in KiB (Linux /proc)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def _reset_peak_rss() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


# --- the floors ---------------------------------------------------------------------------------


class _PlainMocks:
    """Plain mocks: every resource's outputs are its inputs; every call returns nothing."""

    def __init__(self) -> None:
        import pulumi

        class Mocks(pulumi.runtime.Mocks):
            def __init__(self, seen: dict[tuple[str, str], Any]) -> None:
                self.seen = seen

            def new_resource(
                self, args: pulumi.runtime.MockResourceArgs
            ) -> tuple[str, dict[str, Any]]:
                self.seen[(args.typ, args.name)] = args.inputs
                return f"{args.name}-id", args.inputs

            def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
                return {}, None

        self.seen: dict[tuple[str, str], Any] = {}
        self.mocks = Mocks(self.seen)

    def run(self, program: Callable[[], None]) -> None:
        import pulumi
        from pulumi.runtime import settings
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await

        self.seen.clear()
        settings.reset_options()
        pulumi.runtime.set_mocks(self.mocks, project="bench", stack="dev", preview=False)
        try:
            _sync_await(run_pulumi_func(program))
        finally:
            settings.reset_options()


def _sdk_classes() -> dict[str, tuple[str, str]]:
    """Type token -> (module, class) from the SDKs' own resource-module registrations."""
    from pulumi.runtime import rpc

    found: dict[str, tuple[str, str]] = {}
    for modules in rpc._RESOURCE_MODULES.values():
        for module in modules:
            info = getattr(module, "mod_info", None) or {}
            for token, name in info.get("classes", {}).items():
                found[token] = (info["fqn"], name)
    for packages in rpc._RESOURCE_PACKAGES.values():
        for package in packages:
            info = getattr(package, "pkg_info", None) or {}
            if "token" in info:
                found[info["token"]] = (info["fqn"], info["class"])
    return found


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


class SdkFloor:
    """A program generated from a recorded plan: each resource through its SDK class."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        import importlib

        import pulumi

        self.pulumi = pulumi
        self.records = [r for r in records if r["type"] != "pulumi:pulumi:Stack"]
        classes = _sdk_classes()
        self.calls: list[tuple[dict[str, Any], Any, dict[str, Any]]] = []
        self.unmapped: set[str] = set()
        for record in self._creation_order():
            cls = None
            if record["custom"] or record["type"] in classes:
                module, name = classes.get(record["type"], ("", ""))
                cls = getattr(importlib.import_module(module), name) if module else None
            kwargs = self._kwargs(cls, record) if cls is not None else {}
            self.calls.append((record, cls, kwargs))
        self.mocks = _PlainMocks()

    def _creation_order(self) -> list[dict[str, Any]]:
        """Parents, providers and dependencies before the resources that name them."""
        pending = list(self.records)
        done: set[str] = set()
        ordered: list[dict[str, Any]] = []
        known = {r["urn"] for r in pending}
        while pending:
            rest = []
            for record in pending:
                needs = [record["parent"], record["provider"], *record["depends_on"]]
                if all(n is None or n in done or n not in known for n in needs):
                    ordered.append(record)
                    done.add(record["urn"])
                else:
                    rest.append(record)
            if len(rest) == len(pending):
                raise RuntimeError(f"cannot order {[r['urn'] for r in rest]}")
            pending = rest
        return ordered

    def _kwargs(self, cls: Any, record: dict[str, Any]) -> dict[str, Any]:
        init = getattr(cls, "_internal_init", cls.__init__)
        signature = inspect.signature(init).parameters
        params = {
            _norm(p): p
            for p in signature
            if p not in ("__self__", "self", "resource_name", "opts", "__props__")
        }
        kwargs: dict[str, Any] = {}
        for key, value in record["inputs"].items():
            param = params.get(_norm(key))
            if param is None:
                # Set by the class itself (a Kubernetes object's apiVersion and kind).
                self.unmapped.add(f"{record['type']}.{key}")
                continue
            takes_string = str(signature[param].annotation).startswith("typing.Union[str,")
            if record["type"].startswith("pulumi:providers:") and not takes_string:
                # Providers take non-string inputs JSON-encoded on the wire; pass the value.
                value = _json_or_string(value) if isinstance(value, str) else value
            kwargs[param] = self._value(value)
        return kwargs

    def _value(self, value: Any) -> Any:
        if value == "[secret]":
            return self.pulumi.Output.secret(value)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(v) for v in value]
        return value

    def program(self) -> None:
        pulumi = self.pulumi
        made: dict[str, Any] = {}
        for record, cls, kwargs in self.calls:
            opts = pulumi.ResourceOptions(
                parent=made.get(record["parent"] or ""),
                provider=made.get(record["provider"] or ""),
                depends_on=[made[u] for u in record["depends_on"] if u in made] or None,
                protect=record["protect"] or None,
                retain_on_delete=record["retain_on_delete"] or None,
                ignore_changes=list(record["ignore_changes"]) or None,
            )
            if cls is None:
                made[record["urn"]] = pulumi.ComponentResource(
                    record["type"], record["name"], None, opts
                )
            else:
                made[record["urn"]] = cls(record["name"], opts=opts, **kwargs)
        for resource in made.values():
            if type(resource) is pulumi.ComponentResource:
                resource.register_outputs({})

    def run(self) -> None:
        self.mocks.run(self.program)

    def same_inputs(self) -> tuple[int, int]:
        """(registrations whose inputs equal the plan's, registrations) of the last run."""
        same = 0
        for record, _, _ in self.calls:
            seen = self.mocks.seen.get((record["type"], record["name"]))
            same += _canonical(seen) == _canonical(record["inputs"])
        return same, len(self.calls)


_SIG_KEY = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc's special-signature key
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _json_or_string(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return text if isinstance(value, str) else value


def _canonical(value: Any) -> str:
    """JSON of ``value``, numbers compared as the wire carries them (all doubles)."""

    def plain(v: Any) -> Any:
        if isinstance(v, dict) and v.get(_SIG_KEY) == _SECRET_SIG:
            return "[secret]"  # a secret as the mocks see it; the plan writes "[secret]"
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
        return v

    return json.dumps(plain(value), sort_keys=True, default=str)


class BareFloor:
    """The same records as bare ``CustomResource`` / ``ComponentResource`` registrations."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        import pulumi

        self.pulumi = pulumi
        self.records = [r for r in records if r["type"] != "pulumi:pulumi:Stack"]
        self.mocks = _PlainMocks()

    def program(self) -> None:
        pulumi = self.pulumi
        made: dict[str, Any] = {}
        for record in self.records:
            opts = pulumi.ResourceOptions(parent=made.get(record["parent"] or ""))
            if record["custom"]:
                made[record["urn"]] = pulumi.CustomResource(
                    record["type"], record["name"], dict(record["inputs"]), opts
                )
            else:
                made[record["urn"]] = pulumi.ComponentResource(
                    record["type"], record["name"], None, opts
                )
        for resource in made.values():
            if isinstance(resource, pulumi.ComponentResource):
                resource.register_outputs({})

    def run(self) -> None:
        self.mocks.run(self.program)


# --- one N, in this process ---------------------------------------------------------------------


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


def measure(cells: int, repeat: int, floors: bool) -> dict[str, Any]:
    """Measure one N in this process (called in a fresh subprocess)."""
    from obs_platform.testing import run

    # One untimed run of one cell first: importing the provider SDK modules is paid once per
    # process and would otherwise be charged to whichever runs first.
    run(_cell_program(1), project="bench", stack="dev", config=CONFIG)
    program = _cell_program(cells)
    sdk = bare = None
    row: dict[str, Any] = {"cells": cells}
    if floors:
        # One untimed run at this N: the plan the floors are generated from, and the memory.
        gc.collect()
        rss_before, _ = _memory_kib()
        _reset_peak_rss()
        plan = run(program, project="bench", stack="dev", config=CONFIG)
        _, rss_peak = _memory_kib()
        row["peak_kib_per_resource"] = max(rss_peak - rss_before, 0) / (len(plan.resources) - 1)
        records = plan.to_json()["resources"]
        del plan
        sdk, bare = SdkFloor(records), BareFloor(records)
        sdk.run()  # untimed: the floors' own first registrations of each class
        bare.run()
    timer = _MonitorTimer()
    timer.install()
    best = {"engine": float("inf"), "sdk": float("inf"), "bare": float("inf")}
    monitor = 0.0
    plans: list[Any] = []

    def engine_run() -> None:
        plans[:] = [run(program, project="bench", stack="dev", config=CONFIG)]

    for _ in range(repeat):
        timer.seconds = 0.0
        engine_s = _timed(engine_run)
        if engine_s < best["engine"]:
            best["engine"], monitor = engine_s, timer.seconds
        if sdk is not None and bare is not None:
            best["sdk"] = min(best["sdk"], _timed(sdk.run))
            best["bare"] = min(best["bare"], _timed(bare.run))
    row["resources"] = len(plans[0].resources) - 1  # without the stack
    row["engine_s"] = best["engine"]
    row["monitor_share"] = monitor / best["engine"]
    if sdk is not None:
        row["sdk_s"] = best["sdk"]
        row["bare_s"] = best["bare"]
        row["same_inputs"] = sdk.same_inputs()
        row["unmapped_inputs"] = sorted(sdk.unmapped)
    return row


# --- whole process ------------------------------------------------------------------------------


def _env(tree: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree / "src")
    return env


def _measure_in_subprocess(
    cells: int, repeat: int, tree: Path | None, floors: bool
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", str(cells), "--repeat", str(repeat)]
    if not floors:
        command.append("--no-floors")
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, env=_env(tree), cwd=ROOT
    )
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def _wall(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    """Wall-clock seconds of ``command`` and its standard output."""
    start = time.perf_counter()
    out = subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True, text=True)
    return time.perf_counter() - start, out.stdout


def _differs(one: Path, other: Path) -> bool:
    files = sorted(p.name for p in one.iterdir() if p.is_file())
    return files != sorted(p.name for p in other.iterdir() if p.is_file()) or any(
        (one / name).read_bytes() != (other / name).read_bytes() for name in files
    )


def _plan_command(program_dir: Path) -> list[str]:
    return [sys.executable, "-m", "obs_platform", "plan", str(program_dir)]


def _cells_dir(parent: Path, cells: int) -> Path:
    directory = parent / f"cells-{cells}"
    directory.mkdir(exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: bench\nruntime: python\n", encoding="utf-8")
    (directory / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n", encoding="utf-8"
    )
    (directory / "__main__.py").write_text(_program_source(cells), encoding="utf-8")
    return directory


def _resources_in_plan(stdout: str) -> int:
    first = stdout.splitlines()[0]  # "Plan for project 'x', stack 'y': 147 resources (...)"
    return int(first.split(": ", 1)[1].split()[0])


def whole_process(
    targets: list[tuple[str, Path, list[str]]], repeat: int, baseline: Path | None
) -> list[dict[str, Any]]:
    """Best-of wall time of ``plan`` per program, this tree and the baseline interleaved.

    A tree that cannot run a program (a baseline's example on newer code) gets ``None``.
    """
    rows = []
    for label, program_dir, options in targets:
        row: dict[str, Any] = {"program": label}
        trees: dict[str, Path | None] = {"this": None}
        if baseline is not None:
            trees["baseline"] = baseline
        for name in trees:
            row[f"{name}_resources"], row[f"{name}_s"] = None, float("inf")
        failed: set[str] = set()
        for _ in range(repeat):
            for name, tree in trees.items():
                if name in failed:
                    continue
                command = [*_plan_command(program_dir), *options]
                try:
                    seconds, stdout = _wall(command, _env(tree), tree or ROOT)
                except subprocess.CalledProcessError as error:
                    failed.add(name)
                    row[f"{name}_error"] = (error.stderr or "").strip().splitlines()[:1]
                    continue
                row[f"{name}_resources"] = _resources_in_plan(stdout)
                row[f"{name}_s"] = min(row[f"{name}_s"], seconds)
        rows.append(row)
    return rows


def cdk_synth(cdk_dir: Path, repeat: int, cells: int) -> dict[str, Any]:
    """Best-of wall time of ``cdk synth`` of benchmarks/cdk/app.js, with and without validation."""
    app = ROOT / "benchmarks" / "cdk" / "app.js"
    cdk = cdk_dir / "node_modules" / ".bin" / "cdk"
    with tempfile.TemporaryDirectory(prefix="cdk-bench-") as work:
        workdir = Path(work)
        (workdir / "cdk.json").write_text(json.dumps({"app": f"node {app}"}), encoding="utf-8")
        env = {
            **os.environ,
            "NODE_PATH": str(cdk_dir / "node_modules"),
            "CELLS": str(cells),
            "CDK_DISABLE_CLI_TELEMETRY": "true",
        }
        command = [str(cdk), "synth", "--quiet", "--no-notices", "--output", str(workdir / "out")]
        row: dict[str, Any] = {"cells": cells}
        for label, validation in (("no_validation_s", "false"), ("validation_s", "true")):
            best = float("inf")
            for _ in range(repeat):
                seconds, _ = _wall(command, {**env, "CDK_VALIDATION": validation}, workdir)
                best = min(best, seconds)
            row[label] = best
        row["resources"] = sum(
            len(json.loads(p.read_text())["Resources"])
            for p in (workdir / "out").glob("*.template.json")
        )
    return row


# --- report -------------------------------------------------------------------------------------


def _print_in_process(rows: list[dict[str, Any]], base_rows: list[dict[str, Any]]) -> None:
    print("\nIn-process synthesis (best of repeats; collector charged equally to all three)")
    print(
        f"{'cells':>5} {'res':>5} {'engine s':>8} {'SDK fl s':>8} {'bare s':>7} "
        f"{'eng/SDK':>7} {'eng/bare':>8} {'ms/res':>6} {'SDK ms':>6} {'bare ms':>7} "
        f"{'KiB/res':>7} {'monitor':>7} {'same inputs':>11}"
    )
    for row in rows:
        n = row["resources"]
        same, total = row["same_inputs"]
        print(
            f"{row['cells']:>5} {n:>5} {row['engine_s']:>8.3f} {row['sdk_s']:>8.3f} "
            f"{row['bare_s']:>7.3f} {row['engine_s'] / row['sdk_s']:>7.2f} "
            f"{row['engine_s'] / row['bare_s']:>8.2f} {1000 * row['engine_s'] / n:>6.2f} "
            f"{1000 * row['sdk_s'] / n:>6.2f} {1000 * row['bare_s'] / n:>7.2f} "
            f"{row['peak_kib_per_resource']:>7.0f} {row['monitor_share']:>7.0%} "
            f"{f'{same}/{total}':>11}"
        )
    unmapped = sorted({u for row in rows for u in row["unmapped_inputs"]})
    if unmapped:
        print(f"  inputs the SDK classes set themselves (not passed): {', '.join(unmapped)}")
    if len(rows) > 1:
        ten = next((r for r in rows if r["cells"] == 10), rows[0])
        last = rows[-1]
        flat = (last["engine_s"] / last["resources"]) / (ten["engine_s"] / ten["resources"])
        print(
            f"  time per resource, N={last['cells']} over N={ten['cells']}: {flat:.2f} "
            "(1.0 is flat)"
        )
    if base_rows:
        print("\nIn-process engine, baseline tree vs this tree (same program, same harness)")
        print(f"{'cells':>5} {'baseline s':>10} {'this s':>8} {'speed-up':>8}")
        for row, base in zip(rows, base_rows, strict=True):
            print(
                f"{row['cells']:>5} {base['engine_s']:>10.3f} {row['engine_s']:>8.3f} "
                f"{base['engine_s'] / row['engine_s']:>8.2f}x"
            )


def _print_whole(rows: list[dict[str, Any]]) -> None:
    print("\nWhole process: python -m obs_platform plan PROGRAM (best of repeats, wall clock)")
    has_base = "baseline_s" in rows[0]
    head = f"{'program':>22} {'res':>5} {'this s':>7} {'ms/res':>6}"
    if has_base:
        head += f" {'base res':>8} {'base s':>7} {'base ms':>7} {'speed-up':>8} {'per res':>7}"
    print(head)
    failures: list[str] = []
    for row in rows:
        n, base_n = row["this_resources"], row.get("baseline_resources")
        line = f"{row['program']:>22} "
        if n is None:
            line += f"{'(fails)':>20}"
            failures.append(f"  {row['program']} fails on this tree: {row['this_error']}")
        else:
            line += f"{n:>5} {row['this_s']:>7.2f} {1000 * row['this_s'] / n:>6.2f}"
        if has_base and base_n is None:
            line += f" {'(fails)':>8}"
            failures.append(f"  {row['program']} fails on the baseline: {row['baseline_error']}")
        elif has_base:
            base_ms = row["baseline_s"] / base_n
            line += f" {base_n:>8} {row['baseline_s']:>7.2f} {1000 * base_ms:>7.2f}"
            if n is not None:
                this_ms = row["this_s"] / n
                line += f" {row['baseline_s'] / row['this_s']:>7.2f}x {base_ms / this_ms:>6.2f}x"
        print(line)
    for failure in failures:
        print(failure)
    if has_base:
        print(
            "  speed-up: baseline seconds / this tree's; per res: the same per resource (the "
            "trees' components may differ in size)"
        )


def _print_cdk(cdk: dict[str, Any], plan_row: dict[str, Any]) -> None:
    if plan_row["this_resources"] is None:
        print(f"\ncdk synth: not compared, plan {plan_row['program']} failed on this tree")
        return
    n = cdk["resources"]
    print(
        f"\ncdk synth of benchmarks/cdk/app.js ({cdk['cells']} cells and the DR pair, "
        f"{n} CloudFormation resources; best of repeats, wall clock)"
    )
    runs = (("without validation", "no_validation_s"), ("with validation", "validation_s"))
    for label, key in runs:
        print(f"  {label:<19} {cdk[key]:>6.2f} s  {1000 * cdk[key] / n:>6.2f} ms/res")
    ours = plan_row["this_s"]
    print(
        f"  obs-platform plan {plan_row['program']}: {ours:.2f} s, "
        f"{1000 * ours / plan_row['this_resources']:.2f} ms/res "
        f"({ours / cdk['no_validation_s']:.2f}x cdk synth without validation, "
        f"{ours / cdk['validation_s']:.2f}x with)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of earlier code to compare")
    parser.add_argument("--cdk", type=Path, help="folder with aws-cdk-lib and aws-cdk installed")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-floors", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.repeat, floors=not args.no_floors)))
        return
    baseline = args.baseline.resolve() if args.baseline else None
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")

    rows, base_rows = [], []
    for cells in args.cells:
        rows.append(_measure_in_subprocess(cells, args.repeat, None, floors=True))
        if baseline is not None:
            base_rows.append(_measure_in_subprocess(cells, args.repeat, baseline, floors=False))
    _print_in_process(rows, base_rows)

    with tempfile.TemporaryDirectory(prefix="synth-bench-") as work:
        examples = ROOT / "examples"
        # app-cells reads the shared account's outputs (StackReference): from its plan JSON.
        shared_json = Path(work) / "shared.json"
        subprocess.run(
            [*_plan_command(examples / "shared-account"), "--json", str(shared_json)],
            check=True,
            capture_output=True,
            env=_env(None),
            cwd=ROOT,
        )
        targets = [
            ("examples/shared-account", examples / "shared-account", []),
            ("examples/app-cells", examples / "app-cells", ["--stack-outputs", str(shared_json)]),
        ]
        theirs = baseline / "examples" / "app-cells" if baseline is not None else None
        if theirs is not None and _differs(theirs, examples / "app-cells"):
            # The baseline's own example too, run by both trees where this tree still runs it.
            targets.append(("baseline's app-cells", theirs, []))
        targets += [(f"{n} cells", _cells_dir(Path(work), n), []) for n in args.cells]
        whole = whole_process(targets, args.repeat, baseline)
    _print_whole(whole)
    if args.cdk is not None:
        _print_cdk(cdk_synth(args.cdk.resolve(), args.repeat, cells=2), whole[1])

    print("\nTargets: engine / SDK floor <= 1.15; time per resource flat to N = 100;")
    print("whole-process plan of examples/app-cells >= 1.5x faster than the baseline.")
    print("monitor: share of the engine's time inside its monitor (decoding, answering,")
    print("recording); the rest is the program, the components and the SDK classes.")


if __name__ == "__main__":
    main()
