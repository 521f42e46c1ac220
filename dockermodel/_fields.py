"""Typed reads from engine JSON that name the field at fault.

Every accessor takes the JSON ``path`` of the object it reads from (e.g.
``images_all[3]``) and raises :class:`~dockermodel.errors.InvalidPayload` with
the full path of the offending value (``images_all[3].Id``) instead of a bare
``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import InvalidPayload

_MISSING: Any = object()


def kind(value: Any) -> str:
    """How an error message names the JSON type of ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def obj(value: Any, path: str) -> Mapping[str, Any]:
    """``value`` as a JSON object."""
    if type(value) is dict:
        return value
    if not isinstance(value, Mapping):
        raise InvalidPayload(path, f"expected an object, got {kind(value)}")
    return value


def arr(value: Any, path: str) -> Sequence[Any]:
    """``value`` as a JSON array."""
    if not isinstance(value, (list, tuple)):
        raise InvalidPayload(path, f"expected an array, got {kind(value)}")
    return value


def _get(o: Mapping[str, Any], key: str, path: str, default: Any) -> Any:
    if key in o:
        return o[key]
    if default is _MISSING:
        raise InvalidPayload(f"{path}.{key}", "missing")
    return default


def string(o: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> str:
    value = _get(o, key, path, default)
    if not isinstance(value, str):
        raise InvalidPayload(f"{path}.{key}", f"expected a string, got {kind(value)}")
    return value


def opt_string(o: Mapping[str, Any], key: str, path: str) -> str | None:
    value = o.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPayload(f"{path}.{key}", f"expected a string, got {kind(value)}")
    return value


def integer(o: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> int:
    value = _get(o, key, path, default)
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidPayload(f"{path}.{key}", f"expected an integer, got {kind(value)}")
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidPayload(f"{path}.{key}", f"expected an integer, got {value!r}")
        return int(value)
    return value


def boolean(o: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> bool:
    value = _get(o, key, path, default)
    if not isinstance(value, bool):
        raise InvalidPayload(f"{path}.{key}", f"expected a boolean, got {kind(value)}")
    return value


def strings(o: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    """An array of strings; a missing key or ``null`` is the empty tuple."""
    value = o.get(key)
    if value is None:
        return ()
    items = arr(value, f"{path}.{key}")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidPayload(f"{path}.{key}[{i}]", f"expected a string, got {kind(item)}")
    return tuple(items)


def labels(o: Mapping[str, Any], key: str, path: str) -> dict[str, str] | None:
    """A string-to-string object, or ``None`` when missing or ``null``."""
    value = o.get(key)
    if value is None:
        return None
    mapping = obj(value, f"{path}.{key}")
    for k, v in mapping.items():
        if not isinstance(v, str):
            raise InvalidPayload(f"{path}.{key}.{k}", f"expected a string, got {kind(v)}")
    return dict(mapping)
