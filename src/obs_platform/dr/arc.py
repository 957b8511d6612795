"""Automatic failover and gated failback with an ARC Region switch plan.

Children (``n`` is the DR component's name):

* ``{n}-arc-role`` (``aws:iam/role:Role``), assumed by ``arc-region-switch.amazonaws.com``, and
  ``{n}-arc-policy`` (``aws:iam/rolePolicy:RolePolicy``) limited to the global database, the two
  clusters, the Auto Scaling groups, the trigger alarms and, for a site in another account, the
  ``sts:AssumeRole`` of that site's cross-account role;
* for a site in another account (its own ``provider``) without a ``cross_account_role_arn``:
  ``{n}-arc-{site}-cross-account`` (``aws:iam/role:Role``) and
  ``{n}-arc-{site}-cross-account-policy``, created IN that account through that provider,
  trusting only the execution role with an external ID (ARC guide, *Cross-account resource
  permissions*), allowed what ARC's sample policies list for the EC2 Auto Scaling and EKS
  execution blocks, on that site's group and cluster only;
* ``{n}-arc-{site}-access`` (``aws:eks/accessEntry:AccessEntry``) and
  ``{n}-arc-{site}-scaling`` (``aws:eks/accessPolicyAssociation:AccessPolicyAssociation``) in
  each site's cluster: the ``AmazonARCRegionSwitchScalingPolicy``, scoped to the workloads'
  namespace, which the plan needs to scale deployments (for the principal that reaches the
  cluster: the execution role, or the site's cross-account role);
* ``{n}-arc-approver`` and ``{n}-arc-approver-policy``: the role a person assumes to approve a
  gated step (unless ``approval_role_arn`` is given), trusted by the account, allowed only to
  approve this plan's executions;
* ``{n}-region-switch`` (``aws:arcregionswitch/plan:Plan``), active/passive, with two workflows:

  - **activate the standby** (failover): a parallel step that raises the standby's node Auto
    Scaling group, scales its EKS workloads and makes the standby's Aurora cluster the writer:
    a *switchover* (``switchoverOnly``, no data loss) when the execution is graceful, a
    *failover* with data loss only when it is ungraceful (the primary region is impaired). No
    approval unless ``manual_approval`` (which the budget then charges).
  - **activate the primary** (failback), never triggered automatically: an approval step
    (``failback_approval``), an Aurora switchover (graceful and ungraceful alike: a failback
    never loses data) and the primary's scaling.

  Traffic follows the Route 53 health checks of :mod:`.route53`, not a plan step: the PRIMARY
  record's gate turns unhealthy while the primary's ``/healthz`` fails or its database is not
  the writer. (The plan's ``Route53HealthCheck`` block would create health checks of its own
  that must then be attached to the records; the library's records already carry theirs, so
  the block is not used.)

  The trigger starts the failover workflow when the ``/healthz`` alarm is red AND the
  ``never-healthy`` alarm is green, that is once the primary has passed its health check at
  least once in the last day: a primary that has never served (a first deploy whose workloads
  are not up yet) is not failed over, with data loss, from day one.

Which mode does a triggered execution run in? Not documented: only ``StartPlanExecution``
carries ``mode``; the trigger has none (botocore ``arc-region-switch`` ``Trigger``: action,
targetRegion, conditions, minDelayMinutesBetweenExecutions, description), workflows are per
action and region (``Workflow``), and the ARC guide, API reference, CloudFormation,
terraform-provider-aws and pulumi-aws say nothing more (docs/concepts/dr-model.md lists what was
read). The plan is right either way: a graceful triggered execution that meets a regional outage
pauses at the database step (``pausedByFailedStep``), and :mod:`.ungraceful` (with the user's
consent, ``PilotLightDrArgs.automatic_ungraceful_failover``) or the operator
(``obs-platform dr failover --unplanned --allow-data-loss``) switches it to ungraceful
(``UpdatePlanExecution`` ``switchToUngraceful``) instead of starting a second one; an
ungraceful one fails over at once, within the RPO that consent covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .._internal.iam import policy_document
from .aurora import AuroraParts
from .checks import other_account
from .route53 import Route53Parts

if TYPE_CHECKING:
    from .args import PilotLightDrArgs
    from .pilot_light import PilotLightDr
    from .site import DrSite

ARC_SCALING_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
"""The EKS access policy Region switch needs on each cluster (ARC developer guide)."""
TRIGGER_ALARM_KEY = "primary-healthz"
"""Name the plan knows the health-check alarm by (its trigger condition refers to it)."""
SERVED_ALARM_KEY = "primary-never-healthy"
"""Name the plan knows the "primary has never been healthy" alarm by (the trigger needs it
green)."""


@dataclass(frozen=True)
class RegionSwitchParts:
    """What :func:`create_region_switch` made."""

    plan: aws.arcregionswitch.Plan
    failover_database_steps: tuple[str, ...]
    """The failover workflow's step with the Aurora block and the step containing it."""


