"""The offline engine: run a Pulumi program in-process under Pulumi's mock monitor.

The program runs for real, with the real pulumi-aws, pulumi-eks and pulumi-kubernetes classes;
only the engine's answers are simulated (``_answers``). Every registration is recorded with its
options and effective region, and the run returns a :class:`~obs_platform.testing.plan.Plan`.

Each run installs fresh runtime settings, a fresh monitor and fresh configuration, and restores
the working directory, ``sys.path`` and the program's imported modules afterwards, so two runs
in one process share nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import inspect
import json
import logging
import os
import runpy
import sys
import sysconfig
import types
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import empty_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import engine_pb2, resource_pb2, source_pb2
from pulumi.runtime.stack import Stack
from pulumi.runtime.sync_await import _sync_await

from .._internal.errors import ObsPlatformError
from . import _checks, _references, _wire
from ._answers import (
    DEFAULT_ACCOUNT_ID,
    AssumedRole,
    ResourceContext,
    answer_call,
    answer_resource,
)
from ._limits import Guard, ProgramTooDeepError, abandon_event_loop, exit_error, location_of
from ._project import load_program
from ._secrets import warn_plaintext_secret_reads
from .plan import STACK_TYPE, Plan, PlanResource

AWS_REGION_KEY = "aws:region"
StackOutputsSource = str | os.PathLike[str] | Mapping[str, Any] | _references.StackOutputs
"""What ``stack_outputs`` takes for one stack: a plan JSON or outputs file, or the outputs."""
_AWS_PACKAGES = ("aws:", "eks:", "pulumi:providers:aws", "pulumi:providers:eks")
_FALLBACK_REGION = "us-east-1"
_HIDDEN_CHILDREN: dict[str, dict[str, tuple[str, str]]] = {
    "eks:index:Cluster": {"eksCluster": ("aws:eks/cluster:Cluster", "eksCluster")},
}


class ProgramError(Exception):
    """A program failed under the offline engine.

    Attributes:
        original: The exception the program raised.
        location: ``file:line`` of the program line whose registration failed, when the
            engine refused a registration (``None`` when the program itself raised: the
            traceback of ``original`` then names the line).
    """

    def __init__(self, message: str, original: BaseException, location: str | None = None) -> None:
        super().__init__(message)
        self.original = original
        self.location = location


def _names_call_site(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Remember which program line made a request that the monitor refused.

    The monitor runs on Pulumi's worker thread, so the exception's traceback ends in the SDK;
    the request's stack trace (see :func:`_call_site_trace`) names the program's line.
    """

    @functools.wraps(method)
    def wrapper(monitor: _RecordingMonitor, request: Any) -> Any:
        try:
            return method(monitor, request)
        except Exception as exc:
            # The last frame is the program's own line (see _call_site_trace).
            positions = [f.pc for f in request.stackTrace.frames if f.HasField("pc")]
            if positions and positions[-1].uri.startswith("file://"):
                path = urllib.parse.unquote(positions[-1].uri.removeprefix("file://"))
                monitor.failed_at.append((exc, f"{path}:{positions[-1].line}"))
            raise

    return wrapper


