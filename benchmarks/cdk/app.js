// A CDK app of the same shape and size as the obs-platform benchmark programs, for comparing
// `cdk synth` with `obs-platform plan` on this machine (benchmarks/synth.py --cdk runs it).
//
// CELLS application cells (default 2), each with about the resources of an obs-platform Cell:
// VPC with three private subnets and route tables, eleven VPC endpoints, an HTTP API with a VPC
// link and custom domain, an internal ALB, an EKS cluster with a node group and launch template,
// node and cluster roles, an MSK cluster with its policy, KMS key and alias, database subnet
// group and security groups. DR=1 (default when CELLS=2) adds the pilot-light pair's resources:
// Aurora global database and the regional clusters, Route 53 health checks, failover records and
// alarms, the replicator and its roles.
//
// Not part of the library or its tests: run it with `npx cdk synth` from a folder where
// `aws-cdk-lib`, `aws-cdk` and `constructs` are installed (npm), with CDK_APP_DIR pointing here.
"use strict";

const cdk = require("aws-cdk-lib");
const ec2 = require("aws-cdk-lib/aws-ec2");
const iam = require("aws-cdk-lib/aws-iam");
const kms = require("aws-cdk-lib/aws-kms");
const eks = require("aws-cdk-lib/aws-eks");
const msk = require("aws-cdk-lib/aws-msk");
const rds = require("aws-cdk-lib/aws-rds");
const elbv2 = require("aws-cdk-lib/aws-elasticloadbalancingv2");
const apigw = require("aws-cdk-lib/aws-apigatewayv2");
const route53 = require("aws-cdk-lib/aws-route53");
const cloudwatch = require("aws-cdk-lib/aws-cloudwatch");

const CELLS = Number(process.env.CELLS || "2");
const DR = process.env.DR === undefined ? CELLS === 2 : process.env.DR === "1";
const REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-2"];
const ENDPOINTS = [
  "ec2", "ecr.api", "ecr.dkr", "eks", "eks-auth", "elasticloadbalancing", "kafka", "logs",
  "secretsmanager", "sts",
];

