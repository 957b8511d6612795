"""obs-platform: typed Pulumi components for an AWS observability platform and pilot-light DR.

The public API is ``__all__``. Components import the large provider SDKs, so they load on first
use: ``import obs_platform`` stays fast, and a program pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._internal.errors import ArgsError, ArgsProblem, ObsPlatformError
from ._version import __version__

# Public name -> the module that defines it. Loaded lazily (PEP 562).
_LAZY: dict[str, str] = {
    "AlertingArgs": "obs_platform.observability.content",
    "AlertRoute": "obs_platform.observability.content",
    "SlackReceiver": "obs_platform.observability.content",
    "EmailReceiver": "obs_platform.observability.content",
    "OpsgenieReceiver": "obs_platform.observability.content",
    "PagerDutyReceiver": "obs_platform.observability.content",
    "SnsReceiver": "obs_platform.observability.content",
    "WebhookReceiver": "obs_platform.observability.content",
    "Severity": "obs_platform._internal.alertmanager",
    "Ipam": "obs_platform.network.ipam",
    "IpamArgs": "obs_platform.network.ipam",
    "IpamSharing": "obs_platform.network.ipam",
    "IpamTier": "obs_platform.network.ipam",
    "TransitNetwork": "obs_platform.network.transit",
    "TransitNetworkArgs": "obs_platform.network.transit",
    "TransitPeering": "obs_platform.network.transit",
    "TransitGatewayHandle": "obs_platform.network.transit",
    "RamPrincipals": "obs_platform.network.sharing",
    "ObservabilityStack": "obs_platform.observability.stack",
    "ObservabilityStackArgs": "obs_platform.observability.stack",
    "CapacityType": "obs_platform.observability.args",
    "ChartVersions": "obs_platform.observability.args",
    "ImageSource": "obs_platform.observability.args",
    "IngestZoneVpc": "obs_platform.observability.args",
    "StandbyStackArgs": "obs_platform.observability.args",
    "GrafanaDatabaseArgs": "obs_platform.observability.args",
    "CloudWatchAccountArgs": "obs_platform.observability.args",
    "NodeGroupArgs": "obs_platform.observability.args",
    "Scale": "obs_platform.observability.args",
    "WorkloadIdentity": "obs_platform.observability.identity",
    "PilotLightDr": "obs_platform.dr.pilot_light",
    "PilotLightDrArgs": "obs_platform.dr.args",
    "AuroraGlobalArgs": "obs_platform.dr.args",
    "KafkaReplicationArgs": "obs_platform.dr.args",
    "BudgetEnforcement": "obs_platform.dr.args",
    "KafkaEngine": "obs_platform.dr.args",
    "DrSite": "obs_platform.dr.site",
    "TimingAssumptions": "obs_platform._internal.rto",
    "CostAssumptions": "obs_platform._internal.cost",
    "DatabaseInstances": "obs_platform._internal.cost",
    "HealthCheckUse": "obs_platform._internal.cost",
    "MskBrokers": "obs_platform._internal.cost",
    "NodePool": "obs_platform._internal.cost",
    "PriceTable": "obs_platform._internal.cost",
    "ScheduledFunction": "obs_platform._internal.cost",
    "StandbyInventory": "obs_platform._internal.cost",
    "Cell": "obs_platform.cell",
    "CellArgs": "obs_platform.cell",
    "CellImageSource": "obs_platform.cell",
    "DrStrategy": "obs_platform.cell",
    "TelemetryArgs": "obs_platform.cell",
}

__all__ = [
    "AlertRoute",
    "AlertingArgs",
    "ArgsError",
    "ArgsProblem",
    "AuroraGlobalArgs",
    "BudgetEnforcement",
    "CapacityType",
    "Cell",
    "CellArgs",
    "CellImageSource",
    "ChartVersions",
    "CloudWatchAccountArgs",
    "CostAssumptions",
    "DatabaseInstances",
    "DrSite",
    "DrStrategy",
    "EmailReceiver",
    "GrafanaDatabaseArgs",
    "HealthCheckUse",
    "ImageSource",
    "IngestZoneVpc",
    "Ipam",
    "IpamArgs",
    "IpamSharing",
    "IpamTier",
    "KafkaEngine",
    "KafkaReplicationArgs",
    "MskBrokers",
    "NodeGroupArgs",
    "NodePool",
    "ObsPlatformError",
    "ObservabilityStack",
    "ObservabilityStackArgs",
    "OpsgenieReceiver",
    "PagerDutyReceiver",
    "PilotLightDr",
    "PilotLightDrArgs",
    "PriceTable",
    "RamPrincipals",
    "Scale",
    "ScheduledFunction",
    "Severity",
    "SlackReceiver",
    "SnsReceiver",
    "StandbyInventory",
    "StandbyStackArgs",
    "TelemetryArgs",
    "TimingAssumptions",
    "TransitGatewayHandle",
    "TransitNetwork",
    "TransitNetworkArgs",
    "TransitPeering",
    "WebhookReceiver",
    "WorkloadIdentity",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._internal.alertmanager import Severity
    from ._internal.cost import (
        CostAssumptions,
        DatabaseInstances,
        HealthCheckUse,
        MskBrokers,
        NodePool,
        PriceTable,
        ScheduledFunction,
        StandbyInventory,
    )
    from ._internal.rto import TimingAssumptions
    from .cell import Cell
    from .cells.args import CellArgs, CellImageSource, DrStrategy, TelemetryArgs
    from .dr.args import (
        AuroraGlobalArgs,
        BudgetEnforcement,
        KafkaEngine,
        KafkaReplicationArgs,
        PilotLightDrArgs,
    )
    from .dr.pilot_light import PilotLightDr
    from .dr.site import DrSite
    from .network.ipam import Ipam, IpamArgs, IpamSharing, IpamTier
    from .network.sharing import RamPrincipals
    from .network.transit import (
        TransitGatewayHandle,
        TransitNetwork,
        TransitNetworkArgs,
        TransitPeering,
    )
    from .observability.args import (
        CapacityType,
        ChartVersions,
        CloudWatchAccountArgs,
        GrafanaDatabaseArgs,
        ImageSource,
        IngestZoneVpc,
        NodeGroupArgs,
        Scale,
        StandbyStackArgs,
    )
    from .observability.content import (
        AlertingArgs,
        AlertRoute,
        EmailReceiver,
        OpsgenieReceiver,
        PagerDutyReceiver,
        SlackReceiver,
        SnsReceiver,
        WebhookReceiver,
    )
    from .observability.identity import WorkloadIdentity
    from .observability.stack import ObservabilityStack, ObservabilityStackArgs


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'obs_platform' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
