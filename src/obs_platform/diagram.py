"""Draw a :class:`~obs_platform.testing.Plan` as a graphviz diagram.

The diagram shows one box per top-level component and place (AWS account and region), nested in a
cluster per account and a cluster per region, and the links that cross regions: Transit Gateway
peering, replication (Aurora Global Database, Kafka, S3, ECR) and Route 53 failover records.

Building the picture is pure: :func:`build_diagram` turns a plan into a :class:`Diagram`, and
:meth:`Diagram.to_dot` writes DOT text. Only :func:`render` calls graphviz's ``dot`` to produce
SVG or PNG::

    from obs_platform.diagram import render
    from obs_platform.testing import run_program

    render(run_program("examples/app-cells"), "app-cells.svg")

Placement rules:

- A resource belongs to its top-level component (the ancestor directly under the stack);
  resources created directly by the program are grouped as "program".
- Its account is that of its explicit provider (assumed role or single allowed account), else
  the account in its ARN, else the account most default-provider resources show.
- Its region is its effective region. Route 53 and ARC region switch are global services and
  sit in a "global" cluster. Resources without a meaningful region (IAM, Kubernetes objects)
  join the place where most of their component's regional resources are.
"""

from __future__ import annotations

import enum
import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._internal.errors import ObsPlatformError
from .testing.plan import STACK_TYPE, Plan, PlanResource

GLOBAL_REGION = "global"
"""The region label of the cluster that holds global services (Route 53, ARC region switch)."""

PROGRAM_OWNER = "program"
"""The owner label of resources the program creates outside any component."""

_GLOBAL_TYPE_PREFIXES = ("aws:route53/", "aws:arcregionswitch/")
_REGIONLESS_TYPE_PREFIXES = ("aws:iam/", "aws:organizations/")
_PEERING_TYPE = "aws:ec2transitgateway/peeringAttachment:PeeringAttachment"
_RDS_CLUSTER_TYPE = "aws:rds/cluster:Cluster"
_MSK_REPLICATOR_TYPE = "aws:msk/replicator:Replicator"
_S3_REPLICATION_TYPE = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
_ECR_REPLICATION_TYPE = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
_RECORD_TYPE = "aws:route53/record:Record"
_LOAD_BALANCER_TYPE = "aws:lb/loadBalancer:LoadBalancer"
_CELL_TYPE = "obs-platform:cell:Cell"
_DR_TYPE = "obs-platform:dr:PilotLightDr"
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_REGION_RE = re.compile(r"\b([a-z]{2}(?:-gov)?-[a-z]+-\d)\b")

_FILL_BY_PACKAGE: dict[str, str] = {
    "network": "#dbe9f6",
    "observability": "#dff0d8",
    "dr": "#fde3c8",
    "cell": "#e8defa",
}
_DEFAULT_FILL = "#eeeeee"
_EXTERNAL_FILL = "#ffffff"


class LinkKind(enum.StrEnum):
    """The kinds of cross-region link a diagram draws."""

    PEERING = "peering"
    """Transit Gateway peering (requester to accepter)."""
    AURORA = "aurora"
    """Aurora Global Database replication (primary to secondary cluster)."""
    KAFKA = "kafka"
    """Kafka replication (MSK Replicator, source to target cluster)."""
    S3 = "s3"
    """S3 replication (source to destination bucket)."""
    ECR = "ecr"
    """ECR registry replication (to each destination region)."""
    FAILOVER = "failover"
    """A Route 53 failover record (to the region it sends traffic to)."""


_EDGE_STYLE: dict[LinkKind, str] = {
    LinkKind.PEERING: 'color="#1f5fa8", dir=both, penwidth=2',
    LinkKind.AURORA: 'color="#c0392b"',
    LinkKind.KAFKA: 'color="#8e44ad"',
    LinkKind.S3: 'color="#27ae60"',
    LinkKind.ECR: 'color="#16a085"',
    LinkKind.FAILOVER: 'color="#d35400"',
}


