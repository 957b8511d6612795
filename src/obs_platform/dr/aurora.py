"""The Aurora Global Database of a pilot-light pair.

Ownership: :class:`~obs_platform.dr.pilot_light.PilotLightDr` owns the global cluster AND both
regional member clusters; a :class:`~obs_platform.cell.Cell` with ``rds_global=True`` owns only
the *placement* of its member (DB subnet group, security group, KMS key). The reasons: a secondary
can be created only inside an existing global cluster and after the primary has a writer, the
members' identities change on every failover (the "primary" cluster becomes a secondary), and the
two members must be configured as one (engine version, parameters). Keeping the three in one
component keeps that ordering and those rules in one place, and lets a Cell be created before the
DR that joins it.

Children (``n`` is the DR component's name, ``p``/``s`` the sites' names):

* ``{n}-global`` (``aws:rds/globalCluster:GlobalCluster``), in the primary region;
* ``{n}-primary-db`` (``aws:rds/cluster:Cluster``, identifier ``{n}-{p}``), in the primary region,
  with a master password that is a Pulumi secret. ``manage_master_user_password`` is never set:
  "Managing master user passwords with Secrets Manager isn't supported for ... DB clusters that
  are part of an Aurora global database" (Aurora user guide, *Password management with Amazon
  Aurora and AWS Secrets Manager*, limitations). Unless ``master_password`` is given, the
  password is generated: ``{n}-db-password-seed`` (``aws:kms/ciphertext:Ciphertext``) encrypts a
  label with the primary's KMS key, and the password is derived from that ciphertext (random:
  KMS encrypts with AES-256-GCM under a fresh random IV each time, *AWS KMS cryptographic
  details*), so it is unknown until deploy and then stable in state (ciphertext kept secret);
* ``{n}-db-master`` (``aws:secretsmanager/secret:Secret``) in the primary region, encrypted with
  the primary's key and replicated to the standby region with the standby member's key (a
  replica is encrypted with a key of its own region), and ``{n}-db-master-value``
  (``aws:secretsmanager/secretVersion:SecretVersion``): the JSON the RDS console writes
  (``engine``, ``username``, ``password``, ``dbname``), so applications in either region read the
  credentials after a failover;
* ``{n}-primary-db-{i}`` (``aws:rds/clusterInstance:ClusterInstance``);
* ``{n}-standby-db`` (identifier ``{n}-{s}``), in the standby region, with NO master credentials
  (a secondary inherits them; AWS refuses them), waiting for the primary's instances;
* ``{n}-standby-db-{i}``; none when the secondary is headless (``standby_instances=0``);
* with ``global_db_rpo_seconds``, ``{n}-primary-params`` / ``{n}-standby-params``
  (``aws:rds/clusterParameterGroup:ClusterParameterGroup``) setting ``rds.global_db_rpo``.

Both member clusters and the global cluster have deletion protection on and are ``protect``-ed by
default, and both members ignore changes to ``global_cluster_identifier`` and
``replication_source_identifier``: after a failover or switchover AWS changes them, and a Pulumi
diff "fixing" them would detach or promote a cluster. Upgrade the secondary before the primary.

All members of a global database belong to one AWS account. By default each member is created
with its site's provider (sites in one account). When the standby site lives in another account,
``AuroraGlobalArgs.standby_in_primary_account`` creates the standby member in the primary site's
account, in the standby region, with its own ``{n}-standby-db-key`` (KMS),
``{n}-standby-db-subnets`` (on the standby cell's subnets, shared with the primary account through
RAM) and ``{n}-standby-db-sg`` (in the shared VPC, PostgreSQL from the standby VPC's CIDR).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pulumi
import pulumi_aws as aws

from .._internal.alert_rules import CELL_TAG

if TYPE_CHECKING:
    from .args import AuroraGlobalArgs, PilotLightDrArgs
    from .pilot_light import PilotLightDr


class DatabaseSite(Protocol):
    """What a global database member needs of its site (a :class:`~.site.DrSite` has it all)."""

    @property
    def name(self) -> str:
        """Short name, used in the members' identifiers."""
        ...

    @property
    def region(self) -> str:
        """The member's region."""
        ...

    @property
    def db_subnet_group_name(self) -> Any:
        """DB subnet group of the member."""
        ...

    @property
    def db_security_group_ids(self) -> Any:
        """Security groups of the member."""
        ...

    @property
    def db_kms_key_arn(self) -> Any:
        """KMS key (in ``region``) of the member."""
        ...

    @property
    def vpc_id(self) -> Any:
        """VPC, for a member placed from another account."""
        ...

    @property
    def vpc_cidr(self) -> Any:
        """Clients' CIDR, for a member placed from another account."""
        ...

    @property
    def db_subnet_ids(self) -> Any:
        """Subnets, for a member placed from another account."""
        ...

    @property
    def shared_subnets_ready(self) -> tuple[Any, ...]:
        """What a member placed on shared subnets waits for."""
        ...

    def opts(self) -> dict[str, Any]:
        """``ResourceOptions`` keyword arguments placing a child in the site's account."""
        ...


