"""Pilot-light disaster recovery: what joins a primary region to a standby region.

:class:`~obs_platform.dr.pilot_light.PilotLightDr` (``obs-platform:dr:PilotLightDr``) takes two
:class:`~obs_platform.dr.site.DrSite` descriptions (a :class:`~obs_platform.cell.Cell` makes its
own with ``Cell.dr_site()``) and creates the Route 53 health checks, failover records and alarms
(:mod:`.route53`), the Aurora Global Database (:mod:`.aurora`), Kafka replication
(:mod:`.kafka`), the ARC Region switch plan that fails over automatically (:mod:`.arc`) and
the function that takes it ungraceful in a regional outage (:mod:`.ungraceful`). Its
RTO/RPO budget comes from the pure model in :mod:`obs_platform._internal.rto`.
"""

from __future__ import annotations

from .site import DrSite

__all__ = ["DrSite"]