@dataclass(frozen=True)
class DiagramNode:
    """One box: the resources of one top-level component in one account and region.

    Attributes:
        id: The DOT node ID, ``"<Type>:<name>@<account>/<region>"``.
        owner: The component's logical name (``"program"`` for top-level resources).
        owner_type: The component's type token (empty for ``"program"`` and external nodes).
        account: The AWS account, or ``None`` when the plan does not say.
        region: The region, ``"global"``, or ``None`` when no resource has one.
        resources: How many custom resources the box stands for (0 for external nodes).
        external: True for a placeholder: the far end of a link that the program does not
            create (a peer Transit Gateway in another stack, say).
    """

    id: str
    owner: str
    owner_type: str
    account: str | None
    region: str | None
    resources: int
    external: bool = False

    @property
    def label(self) -> str:
        """The text in the box."""
        if self.external:
            return "outside this program"
        kind = self.owner_type.rsplit(":", 1)[-1] if self.owner_type else PROGRAM_OWNER
        plural = "" if self.resources == 1 else "s"
        if kind == self.owner:
            return f"{kind}\n{self.resources} resource{plural}"
        return f"{kind}\n{self.owner}\n{self.resources} resource{plural}"


@dataclass(frozen=True)
class DiagramEdge:
    """One cross-region link.

    Attributes:
        source: ID of the node the link starts at.
        target: ID of the node it ends at.
        kind: What the link is.
        label: The text on the arrow.
        count: How many resources draw this same link (records, replicators).
    """

    source: str
    target: str
    kind: LinkKind
    label: str
    count: int = 1


@dataclass(frozen=True)
class Diagram:
    """A plan reduced to places and links, ready to write as DOT.

    Attributes:
        title: The graph's title, ``"<project> / <stack>"``.
        nodes: The boxes, ordered by account, region, then component registration order.
        edges: The links, by kind (in :class:`LinkKind` order), then by their nodes' order.
    """

    title: str
    nodes: tuple[DiagramNode, ...]
    edges: tuple[DiagramEdge, ...] = field(default=())

    def node(self, node_id: str) -> DiagramNode:
        """Return the node with this ID.

        Raises:
            KeyError: If there is none.
        """
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(f"no node {node_id!r}; nodes are {[n.id for n in self.nodes]}")

    def clusters(self) -> dict[str | None, dict[str | None, list[DiagramNode]]]:
        """Return the nodes grouped by account, then region, in drawing order."""
        grouped: dict[str | None, dict[str | None, list[DiagramNode]]] = {}
        for node in self.nodes:
            grouped.setdefault(node.account, {}).setdefault(node.region, []).append(node)
        return grouped

    def to_dot(self) -> str:
        """Return the diagram as graphviz DOT text."""
        lines = [
            "digraph plan {",
            f"  graph [label={_quote(self.title)}, labelloc=t, fontname=Helvetica, "
            "fontsize=16, rankdir=LR, compound=true, nodesep=0.4, ranksep=1.2];",
            '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11];',
            "  edge [fontname=Helvetica, fontsize=10];",
        ]
        for account, regions in self.clusters().items():
            account_key = account or "unknown"
            account_label = f"account {account}" if account else "account (default provider)"
            lines += [
                f"  subgraph {_quote('cluster_' + account_key)} {{",
                f"    label={_quote(account_label)};",
                '    style="rounded,bold"; color="#555555"; fontname=Helvetica;',
            ]
            for region, nodes in regions.items():
                indent = "    "
                if region is not None:
                    lines += [
                        f"    subgraph {_quote(f'cluster_{account_key}_{region}')} {{",
                        f"      label={_quote(region)};",
                        '      style="rounded,dashed"; color="#888888";',
                    ]
                    indent = "      "
                for node in nodes:
                    extra = ', style="rounded,dashed"' if node.external else ""
                    lines.append(
                        f"{indent}{_quote(node.id)} [label={_quote(node.label)}, "
                        f"fillcolor={_quote(_fill(node))}{extra}];"
                    )
                if region is not None:
                    lines.append("    }")
            lines.append("  }")
        for edge in self.edges:
            label = edge.label if edge.count == 1 else f"{edge.label} (x{edge.count})"
            lines.append(
                f"  {_quote(edge.source)} -> {_quote(edge.target)} "
                f"[label={_quote(label)}, {_EDGE_STYLE[edge.kind]}];"
            )
        lines.append("}")
        return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    """Return ``text`` as a DOT quoted string; newlines become DOT line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _fill(node: DiagramNode) -> str:
    if node.external:
        return _EXTERNAL_FILL
    parts = node.owner_type.split(":")
    package = parts[1] if len(parts) == 3 and parts[0] == "obs-platform" else ""
    return _FILL_BY_PACKAGE.get(package, _DEFAULT_FILL)


# --- building ---------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    """Return ``value`` decoded when it is JSON text (provider inputs arrive encoded)."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def provider_account(provider: PlanResource) -> str | None:
    """Return the account an AWS provider works in: its assumed role's, else its allowed one.

    Args:
        provider: A ``pulumi:providers:aws`` resource of the plan.
    """
    roles = _json_value(provider.inputs.get("assumeRoles")) or []
    single = _json_value(provider.inputs.get("assumeRole"))
    if isinstance(single, dict):
        roles = [single, *(roles if isinstance(roles, list) else [])]
    for role in roles if isinstance(roles, list) else []:
        arn = (role.get("roleArn") or role.get("role_arn")) if isinstance(role, dict) else None
        account = arn_account(arn)
        if account:
            return account
    allowed = _json_value(provider.inputs.get("allowedAccountIds"))
    if isinstance(allowed, list) and len(allowed) == 1 and _ACCOUNT_RE.match(str(allowed[0])):
        return str(allowed[0])
    return None


