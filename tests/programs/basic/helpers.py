"""A sibling module, to prove the engine imports program modules and forgets them."""

PREFIX = "basic"