def _cross_account(site: DrSite) -> dict[str, Any]:
    """Return ``cross_account_role`` for a site with a caller-given role, else nothing."""
    if site.cross_account_role_arn is None:
        return {}
    return {"cross_account_role": site.cross_account_role_arn}


def _scaling_step(
    name: str, target: DrSite, args: PilotLightDrArgs, cross: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    # botocore arc-region-switch: scalingResources is a list of KubernetesScalingApplication
    # (application key -> RegionalScalingResource), and RegionalScalingResource is keyed by
    # Region (pattern [a-z]{2}-[a-z-]+-\d+): one entry per region of the plan, so that Region
    # switch can sample the capacity the deactivating region ran. terraform-provider-aws
    # (arcregionswitch expand.go) maps resource_name to that Region key.
    sites = (args.primary, args.standby)
    return {
        "name": name,
        "execution_block_type": "EKSResourceScaling",
        "description": f"Scale {target.name}'s workloads to the capacity the other region ran.",
        "eks_resource_scaling_configs": [
            {
                "capacity_monitoring_approach": "sampledMaxInLast24Hours",
                "target_percent": 100,
                "timeout_minutes": 10,
                "eks_clusters": [
                    {"cluster_arn": site.eks_cluster_arn, **cross.get(site.name, {})}
                    for site in sites
                ],
                "kubernetes_resource_types": [{"api_version": "apps/v1", "kind": "Deployment"}],
                "scaling_resources": [
                    {
                        "namespace": deployment,
                        "resources": [
                            {
                                "resource_name": site.region,
                                "name": deployment,
                                "namespace": site.scaling_namespace,
                            }
                            for site in sites
                        ],
                    }
                    for deployment in target.scaling_deployments
                ],
            }
        ],
    }


def _nodes_step(
    name: str, target: DrSite, args: PilotLightDrArgs, cross: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    return {
        "name": name,
        "execution_block_type": "EC2AutoScaling",
        "description": f"Raise {target.name}'s node capacity to what the other region ran.",
        "ec2_asg_capacity_increase_configs": [
            {
                "capacity_monitoring_approach": "sampledMaxInLast24Hours",
                "target_percent": 100,
                "timeout_minutes": 10,
                "asgs": [
                    {"arn": site.node_group_asg_arn, **cross.get(site.name, {})}
                    for site in (args.primary, args.standby)
                ],
            }
        ],
    }


def _aurora_step(
    name: str, failback: bool, aurora: AuroraParts, target: DrSite, owner_site: DrSite
) -> dict[str, Any]:
    """Return an Aurora step; ``owner_site`` is the site whose account holds the global cluster.

    botocore arc-region-switch ``GlobalAuroraConfiguration.behavior``: ``switchoverOnly`` calls
    SwitchoverGlobalCluster (no data loss) in a graceful execution; ``failover`` calls
    FailoverGlobalCluster with AllowDataLoss "including during graceful execution". So both
    workflows switch over when graceful, and only the failover workflow's *ungraceful* path
    fails over with data loss. Without ``ungraceful`` (the failback) Region switch uses
    ``behavior``: a failback never loses data.
    """
    config: dict[str, Any] = {
        "behavior": "switchoverOnly",
        "global_cluster_identifier": aurora.global_cluster.id,
        "database_cluster_arns": [aurora.primary_cluster.arn, aurora.standby_cluster.arn],
        "timeout_minutes": 15,
    }
    if not failback:
        config["ungracefuls"] = [{"ungraceful": "failover"}]
    config.update(_cross_account(owner_site))
    return {
        "name": name,
        "execution_block_type": "AuroraGlobalDatabase",
        "description": f"Make {target.name}'s cluster the global database's writer.",
        "global_aurora_configs": [config],
    }


def scaling_statements(asg_arns: list[str], cluster_arns: list[str]) -> list[dict[str, Any]]:
    """Return the IAM statements the EC2 Auto Scaling and EKS resource scaling blocks need.

    ARC developer guide, the sample policies of those execution blocks: read capacity
    everywhere, update only the plan's groups; describe the plan's clusters and their access
    entries.
    """
    found: list[dict[str, Any]] = []
    if asg_arns:
        found += [
            {
                "Sid": "ReadCapacity",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "cloudwatch:GetMetricStatistics",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ScaleNodes",
                "Effect": "Allow",
                "Action": ["autoscaling:UpdateAutoScalingGroup"],
                "Resource": asg_arns,
            },
        ]
    if cluster_arns:
        found.append(
            {
                "Sid": "ScaleWorkloads",
                "Effect": "Allow",
                "Action": ["eks:DescribeCluster", "eks:ListAssociatedAccessPolicies"],
                "Resource": cluster_arns
                + [a.replace(":cluster/", ":access-entry/", 1) + "/*" for a in cluster_arns],
            }
        )
    return found


def external_id(owner: PilotLightDr, role: str) -> str:
    """Return the external ID the plan presents to a site's cross-account role.

    Deterministic (the plan and the role must agree on it) and unique per plan and site, which
    is what an external ID is for (IAM user guide, confused-deputy prevention).
    """
    return owner.child_name(f"region-switch-{role}")


def _create_cross_account_role(
    owner: PilotLightDr, role_name: str, site: DrSite, execution_role: aws.iam.Role
) -> aws.iam.Role:
    """Create the role the plan assumes in ``site``'s account, through the site's provider."""
    name = owner.child_name(f"arc-{role_name}-cross-account")
    ext = external_id(owner, role_name)
    cross = aws.iam.Role(
        name,
        assume_role_policy=execution_role.arn.apply(
            lambda arn: policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": arn},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": ext}},
                    }
                ]
            )
        ),
        description="Region switch plan steps on this account's nodes and cluster.",
        tags=owner.tags({"Name": name}),
        opts=owner.child_opts(**site.opts()),
    )

    def statements(values: dict[str, Any]) -> str:
        asgs = [values["asg"]] if values.get("asg") else []
        clusters = [values["cluster"]] if values.get("cluster") else []
        return policy_document(scaling_statements(asgs, clusters))

    aws.iam.RolePolicy(
        f"{name}-policy",
        role=cross.id,
        policy=pulumi.Output.all(asg=site.node_group_asg_arn, cluster=site.eks_cluster_arn).apply(
            statements
        ),
        opts=owner.child_opts(**site.opts()),
    )
    return cross