_POOL_CIDR_TYPE = "aws:ec2/vpcIpamPoolCidr:VpcIpamPoolCidr"


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """Pulumi's mock monitor, recording each registration with its options and region."""

    def __init__(self, default_region: str | None, default_account: str) -> None:
        super().__init__(_NoMocks())
        self.default_region = default_region
        self.default_account = default_account
        self.records: dict[str, PlanResource] = {}
        # Called after each registration with the count so far (the CLI's progress line).
        self.progress: Callable[[int, PlanResource], None] | None = None
        # Outputs of the stacks a program may read with pulumi.StackReference, by name.
        self.stack_references: dict[str, _references.StackOutputs] = {}
        # Each registration's SDK stack trace, resolved to a file:line only when a URN repeats.
        self._stack_traces: dict[str, Any] = {}
        self.stack_outputs: dict[str, Any] = {}
        self._provider_context: dict[str, _ProviderContext] = {}
        # (type, id, revealed outputs) of each answered registration, revealed once here rather
        # than on every lookup an answer makes (a VPC's CIDR looks up its pool's).
        self._answered: list[tuple[str, str, dict[str, Any]]] = []
        # Each refused request's exception, with the program line that made it.
        self.failed_at: list[tuple[BaseException, str]] = []
        # Where the engine's own warnings go (the plan's diagnostics).
        self.warn: Callable[[str], None] | None = None

    def _context_of(self, provider_ref: str) -> _ProviderContext:
        urn = provider_ref.rsplit("::", 1)[0] if provider_ref else ""
        return self._provider_context.get(urn, _NO_PROVIDER)

    def _provider_ref(self, type_: str, provider_ref: str, providers: Mapping[str, str]) -> str:
        return provider_ref if type_.startswith("aws:") else providers.get("aws", provider_ref)

    def _effective(
        self, type_: str, inputs: dict[str, Any], provider_ref: str, providers: Mapping[str, str]
    ) -> tuple[str | None, str]:
        context = self._context_of(self._provider_ref(type_, provider_ref, providers))
        own_region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
        region = own_region or context.region or self.default_region
        return region, context.account or self.default_account

    @_names_call_site
    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self.records:
            raise _checks.duplicate_urn(
                urn,
                _checks.registration_site(self._stack_traces.get(urn)),
                _checks.registration_site(request.stackTrace),
            )
        self._stack_traces[urn] = request.stackTrace
        wire_inputs = _wire.decode(request.object)
        revealed = _wire.reveal(wire_inputs)
        providers = dict(request.providers)
        region, account = self._effective(request.type, revealed, request.provider, providers)
        is_aws = request.type.startswith(_AWS_PACKAGES)
        if request.type == STACK_TYPE:
            resource_id, outputs = "", dict[str, Any]()
        else:
            ctx = ResourceContext(
                urn=urn,
                type=request.type,
                name=request.name,
                inputs=revealed,
                region=region or _FALLBACK_REGION,
                account=account,
                registered=self._registered,
            )
            if request.custom and request.type.startswith("kubernetes:"):
                _checks.check_kubernetes(request.type, request.name, urn, wire_inputs, ctx.hex(8))
            if request.custom and is_aws:
                auto_name = _checks.check_name(
                    request.type, request.name, urn, wire_inputs, ctx.hex(7)
                )
                if auto_name is not None:
                    ctx = dataclasses.replace(ctx, auto_name=auto_name)
            resource_id, outputs = answer_resource(ctx)
            outputs.update(self._hidden_children(ctx, outputs))
            outputs.update(
                {
                    k: _wire.echo(v)
                    for k, v in wire_inputs.items()
                    if k not in outputs or _wire.contains_secret(v)
                }
            )
            self._mark_secret_outputs(request, urn, outputs)
            self._answered.append((request.type, resource_id, _wire.reveal(outputs)))
        if request.type.startswith("pulumi:providers:"):
            self._provider_context[urn] = _provider_context(revealed)
        provider = request.provider.rsplit("::", 1)[0] if request.provider else None
        self.records[urn] = PlanResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            provider=provider,
            region=region if is_aws else None,
            inputs=_wire.to_plain(wire_inputs),
            protect=bool(request.protect) if request.HasField("protect") else False,
            retain_on_delete=(
                bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False
            ),
            depends_on=tuple(sorted(set(request.dependencies))),
            ignore_changes=tuple(request.ignoreChanges),
            outputs=_wire.to_plain(outputs) if request.custom else {},
            aliases=self._alias_urns(request),
        )
        if self.progress is not None:
            self.progress(len(self.records), self.records[urn])
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(
            urn, resource_id, outputs
        )
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        obj = _wire.to_struct(outputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=obj)

    def _mark_secret_outputs(self, request: Any, urn: str, outputs: dict[str, Any]) -> None:
        """Make secret the outputs the registration lists in ``additional_secret_outputs``.

        As the Pulumi engine does after each step (``pkg/resource/deploy/step_executor.go``):
        each listed output the resource has becomes a secret, in what the program reads back
        and so in the plan (``"[secret]"`` wherever it flows: stack outputs, other resources'
        inputs, :attr:`PlanResource.outputs`); ``id`` cannot be made secret and is a warning
        with Pulumi's text. The SDK sends the names translated to the provider's (camelCase)
        ones, and adds the outputs its schema marks secret (``aws.rds.Cluster``'s
        ``masterPassword``) to the list by itself. An output named after a secret input is
        secret already (echoed as a secret, as the engine's "input secret potentially leaked"
        rule has it).
        """
        for name in request.additionalSecretOutputs:
            if name == "id":
                if self.warn is not None:
                    self.warn(
                        f"{request.type} {request.name!r} ({urn}): The 'id' property cannot be "
                        "made secret. See pulumi/pulumi#2717 for more details."
                    )
            elif name in outputs and not _wire.contains_secret(outputs[name]):
                outputs[name] = _wire.secret(outputs[name])

    def _alias_urns(self, request: Any) -> tuple[str, ...]:
        """Return the URNs a registration's aliases stand for (specs resolved as Pulumi does)."""
        urns = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        return tuple(urns)

    def _hidden_children(self, ctx: ResourceContext, outputs: dict[str, Any]) -> dict[str, Any]:
        """Answer outputs that are resource references to a remote component's own children.

        ``eks:index:Cluster`` returns ``eksCluster``, an ``aws:eks/cluster:Cluster`` it made
        inside the provider. The engine keeps that child where ``get_resource`` finds it (so
        ``cluster.eks_cluster.name`` works) but not in the plan: the program did not register it.
        """
        refs: dict[str, Any] = {}
        for output, (child_type, role) in _HIDDEN_CHILDREN.get(ctx.type, {}).items():
            child_urn = self.make_urn(ctx.urn, child_type, f"{ctx.name}-{role}")
            child_ctx = ResourceContext(
                urn=child_urn,
                type=child_type,
                name=f"{ctx.name}-{role}",
                inputs={"name": outputs.get("clusterName") or ctx.name},
                region=ctx.region,
                account=ctx.account,
            )
            child_id, child_state = answer_resource(child_ctx)
            self.resources[child_urn] = pulumi_mocks.MockMonitor.ResourceRegistration(
                child_urn, child_id, child_state
            )
            refs[output] = _wire.resource_reference(child_urn, child_id)
        return refs

    def _registered(self) -> list[tuple[str, str, dict[str, Any]]]:
        return list(self._answered)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        outputs = _wire.struct_to_plain(request.outputs)
        record = self.records.get(request.urn)
        if record is not None:
            self.records[request.urn] = dataclasses.replace(record, outputs=outputs)
            if record.type == STACK_TYPE:
                self.stack_outputs = outputs
        return empty_pb2.Empty()

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)  # type: ignore[no-untyped-call]
        args = _wire.reveal(_wire.decode(request.args))
        region, account = self._effective(request.tok, args, request.provider, {})
        role = self._context_of(request.provider).assumed_role
        result = answer_call(
            request.tok, args, region or _FALLBACK_REGION, account, assumed_role=role
        )
        ret = _wire.to_struct(result)
        response = resource_pb2.ResourceInvokeResponse()
        getattr(response, "return").CopyFrom(ret)  # "return" is a Python keyword
        return response

    @_names_call_site
    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.type != _references.STACK_REFERENCE_TYPE:
            raise NotImplementedError(
                f"the offline engine cannot read the existing resource {request.type} "
                f"{request.name!r} (id {request.id!r}): there is no cloud to read it from. "
                "Pass its ID or ARN as an input instead of calling .get()."
            )
        urn = self.make_urn(request.parent, request.type, request.name)
        outputs = _references.resolve(
            self.stack_references, request.id, pulumi_settings.get_project()
        )
        state = {"name": request.id, **_references.wire_outputs(outputs)}
        # The referenced stack's IPAM pools, as answers see pools of this program: a VPC
        # allocated from one gets a CIDR inside the pool's (StackOutputs.pool_cidrs).
        for pool_id, cidrs in outputs.pool_cidrs.items():
            for cidr in cidrs:
                known = (_POOL_CIDR_TYPE, "", {"ipamPoolId": pool_id, "cidr": cidr})
                if known not in self._answered:
                    self._answered.append(known)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, request.id, state)
        self.records[urn] = PlanResource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=True,
            provider=None,
            region=None,
            inputs={"name": request.id},
            outputs=_wire.to_plain(state),
        )
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_wire.to_struct(state))


