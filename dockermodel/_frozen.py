"""Immutable JSON values: :class:`FrozenDict`, :func:`freeze`, :class:`FrozenDocument`.

Domain objects keep the parts of the engine's JSON they do not model (a
container's ``Ports`` or ``HostConfig``) as frozen values, so that every object
stays hashable and equal by value, and ``to_api()`` can give them back.
:class:`FrozenDocument` keeps a whole payload document as a private copy that
hands out fresh copies, so neither the caller who passed it nor one who read
it can change what a :class:`~dockermodel.Host` holds.

No frozen value nests deeper than :data:`MAX_DEPTH` levels: the engine's own
bodies nest fewer than ten, and a deeper value is refused with
:class:`~dockermodel.errors.InvalidPayload` naming it, where Python's
recursion limit would otherwise surface as a ``RecursionError``.
"""

from __future__ import annotations

import gc
import marshal
import threading
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from collections.abc import Iterator as _Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .errors import InvalidPayload

__all__ = ["MAX_DEPTH", "FrozenDict", "FrozenDocument", "bulk", "freeze", "thaw", "too_deep"]

#: How deeply a frozen value may nest (objects and arrays); the engine's bodies
#: nest fewer than ten levels.
MAX_DEPTH = 100

_V = TypeVar("_V")


class FrozenDict(Mapping[str, _V]):
    """A read-only, hashable mapping that keeps insertion order."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, _V] | None = None) -> None:
        self._data: dict[str, _V] = dict(data) if data is not None else {}
        self._hash: int | None = None

    def __getitem__(self, key: str) -> _V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    # The Mapping mixins go through __getitem__ per key; the dict's views are
    # much faster on large hosts.
    def keys(self) -> KeysView[str]:
        return self._data.keys()

    def values(self) -> ValuesView[_V]:
        return self._data.values()

    def items(self) -> ItemsView[str, _V]:
        return self._data.items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (self._data,))


class _TooDeep(Exception):
    """A value nested deeper than allowed (internal: becomes InvalidPayload)."""


def freeze(value: Any, field: str = "value") -> Any:
    """Dicts become :class:`FrozenDict`, lists tuples, recursively.

    ``field`` names ``value`` in the :class:`~dockermodel.errors.InvalidPayload`
    raised when it nests deeper than :data:`MAX_DEPTH` levels.
    """
    try:
        return _freeze(value, MAX_DEPTH)
    except _TooDeep:
        raise InvalidPayload(
            field + (too_deep(value, MAX_DEPTH) or ""), f"nested more than {MAX_DEPTH} levels deep"
        ) from None


def _freeze(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is dict or isinstance(value, Mapping):
        if not depth:
            raise _TooDeep
        return FrozenDict({str(k): _freeze(v, depth - 1) for k, v in value.items()})
    if kind is list or kind is tuple:
        if not depth:
            raise _TooDeep
        return tuple([_freeze(v, depth - 1) for v in value])
    return value


def too_deep(value: Any, limit: int) -> str | None:
    """The JSON path (``.a[3].b``) of the first object or array below ``limit`` levels, if any.

    Iterative, so it works on values of any depth.
    """
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, Mapping):
            children = [(v, f"{path}.{k}") for k, v in item.items()]
        elif isinstance(item, (list, tuple)):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(item)]
        else:
            continue
        if depth == limit:
            return path
        stack.extend((v, depth + 1, p) for v, p in reversed(children))
    return None


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists for JSON, always new ones."""
    kind = type(value)
    if kind is FrozenDict:
        return {k: thaw(v) for k, v in value._data.items()}
    if kind is tuple or kind is list:
        return [thaw(v) for v in value]
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [thaw(v) for v in value]
    return value