class Cell extends cdk.Stack {
  constructor(scope, id, index, props) {
    super(scope, id);
    const key = new kms.Key(this, "kms", { enableKeyRotation: true });
    key.addAlias(`alias/${id}`);
    const vpc = new ec2.Vpc(this, "vpc", {
      ipAddresses: ec2.IpAddresses.cidr(`10.${16 + index}.0.0/20`),
      availabilityZones: ["a", "b", "c"].map((z) => `${props.region}${z}`),
      natGateways: 0,
      subnetConfiguration: [{ name: "private", subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      restrictDefaultSecurityGroup: false,
    });
    const subnets = vpc.isolatedSubnets.map((s) => s.subnetId);
    const endpointsSg = new ec2.SecurityGroup(this, "endpoints-sg", { vpc });
    for (const service of ENDPOINTS) {
      new ec2.CfnVPCEndpoint(this, `endpoint-${service}`, {
        vpcId: vpc.vpcId,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: subnets,
        securityGroupIds: [endpointsSg.securityGroupId],
      });
    }
    new ec2.CfnVPCEndpoint(this, "endpoint-s3", {
      vpcId: vpc.vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: vpc.isolatedSubnets.map((s) => s.routeTable.routeTableId),
    });
    const clusterRole = new iam.Role(this, "cluster-role", {
      assumedBy: new iam.ServicePrincipal("eks.amazonaws.com"),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName("AmazonEKSClusterPolicy")],
    });
    const cluster = new eks.CfnCluster(this, "eks", {
      name: id,
      roleArn: clusterRole.roleArn,
      version: "1.33",
      resourcesVpcConfig: {
        subnetIds: subnets,
        endpointPrivateAccess: true,
        endpointPublicAccess: false,
      },
      encryptionConfig: [{ provider: { keyArn: key.keyArn }, resources: ["secrets"] }],
      accessConfig: { authenticationMode: "API" },
    });
    const nodeRole = new iam.Role(this, "node-role", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
    });
    for (const policy of [
      "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly",
      "AmazonSSMManagedInstanceCore", "AmazonEKSWorkerNodePolicy",
    ]) {
      nodeRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName(policy));
    }
    const template = new ec2.CfnLaunchTemplate(this, "node-template", {
      launchTemplateData: {
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
        blockDeviceMappings: [
          { deviceName: "/dev/xvda", ebs: { encrypted: true, kmsKeyId: key.keyArn } },
        ],
      },
    });
    new eks.CfnNodegroup(this, "nodes", {
      clusterName: cluster.ref,
      nodeRole: nodeRole.roleArn,
      subnets,
      scalingConfig: { desiredSize: index % 3, minSize: 0, maxSize: 6 },
      launchTemplate: { id: template.ref, version: template.attrLatestVersionNumber },
    });
    // The cell's workloads (obs-platform: the telemetry collector's six Kubernetes objects and
    // the cluster's add-ons); here as EKS add-ons and access entries, one resource each.
    for (const addon of ["vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent",
      "amazon-cloudwatch-observability", "aws-ebs-csi-driver"]) {
      new eks.CfnAddon(this, `addon-${addon}`, { clusterName: cluster.ref, addonName: addon });
    }
    new eks.CfnAccessEntry(this, "nodes-access", {
      clusterName: cluster.ref, principalArn: nodeRole.roleArn, type: "EC2_LINUX",
    });
    const ingressSg = new ec2.SecurityGroup(this, "ingress-sg", { vpc });
    const alb = new elbv2.CfnLoadBalancer(this, "ingress", {
      scheme: "internal",
      type: "application",
      subnets,
      securityGroups: [ingressSg.securityGroupId],
    });
    const targets = new elbv2.CfnTargetGroup(this, "ingress-targets", {
      vpcId: vpc.vpcId, port: 80, protocol: "HTTP", targetType: "ip",
    });
    const listener = new elbv2.CfnListener(this, "ingress-listener", {
      loadBalancerArn: alb.ref,
      port: 80,
      protocol: "HTTP",
      defaultActions: [{ type: "forward", targetGroupArn: targets.ref }],
    });
    const api = new apigw.CfnApi(this, "api", { name: id, protocolType: "HTTP" });
    const link = new apigw.CfnVpcLink(this, "api-link", {
      name: id, subnetIds: subnets, securityGroupIds: [ingressSg.securityGroupId],
    });
    const integration = new apigw.CfnIntegration(this, "api-integration", {
      apiId: api.ref,
      integrationType: "HTTP_PROXY",
      integrationMethod: "ANY",
      integrationUri: listener.ref,
      connectionType: "VPC_LINK",
      connectionId: link.ref,
      payloadFormatVersion: "1.0",
    });
    new apigw.CfnRoute(this, "api-route", {
      apiId: api.ref, routeKey: "$default", target: `integrations/${integration.ref}`,
    });
    const stage = new apigw.CfnStage(this, "api-stage", {
      apiId: api.ref, stageName: "$default", autoDeploy: true,
    });
    const domain = new apigw.CfnDomainName(this, "api-domain", {
      domainName: "app.example.com",
      domainNameConfigurations: [{
        certificateArn: `arn:aws:acm:${props.region}:111111111111:certificate/x`,
        endpointType: "REGIONAL",
        securityPolicy: "TLS_1_2",
      }],
    });
    new apigw.CfnApiMapping(this, "api-mapping", {
      apiId: api.ref, domainName: domain.ref, stage: stage.ref,
    });
    new ec2.SecurityGroup(this, "db-sg", { vpc });
    new rds.CfnDBSubnetGroup(this, "db-subnets", {
      dbSubnetGroupDescription: `${id} database`, subnetIds: subnets,
    });
    const kafkaSg = new ec2.SecurityGroup(this, "kafka-sg", { vpc });
    const kafka = new msk.CfnCluster(this, "kafka", {
      clusterName: id,
      kafkaVersion: "3.7.x",
      numberOfBrokerNodes: 3,
      brokerNodeGroupInfo: {
        instanceType: "kafka.m7g.large",
        clientSubnets: subnets,
        securityGroups: [kafkaSg.securityGroupId],
      },
      encryptionInfo: { encryptionAtRest: { dataVolumeKmsKeyId: key.keyArn } },
    });
    new msk.CfnClusterPolicy(this, "kafka-policy", {
      clusterArn: kafka.ref,
      policy: { Version: "2012-10-17", Statement: [] },
    });
    this.key = key;
    this.subnets = subnets;
  }
}

