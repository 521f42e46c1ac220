"""The engine's filter arguments (``filters.Args``) in one normal form.

The API takes ``{"key": {"value": true}}``; docker-py and older clients send
``{"key": ["value"]}`` (both accepted). Users of this library may also
write a bare value (``{"dangling": True}``, ``{"label": "a=b"}``). Every form
becomes ``{key: (value, …)}`` with string values, in first-seen order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InvalidArgument

__all__ = ["match_kv_list", "normalize_filters"]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    raise InvalidArgument(f"invalid filter value {value!r}")


def normalize_filters(filters: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """``{key: (value, …)}`` from any accepted spelling of a filter argument."""
    out: dict[str, tuple[str, ...]] = {}
    if not filters:
        return out
    if not isinstance(filters, Mapping):
        raise InvalidArgument(f"invalid filters {filters!r}")
    for key, raw in filters.items():
        if isinstance(raw, Mapping):
            values = [_text(k) for k, on in raw.items() if on]
        elif isinstance(raw, (list, tuple, set, frozenset)):
            values = [_text(v) for v in raw]
        else:
            values = [_text(raw)]
        seen: dict[str, None] = dict.fromkeys(values)
        out[str(key)] = tuple(seen)
    return out


def match_kv_list(values: Iterable[str], labels: Mapping[str, str] | None) -> bool:
    """``Args.MatchKVList`` of a filter that is present: every ``k`` or ``k=v`` matches.

    An object without labels matches nothing.
    [moby v28.5.2 api/types/filters/parse.go · Args.MatchKVList]
    """
    if not labels:
        return False
    for value in values:
        key, sep, expected = value.partition("=")
        if key not in labels or (sep and labels[key] != expected):
            return False
    return True
