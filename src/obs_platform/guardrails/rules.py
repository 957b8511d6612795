"""The guardrails: security and data-safety rules as pure functions over a plan.

Each rule reads resources by type token and their wire-format inputs (camelCase, as the plan
records them), their options (``protect``, ``ignore_changes``) and, to relate resources, the
engine's outputs (``id``, ``bucket``, ``arn``). Unknown values (``"[unknown]"``) never produce
a finding: a rule judges only what it can see.

The catalogue is :data:`RULES`; :func:`rule` returns one by ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._inspect import (
    UNKNOWN,
    accepts_tags,
    as_list,
    denies_insecure_transport,
    dig,
    grants_admin,
    is_unknown,
    maybe_json,
    plaintext_secrets,
    provider_of,
    related,
    statements,
)
from ._model import Finding, Rule, RuleContext, Scope, Severity
from .api_rules import api_access_logs, api_default_route_authorized
from .kubernetes_rules import (
    HOST_PORTS_ANNOTATION,
    cluster_roles_without_nodes_proxy,
    daemonset_hardened,
    daemonset_host_ports,
)
from .network_rules import (
    eks_api_reachable,
    node_volume_key_grants_auto_scaling,
    transit_routes_attached,
)

if TYPE_CHECKING:
    from ..testing.plan import Plan, PlanResource

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PAB_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PAB_TYPE = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
EKS_COMPONENT = "eks:index:Cluster"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup"
KARPENTER_NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
ECR_REGISTRY_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_GLOBAL = "aws:rds/globalCluster:GlobalCluster"
ROUTE53_RECORD = "aws:route53/record:Record"
RAM_SHARE = "aws:ram/resourceShare:ResourceShare"
RAM_PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")

FAILOVER_TTL_MAX_SECONDS = 60
"""Largest TTL a failover record may have: DNS caches keep a failed region's answer this long
(DESIGN.md section 4; the Route 53 API guide recommends 60 s or less for failover)."""

GLOBAL_IDENTIFIER_INPUTS = ("globalClusterIdentifier", "replicationSourceIdentifier")
"""Inputs of an Aurora global secondary that drift after a failover or switchover."""

MASTER_CREDENTIAL_INPUTS = (
    "masterUsername",
    "masterPassword",
    "manageMasterUserPassword",
    "masterPasswordWo",
    "masterUserSecretKmsKeyId",
)
"""Inputs that set master credentials; a global secondary inherits them from the primary."""

ADMIN_POLICY_ARN_SUFFIX = ":policy/AdministratorAccess"
WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})


def _of(plan: Plan, *types: str) -> list[PlanResource]:
    return [r for r in plan.resources if r.type in types]


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


# ---------------------------------------------------------------------------------------------
# S3


def s3_encryption(ctx: RuleContext) -> Iterator[Finding]:
    """Every bucket has an explicit server-side encryption configuration."""
    for bucket in _of(ctx.plan, *BUCKET_TYPES):
        inline = bucket.inputs.get("serverSideEncryptionConfiguration")
        configs = related(ctx.plan, bucket, SSE_TYPES, "bucket", ("bucket", "id"))
        rules = [rule for c in configs for rule in as_list(c.inputs.get("rules"))]
        if inline:
            rules.append(dig(inline, "rule") or inline)
        if not rules:
            yield Finding(bucket, "no server-side encryption configuration refers to this bucket")
            continue
        algorithms = {dig(r, "applyServerSideEncryptionByDefault", "sseAlgorithm") for r in rules}
        if not algorithms & {"aws:kms", "aws:kms:dsse", "AES256", UNKNOWN}:
            yield Finding(bucket, f"encryption rules set no default algorithm ({algorithms})")


LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")


def s3_access_logging(ctx: RuleContext) -> Iterator[Finding]:
    """Every bucket has server access logging (a BucketLogging resource, or inline loggings).

    The reference is Pulumi's AWS policy pack (``@pulumi/awsguard`` 0.3.1, ``storage.js``,
    ``s3-bucket-logging-enabled``), which checks the inline ``loggings`` of ``aws.s3.Bucket``;
    pulumi-aws v7 configures logging with ``aws.s3.BucketLogging``, so either counts here.
    """
    for bucket in _of(ctx.plan, *BUCKET_TYPES):
        inline = bucket.inputs.get("loggings") or bucket.inputs.get("logging")
        if inline or related(ctx.plan, bucket, LOGGING_TYPES, "bucket", ("bucket", "id")):
            continue
        yield Finding(bucket, "no server access logging configuration refers to this bucket")


KMS_KEY = "aws:kms/key:Key"
LOAD_BALANCER_TYPES = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def kms_key_rotation(ctx: RuleContext) -> Iterator[Finding]:
    """Symmetric customer-managed keys rotate (awsguard ``cmk-backing-key-rotation-enabled``).

    KMS rotates only symmetric encryption keys (KMS developer guide, "Rotating AWS KMS keys");
    asymmetric and HMAC key specs are left out.
    """
    for key in _of(ctx.plan, KMS_KEY):
        spec = key.inputs.get("customerMasterKeySpec") or key.inputs.get("keySpec")
        if spec not in (None, "SYMMETRIC_DEFAULT", UNKNOWN):
            continue
        rotation = key.inputs.get("enableKeyRotation")
        if not _true(rotation) and not is_unknown(rotation):
            yield Finding(key, f"enableKeyRotation is {rotation!r}")


def lb_deletion_protection(ctx: RuleContext) -> Iterator[Finding]:
    """Load balancers have deletion protection (awsguard ``elb-deletion-protection-enabled``)."""
    for lb in _of(ctx.plan, *LOAD_BALANCER_TYPES):
        value = lb.inputs.get("enableDeletionProtection")
        if not _true(value) and not is_unknown(value):
            yield Finding(lb, f"enableDeletionProtection is {value!r}")


def lb_access_logs(ctx: RuleContext) -> Iterator[Finding]:
    """Load balancers write access logs to S3 (awsguard ``elb-logging-enabled``)."""
    for lb in _of(ctx.plan, *LOAD_BALANCER_TYPES):
        logs = lb.inputs.get("accessLogs")
        if is_unknown(logs):
            continue
        if not isinstance(logs, dict) or not _true(logs.get("enabled")) or not logs.get("bucket"):
            yield Finding(lb, f"accessLogs is {logs!r}")


def s3_public_access_block(ctx: RuleContext) -> Iterator[Finding]:
    """Every bucket blocks public ACLs and policies with all four switches."""
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    account_blocks = [
        a for a in _of(ctx.plan, ACCOUNT_PAB_TYPE) if all(_true(a.inputs.get(f)) for f in flags)
    ]
    for bucket in _of(ctx.plan, *BUCKET_TYPES):
        if account_blocks:
            continue
        blocks = related(ctx.plan, bucket, (PAB_TYPE,), "bucket", ("bucket", "id"))
        if not blocks:
            yield Finding(bucket, "no public access block refers to this bucket")
            continue
        off = sorted(
            {
                f
                for b in blocks
                for f in flags
                if not _true(b.inputs.get(f)) and not is_unknown(b.inputs.get(f))
            }
        )
        if off:
            yield Finding(bucket, f"public access block leaves {', '.join(off)} off")


def s3_tls_only(ctx: RuleContext) -> Iterator[Finding]:
    """Every bucket policy denies requests that do not use TLS."""
    for bucket in _of(ctx.plan, *BUCKET_TYPES):
        documents = [
            p.inputs.get("policy")
            for p in related(ctx.plan, bucket, (BUCKET_POLICY_TYPE,), "bucket", ("bucket", "id"))
        ]
        if bucket.inputs.get("policy"):
            documents.append(bucket.inputs["policy"])
        if any(is_unknown(d) for d in documents):
            continue
        if not documents:
            yield Finding(bucket, "no bucket policy refers to this bucket")
        elif not any(denies_insecure_transport(s) for d in documents for s in statements(d)):
            yield Finding(
                bucket,
                "its bucket policy has no Deny on aws:SecureTransport=false "
                "for all principals and s3:*",
            )


def s3_protected(ctx: RuleContext) -> Iterator[Finding]:
    """Buckets are protected from deletion by Pulumi."""
    for bucket in _of(ctx.plan, *BUCKET_TYPES):
        if not bucket.protect:
            yield Finding(bucket, "protect is False")


# ---------------------------------------------------------------------------------------------
# EKS and nodes


def _public_cidrs(public: Any, cidrs: Any) -> list[str] | None:
    """Return the world-open CIDRs of a public endpoint, or ``None`` when it is not open."""
    if _false(public) or is_unknown(public) or is_unknown(cidrs):
        return None
    listed = [c for c in as_list(cidrs) if isinstance(c, str)]
    if not listed:
        return ["0.0.0.0/0 (the default when public_access_cidrs is not set)"]
    open_ = [c for c in listed if c in WORLD_CIDRS]
    return open_ or None


def eks_endpoint_not_world(ctx: RuleContext) -> Iterator[Finding]:
    """The EKS API endpoint is private, or public only to named CIDRs."""
    for cluster in _of(ctx.plan, EKS_COMPONENT):
        open_ = _public_cidrs(
            cluster.inputs.get("endpointPublicAccess"), cluster.inputs.get("publicAccessCidrs")
        )
        if open_:
            yield Finding(cluster, f"endpointPublicAccess is on and open to {', '.join(open_)}")
    for cluster in _of(ctx.plan, EKS_CLUSTER):
        vpc = cluster.inputs.get("vpcConfig") or {}
        open_ = _public_cidrs(dig(vpc, "endpointPublicAccess"), dig(vpc, "publicAccessCidrs"))
        if open_:
            yield Finding(
                cluster, f"vpcConfig.endpointPublicAccess is on and open to {', '.join(open_)}"
            )


def eks_secrets_encryption(ctx: RuleContext) -> Iterator[Finding]:
    """EKS clusters envelope-encrypt Kubernetes secrets with a KMS key."""
    for cluster in _of(ctx.plan, EKS_COMPONENT):
        if not cluster.inputs.get("encryptionConfigKeyArn"):
            yield Finding(cluster, "encryptionConfigKeyArn is not set")
    for cluster in _of(ctx.plan, EKS_CLUSTER):
        config = cluster.inputs.get("encryptionConfig")
        if is_unknown(config):
            continue
        if "secrets" not in as_list(dig(config, "resources")) or not dig(
            config, "provider", "keyArn"
        ):
            yield Finding(cluster, "encryptionConfig does not encrypt 'secrets' with a KMS key")


def ec2_imdsv2(ctx: RuleContext) -> Iterator[Finding]:
    """Nodes require IMDSv2 session tokens."""
    for template in _of(ctx.plan, LAUNCH_TEMPLATE, EC2_INSTANCE):
        if template.type == EC2_INSTANCE and template.inputs.get("launchTemplate"):
            continue  # the launch template is judged itself
        options = template.inputs.get("metadataOptions") or {}
        tokens = dig(options, "httpTokens")
        if dig(options, "httpEndpoint") == "disabled" or tokens == "required" or is_unknown(tokens):
            continue
        yield Finding(template, f"metadataOptions.httpTokens is {tokens!r}, not 'required'")
    for group in _of(ctx.plan, EKS_NODE_GROUP):
        if not group.inputs.get("launchTemplate"):
            yield Finding(
                group, "no launch template: EKS's default template does not require IMDSv2"
            )
    for group in _of(ctx.plan, EKS_MANAGED_NODE_GROUP):
        if not group.inputs.get("launchTemplate") and not _true(group.inputs.get("enableIMDSv2")):
            yield Finding(group, "enableIMDSv2 is not true and no launch template is given")
    for cluster in _of(ctx.plan, EKS_COMPONENT):
        inputs = cluster.inputs
        if (
            _true(inputs.get("skipDefaultNodeGroup"))
            or inputs.get("fargate")
            or _true(dig(inputs, "autoMode", "enabled"))
        ):
            continue
        yield Finding(
            cluster, "the default node group is on, and pulumi-eks cannot require IMDSv2 on it"
        )
    for node_class in _of(ctx.plan, KARPENTER_NODE_CLASS):
        tokens = dig(node_class.inputs, "spec", "metadataOptions", "httpTokens")
        if tokens not in (None, "required") and not is_unknown(tokens):
            yield Finding(node_class, f"spec.metadataOptions.httpTokens is {tokens!r}")


# ---------------------------------------------------------------------------------------------
# ECR


def ecr_scan_on_push(ctx: RuleContext) -> Iterator[Finding]:
    """ECR repositories scan images on push (or the registry scans them)."""
    scanning_regions = set()
    for config in _of(ctx.plan, ECR_REGISTRY_SCANNING):
        frequencies = {dig(rule, "scanFrequency") for rule in as_list(config.inputs.get("rules"))}
        if config.inputs.get("scanType") == "ENHANCED" or frequencies & {
            "SCAN_ON_PUSH",
            "CONTINUOUS_SCAN",
        }:
            scanning_regions.add(config.region)
    for repo in _of(ctx.plan, ECR_REPOSITORY):
        if repo.region in scanning_regions:
            continue
        if not _true(dig(repo.inputs, "imageScanningConfiguration", "scanOnPush")):
            yield Finding(repo, "imageScanningConfiguration.scanOnPush is not true")


def ecr_immutable_tags(ctx: RuleContext) -> Iterator[Finding]:
    """ECR repositories refuse to overwrite an image tag."""
    for repo in _of(ctx.plan, ECR_REPOSITORY):
        mutability = repo.inputs.get("imageTagMutability")
        if mutability not in ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION") and not is_unknown(
            mutability
        ):
            yield Finding(repo, f"imageTagMutability is {mutability or 'MUTABLE (default)'}")


# ---------------------------------------------------------------------------------------------
# RDS and Aurora


def _global_secondaries(plan: Plan) -> list[PlanResource]:
    """Return the Aurora clusters that join a global database as secondaries.

    A member is a cluster with ``globalClusterIdentifier``. In each global database, the
    primary is the cluster named by the global cluster's ``sourceDbClusterIdentifier``, else
    the member the others depend on, else the first registered. A lone member (its global
    cluster managed elsewhere) is a secondary when it sets ``replicationSourceIdentifier`` or
    ``sourceRegion`` or carries no master credentials.
    """
    groups: dict[str, list[PlanResource]] = {}
    for cluster in _of(plan, RDS_CLUSTER):
        ident = cluster.inputs.get("globalClusterIdentifier")
        if isinstance(ident, str) and ident:
            groups.setdefault(ident, []).append(cluster)
    sources = {}
    for global_ in _of(plan, RDS_GLOBAL):
        source = global_.inputs.get("sourceDbClusterIdentifier")
        for key in ("globalClusterIdentifier", "id"):
            value = global_.outputs.get(key) or global_.inputs.get(key)
            if isinstance(value, str) and isinstance(source, str):
                sources[value] = source
    secondaries: list[PlanResource] = []
    for ident, members in groups.items():
        explicit = [
            m
            for m in members
            if m.inputs.get("replicationSourceIdentifier") or m.inputs.get("sourceRegion")
        ]
        if len(members) == 1 and ident not in sources:
            lone = members[0]
            if explicit or not any(lone.inputs.get(k) for k in MASTER_CREDENTIAL_INPUTS):
                secondaries.append(lone)
            continue
        source = sources.get(ident)
        primary = next(
            (
                m
                for m in members
                if source
                and source
                in (
                    m.outputs.get("arn"),
                    m.outputs.get("clusterIdentifier"),
                    m.inputs.get("clusterIdentifier"),
                )
            ),
            None,
        )
        if primary is None:
            urns = {m.urn for m in members}
            depended = [
                m
                for m in members
                if any(m.urn in o.depends_on for o in members if o.urn in urns - {m.urn})
            ]
            primary = depended[0] if depended else members[0]
        secondaries.extend(m for m in members if m is not primary)
    return secondaries


def rds_storage_encrypted(ctx: RuleContext) -> Iterator[Finding]:
    """RDS instances, Aurora clusters and global clusters encrypt storage."""
    for db in _of(ctx.plan, RDS_CLUSTER, RDS_INSTANCE, RDS_GLOBAL):
        if db.type == RDS_GLOBAL and db.inputs.get("sourceDbClusterIdentifier"):
            continue  # takes the source cluster's encryption
        value = db.inputs.get("storageEncrypted")
        if not _true(value) and not is_unknown(value):
            yield Finding(db, f"storageEncrypted is {value if value is not None else 'unset'}")


def rds_deletion_protection(ctx: RuleContext) -> Iterator[Finding]:
    """Databases refuse deletion through the AWS API."""
    for db in _of(ctx.plan, RDS_CLUSTER, RDS_INSTANCE, RDS_GLOBAL):
        value = db.inputs.get("deletionProtection")
        if not _true(value) and not is_unknown(value):
            yield Finding(db, f"deletionProtection is {value if value is not None else 'unset'}")


def rds_protected(ctx: RuleContext) -> Iterator[Finding]:
    """Databases are protected from deletion by Pulumi."""
    for db in _of(ctx.plan, RDS_CLUSTER, RDS_INSTANCE, RDS_GLOBAL):
        if not db.protect:
            yield Finding(db, "protect is False")


def aurora_secondary_no_credentials(ctx: RuleContext) -> Iterator[Finding]:
    """An Aurora global secondary passes no master credentials."""
    for cluster in _global_secondaries(ctx.plan):
        given = [k for k in MASTER_CREDENTIAL_INPUTS if cluster.inputs.get(k)]
        if given:
            yield Finding(cluster, f"global secondary sets {', '.join(given)}")


def aurora_secondary_ignore_changes(ctx: RuleContext) -> Iterator[Finding]:
    """An Aurora global secondary ignores drift on its global identifiers."""
    for cluster in _global_secondaries(ctx.plan):
        missing = [k for k in GLOBAL_IDENTIFIER_INPUTS if k not in cluster.ignore_changes]
        if missing:
            yield Finding(cluster, f"ignore_changes lacks {', '.join(missing)}")


def aurora_global_no_managed_password(ctx: RuleContext) -> Iterator[Finding]:
    """No member of an Aurora global database lets RDS manage its master password.

    Aurora user guide, *Password management with Amazon Aurora and AWS Secrets Manager*,
    limitations: managing master user passwords with Secrets Manager "isn't supported for ...
    DB clusters that are part of an Aurora global database". A member is a cluster with
    ``globalClusterIdentifier``, or the cluster a global cluster is made from
    (``sourceDbClusterIdentifier``).
    """
    sources = {
        g.inputs.get("sourceDbClusterIdentifier")
        for g in _of(ctx.plan, RDS_GLOBAL)
        if isinstance(g.inputs.get("sourceDbClusterIdentifier"), str)
    }
    for cluster in _of(ctx.plan, RDS_CLUSTER):
        ident = cluster.inputs.get("globalClusterIdentifier")
        names = {
            cluster.outputs.get("arn"),
            cluster.outputs.get("clusterIdentifier"),
            cluster.inputs.get("clusterIdentifier"),
        }
        member = (isinstance(ident, str) and bool(ident)) or bool(names & sources - {None})
        if member and _true(cluster.inputs.get("manageMasterUserPassword")):
            yield Finding(
                cluster, "manageMasterUserPassword is true on a member of a global database"
            )


# ---------------------------------------------------------------------------------------------
# Route 53


def _failover_type(record: PlanResource) -> str | None:
    for policy in as_list(record.inputs.get("failoverRoutingPolicies")):
        kind = dig(policy, "type")
        if isinstance(kind, str):
            return kind
    return None


def route53_failover_ttl(ctx: RuleContext) -> Iterator[Finding]:
    """Failover records have a TTL of 60 s or less."""
    for record in _of(ctx.plan, ROUTE53_RECORD):
        if _failover_type(record) is None or record.inputs.get("aliases"):
            continue  # alias records take the target's fixed TTL
        ttl = record.inputs.get("ttl")
        if is_unknown(ttl):
            continue
        if not isinstance(ttl, int | float) or ttl > FAILOVER_TTL_MAX_SECONDS:
            yield Finding(
                record,
                f"ttl is {ttl if ttl is not None else 'unset'} s, above "
                f"{FAILOVER_TTL_MAX_SECONDS} s",
            )


def route53_primary_health_check(ctx: RuleContext) -> Iterator[Finding]:
    """PRIMARY failover records carry a health check."""
    for record in _of(ctx.plan, ROUTE53_RECORD):
        if _failover_type(record) == "PRIMARY" and not record.inputs.get("healthCheckId"):
            yield Finding(record, "PRIMARY failover record has no healthCheckId")


# ---------------------------------------------------------------------------------------------
# Secrets, sharing, IAM


def no_plaintext_secrets(ctx: RuleContext) -> Iterator[Finding]:
    """No secret-looking value is written in plaintext in any input or Helm value."""
    for resource in ctx.plan.resources:
        found = list(plaintext_secrets(resource.inputs))
        if found:
            shown = "; ".join(f"{path}: {why}" for path, why in found[:5])
            more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
            yield Finding(resource, shown + more)


def _paths_holding(value: Any, needle: str, path: str = "") -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _paths_holding(item, needle, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_holding(item, needle, f"{path}[{index}]")
    elif isinstance(value, str) and needle in value:
        yield path or "(value)"


def secure_config_in_plaintext(ctx: RuleContext) -> Iterator[Finding]:
    """No ``secure:`` config value reaches a resource in plain text.

    Offline, a ``secure:`` value is made up and holds ``offline-secret``: read with
    ``get_secret``/``require_secret`` it stays a secret (``[secret]`` in the plan); read with
    ``get``/``require`` and passed on, the placeholder shows in the inputs as plain text.
    """
    from ..testing._project import SECRET_MARKERS

    for resource in ctx.plan.resources:
        paths = [p for marker in SECRET_MARKERS for p in _paths_holding(resource.inputs, marker)]
        if paths:
            yield Finding(
                resource,
                f"a secure: config value is in plain text at {', '.join(paths[:5])}",
            )


def ram_external_principals(ctx: RuleContext) -> Iterator[Finding]:
    """RAM shares allow principals outside the organization only for named accounts.

    A share that allows external principals must name the accounts it reaches (principal
    associations with account IDs); organization and OU principals need no such switch. When
    ``allowed_external_principals`` is configured, every account named must be in it.
    """
    allowed = ctx.config.allowed_external_principals
    for share in _of(ctx.plan, RAM_SHARE):
        if not _true(share.inputs.get("allowExternalPrincipals")):
            continue
        associations = related(ctx.plan, share, (RAM_PRINCIPAL,), "resourceShareArn", ("arn", "id"))
        principals = [a.inputs.get("principal") for a in associations]
        if any(is_unknown(p) for p in principals):
            continue
        accounts = sorted(p for p in principals if isinstance(p, str) and p.isdigit())
        if not accounts:
            yield Finding(
                share,
                "allowExternalPrincipals is true but the share names no account principal",
            )
            continue
        unlisted = [p for p in accounts if allowed and p not in allowed]
        if unlisted:
            yield Finding(
                share,
                f"allowExternalPrincipals is true for {', '.join(unlisted)}, not in "
                "allowed_external_principals",
            )


_POLICY_INPUTS: dict[str, tuple[str, ...]] = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
}
_ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)


def iam_no_admin(ctx: RuleContext) -> Iterator[Finding]:
    """No IAM policy allows every action on every resource."""
    for resource in ctx.plan.resources:
        documents: list[tuple[str, Any]] = []
        if resource.type in _POLICY_INPUTS:
            documents = [(k, resource.inputs.get(k)) for k in _POLICY_INPUTS[resource.type]]
        elif resource.type == "aws:iam/role:Role":
            documents = [
                (f"inlinePolicies[{i}] ({dig(p, 'name')})", dig(p, "policy"))
                for i, p in enumerate(as_list(resource.inputs.get("inlinePolicies")))
            ]
            for arn in as_list(resource.inputs.get("managedPolicyArns")):
                if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_ARN_SUFFIX):
                    yield Finding(resource, f"managedPolicyArns includes {arn}")
        elif resource.type in _ATTACHMENT_TYPES:
            arn = resource.inputs.get("policyArn")
            if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_ARN_SUFFIX):
                yield Finding(resource, f"attaches {arn}")
            continue
        for where, document in documents:
            if any(grants_admin(s) for s in statements(document)):
                yield Finding(resource, f"{where} allows Action '*' on Resource '*'")


# ---------------------------------------------------------------------------------------------
# Tags and retention


def _effective_tags(ctx: RuleContext, resource: PlanResource) -> dict[str, Any] | None:
    tags = resource.inputs.get("tags")
    if is_unknown(tags):
        return None
    merged: dict[str, Any] = {}
    provider = provider_of(ctx.plan, resource)
    if provider is None:
        merged.update(ctx.config.default_tags)
    else:
        defaults = maybe_json(provider.inputs.get("defaultTags"))
        merged.update(dig(defaults, "tags") or {})
    if isinstance(tags, dict):
        merged.update(tags)
    return merged


def required_tags(ctx: RuleContext) -> Iterator[Finding]:
    """Taggable AWS resources carry the required tags."""
    required = ctx.config.all_required_tags
    for resource in ctx.plan.resources:
        if (
            not resource.type.startswith(("aws:", "eks:"))
            or resource.type.startswith("pulumi:")
            or not accepts_tags(resource.type)
        ):
            continue
        tags = _effective_tags(ctx, resource)
        if tags is None:
            continue
        missing = [k for k in required if k not in tags]
        if missing:
            yield Finding(resource, f"missing tag(s) {', '.join(missing)}")


def _chart_name(release: PlanResource) -> str:
    chart = release.inputs.get("chart")
    if not isinstance(chart, str):
        return ""
    return chart.rstrip("/").rsplit("/", 1)[-1].split(":")[0]


def _set(values: Any, *path: str) -> bool:
    value = dig(values, *path)
    return value not in (None, "", 0, "0", "0s")


_RETENTION_PATHS: dict[str, tuple[tuple[tuple[str, ...], ...], str]] = {
    "kube-prometheus-stack": (
        (
            ("prometheus", "prometheusSpec", "retention"),
            ("prometheus", "prometheusSpec", "retentionSize"),
        ),
        "prometheus.prometheusSpec.retention",
    ),
    "tempo": ((("tempo", "retention"),), "tempo.retention"),
    "tempo-distributed": (
        (
            (
                "backendScheduler",
                "config",
                "provider",
                "compaction",
                "compaction",
                "block_retention",
            ),
            ("compactor", "config", "compaction", "block_retention"),
        ),
        "backendScheduler.config.provider.compaction.compaction.block_retention",
    ),
}


def retention_set(ctx: RuleContext) -> Iterator[Finding]:
    """Logs, metrics and traces have an explicit retention."""
    for group in _of(ctx.plan, LOG_GROUP):
        days = group.inputs.get("retentionInDays")
        if not is_unknown(days) and not (isinstance(days, int) and days > 0):
            yield Finding(group, "retentionInDays is unset: the log group keeps data forever")
    for release in _of(ctx.plan, *HELM_TYPES):
        values = release.inputs.get("values") or {}
        if is_unknown(values):
            continue
        chart = _chart_name(release)
        if chart == "loki":
            period = any(
                _set(values, "loki", *p, "limits_config", "retention_period")
                for p in ((), ("structuredConfig",))
            )
            enabled = any(
                _true(dig(values, "loki", *p, "compactor", "retention_enabled"))
                for p in ((), ("structuredConfig",))
            )
            if not (period and enabled):
                yield Finding(
                    release,
                    "Loki needs loki.limits_config.retention_period and "
                    "loki.compactor.retention_enabled=true",
                )
        elif chart in _RETENTION_PATHS:
            paths, shown = _RETENTION_PATHS[chart]
            if chart == "kube-prometheus-stack" and (
                _false(dig(values, "prometheus", "enabled"))
                # An agent keeps only its WAL; the chart leaves out `retention` in agent mode
                # (templates/prometheus/prometheus.yaml: `if not .Values.prometheus.agentMode`).
                or _true(dig(values, "prometheus", "agentMode"))
            ):
                continue
            if not any(_set(values, *p) for p in paths):
                yield Finding(release, f"{shown} is not set in the release's values")


# ---------------------------------------------------------------------------------------------
# The catalogue


def _rule(
    id_: str,
    severity: Severity,
    title: str,
    rationale: str,
    fix: str,
    check: Any,
    scope: Scope = Scope.RESOURCE,
) -> Rule:
    return Rule(
        id=id_,
        severity=severity,
        title=title,
        rationale=rationale,
        fix=fix,
        scope=scope,
        check=check,
    )


E, W = Severity.ERROR, Severity.WARNING

RULES: tuple[Rule, ...] = (
    _rule(
        "s3-encryption",
        E,
        "S3 buckets have default server-side encryption",
        "Object data, including logs and traces, must be encrypted at rest with a key the "
        "platform controls.",
        "Add aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
        "sse_algorithm 'aws:kms' (and a KMS key) or 'AES256'.",
        s3_encryption,
        Scope.STACK,
    ),
    _rule(
        "s3-access-logging",
        E,
        "S3 buckets log server access, or a waiver says why not",
        "Without access logs there is no record of who read or deleted objects (awsguard's "
        "s3-bucket-logging-enabled).",
        "Add aws.s3.BucketLogging for the bucket with a target bucket (SSE-S3 encrypted: log "
        "delivery does not support SSE-KMS targets), or waive the rule for the bucket in "
        "guardrails.yaml with the reason (CloudTrail S3 data events, log volume).",
        s3_access_logging,
        Scope.STACK,
    ),
    _rule(
        "kms-key-rotation",
        E,
        "Customer-managed KMS keys rotate yearly",
        "Rotation limits how much data one key version protects (awsguard "
        "cmk-backing-key-rotation-enabled).",
        "Set enable_key_rotation=True on the aws.kms.Key (symmetric keys only).",
        kms_key_rotation,
    ),
    _rule(
        "lb-deletion-protection",
        E,
        "Load balancers have deletion protection",
        "A deleted load balancer takes its DNS name with it; every client must be reconfigured "
        "(awsguard elb-deletion-protection-enabled).",
        "Set enable_deletion_protection=True on the aws.lb.LoadBalancer.",
        lb_deletion_protection,
    ),
    _rule(
        "lb-access-logs",
        E,
        "Load balancers write access logs",
        "Without access logs there is no record of who connected to an ingest endpoint "
        "(awsguard elb-logging-enabled).",
        "Set access_logs={'enabled': True, 'bucket': ...} on the aws.lb.LoadBalancer, to a bucket "
        "in its region whose policy lets log delivery write (an NLB: delivery.logs.amazonaws.com, "
        "the NLB guide's bucket policy; an ALB: the policy the ALB guide gives for its Region).",
        lb_access_logs,
    ),
    _rule(
        "s3-public-access-blocked",
        E,
        "S3 buckets block all public access",
        "One public ACL or policy exposes every object; the block switches stop it.",
        "Add aws.s3.BucketPublicAccessBlock for the bucket with block_public_acls, "
        "block_public_policy, ignore_public_acls and restrict_public_buckets all True.",
        s3_public_access_block,
        Scope.STACK,
    ),
    _rule(
        "s3-tls-only",
        E,
        "S3 bucket policies deny plain HTTP",
        "Without TLS, credentials and object data cross the network in the clear.",
        "Add a bucket policy statement: Effect Deny, Principal '*', Action 's3:*', the bucket "
        "and bucket/* resources, Condition Bool aws:SecureTransport 'false'.",
        s3_tls_only,
        Scope.STACK,
    ),
    _rule(
        "s3-protected",
        W,
        "S3 buckets are protected by Pulumi",
        "A bucket holds stored telemetry; a refactor must not delete it.",
        "Create the bucket with opts=ResourceOptions(protect=True).",
        s3_protected,
    ),
    _rule(
        "eks-endpoint-not-world",
        E,
        "EKS API endpoint is not open to the internet",
        "A world-reachable API server is one leaked credential or CVE away from compromise.",
        "Set endpoint_public_access=False (private access on), or list the admin CIDRs in "
        "public_access_cidrs without 0.0.0.0/0.",
        eks_endpoint_not_world,
    ),
    _rule(
        "eks-secrets-encryption",
        E,
        "EKS encrypts Kubernetes secrets with KMS",
        "Envelope encryption with a customer key protects secrets in etcd and backups.",
        "Pass encryption_config_key_arn (pulumi-eks) or encryption_config with resources "
        "['secrets'] and a KMS key ARN.",
        eks_secrets_encryption,
    ),
    _rule(
        "ec2-imdsv2",
        E,
        "Nodes require IMDSv2",
        "IMDSv1 lets any SSRF in a pod read the node role's credentials.",
        "Use launch templates with metadata_options http_tokens='required' (hop limit 2 for "
        "pods), enable_imd_sv2=True on eks.ManagedNodeGroup, and skip_default_node_group=True.",
        ec2_imdsv2,
    ),
    _rule(
        "ecr-scan-on-push",
        E,
        "ECR scans images on push",
        "Known-vulnerable images must be flagged before they run.",
        "Set image_scanning_configuration={'scan_on_push': True} or an ENHANCED registry "
        "scanning configuration in the repository's region.",
        ecr_scan_on_push,
        Scope.STACK,
    ),
    _rule(
        "ecr-immutable-tags",
        E,
        "ECR tags are immutable",
        "A mutable tag lets a push silently replace what a deployment runs.",
        "Set image_tag_mutability='IMMUTABLE'.",
        ecr_immutable_tags,
    ),
    _rule(
        "rds-storage-encrypted",
        E,
        "Databases encrypt storage",
        "Database storage, snapshots and replicas must be encrypted at rest.",
        "Set storage_encrypted=True (and kms_key_id for a cross-region secondary).",
        rds_storage_encrypted,
    ),
    _rule(
        "rds-deletion-protection",
        E,
        "Databases have deletion protection",
        "Deletion protection stops an API call or console click from dropping the data.",
        "Set deletion_protection=True.",
        rds_deletion_protection,
    ),
    _rule(
        "rds-protected",
        E,
        "Databases are protected by Pulumi",
        "protect stops a refactor or a destroy from deleting the database.",
        "Create it with opts=ResourceOptions(protect=True).",
        rds_protected,
    ),
    _rule(
        "aurora-secondary-no-credentials",
        E,
        "Aurora global secondaries set no master credentials",
        "A secondary inherits credentials from the primary; setting them fails the create or "
        "forces a replacement later.",
        "Remove master_username/master_password/manage_master_user_password from the "
        "secondary cluster.",
        aurora_secondary_no_credentials,
        Scope.STACK,
    ),
    _rule(
        "aurora-secondary-ignore-changes",
        E,
        "Aurora global secondaries ignore their global identifiers",
        "After a failover these identifiers drift; an update would detach or promote the cluster.",
        "Add ignore_changes=['global_cluster_identifier', 'replication_source_identifier'] "
        "to the secondary cluster's options.",
        aurora_secondary_ignore_changes,
        Scope.STACK,
    ),
    _rule(
        "aurora-global-no-managed-password",
        E,
        "Aurora global database members do not use RDS-managed master passwords",
        "Aurora does not support Secrets Manager-managed master passwords for clusters in a "
        "global database (Aurora user guide, Secrets Manager integration limitations), so the "
        "create or the join fails.",
        "Remove manage_master_user_password from the cluster; pass master_password as a Pulumi "
        "secret and keep it in a Secrets Manager secret replicated to the other regions (as "
        "PilotLightDr does).",
        aurora_global_no_managed_password,
        Scope.STACK,
    ),
    _rule(
        "route53-failover-ttl",
        E,
        "Failover records have TTL <= 60 s",
        "Resolvers keep a failed region's answer for the whole TTL, which adds to the RTO.",
        f"Set ttl to {FAILOVER_TTL_MAX_SECONDS} or less on failover records (or use an "
        "alias record).",
        route53_failover_ttl,
    ),
    _rule(
        "route53-primary-health-check",
        E,
        "PRIMARY failover records have a health check",
        "Without a health check Route 53 never fails over from the primary.",
        "Set health_check_id on the PRIMARY record to a health check on /healthz.",
        route53_primary_health_check,
    ),
    _rule(
        "no-plaintext-secrets",
        E,
        "No plaintext secrets in inputs or Helm values",
        "Inputs and Helm values are stored in the Pulumi state in plaintext unless secret.",
        "Pass the value as a Pulumi secret (pulumi.Output.secret / config --secret), or "
        "create a Kubernetes Secret from it and reference it (existingSecret and the like).",
        no_plaintext_secrets,
    ),
    _rule(
        "secure-config-plaintext",
        E,
        "Secret configuration stays a Pulumi secret",
        "A value set with `pulumi config set --secret` but read with Config.get or require is a "
        "plain string: Pulumi stores every input built from it in plain text in the state.",
        "Read it with Config.get_secret or require_secret, and pass the Output on.",
        secure_config_in_plaintext,
    ),
    _rule(
        "ram-external-principals",
        E,
        "RAM shares reach outside the organization only for named accounts",
        "A share open to external principals can hand the TGW or IPAM pools to any account.",
        "Set allow_external_principals=False unless the share names the external accounts "
        "it reaches; list those in allowed_external_principals (guardrails.yaml) to pin them.",
        ram_external_principals,
        Scope.STACK,
    ),
    _rule(
        "iam-no-admin",
        E,
        "No IAM policy allows '*' on '*'",
        "Administrator access defeats least privilege; one compromised pod owns the account.",
        "List the actions and resource ARNs the role needs.",
        iam_no_admin,
    ),
    _rule(
        "required-tags",
        E,
        "AWS resources carry the required tags",
        "Tags drive ownership, cost allocation and clean-up.",
        "Create the resource through a component (it tags with obs-platform:managed-by) or "
        "add the missing tags, or set them in the provider's default_tags.",
        required_tags,
        Scope.STACK,
    ),
    _rule(
        "retention-set",
        E,
        "Logs, metrics and traces have an explicit retention",
        "Without a retention, storage grows without bound, or the chart's default silently "
        "decides how much history exists.",
        "Set retention_in_days on log groups, prometheus.prometheusSpec.retention, Loki's "
        "limits_config.retention_period with compactor.retention_enabled, and Tempo's block "
        "retention.",
        retention_set,
    ),
    _rule(
        "transit-routes-attached",
        E,
        "Routes to a Transit Gateway come from VPCs attached to it",
        "EC2 refuses a route to a gateway the VPC is not attached to; an unattached cell's "
        "transit routes reach nothing.",
        "Attach the VPC (Cell transit_network or transit_gateway, or "
        "TransitNetwork.attach_vpc) and make the routes depend on the attachment, or drop them.",
        transit_routes_attached,
        Scope.STACK,
    ),
    _rule(
        "eks-api-reachable",
        W,
        "A private EKS API is reachable from where Pulumi runs",
        "The same `pulumi up` installs Kubernetes objects through the cluster's API; a "
        "private-only endpoint answers only inside its VPC (or what routes to it).",
        "Run the deployment inside the network (a runner in a VPC attached to the Transit "
        "Gateway, and attach this VPC), or list the runner's CIDRs in public_access_cidrs.",
        eks_api_reachable,
        Scope.STACK,
    ),
    _rule(
        "node-volume-key-grants-auto-scaling",
        E,
        "A customer key for node volumes grants the Auto Scaling service-linked role",
        "EC2 Auto Scaling launches instances with encrypted volumes only if the key policy lets "
        "AWSServiceRoleForAutoScaling use the key and create grants; otherwise node groups "
        "never get nodes (a standby fails at failover).",
        "Add the two statements of obs_platform._internal.kms.auto_scaling_key_statements to "
        "the key policy, or leave kms_key_id unset (the AWS-managed aws/ebs key).",
        node_volume_key_grants_auto_scaling,
        Scope.STACK,
    ),
    _rule(
        "apigw-default-route-authorized",
        E,
        "API Gateway has no open $default route",
        "The $default route catches every request; without an authorizer any path reaches the "
        "backend.",
        "Route only what you serve (route_key 'GET /healthz' and the like; a Cell's api_routes) "
        "and drop quick create's target, or set authorization_type (JWT, AWS_IAM, CUSTOM) and "
        "an authorizer on the $default route.",
        api_default_route_authorized,
    ),
    _rule(
        "apigw-access-logs",
        E,
        "API Gateway stages write access logs",
        "Without access logs there is no record of who called the public API.",
        "Set access_log_settings={'destination_arn': <log group ARN>, 'format': ...} on every "
        "stage, with $context.requestId in the format (HTTP and WebSocket APIs), and create the "
        "stage yourself instead of quick create's target.",
        api_access_logs,
    ),
    _rule(
        "k8s-no-nodes-proxy",
        E,
        "No ClusterRole grants nodes/proxy",
        "nodes/proxy opens the kubelet API, including command execution in every container on "
        "the node.",
        "Grant the kubelet subresources the agent reads (get on nodes/stats and nodes/metrics "
        "for metrics), never nodes/proxy or a '*' or '*/proxy' resource in the core group.",
        cluster_roles_without_nodes_proxy,
    ),
    _rule(
        "daemonset-host-ports",
        E,
        "DaemonSets open no host ports unless they declare why",
        "A host port binds every node's address, around Services and network policies.",
        "Send to a Service (internalTrafficPolicy Local keeps it on the node) instead of "
        f"hostPort/hostNetwork, or annotate the DaemonSet with {HOST_PORTS_ANNOTATION}: <reason>.",
        daemonset_host_ports,
    ),
    _rule(
        "daemonset-hardened",
        E,
        "DaemonSet containers run read-only, without capabilities or privilege escalation",
        "A container on every node that can write its image, keep capabilities or gain "
        "privileges turns one exploit into a foothold on each node.",
        "Set securityContext readOnlyRootFilesystem=True, allowPrivilegeEscalation=False, "
        "capabilities={'drop': ['ALL']} (and no privileged) on every container; mount an "
        "emptyDir where it must write.",
        daemonset_hardened,
    ),
)
"""Every rule, in the order reports list them."""

_BY_ID = {r.id: r for r in RULES}


def rule(rule_id: str) -> Rule:
    """Return the rule with this ID.

    Raises:
        KeyError: Listing the known IDs.
    """
    try:
        return _BY_ID[rule_id]
    except KeyError:
        raise KeyError(
            f"no guardrail rule {rule_id!r}; known rules: {', '.join(sorted(_BY_ID))}"
        ) from None


def rule_ids() -> Iterable[str]:
    """Return every rule ID, in catalogue order."""
    return tuple(_BY_ID)