def create_region_switch(
    owner: PilotLightDr, args: PilotLightDrArgs, dns: Route53Parts, aurora: AuroraParts | None
) -> RegionSwitchParts:
    """Create the execution role, the cross-account roles, access entries and the plan."""
    primary, standby = args.primary, args.standby
    role = aws.iam.Role(
        owner.child_name("arc-role"),
        assume_role_policy=policy_document(
            [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "arc-region-switch.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        ),
        description="Executes the pilot-light Region switch plan.",
        tags=owner.tags({"Name": owner.child_name("arc-role")}),
        opts=owner.child_opts(),
    )
    # The role the plan uses in each site: a caller-given one, one this component creates in a
    # site of another account, or none (the execution role itself).
    cross: dict[str, dict[str, Any]] = {}
    principals: dict[str, Any] = {}
    for role_name, site in (("primary", primary), ("standby", standby)):
        if site.cross_account_role_arn is not None:
            cross[site.name] = {"cross_account_role": site.cross_account_role_arn}
        elif role_name == "standby" and other_account(primary, standby):
            created = _create_cross_account_role(owner, role_name, site, role)
            cross[site.name] = {
                "cross_account_role": created.arn,
                "external_id": external_id(owner, role_name),
            }
        if site.name in cross:
            principals[site.name] = cross[site.name]["cross_account_role"]
    clusters = [s.eks_cluster_arn for s in (primary, standby) if s.eks_cluster_arn is not None]
    asgs = [s.node_group_asg_arn for s in (primary, standby) if s.node_group_asg_arn is not None]
    db_arns: list[Any] = (
        [aurora.global_cluster.arn, aurora.primary_cluster.arn, aurora.standby_cluster.arn]
        if aurora is not None
        else []
    )

    def statements(values: dict[str, Any]) -> str:
        found: list[dict[str, Any]] = [
            {
                "Sid": "ReadTriggerAlarms",
                "Effect": "Allow",
                "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
                "Resource": values["alarms"],
            }
        ]
        found += scaling_statements(values["asgs"], values["clusters"])
        if values["db"]:
            found.append(
                {
                    "Sid": "FailOverGlobalDatabase",
                    "Effect": "Allow",
                    "Action": [
                        "rds:FailoverGlobalCluster",
                        "rds:SwitchoverGlobalCluster",
                        "rds:DescribeGlobalClusters",
                        "rds:DescribeDBClusters",
                    ],
                    "Resource": values["db"],
                }
            )
        if values["cross"]:
            # ARC guide, cross-account resource permissions: the execution role needs
            # sts:AssumeRole on each cross-account role a step names.
            found.append(
                {
                    "Sid": "AssumeCrossAccountRoles",
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Resource": values["cross"],
                }
            )
        return policy_document(found)

    policy = aws.iam.RolePolicy(
        owner.child_name("arc-policy"),
        role=role.id,
        policy=pulumi.Output.all(
            alarms=pulumi.Output.all(dns.alarm.arn, dns.never_healthy_alarm.arn),
            asgs=pulumi.Output.all(*asgs),
            clusters=pulumi.Output.all(*clusters),
            db=pulumi.Output.all(*db_arns),
            cross=pulumi.Output.all(*principals.values()),
        ).apply(statements),
        opts=owner.child_opts(),
    )
    grants: list[pulumi.Resource] = [policy]
    for role_name, site in (("primary", primary), ("standby", standby)):
        if site.eks_cluster_name is None:
            continue
        principal = principals.get(site.name, role.arn)
        entry = aws.eks.AccessEntry(
            owner.child_name(f"arc-{role_name}-access"),
            cluster_name=site.eks_cluster_name,
            principal_arn=principal,
            type="STANDARD",
            region=site.region,
            tags=owner.tags({"Name": owner.child_name(f"arc-{role_name}-access")}),
            opts=owner.child_opts(**site.opts()),
        )
        grants.append(
            aws.eks.AccessPolicyAssociation(
                owner.child_name(f"arc-{role_name}-scaling"),
                cluster_name=site.eks_cluster_name,
                principal_arn=principal,
                policy_arn=ARC_SCALING_POLICY,
                access_scope={"type": "namespace", "namespaces": [site.scaling_namespace]},
                region=site.region,
                opts=owner.child_opts(**site.opts(), depends_on=[entry]),
            )
        )

    approver: Any = args.approval_role_arn
    if approver is None and (args.failback_approval or args.manual_approval):
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=owner))
        approver_role = aws.iam.Role(
            owner.child_name("arc-approver"),
            assume_role_policy=account.account_id.apply(
                lambda acct: policy_document(
                    [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                )
            ),
            description="Approves the Region switch plan's gated steps (failback).",
            tags=owner.tags({"Name": owner.child_name("arc-approver")}),
            opts=owner.child_opts(),
        )
        aws.iam.RolePolicy(
            owner.child_name("arc-approver-policy"),
            role=approver_role.id,
            policy=account.account_id.apply(
                lambda acct: policy_document(
                    [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "arc-region-switch:ApprovePlanExecutionStep",
                                "arc-region-switch:GetPlanExecution",
                                "arc-region-switch:ListPlanExecutions",
                            ],
                            "Resource": f"arn:aws:arc-region-switch::{acct}:plan/"
                            f"{owner.child_name('region-switch')}*",
                        }
                    ]
                )
            ),
            opts=owner.child_opts(),
        )
        approver = approver_role.arn

    # Names of the failover workflow's step that holds the Aurora block and of the step that
    # contains it: what the automatic ungraceful path looks for (:mod:`.ungraceful`).
    database_steps: list[str] = []

    def workflow(target: DrSite, failback: bool) -> dict[str, Any]:
        steps: list[dict[str, Any]] = []
        approval = args.failback_approval if failback else args.manual_approval
        if approval:
            steps.append(
                {
                    "name": "approve",
                    "execution_block_type": "ManualApproval",
                    "description": "A person confirms before anything moves.",
                    "execution_approval_configs": [
                        {"approval_role": approver, "timeout_minutes": 60}
                    ],
                }
            )
        parallel: list[dict[str, Any]] = []
        if all(s.node_group_asg_arn is not None for s in (primary, standby)):
            parallel.append(_nodes_step(f"nodes-{target.name}", target, args, cross))
        if target.eks_cluster_arn is not None:
            parallel.append(_scaling_step(f"scale-{target.name}", target, args, cross))
        if aurora is not None:
            parallel.append(
                _aurora_step(f"database-{target.name}", failback, aurora, target, primary)
            )
            if not failback:
                database_steps.append(f"database-{target.name}")
        if len(parallel) > 1:
            if aurora is not None and not failback:
                database_steps.append("recover")
            steps.append(
                {
                    "name": "recover",
                    "execution_block_type": "Parallel",
                    "description": "Scale compute and promote the database together.",
                    "parallel_configs": [{"steps": parallel}],
                }
            )
        else:
            steps.extend(parallel)
        kind = "failback to" if failback else "failover to"
        return {
            "workflow_target_action": "activate",
            "workflow_target_region": target.region,
            "workflow_description": f"{kind} {target.name} ({target.region})",
            "steps": steps,
        }

    triggers: list[dict[str, Any]] = []
    if args.automatic_failover:
        triggers.append(
            {
                "action": "activate",
                "target_region": standby.region,
                "min_delay_minutes_between_executions": 60,
                "description": "Primary /healthz failing: fail over to the standby.",
                # Every condition must hold (botocore Trigger.conditions: "the conditions that
                # must be met for the trigger to fire"): /healthz failing AND the primary healthy
                # at least once in the last day.
                "conditions": [
                    {"associated_alarm_name": TRIGGER_ALARM_KEY, "condition": "red"},
                    {"associated_alarm_name": SERVED_ALARM_KEY, "condition": "green"},
                ],
            }
        )
    plan = aws.arcregionswitch.Plan(
        owner.child_name("region-switch"),
        name=owner.child_name("region-switch"),
        description=f"Pilot-light failover {primary.name} -> {standby.name}, gated failback.",
        execution_role=role.arn,
        recovery_approach="activePassive",
        regions=[primary.region, standby.region],
        primary_region=primary.region,
        recovery_time_objective_minutes=max(1, args.rto_target_seconds // 60),
        associated_alarms=[
            {
                "map_block_key": TRIGGER_ALARM_KEY,
                "alarm_type": "trigger",
                "resource_identifier": dns.alarm.arn,
            },
            {
                "map_block_key": SERVED_ALARM_KEY,
                "alarm_type": "trigger",
                "resource_identifier": dns.never_healthy_alarm.arn,
            },
        ],
        triggers=triggers or None,
        workflows=[workflow(standby, failback=False), workflow(primary, failback=True)],
        tags=owner.tags({"Name": owner.child_name("region-switch")}),
        opts=owner.child_opts(depends_on=grants),
    )
    return RegionSwitchParts(plan=plan, failover_database_steps=tuple(database_steps))