class DatabaseOwner(Protocol):
    """What the functions here need of the component that owns the database."""

    def child_name(self, role: str) -> str:
        """A child's logical name."""
        ...

    def child_opts(self, opts: Any = None, **kwargs: Any) -> pulumi.ResourceOptions:
        """Options for a child (parented to the owner)."""
        ...

    def tags(self, resource_tags: Any = None) -> dict[str, str]:
        """Tags for a child."""
        ...


ENGINE = "aurora-postgresql"
IGNORED_ON_MEMBERS = ["global_cluster_identifier", "replication_source_identifier"]
"""Inputs AWS changes on failover; never let a diff on them detach or promote a member."""


@dataclass(frozen=True)
class AuroraParts:
    """What :func:`create_aurora` made."""

    global_cluster: aws.rds.GlobalCluster
    primary_cluster: aws.rds.Cluster
    standby_cluster: aws.rds.Cluster
    primary_instances: list[aws.rds.ClusterInstance]
    standby_instances: list[aws.rds.ClusterInstance]
    master_secret: aws.secretsmanager.Secret
    master_password: pulumi.Output[str] | None = None
    """The master password (a secret Output), for a client the library configures itself."""


PASSWORD_LENGTH = 40
"""Length of a generated master password: Aurora allows 8 to 41 printable ASCII characters
except ``/``, ``"`` and ``@`` (botocore rds CreateDBCluster ``MasterUserPassword``)."""


def password_from_seed(ciphertext_blob: str) -> str:
    """Return the master password derived from the seed's ciphertext.

    URL-safe base64 of its SHA-256: letters, digits, ``-`` and ``_``, all allowed by Aurora.
    """
    digest = hashlib.sha256(ciphertext_blob.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:PASSWORD_LENGTH]


