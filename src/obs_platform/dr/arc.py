"""Automatic failover and gated failback with an ARC Region switch plan.

Children (``n`` is the DR component's name):

* ``{n}-arc-role`` (``aws:iam/role:Role``), assumed by ``arc-region-switch.amazonaws.com``, and
  ``{n}-arc-policy`` (``aws:iam/rolePolicy:RolePolicy``) limited to the global database, the two
  clusters, the health-check alarm and the hosted zone;
* ``{n}-arc-{site}-access`` (``aws:eks/accessEntry:AccessEntry``) and
  ``{n}-arc-{site}-scaling`` (``aws:eks/accessPolicyAssociation:AccessPolicyAssociation``) in
  each site's cluster: the ``AmazonARCRegionSwitchScalingPolicy``, scoped to the workloads'
  namespace, which the plan needs to scale deployments;
* ``{n}-arc-approver`` and ``{n}-arc-approver-policy``: the role a person assumes to approve a
  gated step (unless ``approval_role_arn`` is given), trusted by the account, allowed only to
  approve this plan's executions;
* ``{n}-region-switch`` (``aws:arcregionswitch/plan:Plan``), active/passive, with two workflows:

  - **activate the standby** (failover), started by the trigger on the ``/healthz`` alarm: a
    parallel step that raises the standby's node Auto Scaling group, scales its EKS workloads
    and fails the Aurora global database over (``failover``, data loss bounded by the RPO),
    then a Route 53 step that checks the failover records. No approval unless
    ``manual_approval`` (which the budget then charges).
  - **activate the primary** (failback), never triggered automatically: an approval step
    (``failback_approval``), an Aurora *switchover* (``switchoverOnly``: no data loss, refuses to
    run while the old primary is not caught up), the primary's scaling, then the Route 53 step.
    DNS returns only when the failback gate of :mod:`.route53` sees the primary's database as
    the writer again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from .aurora import AuroraParts
from .route53 import Route53Parts

if TYPE_CHECKING:
    from .args import PilotLightDrArgs
    from .pilot_light import PilotLightDr
    from .site import DrSite

ARC_SCALING_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy"
"""The EKS access policy Region switch needs on each cluster (ARC developer guide)."""
TRIGGER_ALARM_KEY = "primary-healthz"
"""Name the plan knows the health-check alarm by (its trigger condition refers to it)."""


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


def _cross_account(site: DrSite) -> dict[str, Any]:
    """Return ``cross_account_role`` for a site in another account than the plan, else nothing."""
    if site.cross_account_role_arn is None:
        return {}
    return {"cross_account_role": site.cross_account_role_arn}


def _scaling_step(name: str, target: DrSite, args: PilotLightDrArgs) -> dict[str, Any]:
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
                    {"cluster_arn": site.eks_cluster_arn, **_cross_account(site)}
                    for site in (args.primary, args.standby)
                ],
                "kubernetes_resource_types": [{"api_version": "apps/v1", "kind": "Deployment"}],
                "scaling_resources": [
                    {
                        "namespace": target.scaling_namespace,
                        "resources": [
                            {
                                "resource_name": deployment,
                                "name": deployment,
                                "namespace": target.scaling_namespace,
                            }
                            for deployment in target.scaling_deployments
                        ],
                    }
                ],
            }
        ],
    }


def _nodes_step(name: str, target: DrSite, args: PilotLightDrArgs) -> dict[str, Any]:
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
                    {"arn": site.node_group_asg_arn, **_cross_account(site)}
                    for site in (args.primary, args.standby)
                ],
            }
        ],
    }


def _aurora_step(
    name: str, behavior: str, aurora: AuroraParts, target: DrSite, owner_site: DrSite
) -> dict[str, Any]:
    """Return an Aurora step; ``owner_site`` is the site whose account holds the global cluster."""
    config: dict[str, Any] = {
        "behavior": behavior,
        "global_cluster_identifier": aurora.global_cluster.id,
        "database_cluster_arns": [aurora.primary_cluster.arn, aurora.standby_cluster.arn],
        "timeout_minutes": 15,
    }
    if behavior == "failover":
        config["ungracefuls"] = [{"ungraceful": "failover"}]
    config.update(_cross_account(owner_site))
    return {
        "name": name,
        "execution_block_type": "AuroraGlobalDatabase",
        "description": f"Make {target.name}'s cluster the global database's writer.",
        "global_aurora_configs": [config],
    }


def _route53_step(name: str, args: PilotLightDrArgs, dns: Route53Parts) -> dict[str, Any]:
    return {
        "name": name,
        "execution_block_type": "Route53HealthCheck",
        "description": "Check the failover records' health checks.",
        "route53_health_check_configs": [
            {
                "hosted_zone_id": args.zone_id,
                "record_name": args.record_name,
                "timeout_minutes": 5,
                "record_sets": [
                    {
                        "record_set_identifier": dns.primary_set_identifier,
                        "region": args.primary.region,
                    },
                    {
                        "record_set_identifier": dns.standby_set_identifier,
                        "region": args.standby.region,
                    },
                ],
            }
        ],
    }


def create_region_switch(
    owner: PilotLightDr, args: PilotLightDrArgs, dns: Route53Parts, aurora: AuroraParts | None
) -> aws.arcregionswitch.Plan:
    """Create the execution role, the clusters' access entries and the Region switch plan."""
    primary, standby = args.primary, args.standby
    role = aws.iam.Role(
        owner.child_name("arc-role"),
        assume_role_policy=_policy(
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
    clusters = [s.eks_cluster_arn for s in (primary, standby) if s.eks_cluster_arn is not None]
    db_arns: list[Any] = (
        [aurora.global_cluster.arn, aurora.primary_cluster.arn, aurora.standby_cluster.arn]
        if aurora is not None
        else []
    )

    asgs = [s.node_group_asg_arn for s in (primary, standby) if s.node_group_asg_arn is not None]

    def statements(values: list[Any]) -> str:
        n_clusters, n_asgs = len(clusters), len(asgs)
        cluster_arns, rest = values[:n_clusters], values[n_clusters:]
        asg_arns, rest = rest[:n_asgs], rest[n_asgs:]
        alarm_arn, db = rest[0], rest[1:]
        found: list[dict[str, Any]] = [
            {
                "Sid": "ReadTriggerAlarm",
                "Effect": "Allow",
                "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
                "Resource": alarm_arn,
            },
            {
                "Sid": "CheckHealth",
                "Effect": "Allow",
                "Action": [
                    "route53:GetHealthCheckStatus",
                    "route53:ListResourceRecordSets",
                    "route53:GetHealthCheck",
                ],
                "Resource": "*",
            },
        ]
        if asg_arns:
            found.append(
                {
                    "Sid": "ReadCapacity",
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:DescribeAutoScalingGroups",
                        "cloudwatch:GetMetricStatistics",
                    ],
                    "Resource": "*",
                }
            )
            found.append(
                {
                    "Sid": "ScaleNodes",
                    "Effect": "Allow",
                    "Action": ["autoscaling:UpdateAutoScalingGroup"],
                    "Resource": asg_arns,
                }
            )
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
        if db:
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
                    "Resource": db,
                }
            )
        return _policy(found)

    policy = aws.iam.RolePolicy(
        owner.child_name("arc-policy"),
        role=role.id,
        policy=pulumi.Output.all(*clusters, *asgs, dns.alarm.arn, *db_arns).apply(statements),
        opts=owner.child_opts(),
    )
    grants: list[pulumi.Resource] = [policy]
    for role_name, site in (("primary", primary), ("standby", standby)):
        if site.eks_cluster_name is None:
            continue
        principal = (
            site.cross_account_role_arn if site.cross_account_role_arn is not None else role.arn
        )
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
                lambda acct: _policy(
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
                lambda acct: _policy(
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
            parallel.append(_nodes_step(f"nodes-{target.name}", target, args))
        if target.eks_cluster_arn is not None:
            parallel.append(_scaling_step(f"scale-{target.name}", target, args))
        if aurora is not None:
            parallel.append(
                _aurora_step(
                    f"database-{target.name}",
                    "switchoverOnly" if failback else "failover",
                    aurora,
                    target,
                    primary,
                )
            )
        if len(parallel) > 1:
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
        steps.append(_route53_step("check-dns", args, dns))
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
                "conditions": [{"associated_alarm_name": TRIGGER_ALARM_KEY, "condition": "red"}],
            }
        )
    return aws.arcregionswitch.Plan(
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
            }
        ],
        triggers=triggers or None,
        workflows=[workflow(standby, failback=False), workflow(primary, failback=True)],
        tags=owner.tags({"Name": owner.child_name("region-switch")}),
        opts=owner.child_opts(depends_on=grants),
    )
