"""The cell labels reach every series the DR and platform alert rules select.

Every selector of every rule the shared stack installs (the PrometheusRules of its plan, built
by ``obs_platform._internal.alert_rules``) is read with the labels the rule needs from it: its
own matchers, the ``by (...)`` of the aggregation around it, and the source label of a
``label_replace`` around it (a rule that makes ``cell`` from ``tag_cell`` needs ``tag_cell``).
Each metric is then followed to the way it reaches the stack, read from the plans, and the
identity labels that path puts on it are compared with what the rule needs:

* a cell's collector (``k8s_*`` from kubeletstats, ``otelcol_*`` from its own metrics,
  ``kafka_connect_*`` from the Strimzi scrape): the remote-write exporter's
  ``external_labels`` in the cell's collector ConfigMap, on a metrics pipeline that has the
  receiver;
* a cell's Prometheus agent (``kube_*``, ``node_*``, ``apiserver_*``): the
  ``PrometheusAgent``'s ``externalLabels`` in the cell's release values;
* the CloudWatch exporter (``aws_*``): the ``tag_*`` labels of the resource tags the YACE
  configuration exports, for the tags the plan's resources that emit the metric carry (Route 53
  health checks, Aurora clusters, EKS clusters, the nodes' launch templates), and ``tag_cell``
  from a job's ``customTags`` through the ServiceMonitor's relabelling where CloudWatch
  discovery finds no resource (MSK Replicator);
* the stack's own components (``prometheus_*``, ``loki_*``, ``tempo_*``): no cell labels; a
  rule on them must need none.

A cell-shipped metric must carry all of ``cell``, ``region``, ``account``, ``dr_role`` (and
``cluster``) whatever the rule reads, so that routing and dashboards work per cell. The plans
are the examples as deployed in the documented layout: app-cells, and shared-account with the
standby cell's account in ``cloudwatchAccounts`` (the second phase of the deploy).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import EXAMPLES, app_cells_stack_outputs
from helm_render import plan_objects
from obs_platform._internal.yace import CELL_FROM_CUSTOM_TAG, yace_metric_name, yace_tag_label
from obs_platform.testing import Plan, run_program
from test_chart_render import _plan

CELL_LABELS = frozenset({"cell", "region", "account", "dr_role", "cluster"})
"""What every series a cell ships must carry."""

IDENTITY = frozenset({*CELL_LABELS, "dr_strategy", "tag_cell", "tag_dr_role"})
"""The labels that say which cell a series is from (and its DR role): what this test follows."""

_AGGREGATIONS = "sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile"
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "by", "without", "on", "ignoring", "offset", "inf", "nan"}
    | {"group_left", "group_right"}
)


@dataclass(frozen=True)
class Selector:
    """One series selector of a rule and the identity labels the rule needs from it."""

    rule: str
    metric: str
    needs: frozenset[str]


def _blank(text: str, pattern: str) -> str:
    """``text`` with every match of ``pattern`` replaced by spaces (positions kept)."""
    return re.sub(pattern, lambda m: " " * len(m.group(0)), text)


def _matching(expr: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(expr)):
        depth += {"(": 1, ")": -1}.get(expr[i], 0)
        if depth == 0:
            return i
    raise ValueError(f"unbalanced parentheses in {expr!r}")


def selectors(rule: str, expr: str) -> Iterator[Selector]:
    """Every selector of ``expr`` with the identity labels the expression needs from it."""
    plain = _blank(expr, r'"(?:[^"\\]|\\.)*"')  # strings
    plain = _blank(plain, r"\[[^\]]*\]")  # ranges
    # Label lists of by/without/on/ignoring/group_left/right, keeping the keyword.
    plain = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)",
        lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))),
        plain,
    )
    # The constructs each '(' opens: ('by', labels), ('label_replace', dst, src) or None.
    constructs: dict[int, tuple[Any, ...] | None] = {}
    for i, char in enumerate(expr):
        if char != "(" or plain[i] != "(":
            continue
        before = expr[:i]
        if re.search(r"\blabel_replace\s*$", before):
            tail = expr[i : _matching(expr, i) + 1]
            args = re.findall(r'"((?:[^"\\]|\\.)*)"', tail)
            dst, _, src, _ = args[-4:]
            constructs[i] = ("label_replace", dst, src)
        elif by := re.search(rf"\b(?:{_AGGREGATIONS})\s+by\s*\(([^)]*)\)\s*$", before):
            constructs[i] = ("by", frozenset(x.strip() for x in by.group(1).split(",") if x))
        else:
            constructs[i] = None
    for match in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?(\s*\()?", plain):
        name, _, call = match.groups()
        aggregation = re.fullmatch(_AGGREGATIONS, name) is not None
        if call or aggregation or name in _KEYWORDS or name.startswith("__") or ":" in name:
            continue  # a function, a keyword, or a recorded series (checked at its source)
        matchers = expr[match.start(2) : match.end(2)] if match.group(2) else ""
        needs = set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))
        enclosing = [
            (start, constructs[start])
            for start in constructs
            if start < match.start() and _matching(expr, start) > match.start()
        ]
        required: set[str] = set()
        for _, construct in sorted(enclosing):  # outermost first
            if construct is None:
                continue
            if construct[0] == "by":
                required = set(construct[1])
            else:
                _, dst, src = construct
                required = (required - {dst}) | {src}
        yield Selector(rule, name, frozenset((required | needs) & IDENTITY))


def test_selectors_follow_label_replace_and_aggregations() -> None:
    expr = (
        'max by (cell) (label_replace(a_sum{tag_dr_role="standby", x="1"}, "cell", "$1", '
        '"tag_cell", "(.+)")) > bool 0 or count by (cell, topic) (b_total{dr_role="s"}) '
        "unless on (cell) c:rec"
    )
    assert {(s.metric, s.needs) for s in selectors("r", expr)} == {
        ("a_sum", frozenset({"tag_cell", "tag_dr_role"})),
        ("b_total", frozenset({"cell", "dr_role"})),
    }


# --- the plans ------------------------------------------------------------------------------


@cache
def _app_cells() -> Plan:
    return run_program(EXAMPLES / "app-cells", stack_outputs=app_cells_stack_outputs())


@cache
def _shared(directory: Path, cross_account: bool = True) -> Plan:
    """The shared account's plan: with the standby cell's account listed in cloudwatchAccounts
    (the example's commented lines, uncommented: the second phase of the deploy), or as the
    example stands (every DR resource read in the stack's own account: a single-account
    layout)."""
    if not cross_account:
        return run_program(EXAMPLES / "shared-account")
    return _edited_shared(
        directory,
        r"  # shared-account:cloudwatchAccounts:\n(?:  #   .*\n)+",
        lambda block: block.replace("  # ", "  "),
    )


def _edited_shared(directory: Path, pattern: str, edit: Callable[[str], str]) -> Plan:
    """The shared-account example's plan with one block of its configuration edited."""
    copy = directory / "shared-account"
    shutil.copytree(EXAMPLES / "shared-account", copy)
    config = copy / "Pulumi.dev.yaml"
    text = config.read_text()
    block = re.search(pattern, text)
    assert block, f"the example's configuration has no {pattern!r} any more"
    config.write_text(text.replace(block.group(0), edit(block.group(0))))
    return run_program(copy)


@pytest.fixture(scope="module", params=["cross-account", "single-account"])
def shared(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Plan:
    return _shared(tmp_path_factory.mktemp("labels"), request.param == "cross-account")


def rule_selectors(plan: Plan) -> list[Selector]:
    """Every selector of every alerting and recording rule of the plan's PrometheusRules."""
    found = []
    for obj in plan_objects(plan):
        if obj["kind"] == "PrometheusRule":
            for group in obj["spec"]["groups"]:
                for rule in group["rules"]:
                    name = rule.get("alert") or rule["record"]
                    found.extend(selectors(name, rule["expr"]))
    return found


# --- the paths in and the labels they carry -----------------------------------------------

COLLECTOR_RECEIVERS = {"k8s_": "kubeletstats", "otelcol_": "prometheus/self"}
COLLECTOR_RECEIVERS["kafka_connect_"] = "prometheus/strimzi"
AGENT_PREFIXES = ("kube_", "node_", "apiserver_")
STACK_PREFIXES = ("prometheus_", "loki_", "tempo_")


def collector_labels(plan: Plan) -> dict[str, dict[str, frozenset[str]]]:
    """Cell -> metrics receiver -> the labels its remote-written series carry."""
    found: dict[str, dict[str, frozenset[str]]] = {}
    for resource in plan.resources:
        if resource.type == "kubernetes:core/v1:ConfigMap" and resource.name.endswith(
            "-telemetry-config"
        ):
            cell = resource.name.removesuffix("-telemetry-config")
            config = yaml.safe_load(resource.inputs["data"]["config.yaml"])
            found[cell] = {}
            for name, pipeline in config["service"]["pipelines"].items():
                for exporter in pipeline["exporters"]:
                    settings = config["exporters"][exporter]
                    if exporter.startswith("prometheusremotewrite") and name.startswith("metrics"):
                        labels = frozenset(settings.get("external_labels") or {})
                        for receiver in pipeline["receivers"]:
                            found[cell][receiver] = labels
    return found


def agent_labels(plan: Plan) -> dict[str, frozenset[str]]:
    """Cell -> the external labels of its Prometheus agent."""
    found = {}
    for resource in plan.resources:
        if resource.type == "kubernetes:helm.sh/v3:Release" and resource.name.endswith(
            "-telemetry-agent"
        ):
            values = resource.inputs["values"]
            assert values["prometheus"]["agentMode"] is True
            labels = values["prometheus"]["prometheusSpec"]["externalLabels"]
            found[resource.name.removesuffix("-telemetry-agent")] = frozenset(labels)
    return found


def _tags(resource: Any) -> Mapping[str, Any]:
    if resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        merged: dict[str, Any] = {}
        for spec in resource.inputs.get("tagSpecifications") or []:
            if spec.get("resourceType") == "instance":
                merged.update(spec.get("tags") or {})
        return merged
    return resource.inputs.get("tags") or {}


# CloudWatch namespace -> (the plan resources that emit its DR metric, those the rules read).
_EMITTERS: dict[str, tuple[str, Any]] = {
    # The rules read health checks that carry a cell (tag_cell!=""); each needs its DR role.
    "AWS/Route53": ("aws:route53/healthCheck:HealthCheck", lambda t: "cell" in t),
    # The global lag is emitted by the secondary: every Aurora cluster of the plan.
    "AWS/RDS": ("aws:rds/cluster:Cluster", lambda t: True),
    # Standby control planes and nodes, found by searchTags dr-role=standby.
    "AWS/EKS": ("eks:index:Cluster", lambda t: t.get("dr-role") == "standby"),
    "AWS/EC2": ("aws:ec2/launchTemplate:LaunchTemplate", lambda t: t.get("dr-role") == "standby"),
    # The pairs' ungraceful-failover functions, found by searchTags dr-role=standby.
    "AWS/Lambda": ("aws:lambda/function:Function", lambda t: t.get("dr-role") == "standby"),
    # MSK Replicator's metrics have no resource CloudWatch discovery associates: no tags.
    "AWS/Kafka": ("aws:msk/replicator:Replicator", None),
}


def yace_labels(shared: Plan, cells: Plan) -> dict[str, frozenset[str]]:
    """YACE series name -> the identity labels every series of it the rules read carries."""
    # The primary's exporter (a standby stack runs the same configuration in its region).
    release = shared.get("shared-obs-cloudwatch-exporter")
    assert release.inputs["chart"] == "prometheus-yet-another-cloudwatch-exporter"
    values = release.inputs["values"]
    config = yaml.safe_load(values["config"])
    relabels = values["serviceMonitor"].get("metricRelabelings") or []
    exported = config["discovery"]["exportedTagsOnMetrics"]
    found: dict[str, frozenset[str]] = {}
    readers: dict[str, frozenset[str]] = {}  # MSK replicator -> labels its series get
    for job in config["discovery"]["jobs"]:
        namespace = job["type"]
        resource_type, read = _EMITTERS[namespace]
        custom = {t["key"] for t in job.get("customTags") or []}
        for metric in job["metrics"]:
            for statistic in metric["statistics"]:
                name = yace_metric_name(namespace, metric["name"], statistic)
                if read is None:
                    # Only the job's custom tag, copied to tag_cell by the relabelling, for the
                    # replicators this job reads (its account, its regions); every replicator's
                    # series must carry it, so the labels are what all reading jobs give.
                    labels = (
                        {"tag_cell"}
                        if "cell" in custom and CELL_FROM_CUSTOM_TAG in relabels
                        else set()
                    )
                    for replicator in cells.by_type(resource_type):
                        if _reads(job, replicator, cells):
                            readers[replicator.name] = readers.get(
                                replicator.name, frozenset(labels)
                            ) & frozenset(labels)
                    continue
                emitting = [
                    _tags(r) for r in cells.resources if r.type == resource_type and read(_tags(r))
                ]
                assert emitting, f"{name}: no {resource_type} in the plan emits it"
                common = set.intersection(*(set(t) for t in emitting))
                labels = {yace_tag_label(t) for t in exported.get(namespace, []) if t in common}
                found[name] = frozenset(labels)
    replicators = cells.by_type(_EMITTERS["AWS/Kafka"][0])
    assert replicators, "the plan has no MSK Replicator"
    unread = sorted(r.name for r in replicators if r.name not in readers)
    assert not unread, f"no exporter job reads MSK Replicator {unread}"
    kafka = yace_metric_name("AWS/Kafka", "ReplicationLatency", "Maximum")
    found[kafka] = frozenset.intersection(*readers.values())
    return found


OWN_ACCOUNT = "own"
"""The account a job without a role reads, and a resource on a default provider lives in: in
the examples the primary cell's account (app-cells' default provider) is the shared stack's
(111111111111 in both programs' ARNs)."""


def _role_account(role_arn: str) -> str:
    return role_arn.split(":")[4]


def _account(resource: Any, plan: Plan) -> str:
    """The account a plan resource is created in: its provider's assumed role's, or own."""
    if resource.provider is None:
        return OWN_ACCOUNT
    (provider,) = [
        p
        for p in plan.by_type("pulumi:providers:aws")
        if resource.provider in (p.urn, p.name) or str(resource.provider).startswith(p.urn)
    ]
    roles = provider.inputs.get("assumeRoles")
    roles = json.loads(roles) if isinstance(roles, str) else roles
    return _role_account(roles[0]["role_arn"]) if roles else OWN_ACCOUNT


def _reads(job: Mapping[str, Any], resource: Any, plan: Plan) -> bool:
    """Whether a YACE job reads a resource: the same account and one of its regions."""
    roles = job.get("roles") or []
    account = _role_account(roles[0]["roleArn"]) if roles else OWN_ACCOUNT
    return account == _account(resource, plan) and resource.region in job["regions"]


def missing(
    rules: list[Selector],
    collector: dict[str, dict[str, frozenset[str]]],
    agent: dict[str, frozenset[str]],
    yace: dict[str, frozenset[str]],
) -> list[str]:
    """Each rule and metric whose path does not carry what the rule (or a cell) needs."""
    problems = []
    for s in rules:
        if s.metric.startswith(tuple(COLLECTOR_RECEIVERS)):
            (receiver,) = [r for p, r in COLLECTOR_RECEIVERS.items() if s.metric.startswith(p)]
            paths = {cell: got[receiver] for cell, got in collector.items() if receiver in got}
            wanted = s.needs | CELL_LABELS
        elif s.metric.startswith(AGENT_PREFIXES):
            paths, wanted = dict(agent), s.needs | CELL_LABELS
        elif s.metric.startswith("aws_"):
            paths = {"yace": yace[s.metric]} if s.metric in yace else {}
            wanted = s.needs
        elif s.metric.startswith(STACK_PREFIXES):
            paths, wanted = {"stack": frozenset()}, s.needs
        else:
            problems.append(f"{s.rule}: {s.metric} has no known path")
            continue
        if not paths:
            problems.append(f"{s.rule}: nothing ships {s.metric}")
        for where, labels in sorted(paths.items()):
            if lacking := sorted(wanted - labels):
                problems.append(f"{s.rule}: {s.metric} from {where} lacks {', '.join(lacking)}")
    return problems


def test_every_selected_series_carries_the_labels_its_rule_needs(shared: Plan) -> None:
    cells = _app_cells()
    rules = rule_selectors(shared)
    # MirrorMaker 2's metrics come from Strimzi cells (the chart render tests' variant).
    strimzi = {f"strimzi/{c}": r for c, r in collector_labels(_plan("strimzi-cells")).items()}
    # The rules read all three kinds of path (a rule set that read none would prove nothing).
    metrics = {s.metric for s in rules}
    assert {"k8s_node_memory_usage_bytes", "otelcol_exporter_sent_metric_points_total"} <= metrics
    assert any(m.startswith("aws_") for m in metrics)
    collector = collector_labels(cells)
    assert set(collector) == {"eu-west-1", "us-east-1"}
    assert all("prometheus/strimzi" in got for got in strimzi.values())
    collector |= strimzi
    assert missing(rules, collector, agent_labels(cells), yace_labels(shared, cells)) == []


def test_dropping_a_label_anywhere_fails(shared: Plan) -> None:
    cells = _app_cells()
    rules = rule_selectors(shared)
    collector = collector_labels(cells)
    agent = agent_labels(cells)
    yace = yace_labels(shared, cells)
    # A cell's collector without `region` on its remote-written series.
    dropped = {
        cell: {
            r: labels - {"region"} if cell == "us-east-1" else labels for r, labels in got.items()
        }
        for cell, got in collector.items()
    }
    assert any("from us-east-1 lacks region" in p for p in missing(rules, dropped, agent, yace))
    # Route 53 health checks without their dr-role tag (tag_dr_role!="standby" would match all).
    no_role = {k: v - {"tag_dr_role"} if "route53" in k else v for k, v in yace.items()}
    assert any(
        "route53" in p and "tag_dr_role" in p for p in missing(rules, collector, agent, no_role)
    )
    # MSK Replicator's series without the job's custom tag: no cell.
    no_custom = {k: v - {"tag_cell"} if "kafka" in k else v for k, v in yace.items()}
    assert any("MskReplicatorLagHigh" in p for p in missing(rules, collector, agent, no_custom))


def test_msk_replicator_series_in_the_stacks_account_lack_cell_without_the_mapping(
    tmp_path: Path,
) -> None:
    """The example's replicator runs in the stack's own account: without mskReplicatorCells
    nothing gives its series a cell (the job reading it has no custom tag)."""
    plan = _edited_shared(
        tmp_path, r"  shared-account:mskReplicatorCells:\n(?:    .*\n)+", lambda block: ""
    )
    cells = _app_cells()
    problems = missing(
        rule_selectors(plan), collector_labels(cells), agent_labels(cells), yace_labels(plan, cells)
    )
    assert any("MskReplicatorLagHigh" in p and "lacks tag_cell" in p for p in problems)


def test_agent_series_carry_the_cell_labels() -> None:
    """No rule of the stack reads kube-state-metrics or node-exporter yet, but the stock
    dashboards do, per cell: the agent's external labels are the collector's."""
    cells = _app_cells()
    agent = agent_labels(cells)
    collector = collector_labels(cells)
    assert set(agent) == set(collector)
    for cell, labels in agent.items():
        assert labels == collector[cell]["kubeletstats"] >= CELL_LABELS, cell
