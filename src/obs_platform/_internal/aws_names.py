"""Physical names of AWS resources: what pulumi-aws auto-names and what AWS accepts.

When a resource's naming attribute is left out, pulumi-aws v7 fills it in ("auto-naming") as
the logical name, a separator and 7 random hex characters (``resource.NewUniqueName`` in the
Pulumi SDK, called by the bridge's ``ComputeAutoNameDefault``). If that cannot fit the
attribute's maximum length, ``pulumi preview`` fails with::

    name 'eu-west-1-ingress-targets-' plus 7 random chars is longer than maximum length 32

Every resource with an input called ``name`` is auto-named with a 255-character budget
(``provider/autonaming.go``: ``setAutonaming`` with ``maxLength := 255``); the provider mapping
overrides the attribute, the budget or the case for some types (``provider/aliases.go``,
``provider/resource_overrides.go``). Whatever the name, auto or explicit, terraform-provider-aws
then validates it (``ValidateFunc`` in its schemas) and AWS enforces its API constraints (the
botocore service model). :data:`NAME_RULES` holds one row per resource type with each of those
facts and where it comes from; the offline engine checks every registration against it and
components check their own names with :func:`longest_component_name`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

AUTONAME_RANDOM_CHARS = 7
"""Random hex characters pulumi-aws appends to an auto-name (``Randlen: 7``)."""

DEFAULT_AUTONAME_MAX = 255
"""The auto-name budget of every ``name`` input without an override (``autonaming.go``)."""

PULUMI_AWS = "pulumi/pulumi-aws provider"
TF_AWS = "hashicorp/terraform-provider-aws internal/service"
BOTOCORE = "botocore service model"


@dataclass(frozen=True)
class NameCheck:
    """One validation a physical name must pass, with the provider's own message.

    Attributes:
        message: The message terraform-provider-aws (or AWS) gives, with ``{attr}`` for the
            attribute; said when ``ok`` returns False.
        ok: Whether a name passes.
        source: Where the rule is written.
    """

    message: str
    ok: Callable[[str], bool]
    source: str


@dataclass(frozen=True)
class NameRule:
    """How one resource type is named.

    Attributes:
        type_token: The Pulumi type token.
        attribute: The input that carries the physical name (camelCase, as on the wire), or
            ``None`` when the type has no physical name of its own (tags carry ``Name``).
        autonamed: Whether pulumi-aws fills ``attribute`` in when it is left out.
        autoname_max: The maximum length pulumi-aws budgets for the auto-name.
        lowercase: Whether pulumi-aws lowercases the logical name before auto-naming.
        prefix: What pulumi-aws puts before the auto-name (``alias/`` for KMS aliases).
        max_length: The longest name AWS / terraform-provider-aws accept.
        checks: Further rules on the characters, each with its message.
        source: Where the auto-naming facts and limits come from.
    """

    type_token: str
    attribute: str | None
    autonamed: bool = True
    autoname_max: int = DEFAULT_AUTONAME_MAX
    lowercase: bool = False
    prefix: str = ""
    max_length: int | None = None
    checks: tuple[NameCheck, ...] = ()
    source: str = ""
    notes: str = field(default="", compare=False)

    @property
    def limit(self) -> int | None:
        """The tightest length limit on the full physical name."""
        limits = [n for n in (self.max_length,) if n is not None]
        if self.autonamed:
            limits.append(self.autoname_max + len(self.prefix))
        return min(limits) if limits else None

    def autoname_overhead(self) -> int:
        """Characters an auto-name adds to the logical name: ``-`` and the random suffix."""
        return 1 + AUTONAME_RANDOM_CHARS

    def longest_logical_name(self) -> int | None:
        """The longest logical name whose auto-name fits every limit."""
        if not self.autonamed:
            return None
        budget = self.autoname_max - self.autoname_overhead()
        if self.max_length is not None:
            budget = min(budget, self.max_length - len(self.prefix) - self.autoname_overhead())
        return budget


def _regex(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _length(maximum: int, minimum: int = 1) -> Callable[[str], bool]:
    return lambda value: minimum <= len(value) <= maximum


_LB_CHARS = NameCheck(
    'only alphanumeric characters and hyphens allowed in "{attr}"',
    _regex(r"[0-9A-Za-z-]+"),
    f"{TF_AWS}/elbv2/validate.go (validName, validTargetGroupName)",
)
_LB_NO_EDGE_HYPHEN = NameCheck(
    '"{attr}" cannot begin or end with a hyphen',
    lambda v: not v.startswith("-") and not v.endswith("-"),
    f"{TF_AWS}/elbv2/validate.go (validName, validTargetGroupName)",
)
_RDS_IDENTIFIER = (
    NameCheck(
        'only lowercase alphanumeric characters and hyphens allowed in "{attr}"',
        _regex(r"[0-9a-z-]+"),
        f"{TF_AWS}/rds/validate.go (validIdentifier)",
    ),
    NameCheck(
        'first character of "{attr}" must be a letter',
        _regex(r"[a-z].*"),
        f"{TF_AWS}/rds/validate.go (validIdentifier)",
    ),
    NameCheck(
        '"{attr}" cannot contain two consecutive hyphens',
        lambda v: "--" not in v,
        f"{TF_AWS}/rds/validate.go (validIdentifier)",
    ),
    NameCheck(
        '"{attr}" cannot end with a hyphen',
        lambda v: not v.endswith("-"),
        f"{TF_AWS}/rds/validate.go (validIdentifier)",
    ),
)
_IAM_CHARS = NameCheck(
    '"{attr}" must match [\\w+=,.@-]',
    _regex(r"[\w+=,.@-]+"),
    f"{TF_AWS}/iam/validate.go (validResourceName)",
)


def _no_name(type_token: str, source: str) -> NameRule:
    return NameRule(type_token, None, autonamed=False, source=source)


_NO_NAME_INPUT = (
    "pulumi-aws schema: no `name` input, so nothing is auto-named (the resource is "
    "identified by its ID; tags carry `Name`)"
)

NAME_RULES: dict[str, NameRule] = {
    rule.type_token: rule
    for rule in (
        # --- Elastic Load Balancing v2 ----------------------------------------------------
        NameRule(
            "aws:lb/targetGroup:TargetGroup",
            "name",
            autoname_max=32,
            max_length=32,
            checks=(_LB_CHARS, _LB_NO_EDGE_HYPHEN),
            source=f'{PULUMI_AWS}/aliases.go: aws_lb_target_group "name": '
            'tfbridge.AutoName("name", 32, "-"); limits from '
            f"{TF_AWS}/elbv2/validate.go validTargetGroupName",
        ),
        NameRule(
            "aws:lb/loadBalancer:LoadBalancer",
            "name",
            max_length=32,
            checks=(
                _LB_CHARS,
                _LB_NO_EDGE_HYPHEN,
                NameCheck(
                    '"{attr}" cannot begin with "internal-"',
                    lambda v: not v.startswith("internal-"),
                    f"{TF_AWS}/elbv2/validate.go (validName)",
                ),
            ),
            source=f"{PULUMI_AWS}/aliases.go: aws_lb has no override, so the default 255 "
            f"(autonaming.go); {TF_AWS}/elbv2/validate.go validName: at most 32",
        ),
        _no_name("aws:lb/listener:Listener", _NO_NAME_INPUT),
        _no_name("aws:lb/targetGroupAttachment:TargetGroupAttachment", _NO_NAME_INPUT),
        _no_name("aws:autoscaling/attachment:Attachment", _NO_NAME_INPUT),
        # --- IAM ----------------------------------------------------------------------------
        NameRule(
            "aws:iam/role:Role",
            "name",
            autoname_max=64,
            max_length=64,
            checks=(_IAM_CHARS,),
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_iam_role "name": '
            'tfbridge.AutoName("name", 64, "-"); '
            f"{TF_AWS}/iam/role.go roleNameMaxLen = 64, iam/validate.go validResourceName",
        ),
        NameRule(
            "aws:iam/rolePolicy:RolePolicy",
            "name",
            max_length=128,
            checks=(_IAM_CHARS,),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); "
            f"{TF_AWS}/iam/validate.go validRolePolicyName; {BOTOCORE} iam PutRolePolicy "
            "PolicyName max 128",
        ),
        NameRule(
            "aws:iam/policy:Policy",
            "name",
            max_length=128,
            checks=(_IAM_CHARS,),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} iam "
            "CreatePolicy PolicyName: max 128, [\\w+=,.@-]+",
        ),
        NameRule(
            "aws:iam/instanceProfile:InstanceProfile",
            "name",
            max_length=128,
            checks=(_IAM_CHARS,),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} iam "
            "CreateInstanceProfile InstanceProfileName: max 128, [\\w+=,.@-]+",
        ),
        _no_name("aws:iam/rolePolicyAttachment:RolePolicyAttachment", _NO_NAME_INPUT),
        _no_name("aws:iam/openIdConnectProvider:OpenIdConnectProvider", _NO_NAME_INPUT),
        # --- KMS ----------------------------------------------------------------------------
        _no_name("aws:kms/key:Key", _NO_NAME_INPUT),
        _no_name("aws:kms/replicaKey:ReplicaKey", _NO_NAME_INPUT),
        NameRule(
            "aws:kms/alias:Alias",
            "name",
            autoname_max=238,
            prefix="alias/",
            max_length=256,
            checks=(
                NameCheck(
                    "\"{attr}\" must begin with 'alias/' and be comprised of only [a-zA-Z0-9:/_-]",
                    _regex(r"alias/[a-zA-Z0-9:/_-]+"),
                    f"{TF_AWS}/kms/validate.go (validName)",
                ),
                NameCheck(
                    "\"{attr}\" cannot begin with reserved AWS CMK prefix 'alias/aws'",
                    lambda v: not v.startswith("alias/aws"),
                    f"{TF_AWS}/kms/validate.go (validName)",
                ),
            ),
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_kms_alias "name": Maxlen 238, '
            'Randlen 7, PostTransform prefixes "alias/"; '
            f"{BOTOCORE} kms CreateAlias AliasName max 256",
        ),
        # --- S3 -----------------------------------------------------------------------------
        NameRule(
            "aws:s3/bucket:Bucket",
            "bucket",
            autoname_max=63,
            lowercase=True,
            max_length=63,
            checks=(
                NameCheck(
                    'only lowercase alphanumeric characters and hyphens allowed in "{attr}"',
                    _regex(r"[0-9a-z.-]+"),
                    f"{TF_AWS}/s3/bucket.go (validBucketName)",
                ),
                NameCheck(
                    '"{attr}" must contain from 3 to 63 characters',
                    _length(63, 3),
                    f"{TF_AWS}/s3/bucket.go (validBucketName)",
                ),
                NameCheck(
                    '"{attr}" cannot start or end with a period',
                    lambda v: not v.startswith(".") and not v.endswith("."),
                    f"{TF_AWS}/s3/bucket.go (validBucketName)",
                ),
            ),
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_s3_bucket "bucket": '
            'tfbridge.AutoNameTransform("bucket", 63, strings.ToLower); '
            f"{TF_AWS}/s3/bucket.go validBucketName",
        ),
        *(
            _no_name(f"aws:s3/{kind[0].lower()}{kind[1:]}:{kind}", _NO_NAME_INPUT)
            for kind in (
                "BucketPolicy",
                "BucketPublicAccessBlock",
                "BucketOwnershipControls",
                "BucketServerSideEncryptionConfiguration",
                "BucketVersioning",
                "BucketLifecycleConfiguration",
                "BucketReplicationConfig",
                "BucketLogging",
            )
        ),
        # --- ECR ----------------------------------------------------------------------------
        NameRule(
            "aws:ecr/repository:Repository",
            "name",
            max_length=256,
            checks=(
                NameCheck(
                    '"{attr}" must be 2-256 lowercase letters, digits and . _ - / separators',
                    _regex(
                        r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
                    ),
                    f"{BOTOCORE} ecr CreateRepository repositoryName pattern",
                ),
            ),
            source=f"default auto-name 255, not lowercased ({PULUMI_AWS}/autonaming.go); "
            f"{BOTOCORE} ecr CreateRepository repositoryName: 2-256, lowercase pattern",
        ),
        _no_name("aws:ecr/lifecyclePolicy:LifecyclePolicy", _NO_NAME_INPUT),
        _no_name("aws:ecr/pullThroughCacheRule:PullThroughCacheRule", _NO_NAME_INPUT),
        _no_name("aws:ecr/replicationConfiguration:ReplicationConfiguration", _NO_NAME_INPUT),
        _no_name("aws:ecr/repositoryPolicy:RepositoryPolicy", _NO_NAME_INPUT),
        # --- EKS ----------------------------------------------------------------------------
        NameRule(
            "aws:eks/cluster:Cluster",
            "name",
            max_length=100,
            checks=(
                NameCheck(
                    '"{attr}" must start with a letter or digit and hold only letters, digits, '
                    "hyphens and underscores",
                    _regex(r"[0-9A-Za-z][A-Za-z0-9_-]*"),
                    f"{BOTOCORE} eks CreateCluster name pattern",
                ),
            ),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} eks "
            "CreateCluster name: 1-100, ^[0-9A-Za-z][A-Za-z0-9\\-_]*",
        ),
        NameRule(
            "aws:eks/nodeGroup:NodeGroup",
            "nodeGroupName",
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_eks_node_group "node_group_name": '
            'tfbridge.AutoName("nodeGroupName", 255, "-")',
        ),
        NameRule(
            "aws:eks/fargateProfile:FargateProfile",
            "fargateProfileName",
            source=f"{PULUMI_AWS}/resource_overrides.go: aws_eks_fargate_profile "
            '"fargate_profile_name": tfbridge.AutoName("fargateProfileName", 255, "-")',
        ),
        _no_name("aws:eks/addon:Addon", "addonName is the add-on's AWS name; not auto-named"),
        _no_name("aws:eks/accessEntry:AccessEntry", _NO_NAME_INPUT),
        _no_name("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", _NO_NAME_INPUT),
        _no_name("aws:eks/podIdentityAssociation:PodIdentityAssociation", _NO_NAME_INPUT),
        # --- EC2 / VPC ----------------------------------------------------------------------
        NameRule(
            "aws:ec2/securityGroup:SecurityGroup",
            "name",
            max_length=255,
            checks=(
                NameCheck(
                    '"{attr}" cannot begin with "sg-"',
                    lambda v: not v.startswith("sg-"),
                    f"{BOTOCORE} ec2 CreateSecurityGroup GroupName documentation",
                ),
            ),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} ec2 "
            "CreateSecurityGroup GroupName: up to 255 characters, cannot start with sg-",
        ),
        NameRule(
            "aws:ec2/launchTemplate:LaunchTemplate",
            "name",
            max_length=128,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits and ( ) . / _ -',
                    _regex(r"[a-zA-Z0-9().\-/_]+"),
                    f"{BOTOCORE} ec2 LaunchTemplateName shape",
                ),
            ),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} ec2 "
            "LaunchTemplateName: 3-128, [a-zA-Z0-9\\(\\)\\.\\-/_]+",
        ),
        *(
            _no_name(token, _NO_NAME_INPUT)
            for token in (
                "aws:ec2/vpc:Vpc",
                "aws:ec2/subnet:Subnet",
                "aws:ec2/routeTable:RouteTable",
                "aws:ec2/route:Route",
                "aws:ec2/routeTableAssociation:RouteTableAssociation",
                "aws:ec2/vpcEndpoint:VpcEndpoint",
                "aws:ec2/internetGateway:InternetGateway",
                "aws:ec2/natGateway:NatGateway",
                "aws:ec2/eip:Eip",
                "aws:ec2/instance:Instance",
                "aws:ec2/networkAcl:NetworkAcl",
                "aws:ec2/securityGroupRule:SecurityGroupRule",
                "aws:ec2/vpcIpam:VpcIpam",
                "aws:ec2/vpcIpamScope:VpcIpamScope",
                "aws:ec2/vpcIpamPool:VpcIpamPool",
                "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr",
                "aws:ec2/vpcIpamPoolCidrAllocation:VpcIpamPoolCidrAllocation",
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
                "aws:ec2transitgateway/transitGateway:TransitGateway",
                "aws:ec2transitgateway/routeTable:RouteTable",
                "aws:ec2transitgateway/route:Route",
                "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation",
                "aws:ec2transitgateway/routeTablePropagation:RouteTablePropagation",
                "aws:ec2transitgateway/vpcAttachment:VpcAttachment",
                "aws:ec2transitgateway/vpcAttachmentAccepter:VpcAttachmentAccepter",
                "aws:ec2transitgateway/peeringAttachment:PeeringAttachment",
                "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter",
            )
        ),
        # --- RDS ----------------------------------------------------------------------------
        NameRule(
            "aws:rds/cluster:Cluster",
            "clusterIdentifier",
            autonamed=False,
            max_length=63,
            checks=_RDS_IDENTIFIER,
            source=f"{PULUMI_AWS}/resource_overrides.go: aws_rds_cluster has no auto-name in v7 "
            f"(terraform generates tf-...); {TF_AWS}/rds/validate.go validIdentifier; Aurora "
            "user guide: DB cluster identifier 1-63 characters",
        ),
        NameRule(
            "aws:rds/clusterInstance:ClusterInstance",
            "identifier",
            autonamed=False,
            max_length=63,
            checks=_RDS_IDENTIFIER,
            source=f"not auto-named by pulumi-aws v7; {TF_AWS}/rds/validate.go validIdentifier; "
            "RDS user guide: DB instance identifier 1-63 characters",
        ),
        NameRule(
            "aws:rds/instance:Instance",
            "identifier",
            max_length=63,
            checks=_RDS_IDENTIFIER,
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_db_instance "identifier" '
            f"auto-name 255 (15 for SQL Server); {TF_AWS}/rds/validate.go validIdentifier",
        ),
        NameRule(
            "aws:rds/globalCluster:GlobalCluster",
            "globalClusterIdentifier",
            autonamed=False,
            max_length=255,
            checks=(
                NameCheck(
                    '"{attr}" must start with a letter and hold only letters, digits and - : . _',
                    _regex(r"[A-Za-z][0-9A-Za-z\-:._]*"),
                    f"{BOTOCORE} rds CreateGlobalCluster GlobalClusterIdentifier pattern",
                ),
            ),
            source=f"required, not auto-named; {BOTOCORE} rds CreateGlobalCluster "
            "GlobalClusterIdentifier: 1-255, [A-Za-z][0-9A-Za-z-:._]*",
        ),
        NameRule(
            "aws:rds/subnetGroup:SubnetGroup",
            "name",
            max_length=255,
            checks=(
                NameCheck(
                    "only lowercase alphanumeric characters, hyphens, underscores, periods, "
                    'and spaces allowed in "{attr}"',
                    _regex(r"[0-9a-z_ .-]+"),
                    f"{TF_AWS}/rds/validate.go (validSubnetGroupName)",
                ),
                NameCheck(
                    '"Default" is not allowed as "{attr}"',
                    lambda v: v.lower() != "default",
                    f"{TF_AWS}/rds/validate.go (validSubnetGroupName)",
                ),
            ),
            source=f"default auto-name 255, not lowercased ({PULUMI_AWS}/autonaming.go); "
            f"{TF_AWS}/rds/validate.go validSubnetGroupName",
        ),
        NameRule(
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            "name",
            max_length=255,
            checks=(
                NameCheck(
                    "only lowercase alphanumeric characters, periods, and hyphens allowed in "
                    'parameter group "{attr}"',
                    _regex(r"[0-9a-z.-]+"),
                    f"{TF_AWS}/rds/validate.go (validParamGroupName)",
                ),
                NameCheck(
                    'first character of parameter group "{attr}" must be a letter',
                    _regex(r"[a-z].*"),
                    f"{TF_AWS}/rds/validate.go (validParamGroupName)",
                ),
            ),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); "
            f"{TF_AWS}/rds/validate.go validParamGroupName",
        ),
        # --- MSK ----------------------------------------------------------------------------
        NameRule(
            "aws:msk/cluster:Cluster",
            "clusterName",
            max_length=64,
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_msk_cluster "cluster_name": '
            f'tfbridge.AutoName("clusterName", 255, "-"); {BOTOCORE} kafka CreateClusterV2 '
            "ClusterName: 1-64",
        ),
        NameRule(
            "aws:msk/replicator:Replicator",
            "replicatorName",
            autonamed=False,
            max_length=128,
            checks=(
                NameCheck(
                    '"{attr}" must start with a letter or digit and hold only letters, digits '
                    "and hyphens",
                    _regex(r"[0-9A-Za-z][0-9A-Za-z-]*"),
                    f"{BOTOCORE} kafka CreateReplicator ReplicatorName pattern",
                ),
            ),
            source=f"required, not auto-named; {BOTOCORE} kafka CreateReplicator "
            "ReplicatorName: 1-128, ^[0-9A-Za-z][0-9A-Za-z-]{0,}$",
        ),
        _no_name("aws:msk/clusterPolicy:ClusterPolicy", _NO_NAME_INPUT),
        # --- Route 53, CloudWatch, ARC ------------------------------------------------------
        _no_name("aws:route53/healthCheck:HealthCheck", _NO_NAME_INPUT),
        NameRule(
            "aws:route53/zone:Zone",
            "name",
            max_length=1024,
            source=f"default auto-name 255: `name` (the domain) is optional in the pulumi-aws "
            f"schema and has no override ({PULUMI_AWS}/autonaming.go, resource_overrides.go "
            f"aws_route53_zone sets only `comment`); {BOTOCORE} route53 CreateHostedZone Name: "
            "max 1024",
        ),
        _no_name("aws:route53/zoneAssociation:ZoneAssociation", _NO_NAME_INPUT),
        _no_name(
            "aws:route53/record:Record",
            f'{PULUMI_AWS}/resource_overrides.go: aws_route53_record "name" is the DNS name '
            '("Do not autoname Route53 records")',
        ),
        NameRule(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "name",
            max_length=255,
            source=f"{PULUMI_AWS}/resource_overrides.go: aws_cloudwatch_metric_alarm "
            '"alarm_name": tfbridge.AutoName("name", 255, "-"); '
            f"{BOTOCORE} cloudwatch PutMetricAlarm AlarmName: 1-255",
        ),
        NameRule(
            "aws:cloudwatch/logGroup:LogGroup",
            "name",
            max_length=512,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits and . - _ / #',
                    _regex(r"[.\-_/#A-Za-z0-9]+"),
                    f"{BOTOCORE} logs CreateLogGroup logGroupName pattern",
                ),
            ),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} logs "
            "CreateLogGroup logGroupName: 1-512",
        ),
        NameRule(
            "aws:cloudwatch/eventRule:EventRule",
            "name",
            autoname_max=64,
            max_length=64,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits and . - _',
                    _regex(r"[.\-_A-Za-z0-9]+"),
                    f"{BOTOCORE} events PutRule Name pattern",
                ),
            ),
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_cloudwatch_event_rule "name": '
            'tfbridge.AutoName("name", 64, "-")',
        ),
        NameRule(
            "aws:arcregionswitch/plan:Plan",
            "name",
            max_length=32,
            checks=(
                NameCheck(
                    '"{attr}" must be letters, digits and hyphens, starting and ending with a '
                    "letter or digit",
                    _regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?"),
                    f"{BOTOCORE} arc-region-switch CreatePlan name pattern",
                ),
            ),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} "
            "arc-region-switch CreatePlan name: 1-32, "
            "[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?",
        ),
        # --- RAM ----------------------------------------------------------------------------
        NameRule(
            "aws:ram/resourceShare:ResourceShare",
            "name",
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); RAM sets no further "
            f"limit ({BOTOCORE} ram CreateResourceShare name)",
        ),
        _no_name("aws:ram/principalAssociation:PrincipalAssociation", _NO_NAME_INPUT),
        _no_name("aws:ram/resourceAssociation:ResourceAssociation", _NO_NAME_INPUT),
        _no_name("aws:ram/resourceShareAccepter:ResourceShareAccepter", _NO_NAME_INPUT),
        # --- API Gateway v2 -----------------------------------------------------------------
        NameRule(
            "aws:apigatewayv2/api:Api",
            "name",
            max_length=128,
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); "
            f"{TF_AWS}/apigatewayv2/api.go name: validation.StringLenBetween(1, 128)",
        ),
        NameRule(
            "aws:apigatewayv2/vpcLink:VpcLink",
            "name",
            max_length=128,
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); "
            f"{TF_AWS}/apigatewayv2/vpc_link.go name: validation.StringLenBetween(1, 128)",
        ),
        NameRule(
            "aws:apigatewayv2/stage:Stage",
            "name",
            max_length=128,
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); "
            f"{TF_AWS}/apigatewayv2/stage.go name: validation.StringLenBetween(1, 128)",
        ),
        _no_name(
            "aws:apigatewayv2/domainName:DomainName",
            "domainName is the DNS name the API serves; not auto-named",
        ),
        _no_name("aws:apigatewayv2/apiMapping:ApiMapping", _NO_NAME_INPUT),
        _no_name("aws:apigatewayv2/integration:Integration", _NO_NAME_INPUT),
        _no_name("aws:apigatewayv2/route:Route", _NO_NAME_INPUT),
        # --- Types users commonly add -------------------------------------------------------
        _no_name("aws:acm/certificate:Certificate", "domainName is the DNS name; not auto-named"),
        _no_name(
            "aws:amp/workspace:Workspace",
            "pulumi-aws schema: `alias` is optional and not auto-named; the ID is AWS's",
        ),
        NameRule(
            "aws:sns/topic:Topic",
            "name",
            autoname_max=80,
            max_length=256,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits, hyphens and underscores (and a '
                    "trailing .fifo)",
                    _regex(r"[A-Za-z0-9_-]+(\.fifo)?"),
                    f"{BOTOCORE} sns CreateTopic Name documentation",
                ),
            ),
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_sns_topic "name": Maxlen 80, '
            "Randlen 7 (.fifo appended for FIFO topics)",
        ),
        _no_name("aws:sns/topicSubscription:TopicSubscription", _NO_NAME_INPUT),
        NameRule(
            "aws:sqs/queue:Queue",
            "name",
            autoname_max=80,
            max_length=80,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits, hyphens and underscores (and a '
                    "trailing .fifo)",
                    _regex(r"[A-Za-z0-9_-]+(\.fifo)?"),
                    f"{BOTOCORE} sqs CreateQueue QueueName documentation",
                ),
            ),
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_sqs_queue "name": Maxlen 80, '
            "Randlen 7 (.fifo appended for FIFO queues)",
        ),
        NameRule(
            "aws:lambda/function:Function",
            "name",
            autoname_max=64,
            max_length=64,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits, hyphens and underscores',
                    _regex(r"[a-zA-Z0-9_-]+"),
                    f"{BOTOCORE} lambda CreateFunction FunctionName pattern",
                ),
            ),
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_lambda_function "function_name": '
            'tfbridge.AutoName("name", 64, "-")',
        ),
        _no_name("aws:kms/ciphertext:Ciphertext", _NO_NAME_INPUT),
        NameRule(
            "aws:lambda/permission:Permission",
            "statementId",
            autonamed=False,
            max_length=100,
            checks=(
                NameCheck(
                    "invalid value for {attr} (must contain alphanumeric, underscores or dashes "
                    "only)",
                    _regex(r"[0-9A-Za-z_-]+"),
                    f"{TF_AWS}/lambda/validate.go (validPolicyStatementID); {BOTOCORE} lambda "
                    "AddPermission StatementId pattern ([a-zA-Z0-9-_]+), 1-100",
                ),
            ),
            source=f"{TF_AWS}/lambda/permission.go: statement_id Optional+Computed, the "
            "provider generates one (statement_id_prefix) when absent, not pulumi-aws's "
            "auto-naming",
        ),
        NameRule(
            "aws:cloudwatch/eventTarget:EventTarget",
            "targetId",
            autonamed=False,
            max_length=64,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits and . - _',
                    _regex(r"[.\-_A-Za-z0-9]+"),
                    f"{BOTOCORE} events PutTargets Target.Id pattern ([\\.\\-_A-Za-z0-9]+), 1-64",
                ),
            ),
            source=f"{TF_AWS}/events/target.go: target_id Optional+Computed, the provider "
            "generates a unique ID when absent, not pulumi-aws's auto-naming",
        ),
        _no_name("aws:secretsmanager/secretVersion:SecretVersion", _NO_NAME_INPUT),
        _no_name("aws:secretsmanager/secretPolicy:SecretPolicy", _NO_NAME_INPUT),
        NameRule(
            "aws:secretsmanager/secret:Secret",
            "name",
            max_length=512,
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} "
            "secretsmanager CreateSecret Name: 1-512",
        ),
        NameRule(
            "aws:dynamodb/table:Table",
            "name",
            max_length=255,
            checks=(
                NameCheck(
                    '"{attr}" may hold only letters, digits and _ . -',
                    _regex(r"[a-zA-Z0-9_.-]{3,255}"),
                    "DynamoDB developer guide, naming rules: 3-255 characters, [a-zA-Z0-9_.-]",
                ),
            ),
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go)",
        ),
        NameRule(
            "aws:ecs/cluster:Cluster",
            "name",
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go)",
        ),
        NameRule(
            "aws:ssm/parameter:Parameter",
            "name",
            max_length=2048,
            source=f"default auto-name 255 ({PULUMI_AWS}/autonaming.go); {BOTOCORE} ssm "
            "PutParameter Name: 1-2048",
        ),
        NameRule(
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "replicationGroupId",
            autoname_max=40,
            lowercase=True,
            max_length=40,
            source=f"{PULUMI_AWS}/resource_overrides.go: aws_elasticache_replication_group "
            '"replication_group_id": tfbridge.AutoNameTransform("replicationGroupId", 40, '
            "strings.ToLower)",
        ),
        NameRule(
            "aws:elasticache/cluster:Cluster",
            "clusterId",
            autoname_max=50,
            lowercase=True,
            max_length=50,
            source=f'{PULUMI_AWS}/resource_overrides.go: aws_elasticache_cluster "cluster_id": '
            'tfbridge.AutoNameTransform("clusterId", 50, strings.ToLower)',
        ),
    )
}
"""One row per AWS resource type the library creates, plus the common ones users add."""


def rule_for(type_token: str) -> NameRule | None:
    """Return the naming row of a type, or ``None`` for types without one (non-AWS)."""
    return NAME_RULES.get(type_token)


class NameLimitError(ValueError):
    """A physical name AWS or pulumi-aws refuses; the message is Pulumi's or the provider's.

    Attributes:
        rule: The table row that refused it.
    """

    def __init__(self, message: str, rule: NameRule) -> None:
        super().__init__(message)
        self.rule = rule


def autoname_prefix(rule: NameRule, logical_name: str) -> str:
    """Return what pulumi-aws appends the random characters to: logical name and ``-``."""
    base = logical_name.lower() if rule.lowercase else logical_name
    return f"{base}-"


def check_autoname(rule: NameRule, logical_name: str) -> None:
    """Refuse a logical name whose auto-name pulumi-aws cannot make.

    Raises:
        NameLimitError: With Pulumi's message ("name '...-' plus 7 random chars is longer than
            maximum length N").
    """
    prefix = autoname_prefix(rule, logical_name)
    if len(prefix) + AUTONAME_RANDOM_CHARS > rule.autoname_max:
        raise NameLimitError(
            f"name '{prefix}' plus {AUTONAME_RANDOM_CHARS} random chars is longer than "
            f"maximum length {rule.autoname_max}",
            rule,
        )


def autoname(rule: NameRule, logical_name: str, random_hex: str) -> str:
    """Return the physical name pulumi-aws would make (``random_hex``: 7 hex characters)."""
    check_autoname(rule, logical_name)
    return f"{rule.prefix}{autoname_prefix(rule, logical_name)}{random_hex}"


def name_problems(rule: NameRule, physical_name: str) -> list[str]:
    """Return what terraform-provider-aws / AWS would say about a physical name (empty: fine)."""
    attribute = rule.attribute or "name"
    problems = []
    if rule.max_length is not None and len(physical_name) > rule.max_length:
        problems.append(f'"{attribute}" cannot be longer than {rule.max_length} characters')
    problems.extend(
        check.message.format(attr=attribute) for check in rule.checks if not check.ok(physical_name)
    )
    return problems


@dataclass(frozen=True)
class NameBudget:
    """A child's physical name derived from a component's name, for up-front validation.

    Attributes:
        type_token: The child's type, a key of :data:`NAME_RULES`.
        template: The name with ``{name}`` for the component's name, such as
            ``"{name}-ingress-tg"``. It is the logical name when the child is auto-named, else
            the explicit physical name.
        explicit: Whether the template is the physical name itself (no auto-name suffix).
    """

    type_token: str
    template: str
    explicit: bool = False

    def longest_name(self) -> int | None:
        """The longest component name this child's physical name allows (``None``: no limit)."""
        rule = NAME_RULES[self.type_token]
        fixed = len(self.template.replace("{name}", ""))
        if self.explicit:
            return None if rule.max_length is None else rule.max_length - fixed
        logical = rule.longest_logical_name()
        return None if logical is None else logical - fixed

    def problems(self, component_name: str) -> list[str]:
        """Return what the provider would say about this child for a component name."""
        rule = NAME_RULES[self.type_token]
        derived = self.template.replace("{name}", component_name)
        if self.explicit:
            return name_problems(rule, derived)
        try:
            check_autoname(rule, derived)
        except NameLimitError as exc:
            return [str(exc)]
        physical = autoname(rule, derived, "0" * AUTONAME_RANDOM_CHARS)
        return name_problems(rule, physical)