@dataclass(frozen=True)
class _ProviderContext:
    """Where an explicit ``aws`` provider works: its region, account and assumed role."""

    region: str | None = None
    account: str | None = None
    assumed_role: AssumedRole | None = None


_NO_PROVIDER = _ProviderContext()


def _provider_context(inputs: Mapping[str, Any]) -> _ProviderContext:
    """Return a provider's region, account and the role its calls run as.

    Provider inputs arrive JSON-encoded, with the SDK's snake_case keys inside. The calls run
    as the last role of the ``assume_roles`` chain (terraform-provider-aws assumes them in
    order, each with the previous one's credentials), else the ``assume_role_with_web_identity``
    role; the account is that role's, else the one ``allowed_account_ids`` names.
    """
    region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
    chain = _json_value(inputs.get("assumeRoles")) or []
    single = _json_value(inputs.get("assumeRole"))  # pulumi-aws v6's name
    if isinstance(single, dict):
        chain = [single, *chain] if isinstance(chain, list) else [single]
    web = _json_value(inputs.get("assumeRoleWithWebIdentity"))
    roles = [r for r in [web, *(chain if isinstance(chain, list) else [])] if isinstance(r, dict)]
    for role in reversed(roles):
        arn = role.get("roleArn") or role.get("role_arn")
        if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[4]:
            session = role.get("sessionName") or role.get("session_name")
            assumed = AssumedRole(arn, session if isinstance(session, str) and session else None)
            return _ProviderContext(region, arn.split(":")[4], assumed)
    allowed = _json_value(inputs.get("allowedAccountIds"))
    if isinstance(allowed, list) and len(allowed) == 1:
        return _ProviderContext(region, str(allowed[0]))
    return _ProviderContext(region)