class PilotLight extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const global = new rds.CfnGlobalCluster(this, "global", {
      globalClusterIdentifier: id, engine: "aurora-postgresql", storageEncrypted: true,
    });
    for (const side of ["primary", "standby"]) {
      const subnets = new rds.CfnDBSubnetGroup(this, `${side}-db-subnets`, {
        dbSubnetGroupDescription: side, subnetIds: ["subnet-1", "subnet-2", "subnet-3"],
      });
      const db = new rds.CfnDBCluster(this, `${side}-db`, {
        engine: "aurora-postgresql",
        globalClusterIdentifier: global.ref,
        storageEncrypted: true,
        deletionProtection: true,
        dbSubnetGroupName: subnets.ref,
      });
      for (const n of side === "primary" ? [0, 1] : [0]) {
        new rds.CfnDBInstance(this, `${side}-db-${n}`, {
          dbClusterIdentifier: db.ref, dbInstanceClass: "db.r6g.large", engine: "aurora-postgresql",
        });
      }
      const check = new route53.CfnHealthCheck(this, `${side}-healthz`, {
        healthCheckConfig: { type: "HTTPS", fullyQualifiedDomainName: `${side}.example.com`,
          resourcePath: "/healthz" },
      });
      new cloudwatch.CfnAlarm(this, `${side}-healthz-alarm`, {
        comparisonOperator: "LessThanThreshold", evaluationPeriods: 1, threshold: 1,
        metricName: "HealthCheckStatus", namespace: "AWS/Route53", period: 60,
        statistic: "Minimum", dimensions: [{ name: "HealthCheckId", value: check.ref }],
      });
      new route53.CfnHealthCheck(this, `${side}-writer-check`, {
        healthCheckConfig: { type: "CLOUDWATCH_METRIC", insufficientDataHealthStatus: "Unhealthy",
          alarmIdentifier: { name: `${side}-writer`, region: REGIONS[0] } },
      });
      new cloudwatch.CfnAlarm(this, `${side}-writer-alarm`, {
        comparisonOperator: "GreaterThanThreshold", evaluationPeriods: 1, threshold: 60000,
        metricName: "AuroraGlobalDBReplicationLag", namespace: "AWS/RDS", period: 60,
        statistic: "Maximum", dimensions: [{ name: "DBClusterIdentifier", value: db.ref }],
      });
      new eks.CfnAccessEntry(this, `${side}-arc-access`, {
        clusterName: `cell-${side}`,
        principalArn: "arn:aws:iam::111111111111:role/arc",
        accessPolicies: [{
          policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
          accessScope: { type: "cluster" },
        }],
      });
      new route53.CfnRecordSet(this, `${side}-record`, {
        hostedZoneId: "Z0123456789EXAMPLE", name: "app.example.com", type: "CNAME", ttl: "60",
        setIdentifier: side, failover: side === "primary" ? "PRIMARY" : "SECONDARY",
        healthCheckId: check.ref, resourceRecords: [`${side}.example.com`],
      });
    }
    new kms.Key(this, "standby-db-key", { enableKeyRotation: true });
    new ec2.CfnSecurityGroup(this, "standby-db-sg", {
      groupDescription: "standby db", vpcId: "vpc-0123456789abcdef0",
    });
    for (const role of ["arc-role", "arc-approver", "kafka-replicator-role"]) {
      const r = new iam.Role(this, role, {
        assumedBy: new iam.ServicePrincipal("arc-region-switch.amazonaws.com"),
      });
      r.addToPolicy(new iam.PolicyStatement({ actions: ["eks:DescribeCluster"], resources: ["*"] }));
    }
    new msk.CfnReplicator(this, "kafka-replicator", {
      replicatorName: id,
      serviceExecutionRoleArn: "arn:aws:iam::111111111111:role/replicator",
      kafkaClusters: ["primary", "standby"].map((side) => ({
        amazonMskCluster: { mskClusterArn: `arn:aws:kafka:us-east-1:111111111111:cluster/${side}/x` },
        vpcConfig: { subnetIds: ["subnet-1", "subnet-2"] },
      })),
      replicationInfoList: [{
        sourceKafkaClusterArn: "arn:aws:kafka:eu-west-1:111111111111:cluster/primary/x",
        targetKafkaClusterArn: "arn:aws:kafka:us-east-1:111111111111:cluster/standby/x",
        targetCompressionType: "NONE",
        topicReplication: { topicsToReplicate: [".*"] },
        consumerGroupReplication: { consumerGroupsToReplicate: [".*"] },
      }],
    });
  }
}

const app = new cdk.App();
for (let index = 0; index < CELLS; index++) {
  const region = REGIONS[index % REGIONS.length];
  // Environment-agnostic stacks: a stack bound to an account makes the CLI look the account's
  // AZs up with AWS credentials, which a machine without them cannot do.
  new Cell(app, `cell${index}`, index, { region });
}
if (DR) {
  new PilotLight(app, "app", {});
}
app.synth();
