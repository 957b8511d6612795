"""Read the small YAML files a user hands us (stack config, guardrails settings) within limits.

``yaml.safe_load`` refuses arbitrary Python objects but not the other two ways a small file can
hurt: anchors and aliases that expand exponentially once the data is walked or JSON-encoded (a
1 KB "billion laughs" file), and nesting deep enough that PyYAML's recursive composer dies with
``RecursionError``. This loader bounds the file size, the nesting depth and the number of values
after alias expansion, and says which limit a file broke.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest file read (4 MiB); stack configuration files are a few kilobytes."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences."""
MAX_VALUES = 100_000
"""Most values (scalars, mappings, sequences) counted with every alias expanded."""


class YamlLimitError(ValueError):
    """A YAML file is too large, too deep, or expands past :data:`MAX_VALUES`."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a depth limit on the (recursive) composer."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlLimitError(
                    f"nesting deeper than {MAX_DEPTH} levels at line {mark.line + 1}"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _count_values(data: Any) -> None:
    """Walk ``data`` as a consumer would (aliases expanded), stopping past the limit."""
    seen = 0
    stack = [data]
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise YamlLimitError(
                f"more than {MAX_VALUES} values once its aliases (*name) are expanded"
            )
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load_text(text: str) -> Any:
    """Parse ``text`` as YAML within the limits.

    Raises:
        YamlLimitError: When a limit is broken.
        yaml.YAMLError: When the text is not YAML.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise YamlLimitError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    data = yaml.load(text, Loader=_BoundedLoader)
    _count_values(data)
    return data


def load_file(path: Path) -> Any:
    """Read and parse the YAML file at ``path`` within the limits.

    Raises:
        YamlLimitError: When a limit is broken (checked on the size before reading).
        yaml.YAMLError: When the file is not YAML.
        OSError: When it cannot be read.
    """
    if path.stat().st_size > MAX_FILE_BYTES:
        raise YamlLimitError(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    return load_text(path.read_text(encoding="utf-8"))