def _json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _NoMocks(pulumi.runtime.Mocks):
    """Placeholder: the recording monitor answers registrations and calls itself."""

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        raise AssertionError("unreachable: _RecordingMonitor answers registrations")

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise AssertionError("unreachable: _RecordingMonitor answers calls")


class _RecordingEngine(pulumi_mocks.MockEngine):
    """Keeps the warnings and errors a program logs, for the plan's diagnostics."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("obs_platform.engine"))
        self.diagnostics: list[str] = []

    def Log(self, request: Any) -> None:  # noqa: N802 - gRPC method name
        if request.severity in (engine_pb2.WARNING, engine_pb2.ERROR):
            level = "warning" if request.severity == engine_pb2.WARNING else "error"
            self.diagnostics.append(f"{level}: {request.message}")
        super().Log(request)  # type: ignore[no-untyped-call]


def run(
    program: Callable[[], object],
    *,
    project: str = "project",
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    secret_keys: set[str] | frozenset[str] = frozenset(),
    account_id: str = DEFAULT_ACCOUNT_ID,
    timeout_seconds: float | None = None,
    stack_outputs: Mapping[str, StackOutputsSource] | None = None,
    progress: Callable[[int, PlanResource], None] | None = None,
) -> Plan:
    """Run a Python function as a Pulumi program under the offline engine.

    Args:
        program: The program body; it creates resources and may call ``pulumi.export``.
        project: The project name used in URNs.
        stack: The stack name used in URNs.
        config: Configuration by full key (``"aws:region"``, ``"myproj:replicas"``). Values
            that are not strings are JSON-encoded, as Pulumi does for structured config.
        secret_keys: Keys of ``config`` whose values are secrets.
        account_id: The AWS account the engine answers for when no provider names one.
        timeout_seconds: Stop the program when it runs longer than this (``None``: no limit).
            Works from any thread: a ``SIGALRM`` in the main thread, a watchdog thread
            elsewhere (docs: the offline engine concept page).
            Enforced in the main thread only (it uses ``SIGALRM``).
        stack_outputs: Outputs of the stacks the program reads with ``pulumi.StackReference``,
            by stack name (``org/project/stack``, ``project/stack`` or ``stack``): a path to
            another program's plan JSON or to a ``pulumi stack output --json`` file, or a
            mapping of outputs. A reference with none fails the run, naming the stack.
        progress: Called after each registration with how many were recorded so far and
            the latest (from the SDK's worker thread; keep it quick).

    Returns:
        The recorded plan.

    Raises:
        ProgramError: If the program raised, called ``sys.exit``/``os._exit``
            (:class:`~obs_platform.testing.ProgramExitError`) or ran past ``timeout_seconds``
            (:class:`~obs_platform.testing.ProgramTimeoutError`); ``original`` holds the cause.
    """
    guard = Guard(timeout_seconds)
    config_strings = {
        k: v if isinstance(v, str) else json.dumps(v) for k, v in (config or {}).items()
    }
    unknown_secrets = set(secret_keys) - set(config_strings)
    if unknown_secrets:
        raise ValueError(f"secret_keys {sorted(unknown_secrets)} are not keys of config")
    monitor = _RecordingMonitor(config_strings.get(AWS_REGION_KEY), account_id)
    monitor.stack_references = _references.normalise(stack_outputs)
    monitor.progress = progress
    engine = _RecordingEngine()
    monitor.warn = lambda text: engine.diagnostics.append(f"warning: {text}")
    pulumi_settings.reset_options(project=project, stack=stack, preview=False)
    set_all_config(config_strings, sorted(secret_keys))
    deployment = monitor.GetDeploymentInfo(empty_pb2.Empty())  # type: ignore[no-untyped-call]
    pulumi_settings.configure(
        pulumi_mocks.MockSettings(  # type: ignore[no-untyped-call]
            monitor=monitor,
            monitor_features=set(deployment.supportedFeatures),
            engine=engine,
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
        )
    )
    pulumi_settings.SETTINGS.outputs.clear()
    full_stack_trace = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = _call_site_trace
    try:
        with (
            guard.active(),
            _quiet_when_failed(),
            warn_plaintext_secret_reads(
                secret_keys, lambda text: engine.diagnostics.append(f"warning: {text}")
            ),
        ):
            _sync_await(_run_in_stack(program))
    except BaseException as exc:
        if guard.timed_out is not None or isinstance(exc, SystemExit):
            abandon_event_loop()
        if guard.timed_out is not None:
            raise ProgramError(str(guard.timed_out), guard.timed_out) from None
        if isinstance(exc, KeyboardInterrupt):
            raise
        _forget_failed_futures()
        if isinstance(exc, SystemExit):
            exited = exit_error(exc)
            raise ProgramError(str(exited), exited) from exc
        cause = _root_cause(exc)
        if isinstance(cause, RecursionError):
            deep_at = location_of(cause)
            deep = ProgramTooDeepError(
                "the program recursed too deeply (RecursionError"
                + (f" at {deep_at}" if deep_at else "")
                + "): an input nested hundreds of levels deep, or a helper calling itself. "
                "Flatten the input."
            )
            raise ProgramError(str(deep), deep) from None
        location = next(
            (where for failed, where in monitor.failed_at if failed is cause or failed is exc),
            None,
        )
        raise ProgramError(str(cause), cause, location) from cause
    finally:
        pulumi_resource._get_stack_trace = full_stack_trace
        pulumi_settings.reset_options()
        set_all_config({}, [])
    records = _tree_order(list(monitor.records.values()))
    resources = tuple(records)
    return Plan(
        project=project,
        stack=stack,
        resources=resources,
        outputs=monitor.stack_outputs,
        diagnostics=tuple(engine.diagnostics),
    )


_LIBRARY_ROOT = str(Path(__file__).resolve().parents[1]) + os.sep
_STDLIB = sysconfig.get_paths()["stdlib"] + os.sep
# filename -> (its file URI or "" when it has none, whether it is the program's own code)
_FILES: dict[str, tuple[str, bool]] = {}


def _file(filename: str) -> tuple[str, bool]:
    known = _FILES.get(filename)
    if known is None:
        try:
            uri = Path(filename).as_uri()
        except ValueError:  # a relative or synthetic name ("<frozen runpy>"): no position
            uri = ""
        library = "site-packages" in filename or filename.startswith((_LIBRARY_ROOT, _STDLIB))
        known = _FILES[filename] = (uri, bool(uri) and not library)
    return known


def _frame(uri: str, line: int) -> source_pb2.StackFrame:
    position = source_pb2.SourcePosition(uri=uri, line=line) if uri else None
    return source_pb2.StackFrame(pc=position)


def _call_site_trace() -> source_pb2.StackTrace:
    """Stand in for Pulumi's ``_get_stack_trace`` during an offline run: the call site only.

    Pulumi captures the whole stack for each registration (``traceback.extract_stack``, which
    also reads every frame's source line) for the Pulumi engine's diagnostics. The offline
    engine reads the trace only when it refuses a registration (:func:`_names_call_site`), so
    this returns two frames at most: the first, found by Pulumi's own rule (the caller of the
    third ``__init__`` up the stack: the resource class the program instantiated), so that the
    request's ``sourcePosition`` is the one Pulumi would send; and, when that frame is in an
    SDK or in this library (a component's child, ``Vpc.get``), the nearest caller in the
    program's own code, the line a failure is reported at.
    """
    frame: types.FrameType | None = sys._getframe(1)
    inits = 0
    while frame is not None:
        if frame.f_code.co_name == "__init__":
            inits += 1
            if inits == 3:
                break
        frame = frame.f_back
    caller = frame.f_back if frame is not None else None
    if caller is None:
        return source_pb2.StackTrace()
    uri, in_program = _file(caller.f_code.co_filename)
    frames = [_frame(uri, caller.f_lineno)]
    outer = caller.f_back
    while not in_program and outer is not None:
        uri, in_program = _file(outer.f_code.co_filename)
        if in_program:
            frames.append(_frame(uri, outer.f_lineno))
        outer = outer.f_back
    return source_pb2.StackTrace(frames=frames)


def _root_cause(exc: BaseException) -> BaseException:
    """Return the error the program really raised, not the SDK's wrappers around it.

    When a registration fails, every resource whose inputs depend on it fails too, each with
    ``ValueError("While processing resource: ...")`` raised from the one before; the first of
    the chain is what the user must fix.
    """
    seen: set[int] = set()
    current = exc
    while current.__cause__ is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ObsPlatformError):
            return current
        current = current.__cause__
    return current


@contextlib.contextmanager
def _quiet_when_failed() -> Iterator[None]:
    """Hold back what asyncio reports about abandoned work until the run's end.

    When a registration is refused, the SDK's tasks for every resource that waited on it fail,
    and asyncio reports each ("Task exception was never retrieved") as the collector meets
    them, and the coroutines they never reached ("coroutine ... was never awaited"). A failed
    run reports its one cause instead; a run that succeeds passes the loop's reports on.
    """
    loop = asyncio.get_event_loop()
    previous = loop.get_exception_handler()
    held: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: held.append(context))
    failed = False
    with warnings.catch_warnings():
        # The SDK's own bookkeeping coroutines, dropped when a run stops early.
        warnings.filterwarnings(
            "ignore", message=r"coroutine '.*' was never awaited", category=RuntimeWarning
        )
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            loop.set_exception_handler(previous)
    if not failed:
        for context in held:
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)


def _forget_failed_futures() -> None:
    """Finish what a failed run leaves behind, so asyncio does not report it one by one.

    A refused registration fails the futures of every resource that waited for it, and tasks
    the SDK started (secret checks, output resolution) are still pending when the run stops:
    they are cancelled and run to their end here, and every failed future is marked as seen,
    so the garbage collector does not log each ("Future exception was never retrieved") when
    it gets to them, or the next run's loop does not run them.
    """
    loop = asyncio.get_event_loop()
    if not loop.is_running():
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    for obj in gc.get_objects():
        if isinstance(obj, asyncio.Future) and obj.done() and not obj.cancelled():
            obj.exception()
        elif _never_started_sdk_coroutine(obj):
            # The SDK makes these (Output.future, Output.is_known) for work the failed run never
            # reached; the error's traceback keeps some alive, so they would warn "coroutine
            # ... was never awaited" whenever that error is freed, in whatever runs then.
            # Closing an unstarted coroutine finishes it without running it, and without that.
            obj.close()
    # Collect the failed run's cycles now: left to a later, random collection, they may be
    # met inside ast.parse, which on Python 3.11.7 trips "AST constructor recursion depth
    # mismatch" in whatever runs next.
    asyncio_log = logging.getLogger("asyncio")
    was_disabled = asyncio_log.disabled
    asyncio_log.disabled = True
    try:
        with warnings.catch_warnings():
            # Loops the SDK made on its worker threads are among the garbage; closing them
            # is not this run's business.
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
    finally:
        asyncio_log.disabled = was_disabled


_PULUMI_SDK_DIR = str(Path(pulumi.__file__).parent)


def _never_started_sdk_coroutine(obj: object) -> bool:
    """Whether ``obj`` is a coroutine of the Pulumi SDK's that was made and never started."""
    return (
        inspect.iscoroutine(obj)
        and inspect.getcoroutinestate(obj) == inspect.CORO_CREATED
        and obj.cr_code.co_filename.startswith(_PULUMI_SDK_DIR)
    )


async def _run_in_stack(program: Callable[[], object]) -> None:
    """Run ``program`` inside a new root stack and wait for everything it started.

    This is what ``pulumi.runtime.stack.run_in_stack`` does, with two changes that keep the
    time per resource flat as programs grow (see ``benchmarks/synth.py``): outstanding outputs
    are awaited together rather than one ``asyncio.wait(FIRST_COMPLETED)`` round each (which
    re-arms every pending task and grows quadratically), and the cyclic garbage collector is
    paused for the run, since a run's objects live until it ends and full collections over a
    growing heap cost more with every resource.
    """
    await pulumi_settings._load_monitor_feature_support()  # type: ignore[no-untyped-call]
    gc_was_enabled = gc.isenabled()
    gc.disable()
    failure: BaseException | None = None
    try:
        stack = Stack()
        try:
            result = program()
            if inspect.isawaitable(result):
                await result
        except BaseException as exc:
            failure = exc
        finally:
            stack._finish()
        try:
            await _drain()
        except BaseException as exc:
            failure = failure or exc
        finally:
            await pulumi_settings._shutdown_callbacks()  # type: ignore[no-untyped-call]
    finally:
        if gc_was_enabled:
            gc.enable()
    if failure is not None:
        raise failure


async def _drain() -> None:
    """Wait until no registration or output task is left, then raise the first failure.

    After a failure the rest are still awaited (their exceptions retrieved), so a refused
    program leaves no "Future exception was never retrieved" behind for the garbage collector.
    """
    rpc_manager = pulumi_settings._get_rpc_manager()
    failure: BaseException | None = None
    while True:
        while rpc_manager.rpcs:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception as exc:
                failure = failure or exc
        if rpc_manager.unhandled_exception is not None and failure is None:
            failure = rpc_manager.unhandled_exception.with_traceback(
                rpc_manager.exception_traceback
            )
        with pulumi_settings.SETTINGS.lock:
            pending = list(pulumi_settings.SETTINGS.outputs)
            pulumi_settings.SETTINGS.outputs.clear()
        if pending:
            results = await asyncio.gather(*pending, return_exceptions=True)
            if failure is None:
                failure = next((r for r in results if isinstance(r, Exception)), None)
        if not rpc_manager.rpcs and not pulumi_settings.SETTINGS.outputs:
            break
    if failure is not None:
        raise failure


def _tree_order(records: list[PlanResource]) -> list[PlanResource]:
    """Order records depth first from the stack, siblings by name then type.

    Registration order depends on thread scheduling; a fixed order makes two plans of the same
    program identical, so reviewers can diff them.
    """
    children: dict[str | None, list[PlanResource]] = {}
    for record in records:
        children.setdefault(record.parent, []).append(record)
    known = {record.urn for record in records}
    ordered: list[PlanResource] = []

    def visit(record: PlanResource) -> None:
        ordered.append(record)
        for child in sorted(children.get(record.urn, []), key=lambda r: (r.name, r.type)):
            visit(child)

    roots = [r for r in records if r.parent is None or r.parent not in known]
    for root in sorted(roots, key=lambda r: (r.type != STACK_TYPE, r.name, r.type)):
        visit(root)
    return ordered


def run_program(
    program_dir: str | os.PathLike[str],
    stack: str | None = None,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    timeout_seconds: float | None = None,
    stack_outputs: Mapping[str, StackOutputsSource] | None = None,
    secret_values: Mapping[str, str] | None = None,
    progress: Callable[[int, PlanResource], None] | None = None,
) -> Plan:
    """Run a Pulumi program directory under the offline engine.

    Reads ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` (when ``stack`` is ``None``: the only
    stack file, else ``dev`` without one; several stack files must be chosen between, as
    ``pulumi`` does not guess); ``secure:`` values become secrets. The program's ``__main__.py``
    runs with the program directory as working directory and first on ``sys.path``, as
    ``pulumi up`` would run it.

    Args:
        program_dir: The directory holding ``Pulumi.yaml``.
        stack: The stack whose configuration to load.
        account_id: The AWS account the engine answers for when no provider names one.
        timeout_seconds: Stop the program when it runs longer than this (``None``: no limit).
        stack_outputs: Outputs of the stacks it reads with ``pulumi.StackReference``; see
            :func:`run`. Paths are read before the program's directory becomes the cwd.
        secret_values: Offline values for secret config keys (``"grafanaAdminPassword"`` in
            the project's namespace, or ``"project:key"``), since ``secure:`` values cannot be
            decrypted offline. They are secrets in the program: written ``"[secret]"``, never
            printed. Keys without one get a made-up value the library's validators accept
            (:func:`obs_platform.testing.offline_secret`).
        progress: Called after each registration; see :func:`run`.

    Raises:
        ProjectError: If ``Pulumi.yaml`` or the stack file is missing or malformed.
        ProgramError: If the program raised.
    """
    program = load_program(Path(program_dir), stack)
    config = dict(program.config)
    secret_keys = set(program.secret_keys)
    for key, value in (secret_values or {}).items():
        full = key if ":" in key else f"{program.project}:{key}"
        config[full] = str(value)
        secret_keys.add(full)
    references = _references.normalise(stack_outputs)

    def body() -> None:
        runpy.run_path(str(program.main), run_name="__main__")

    with _program_environment(program.directory):
        return run(
            body,
            project=program.project,
            stack=program.stack,
            config=config,
            secret_keys=secret_keys,
            account_id=account_id,
            timeout_seconds=timeout_seconds,
            stack_outputs=references,
            progress=progress,
        )


@contextlib.contextmanager
def _program_environment(directory: Path) -> Iterator[None]:
    """Run with the program's directory as cwd and import root, then forget its modules."""
    before_modules = set(sys.modules)
    before_path = list(sys.path)
    before_cwd = Path.cwd()
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        os.chdir(before_cwd)
        sys.path[:] = before_path
        for name in set(sys.modules) - before_modules:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(str(directory)):
                del sys.modules[name]
