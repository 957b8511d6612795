#!/usr/bin/env node
// Run Pulumi's AWS policy pack (@pulumi/awsguard) over an obs-platform plan JSON, without the
// Pulumi CLI, and print what it reports as JSON (tests/test_awsguard.py reads it).
//
// Usage: node tests/awsguard/run.js PLAN.json [PLAN.json ...]
//
// Why not `new AwsGuard()`: @pulumi/policy's PolicyPack constructor calls `serve()`
// (policy.js: `server_1.serve(...)`), which starts the analyzer's gRPC server and prints its port
// for a Pulumi CLI to connect to; without the CLI nothing ever calls it. So this harness loads
// awsguard's policy modules (apiGateway, compute, database, elasticsearch, network, security,
// storage: each exports its policies and registers them for the pack) and calls each policy the
// way @pulumi/policy's analyzer does (server.js, makeAnalyzeRpcFun / makeAnalyzeStackRpcFun):
//
// * resource policies: for every resource, `validateResource(args, reportViolation)` for each
//   validation function, with `args.props` the resource's inputs in the provider's camelCase
//   wire format (the plan JSON records exactly those) behind @pulumi/policy's own
//   unknownCheckingProxy, so reading a value unknown in preview throws UnknownValueError, which
//   the analyzer turns into an advisory "can't run ... during preview" note (reported here as
//   `unknown`); `args.isType`/`asType` compare the type token as server.js's isTypeOf does;
// * stack policies: `validateStack(args, reportViolation)` with `args.resources`, every resource
//   shaped the same way;
// * configuration: the defaults of each policy's configSchema (what the CLI fills in when the
//   pack is enabled without configuration), through `args.getConfig()`;
// * enforcement: awsguard's default, "advisory" (enforcementLevel.js), for every policy.
//
// The plan's "[unknown]" values become @pulumi/policy's unknown sentinel; "[secret]" stays the
// placeholder string the plan holds (the analyzer would see the plaintext).
"use strict";

const fs = require("fs");
const proxy = require("@pulumi/policy/proxy");
const awsguardPackage = require("@pulumi/awsguard/package.json");
const { defaultEnforcementLevel } = require("@pulumi/awsguard/enforcementLevel");

const MODULES = ["apiGateway", "compute", "database", "elasticsearch", "network", "security", "storage"];
const UNKNOWN = "[unknown]";

function policies() {
    const found = [];
    for (const module of MODULES) {
        const exported = require(`@pulumi/awsguard/${module}`);
        for (const [key, policy] of Object.entries(exported)) {
            if (policy && typeof policy === "object" && typeof policy.name === "string") {
                if (policy.validateResource || policy.validateStack) {
                    found.push({ key, module, policy });
                }
            }
        }
    }
    return found;
}

function withUnknowns(value) {
    if (value === UNKNOWN) {
        return proxy.unknownStringValue;
    }
    if (Array.isArray(value)) {
        return value.map(withUnknowns);
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withUnknowns(v)]));
    }
    return value;
}

function isTypeOf(type, resourceClass) {
    // server.js isTypeOf: the class's __pulumiType, else its isInstance.
    const pulumiType = resourceClass && resourceClass.__pulumiType;
    if (typeof pulumiType === "string" && pulumiType.length > 0) {
        return type === pulumiType;
    }
    const isInstance = resourceClass && resourceClass.isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

class NotApplicable extends Error {}

function defaults(policy) {
    const properties = (policy.configSchema && policy.configSchema.properties) || {};
    const config = {};
    for (const [name, schema] of Object.entries(properties)) {
        if (schema && Object.prototype.hasOwnProperty.call(schema, "default")) {
            config[name] = schema.default;
        }
    }
    return config;
}

function resourceArgs(resource, policy) {
    const props = proxy.unknownCheckingProxy(withUnknowns(resource.inputs || {}));
    return {
        type: resource.type,
        props,
        urn: resource.urn,
        name: resource.name,
        opts: {
            protect: Boolean(resource.protect),
            ignoreChanges: resource.ignore_changes || [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            parent: resource.parent || undefined,
        },
        isType: (cls) => isTypeOf(resource.type, cls),
        asType: (cls) => (isTypeOf(resource.type, cls) ? props : undefined),
        getConfig: () => defaults(policy),
        notApplicable: (reason) => {
            throw new NotApplicable(reason);
        },
    };
}

async function runPlan(path, found) {
    const plan = JSON.parse(fs.readFileSync(path, "utf8"));
    const resources = plan.resources || [];
    const violations = [];
    const unknown = [];
    const errors = [];
    const report = (policy, resource) => (message, urn) => {
        violations.push({
            policy: policy.name,
            enforcementLevel: policy.enforcementLevel || defaultEnforcementLevel,
            type: resource ? resource.type : undefined,
            name: resource ? resource.name : undefined,
            urn: urn || (resource ? resource.urn : undefined),
            message,
        });
    };
    for (const { policy } of found) {
        if (policy.validateResource) {
            const validations = Array.isArray(policy.validateResource)
                ? policy.validateResource
                : [policy.validateResource];
            for (const resource of resources) {
                for (const validate of validations) {
                    if (validate.__pulumiType && validate.__pulumiType !== resource.type) {
                        continue; // server.js's fast not-applicable check
                    }
                    try {
                        await Promise.resolve(validate(resourceArgs(resource, policy), report(policy, resource)));
                    } catch (e) {
                        if (e instanceof NotApplicable) {
                            continue;
                        }
                        if (e instanceof proxy.UnknownValueError) {
                            unknown.push({ policy: policy.name, name: resource.name, message: e.message });
                            continue;
                        }
                        errors.push({ policy: policy.name, name: resource.name, message: String(e && e.message) });
                    }
                }
            }
        }
        if (policy.validateStack) {
            const args = {
                resources: resources.map((r) => resourceArgs(r, policy)),
                getConfig: () => defaults(policy),
                notApplicable: (reason) => {
                    throw new NotApplicable(reason);
                },
            };
            try {
                await Promise.resolve(policy.validateStack(args, report(policy, undefined)));
            } catch (e) {
                if (!(e instanceof NotApplicable)) {
                    errors.push({ policy: policy.name, name: undefined, message: String(e && e.message) });
                }
            }
        }
    }
    return { plan: path, project: plan.project, stack: plan.stack, violations, unknown, errors };
}

async function main(paths) {
    const found = policies();
    const results = [];
    for (const path of paths) {
        results.push(await runPlan(path, found));
    }
    const out = {
        pack: { name: "pulumi-awsguard", version: awsguardPackage.version },
        policies: found.map(({ policy, module }) => ({
            name: policy.name,
            module,
            kind: policy.validateStack ? "stack" : "resource",
            types: (Array.isArray(policy.validateResource)
                ? policy.validateResource
                : policy.validateResource ? [policy.validateResource] : []
            ).map((f) => f.__pulumiType).filter(Boolean),
        })),
        results,
    };
    process.stdout.write(JSON.stringify(out, null, 1) + "\n");
}

if (process.argv.length < 3) {
    process.stderr.write("usage: node tests/awsguard/run.js PLAN.json [PLAN.json ...]\n");
    process.exit(2);
}
main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`awsguard harness failed: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
});