def _master_credentials(
    owner: DatabaseOwner,
    db: AuroraGlobalArgs,
    primary: DatabaseSite,
    standby: DatabaseSite,
    standby_key_arn: Any,
) -> tuple[pulumi.Output[str], aws.secretsmanager.Secret]:
    """Return the master password (secret) and the replicated Secrets Manager secret."""
    password: pulumi.Output[str]
    if db.master_password is not None:
        password = pulumi.Output.secret(pulumi.Output.from_input(db.master_password))
    else:
        seed = aws.kms.Ciphertext(
            owner.child_name("db-password-seed"),
            key_id=primary.db_kms_key_arn,
            plaintext=f"obs-platform master password seed of {owner.child_name('global')}",
            region=primary.region,
            opts=owner.child_opts(**primary.opts(), additional_secret_outputs=["ciphertextBlob"]),
        )
        password = pulumi.Output.secret(seed.ciphertext_blob.apply(password_from_seed))
    secret = aws.secretsmanager.Secret(
        owner.child_name("db-master"),
        region=primary.region,
        description=f"Master credentials of the global database {owner.child_name('global')}.",
        kms_key_id=primary.db_kms_key_arn,
        replicas=[{"region": standby.region, "kms_key_id": standby_key_arn}],
        recovery_window_in_days=30,
        tags=owner.tags({"Name": owner.child_name("db-master")}),
        opts=owner.child_opts(**primary.opts(), protect=db.protect),
    )
    aws.secretsmanager.SecretVersion(
        owner.child_name("db-master-value"),
        secret_id=secret.id,
        region=primary.region,
        # The keys the RDS console writes for a database secret; secret because the password
        # is (an apply on a secret Output stays secret).
        secret_string=password.apply(
            lambda value: json.dumps(
                {
                    "engine": "postgres",
                    "username": db.master_username,
                    "password": value,
                    "dbname": db.database_name,
                }
            )
        ),
        opts=owner.child_opts(**primary.opts()),
    )
    return password, secret


def _family(engine_version: str) -> str:
    return f"aurora-postgresql{engine_version.split('.')[0]}"