def arn_account(arn: Any) -> str | None:
    """Return the 12-digit account in an ARN, or ``None`` (S3 bucket ARNs carry none)."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and _ACCOUNT_RE.match(parts[4]) else None


def arn_region(arn: Any) -> str | None:
    """Return the region in an ARN, or ``None`` for global ARNs."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 5 else None


class _Builder:
    """Places every resource, then resolves the links between places."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.by_urn = {r.urn: r for r in plan.resources}
        self.provider_accounts = {
            r.urn: provider_account(r)
            for r in plan.resources
            if r.type.startswith("pulumi:providers:")
        }
        default_accounts = Counter(
            arn_account(r.outputs.get("arn"))
            for r in plan.resources
            if r.custom and r.provider is None and arn_account(r.outputs.get("arn"))
        )
        self.default_account = default_accounts.most_common(1)[0][0] if default_accounts else None
        self.owner_of: dict[str, PlanResource | None] = {}
        self.place_of: dict[str, tuple[str | None, str | None]] = {}
        self.node_keys: dict[tuple[str, str | None, str | None], str] = {}
        self.nodes: dict[str, DiagramNode] = {}
        self.edges: dict[tuple[str, str, LinkKind, str], int] = {}

    # - ownership and placement

    def owner(self, resource: PlanResource) -> PlanResource | None:
        """Return the top-level component above ``resource`` (``None``: created by the program)."""
        if resource.urn in self.owner_of:
            return self.owner_of[resource.urn]
        current = resource
        top: PlanResource | None = None
        while current.parent is not None:
            parent = self.by_urn.get(current.parent)
            if parent is None or parent.type == STACK_TYPE:
                top = None if current is resource and resource.custom else current
                break
            current = parent
        if top is not None and top.custom:
            top = None
        self.owner_of[resource.urn] = top
        return top

    def account(self, resource: PlanResource) -> str | None:
        if resource.provider is not None:
            explicit = self.provider_accounts.get(resource.provider)
            if explicit:
                return explicit
        return arn_account(resource.outputs.get("arn")) or self.default_account

    def placed(self) -> list[tuple[PlanResource, PlanResource | None]]:
        """Place every custom resource; return them with their owners, in plan order."""
        pending: list[tuple[PlanResource, PlanResource | None]] = []
        homes: dict[str | None, Counter[tuple[str | None, str | None]]] = {}
        order: list[tuple[PlanResource, PlanResource | None]] = []
        for resource in self.plan.resources:
            if not resource.custom or resource.type.startswith("pulumi:providers:"):
                continue
            owner = self.owner(resource)
            owner_urn = owner.urn if owner else None
            order.append((resource, owner))
            if resource.type.startswith(_GLOBAL_TYPE_PREFIXES):
                self.place_of[resource.urn] = (self.account(resource), GLOBAL_REGION)
            elif resource.region is None or resource.type.startswith(_REGIONLESS_TYPE_PREFIXES):
                pending.append((resource, owner))
            else:
                place = (self.account(resource), resource.region)
                self.place_of[resource.urn] = place
                homes.setdefault(owner_urn, Counter())[place] += 1
        for resource, owner in pending:
            counter = homes.get(owner.urn if owner else None)
            if counter:
                self.place_of[resource.urn] = counter.most_common(1)[0][0]
            else:
                self.place_of[resource.urn] = (self.account(resource), None)
        return order

    # - nodes

    def node_for(self, owner: PlanResource | None, place: tuple[str | None, str | None]) -> str:
        owner_name = owner.name if owner else PROGRAM_OWNER
        owner_type = owner.type if owner else ""
        key = (owner.urn if owner else PROGRAM_OWNER, *place)
        if key not in self.node_keys:
            account, region = place
            kind = owner_type.rsplit(":", 1)[-1] if owner_type else PROGRAM_OWNER
            node_id = f"{kind}:{owner_name}@{account or 'default'}/{region or 'none'}"
            self.node_keys[key] = node_id
            self.nodes[node_id] = DiagramNode(node_id, owner_name, owner_type, account, region, 0)
        return self.node_keys[key]

    def count(self, node_id: str) -> None:
        node = self.nodes[node_id]
        self.nodes[node_id] = DiagramNode(
            node.id,
            node.owner,
            node.owner_type,
            node.account,
            node.region,
            node.resources + 1,
            node.external,
        )

    def node_of(self, resource: PlanResource) -> str:
        return self.node_for(self.owner(resource), self.place_of[resource.urn])

    def pick(
        self,
        account: str | None,
        region: str,
        *,
        prefer_owner: str | None = None,
        prefer_type: str | None = None,
    ) -> str:
        """Return the node that stands for (account, region), making an external one if none."""
        candidates = [
            n
            for n in self.nodes.values()
            if not n.external and n.region == region and (account is None or n.account == account)
        ]
        for wanted in (
            [n for n in candidates if prefer_owner is not None and n.owner == prefer_owner],
            [n for n in candidates if prefer_type is not None and n.owner_type == prefer_type],
            candidates,
        ):
            if wanted:
                return wanted[0].id
        node_id = f"external@{account or 'default'}/{region}"
        if node_id not in self.nodes:
            self.nodes[node_id] = DiagramNode(node_id, "", "", account, region, 0, external=True)
        return node_id

    def link(self, source: str, target: str, kind: LinkKind, label: str) -> None:
        if source == target:
            return
        key = (source, target, kind, label)
        self.edges[key] = self.edges.get(key, 0) + 1

    def resource_by_arn(self, arn: Any) -> PlanResource | None:
        if not isinstance(arn, str):
            return None
        for resource in self.plan.resources:
            if resource.custom and resource.outputs.get("arn") == arn:
                return resource
        return None

    def node_by_arn(self, arn: Any, fallback_account: str | None) -> str | None:
        found = self.resource_by_arn(arn)
        if found is not None:
            return self.node_of(found)
        region = arn_region(arn)
        if region is None:
            return None
        return self.pick(arn_account(arn) or fallback_account, region)

    # - links

    def peering(self, resource: PlanResource, owner: PlanResource | None) -> None:
        peer_region = resource.inputs.get("peerRegion")
        if not isinstance(peer_region, str) or peer_region.startswith("["):
            return
        source = self.node_of(resource)
        peer_account = resource.inputs.get("peerAccountId")
        account = (
            peer_account
            if isinstance(peer_account, str) and _ACCOUNT_RE.match(peer_account)
            else self.place_of[resource.urn][0]
        )
        target = self.pick(account, peer_region, prefer_owner=owner.name if owner else None)
        self.link(source, target, LinkKind.PEERING, "TGW peering")

    def aurora(self, clusters: list[PlanResource]) -> None:
        groups: dict[str, list[PlanResource]] = {}
        for cluster in clusters:
            ident = cluster.inputs.get("globalClusterIdentifier")
            if isinstance(ident, str) and ident and not ident.startswith("["):
                groups.setdefault(ident, []).append(cluster)
        for members in groups.values():
            writers = [
                m
                for m in members
                if any(
                    m.inputs.get(key)
                    for key in ("masterUsername", "masterPassword", "manageMasterUserPassword")
                )
            ]
            primary = writers[0] if writers else members[0]
            for secondary in members:
                if secondary is not primary:
                    self.link(
                        self.node_of(primary),
                        self.node_of(secondary),
                        LinkKind.AURORA,
                        "Aurora global DB",
                    )

    def kafka(self, replicator: PlanResource) -> None:
        info = replicator.inputs.get("replicationInfoList")
        infos = info if isinstance(info, list) else [info]
        fallback = self.place_of[replicator.urn][0]
        for item in infos:
            if not isinstance(item, Mapping):
                continue
            source = self.node_by_arn(item.get("sourceKafkaClusterArn"), fallback)
            target = self.node_by_arn(item.get("targetKafkaClusterArn"), fallback)
            if source and target:
                self.link(source, target, LinkKind.KAFKA, "Kafka replication")

    def s3(self, config: PlanResource) -> None:
        bucket = config.inputs.get("bucket")
        source_bucket = next(
            (
                r
                for r in self.plan.resources
                if r.custom
                and r.type.startswith("aws:s3/bucket")
                and bucket in (r.outputs.get("bucket"), r.outputs.get("id"))
            ),
            None,
        )
        source = self.node_of(source_bucket or config)
        for rule in _as_list(config.inputs.get("rules")):
            destination = rule.get("destination") if isinstance(rule, Mapping) else None
            if not isinstance(destination, Mapping):
                continue
            target_bucket = self.resource_by_arn(destination.get("bucket"))
            if target_bucket is not None:
                self.link(source, self.node_of(target_bucket), LinkKind.S3, "S3 replication")

    def ecr(self, config: PlanResource) -> None:
        source = self.node_of(config)
        settings = config.inputs.get("replicationConfiguration")
        rules = _as_list(settings.get("rules")) if isinstance(settings, Mapping) else []
        for rule in rules:
            for destination in _as_list(rule.get("destinations")):
                region = destination.get("region")
                if not isinstance(region, str) or region.startswith("["):
                    continue
                registry = destination.get("registryId")
                account = (
                    registry
                    if isinstance(registry, str) and _ACCOUNT_RE.match(registry)
                    else self.place_of[config.urn][0]
                )
                self.link(source, self.pick(account, region), LinkKind.ECR, "ECR replication")

    def failover(self, record: PlanResource, owner: PlanResource | None) -> None:
        policies = _as_list(record.inputs.get("failoverRoutingPolicies"))
        role = next((p.get("type") for p in policies if isinstance(p.get("type"), str)), None)
        if role is None:
            return
        target = self.failover_target(record, owner, role)
        if target is not None:
            self.link(self.node_of(record), target, LinkKind.FAILOVER, f"failover {role}")

    def failover_target(
        self, record: PlanResource, owner: PlanResource | None, role: str
    ) -> str | None:
        # 1. An alias to a load balancer of the plan: that load balancer's place.
        for alias in _as_list(record.inputs.get("aliases")):
            name = str(alias.get("name", "")).rstrip(".").lower()
            for balancer in self.plan.by_type(_LOAD_BALANCER_TYPE):
                if str(balancer.outputs.get("dnsName", "")).lower() == name and name:
                    return self.node_of(balancer)
        # 2. A region named in the set identifier or the record values ("eu-west-1-primary").
        texts = [
            record.inputs.get("setIdentifier"),
            *_as_list(record.inputs.get("records")),
            *(alias.get("name") for alias in _as_list(record.inputs.get("aliases"))),
        ]
        for text in texts:
            match = _REGION_RE.search(str(text or ""))
            if match:
                return self.pick(None, match.group(1), prefer_type=_CELL_TYPE)
        # 3. The DR budget of the PilotLightDr that owns the record.
        budgets = self.plan.dr()
        if owner is not None and owner.type == _DR_TYPE:
            budgets = [b for b in budgets if b.get("component") == owner.urn] or budgets
        if budgets:
            key = "primary_region" if role == "PRIMARY" else "standby_region"
            region = budgets[0].get(key)
            if isinstance(region, str):
                return self.pick(None, region, prefer_type=_CELL_TYPE)
        return None

    def build(self) -> Diagram:
        order = self.placed()
        for resource, _owner in order:
            self.count(self.node_of(resource))
        aurora: list[PlanResource] = []
        for resource, owner in order:
            if resource.type == _PEERING_TYPE:
                self.peering(resource, owner)
            elif resource.type == _RDS_CLUSTER_TYPE:
                aurora.append(resource)
            elif resource.type == _MSK_REPLICATOR_TYPE:
                self.kafka(resource)
            elif resource.type == _S3_REPLICATION_TYPE:
                self.s3(resource)
            elif resource.type == _ECR_REPLICATION_TYPE:
                self.ecr(resource)
            elif resource.type == _RECORD_TYPE:
                self.failover(resource, owner)
        self.aurora(aurora)
        nodes = sorted(self.nodes.values(), key=self._node_order)
        # Registration order depends on when inputs resolve; sort so the text is stable.
        kinds = list(LinkKind)
        position = {node.id: index for index, node in enumerate(nodes)}
        edges = tuple(
            sorted(
                (
                    DiagramEdge(source, target, kind, label, count)
                    for (source, target, kind, label), count in self.edges.items()
                ),
                key=lambda e: (
                    kinds.index(e.kind),
                    position[e.source],
                    position[e.target],
                    e.label,
                ),
            )
        )
        return Diagram(f"{self.plan.project} / {self.plan.stack}", tuple(nodes), edges)

    def _node_order(self, node: DiagramNode) -> tuple[int, str, int, str, int]:
        first_seen = list(self.nodes)
        return (
            node.account is None,
            node.account or "",
            0 if node.region == GLOBAL_REGION else (2 if node.region is None else 1),
            node.region or "",
            first_seen.index(node.id),
        )


def _as_list(value: Any) -> list[Mapping[str, Any]]:
    """Return the mappings in ``value`` (a list, a single mapping, or nothing)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def build_diagram(plan: Plan) -> Diagram:
    """Reduce a plan to places (account, region, component) and cross-region links.

    Args:
        plan: A plan from :func:`obs_platform.testing.run` or
            :func:`~obs_platform.testing.run_program`.
    """
    return _Builder(plan).build()


