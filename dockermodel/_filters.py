"""The engine's filter arguments (``filters.Args``) in one normal form.

The API takes ``{"key": {"value": true}}``; docker-py and older clients send
``{"key": ["value"]}`` (both accepted). Users of this library may also
write a bare value (``{"dangling": True}``, ``{"label": "a=b"}``). Every form
becomes ``{key: (value, …)}`` with string values, in first-seen order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from .errors import EngineError, InvalidArgument

__all__ = ["match_kv_list", "normalize_filters", "until_ns"]


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


_DURATION_UNITS = {
    "ns": Decimal(1),
    "us": Decimal(1000),
    "µs": Decimal(1000),
    "μs": Decimal(1000),
    "ms": Decimal(10**6),
    "s": Decimal(10**9),
    "m": Decimal(60 * 10**9),
    "h": Decimal(3600 * 10**9),
}
_DURATION = re.compile(r"([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)\Z")
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?"
    r"([Zz]|[+-]\d{2}:\d{2})?\Z"
)


def until_ns(value: str, now_ns: int) -> int:
    """``GetTimestamp`` + ``ParseTimestamps``: the ``until`` value as nanoseconds.

    A Go duration is relative to ``now`` and truncated to seconds; an
    RFC 3339-like date/time without a zone is read as UTC (the engine uses
    the daemon's local zone); ``sss[.nnnnnnnnn]`` is a Unix time.
    [moby v20.10.24 api/types/time/timestamp.go · GetTimestamp, ParseTimestamps]
    """
    m = _DURATION.match(value)
    if m and value != "0":
        total = sum(
            (Decimal(n) * _DURATION_UNITS[u] for n, u in _DURATION_PART.findall(m.group(2))),
            Decimal(0),
        )
        if m.group(1) == "-":
            total = -total
        return ((now_ns - int(total)) // 10**9) * 10**9
    if "-" in value:
        d = _DATE.match(value)
        if d is None:
            raise EngineError(f'parsing time "{value}": cannot parse as a timestamp', 500)
        from datetime import datetime, timedelta, timezone

        year, month, day = int(d.group(1)), int(d.group(2)), int(d.group(3))
        hour, minute, second = (int(d.group(i) or 0) for i in (4, 5, 6))
        zone = d.group(8)
        tz = timezone.utc
        if zone and zone not in ("Z", "z"):
            sign = 1 if zone[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        try:
            stamp = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        except ValueError as exc:
            raise EngineError(f'parsing time "{value}": {exc}', 500) from None
        frac = int((d.group(7) or "").ljust(9, "0"))
        return int(stamp.timestamp()) * 10**9 + frac
    seconds, dot, fraction = value.partition(".")
    if not re.fullmatch(r"[+-]?\d+", seconds) or (dot and not re.fullmatch(r"[+-]?\d+", fraction)):
        raise EngineError(f'failed to parse value as time or duration: "{value}"', 500)
    nanos = int(int(fraction) * 10 ** (9 - len(fraction))) if dot else 0
    return int(seconds) * 10**9 + nanos