def create_db_placement(
    owner: DatabaseOwner,
    role: str,
    *,
    region: str,
    vpc_id: Any,
    subnet_ids: Any,
    client_cidr: Any,
    subnets_description: str,
    sg_description: str,
    opts: dict[str, Any] | None = None,
) -> tuple[aws.rds.SubnetGroup, aws.ec2.SecurityGroup]:
    """Create the subnet group and security group an Aurora cluster is placed in.

    ``{n}-{role}-subnets`` (DB subnet group) and ``{n}-{role}-sg``, a security group admitting
    PostgreSQL (5432/tcp) from ``client_cidr`` only. Used for a cell's database and for a
    global database secondary placed from another account.

    Args:
        owner: The component the children belong to.
        role: Name part of the children (``"db"``, ``"standby-db"``).
        region: Their region.
        vpc_id: The VPC of the security group.
        subnet_ids: Private subnets of the subnet group.
        client_cidr: The only CIDR allowed to connect (the clients' VPC).
        subnets_description: Description of the subnet group.
        sg_description: Description of the security group.
        opts: Extra ``child_opts`` keyword arguments (such as the account's provider).
    """
    extra = opts or {}
    group = aws.rds.SubnetGroup(
        owner.child_name(f"{role}-subnets"),
        region=region,
        subnet_ids=subnet_ids,
        description=subnets_description,
        tags=owner.tags({"Name": owner.child_name(f"{role}-subnets")}),
        opts=owner.child_opts(**extra),
    )
    sg = aws.ec2.SecurityGroup(
        owner.child_name(f"{role}-sg"),
        region=region,
        vpc_id=vpc_id,
        description=sg_description,
        ingress=[
            {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": [client_cidr]}
        ],
        tags=owner.tags({"Name": owner.child_name(f"{role}-sg")}),
        opts=owner.child_opts(**extra),
    )
    return group, sg


def create_region_key(
    owner: DatabaseOwner, role: str, region: str, description: str, opts: dict[str, Any]
) -> aws.kms.Key:
    """Create ``{n}-{role}``: a KMS key (rotation on, 30-day deletion window) in ``region``.

    Used for what the DR places in the primary account in the standby region (the Aurora
    member, the MSK cluster): a key encrypts only in its own region and account.
    """
    return aws.kms.Key(
        owner.child_name(role),
        region=region,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        tags=owner.tags({"Name": owner.child_name(role)}),
        opts=owner.child_opts(**opts),
    )


def _shared_placement(
    owner: DatabaseOwner, db: AuroraGlobalArgs, standby: DatabaseSite, opts: dict[str, Any]
) -> dict[str, Any]:
    """Create the standby member's key, subnet group and security group in the primary account."""
    key = create_region_key(
        owner,
        "standby-db-key",
        standby.region,
        f"Aurora global database secondary in {standby.region}.",
        opts={**opts, "protect": db.protect},
    )
    group, sg = create_db_placement(
        owner,
        "standby-db",
        region=standby.region,
        vpc_id=standby.vpc_id,
        subnet_ids=standby.db_subnet_ids,
        client_cidr=standby.vpc_cidr,
        subnets_description=(
            f"Shared subnets of {standby.name} for the global database secondary."
        ),
        sg_description=f"PostgreSQL from {standby.name}'s VPC.",
        # The primary account sees the standby's subnets (and their VPC) only once the RAM share
        # is associated: without the dependency the first `up` races it (InvalidSubnet).
        opts={**opts, "depends_on": list(standby.shared_subnets_ready)},
    )
    return {
        "db_subnet_group_name": group.name,
        "vpc_security_group_ids": [sg.id],
        "kms_key_id": key.arn,
    }


def create_aurora(owner: PilotLightDr, args: PilotLightDrArgs) -> AuroraParts:
    """Create the global cluster and its two members.

    Args:
        owner: The DR component.
        args: Its arguments; ``args.database`` must be set.
    """
    db: AuroraGlobalArgs = args.database  # type: ignore[assignment]
    return create_global_database(owner, db, args.primary, args.standby)


def create_global_database(
    owner: DatabaseOwner,
    db: AuroraGlobalArgs,
    primary: DatabaseSite,
    standby: DatabaseSite,
    *,
    serverless_v2_capacity: tuple[float, float] | None = None,
) -> AuroraParts:
    """Create a global cluster and its two members between two sites.

    Args:
        owner: The component the children belong to (their names derive from its).
        db: The database's settings.
        primary: Where the writer runs.
        standby: Where the secondary runs.
        serverless_v2_capacity: ``(min, max)`` Aurora capacity units for Serverless v2
            members (``instance_class="db.serverless"``), or ``None`` for provisioned ones.
    """
    keep: dict[str, Any] = {"protect": db.protect}
    global_cluster = aws.rds.GlobalCluster(
        owner.child_name("global"),
        global_cluster_identifier=owner.child_name("global"),
        region=primary.region,
        engine=ENGINE,
        engine_version=db.engine_version,
        database_name=db.database_name,
        storage_encrypted=True,
        deletion_protection=db.deletion_protection,
        tags=owner.tags({"Name": owner.child_name("global")}),
        opts=owner.child_opts(**primary.opts(), **keep),
    )
    params: dict[str, Any] = {}
    if db.global_db_rpo_seconds is not None:
        for role, site in (("primary", primary), ("standby", standby)):
            group = aws.rds.ClusterParameterGroup(
                owner.child_name(f"{role}-params"),
                region=site.region,
                family=_family(db.engine_version),
                description="Bounds global replication lag (rds.global_db_rpo).",
                parameters=[
                    {
                        "name": "rds.global_db_rpo",
                        "value": str(db.global_db_rpo_seconds),
                        "apply_method": "immediate",
                    }
                ],
                tags=owner.tags({"Name": owner.child_name(f"{role}-params")}),
                opts=owner.child_opts(
                    **(primary.opts() if db.standby_in_primary_account else site.opts())
                ),
            )
            params[role] = group.name
    standby_opts = primary.opts() if db.standby_in_primary_account else standby.opts()
    placement: dict[str, Any] = {
        "db_subnet_group_name": standby.db_subnet_group_name,
        "vpc_security_group_ids": standby.db_security_group_ids,
        "kms_key_id": standby.db_kms_key_arn,
    }
    if db.standby_in_primary_account:
        placement = _shared_placement(owner, db, standby, standby_opts)
    password, secret = _master_credentials(owner, db, primary, standby, placement["kms_key_id"])
    common: dict[str, Any] = {
        "engine": ENGINE,
        "engine_version": db.engine_version,
        "global_cluster_identifier": global_cluster.id,
        "storage_encrypted": True,
        "deletion_protection": db.deletion_protection,
        "copy_tags_to_snapshot": True,
        "iam_database_authentication_enabled": True,
        "enabled_cloudwatch_logs_exports": ["postgresql"],
    }
    if serverless_v2_capacity is not None:
        # Serverless v2 members are provisioned-mode clusters with db.serverless instances
        # (Aurora user guide, "Using Aurora Serverless v2"; supported in global databases).
        common["serverlessv2_scaling_configuration"] = {
            "min_capacity": serverless_v2_capacity[0],
            "max_capacity": serverless_v2_capacity[1],
        }
    primary_cluster = aws.rds.Cluster(
        owner.child_name("primary-db"),
        cluster_identifier=f"{owner.child_name(primary.name)}",
        region=primary.region,
        database_name=db.database_name,
        master_username=db.master_username,
        db_subnet_group_name=primary.db_subnet_group_name,
        vpc_security_group_ids=primary.db_security_group_ids,
        kms_key_id=primary.db_kms_key_arn,
        backup_retention_period=db.backup_retention_days,
        final_snapshot_identifier=f"{owner.child_name(primary.name)}-final",
        db_cluster_parameter_group_name=params.get("primary"),
        tags=owner.tags({"Name": owner.child_name("primary-db"), CELL_TAG: primary.name}),
        opts=owner.child_opts(**primary.opts(), **keep, ignore_changes=IGNORED_ON_MEMBERS),
        master_password=password,
        **common,
    )
    primary_instances = _instances(
        owner, db, "primary", primary, primary_cluster, db.primary_instances, primary.opts()
    )
    standby_cluster = aws.rds.Cluster(
        owner.child_name("standby-db"),
        cluster_identifier=f"{owner.child_name(standby.name)}",
        region=standby.region,
        **placement,
        backup_retention_period=db.backup_retention_days,
        # A secondary has no snapshot of its own to keep; the primary's final snapshot does.
        skip_final_snapshot=True,
        db_cluster_parameter_group_name=params.get("standby"),
        tags=owner.tags({"Name": owner.child_name("standby-db"), CELL_TAG: standby.name}),
        opts=owner.child_opts(
            **standby_opts,
            **keep,
            ignore_changes=IGNORED_ON_MEMBERS,
            depends_on=list(primary_instances),
        ),
        **common,
    )
    standby_instances = _instances(
        owner, db, "standby", standby, standby_cluster, db.standby_instances, standby_opts
    )
    return AuroraParts(
        global_cluster=global_cluster,
        primary_cluster=primary_cluster,
        standby_cluster=standby_cluster,
        primary_instances=primary_instances,
        standby_instances=standby_instances,
        master_secret=secret,
        master_password=password,
    )


def _instances(
    owner: DatabaseOwner,
    db: AuroraGlobalArgs,
    role: str,
    site: DatabaseSite,
    cluster: aws.rds.Cluster,
    count: int,
    opts: dict[str, Any],
) -> list[aws.rds.ClusterInstance]:
    """Create a member's ``{n}-{role}-db-{index}`` instances (private, pinned minor version)."""
    return [
        aws.rds.ClusterInstance(
            owner.child_name(f"{role}-db-{index}"),
            identifier=f"{owner.child_name(site.name)}-{index}",
            cluster_identifier=cluster.id,
            region=site.region,
            engine=ENGINE,
            engine_version=db.engine_version,
            instance_class=(
                db.standby_instance_class or db.instance_class
                if role == "standby"
                else db.instance_class
            ),
            publicly_accessible=False,
            auto_minor_version_upgrade=False,
            performance_insights_enabled=True,
            tags=owner.tags({"Name": owner.child_name(f"{role}-db-{index}")}),
            opts=owner.child_opts(**opts),
        )
        for index in range(count)
    ]