def longest_component_name(budgets: tuple[NameBudget, ...]) -> tuple[int, NameBudget] | None:
    """Return the longest component name every budget allows and the budget that sets it.

    ``None`` when no budget limits the length (names may still be refused for characters).
    """
    limited = [(b.longest_name(), b) for b in budgets]
    bounded = [(n, b) for n, b in limited if n is not None]
    if not bounded:
        return None
    return min(bounded, key=lambda item: item[0])


LONGEST_REGION = "ap-southeast-1"
"""The longest region code (14 characters), standing in for a region in a child's name."""

COMPONENT_NAME_BUDGETS: dict[str, tuple[NameBudget, ...]] = {
    "obs-platform:cell:Cell": (
        NameBudget("aws:lb/loadBalancer:LoadBalancer", "{name}-ingress"),
        NameBudget("aws:lb/targetGroup:TargetGroup", "{name}-tg"),
        NameBudget("aws:iam/role:Role", "{name}-node-role"),
        NameBudget("aws:rds/subnetGroup:SubnetGroup", "{name}-db-subnets"),
        NameBudget("aws:msk/cluster:Cluster", "{name}-kafka", explicit=True),
        NameBudget("aws:eks/nodeGroup:NodeGroup", "{name}-nodes", explicit=True),
        NameBudget("aws:kms/alias:Alias", "alias/obs-platform/{name}", explicit=True),
        NameBudget("aws:apigatewayv2/vpcLink:VpcLink", "{name}-api-link", explicit=True),
    ),
    "obs-platform:dr:PilotLightDr": (
        NameBudget("aws:arcregionswitch/plan:Plan", "{name}-region-switch", explicit=True),
        NameBudget("aws:iam/role:Role", "{name}-arc-standby-cross-account"),
        NameBudget("aws:rds/cluster:Cluster", f"{{name}}-{LONGEST_REGION}", explicit=True),
        NameBudget(
            "aws:rds/clusterInstance:ClusterInstance", f"{{name}}-{LONGEST_REGION}-0", explicit=True
        ),
        NameBudget("aws:rds/globalCluster:GlobalCluster", "{name}-global", explicit=True),
        NameBudget("aws:rds/subnetGroup:SubnetGroup", "{name}-standby-db-subnets"),
    ),
    "obs-platform:observability:ObservabilityStack": (
        NameBudget("aws:lb/targetGroup:TargetGroup", "{name}-tg-grafana"),
        NameBudget("aws:lb/loadBalancer:LoadBalancer", "{name}-ingest"),
        NameBudget("aws:s3/bucket:Bucket", "{name}-tempo-traces-bucket"),
        NameBudget("aws:iam/role:Role", "{name}-ebs-csi-role"),
        NameBudget("aws:kms/alias:Alias", "alias/{name}-tempo", explicit=True),
        NameBudget("aws:eks/nodeGroup:NodeGroup", "{name}-system", explicit=True),
    ),
    "obs-platform:network:Ipam": (
        NameBudget("aws:ram/resourceShare:ResourceShare", "{name}-share-org", explicit=True),
    ),
    "obs-platform:network:TransitNetwork": (
        NameBudget(
            "aws:ram/resourceShare:ResourceShare", f"{{name}}-share-{LONGEST_REGION}", explicit=True
        ),
    ),
}
"""The children whose physical names derive from each component's name, with the tightest
limit of each type; a component checks its name against them before creating anything."""
