"""The concerns of a :class:`~obs_platform.cell.Cell`, one module each.

:mod:`~obs_platform.cells.network` (VPC, transit attachment, subnet sharing, endpoints),
:mod:`~obs_platform.cells.compute` (EKS cluster, node group),
:mod:`~obs_platform.cells.data` (Aurora, Kafka), :mod:`~obs_platform.cells.health` (``/healthz``
exposure) and :mod:`~obs_platform.cells.telemetry` (collector). Each function takes the cell as
owner and its validated :class:`~obs_platform.cells.args.CellArgs` (in
:mod:`~obs_platform.cells.args`, imported without a cycle); ``cell.py`` orchestrates them.
This package sits in the ``cell`` layer: nothing below it imports it.
"""
