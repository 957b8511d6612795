"""The network core: VPC IPAM, Transit Gateways, and private VPCs from IPAM pools.

* :class:`~obs_platform.network.ipam.Ipam`: the IPAM, its regional and environment pools and
  their RAM shares.
* :class:`~obs_platform.network.transit.TransitNetwork`: one Transit Gateway per region,
  segmented route tables, RAM shares, cross-region peering, VPC attachments.
* :func:`~obs_platform.network.vpc.create_private_vpc`: a private VPC whose CIDR comes from an
  IPAM pool, for :class:`~obs_platform.ObservabilityStack` and :class:`~obs_platform.Cell`;
  :func:`~obs_platform.network.vpc.add_transit_routes` routes it to a Transit Gateway.
* :class:`~obs_platform.network.sharing.RamPrincipals`: who a RAM share grants access to.

Modules load the AWS SDK on import, so this package imports nothing eagerly.
"""
