"""Pure logic: validation, naming, tags, CIDR maths, the DR timing model and chart values.

Nothing in this package creates Pulumi resources, so it is tested directly (with hypothesis
where a property holds). Imports flow one way: ``_internal`` -> ``network`` ->
``observability`` -> ``dr`` -> ``cell``.
"""