def to_dot(plan: Plan) -> str:
    """Return the DOT text of a plan's diagram (see :func:`build_diagram`)."""
    return build_diagram(plan).to_dot()


FORMATS: tuple[str, ...] = ("svg", "png", "pdf", "dot")
"""The file formats :func:`render` writes, chosen by the file's suffix."""


def render(
    plan: Plan | Diagram,
    path: str | Path,
    *,
    dot_command: str = "dot",
    timeout_seconds: float = 60.0,
) -> Path:
    """Write a plan's diagram to ``path`` as SVG, PNG, PDF or DOT text (by suffix).

    Args:
        plan: The plan, or a diagram already built from it.
        path: The file to write; its suffix picks the format.
        dot_command: The graphviz ``dot`` executable (name or path).
        timeout_seconds: How long ``dot`` may run.

    Returns:
        The path written.

    Raises:
        ObsPlatformError: If the suffix is not a known format, ``dot`` is missing or fails.
    """
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ObsPlatformError(
            f"cannot draw a diagram as {target.name!r}: unknown format {fmt or '(none)'!r}.",
            field="path",
            value=str(path),
            fix=f"end the file name with one of {', '.join('.' + f for f in FORMATS)}.",
        )
    diagram = plan if isinstance(plan, Diagram) else build_diagram(plan)
    text = diagram.to_dot()
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        target.write_text(text, encoding="utf-8")
        return target
    executable = shutil.which(dot_command)
    if executable is None:
        raise ObsPlatformError(
            f"graphviz's {dot_command!r} command was not found, so {target.name} cannot be drawn.",
            field="dot_command",
            value=dot_command,
            fix="install graphviz (apt-get install graphviz, brew install graphviz) or write "
            "the DOT text with a .dot file name.",
        )
    completed = subprocess.run(  # a fixed argument list, no shell
        [executable, f"-T{fmt}", "-o", str(target)],
        input=text.encode(),
        capture_output=True,
        timeout=timeout_seconds,
        check=False,
    )
    if completed.returncode != 0:
        raise ObsPlatformError(
            f"graphviz failed to draw {target.name} (exit {completed.returncode}): "
            f"{completed.stderr.decode(errors='replace').strip()}",
            field="path",
            value=str(path),
            fix="write the diagram as .dot and run dot on it to see the problem; "
            "report it if the DOT text is at fault.",
        )
    return target
