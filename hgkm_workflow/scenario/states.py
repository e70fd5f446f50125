"""Comparing the states of two runs: ids replaced by placeholders, the first difference named."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from hgkm_workflow.clock import as_utc

__all__ = ["first_difference", "normalise"]

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def normalise(value: Any, names: dict[str, str]) -> Any:
    """Replace every id by a placeholder in order of first appearance (ids are random)."""
    if isinstance(value, UUID):
        value = str(value)
    if isinstance(value, str) and _UUID.match(value):
        return names.setdefault(value, f"#{len(names) + 1}")
    if isinstance(value, dict):
        return {normalise(k, names): normalise(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v, names) for v in value]
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """The path of the first place where ``a`` and ``b`` differ (``(state)`` for the whole)."""
    if type(a) is not type(b):
        return path or "(state)"
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return path or "(state)"
