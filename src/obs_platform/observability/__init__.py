"""The observability layer: the shared-monitoring stack and its content."""
