"""Immutable, hashable JSON values: :class:`FrozenDict`, :func:`freeze`, :func:`thaw`.

Domain objects keep the parts of the engine's JSON they do not model (a
container's ``Ports`` or ``HostConfig``) as frozen values, so that every object
stays hashable and equal by value, and ``to_api()`` can give them back.
"""

from __future__ import annotations

import gc
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from collections.abc import Iterator as _Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["FrozenDict", "bulk", "freeze", "thaw"]

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


def freeze(value: Any) -> Any:
    """Dicts become :class:`FrozenDict`, lists tuples, recursively."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is dict or isinstance(value, Mapping):
        return FrozenDict({str(k): freeze(v) for k, v in value.items()})
    if kind is list or kind is tuple:
        return tuple([freeze(v) for v in value])
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists for JSON."""
    kind = type(value)
    if kind is FrozenDict:
        return {k: thaw(v) for k, v in value._data.items()}
    if kind is tuple:
        return [thaw(v) for v in value]
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@contextmanager
def bulk() -> _Iterator[None]:
    """Pause the cyclic garbage collector while many acyclic values are built.

    The host graph is made of frozen values that never form reference
    cycles, so the collector can only waste time while a large host is
    assembled or a large answer is built: its passes rescan the heap — the
    caller's payload document included — and at 100,000 images a phase left
    to it spent most of its time there. Reference counting still frees
    everything.

    On exit the collector is restored as it was. What the phase allocated
    would then all be young, and the next young-generation pass would walk
    every object of it once more (at 10,000 images, a third of the time of
    ``Host.from_api``, most of it cache misses); instead the young objects
    are moved to the oldest generation as they are (``gc.freeze()`` then
    ``gc.unfreeze()``, which splice the generation lists without walking
    them). Objects that are garbage after all are still found by the next
    full collection. Not done when the program has frozen objects of its
    own (``gc.get_freeze_count()``), which ``unfreeze`` would release.
    Also a decorator (``@bulk()``).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