def _plain(value: Any, depth: int) -> Any:
    """``value`` with every mapping a ``dict`` (for ``marshal``); ``_TooDeep`` past ``depth``."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if isinstance(value, Mapping):
        if not depth:
            raise _TooDeep
        return {k: _plain(v, depth - 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if not depth:
            raise _TooDeep
        return [_plain(v, depth - 1) for v in value]
    return value


class FrozenDocument(Mapping[str, Any]):
    """A private, read-only copy of a payload document: each read returns a fresh copy.

    The top-level values are kept serialized in memory (``marshal``), so
    ``document[key]`` and ``dict(document)`` give values the reader may change
    freely, and nothing the caller does to the dict it passed shows up here.
    Plain ``dict``/``list`` documents are copied as deep as ``marshal`` goes
    (2,000 levels); other mappings and sequences are copied as plain ones up
    to :data:`MAX_DEPTH` levels. A value beyond that is refused with
    :class:`~dockermodel.errors.InvalidPayload` naming it.
    """

    __slots__ = ("_blobs", "_owned")

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._blobs: Mapping[str, Any] = {
            str(key): _serialize(str(key), value) for key, value in document.items()
        }
        self._owned = False

    @classmethod
    def adopt(cls, document: dict[str, Any]) -> FrozenDocument:
        """The document as it is, for a ``document`` nobody else holds (the adapter's own).

        Nothing is copied now: no one can change it. Each read still returns
        a fresh copy (serialized then, not up front: a read that only builds
        a host never pays for it).
        """
        self = cls.__new__(cls)
        self._blobs = document
        self._owned = True
        return self

    def __getitem__(self, key: str) -> Any:
        if self._owned:
            return marshal.loads(_serialize(key, self._blobs[key]))
        return marshal.loads(self._blobs[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, key: object) -> bool:
        return key in self._blobs

    def __repr__(self) -> str:
        return f"FrozenDocument(keys={list(self._blobs)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDocument, ({k: self[k] for k in self._blobs},))


@contextmanager
def bulk() -> _Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic values are built.

    The host graph is made of frozen values that never form reference
    cycles, so the collector can only waste time while a large host is
    assembled or a large answer is built: its passes rescan the heap — the
    caller's payload document included — and at 100,000 images a phase left
    to it spent most of its time there. Reference counting still frees
    everything. Safe across threads and when nested: the collector's state
    before the first section began is restored when the last one ends.

    When the last section ends with the collector running, what the
    sections allocated would all be young, and the next young-generation
    pass would walk every object of it once more (at 10,000 images a third
    of the time of ``Host.from_api``, most of it cache misses); instead the
    young objects are moved to the oldest generation as they are
    (``gc.freeze()`` then ``gc.unfreeze()``, which splice the generation
    lists without walking them). Objects that are garbage after all are
    still found by the next full collection. Not done when the program has
    frozen objects of its own (``gc.get_freeze_count()``), which
    ``unfreeze`` would release. Also a decorator (``@bulk()``).
    """
    global _bulk_depth, _bulk_enabled
    with _bulk_lock:
        if _bulk_depth == 0:
            _bulk_enabled = gc.isenabled()
            gc.disable()
        _bulk_depth += 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_depth -= 1
            if _bulk_depth == 0 and _bulk_enabled:
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


def _serialize(key: str, value: Any) -> bytes:
    try:
        return marshal.dumps(value, _MARSHAL_VERSION)
    except ValueError:
        pass  # a type marshal does not take (a mapping that is not a dict), or too deep
    try:
        return marshal.dumps(_plain(value, MAX_DEPTH), _MARSHAL_VERSION)
    except _TooDeep:
        path = key + (too_deep(value, MAX_DEPTH) or "")
        raise InvalidPayload(path, f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:
        raise InvalidPayload(key, f"not a JSON value: {error}") from None


#: marshal's current format: like ``copy.deepcopy``, a value the document holds
#: twice is one value in each copy (strings are shared, so copies stay small).
_MARSHAL_VERSION = marshal.version


# bulk() sections may run on several threads at once: the first one in records
# the collector's state and the last one out restores it (one lock, so that no
# thread reads the state another has just changed).
_bulk_lock = threading.Lock()
_bulk_depth = 0
_bulk_enabled = False
