"""Digests, image and container ids, short ids and layer chain ids.

Rules (ENGINE_SEMANTICS.md §1.1-1.3, §2.1):

* an image id is ``sha256:`` + 64 lowercase hex (the digest of its config);
* a container id is 64 lowercase hex, without prefix;
* ``short_id`` is the engine's ``TruncateID``: drop everything up to the first
  ``:``, keep 12 characters [moby pkg/stringid/stringid.go · TruncateID];
* ``ChainID(L1) = DiffID(L1)``; ``ChainID(Ln) = "sha256:" + sha256(ChainID(Ln-1)
  + " " + DiffID(Ln))`` over the full prefixed strings
  [moby layer/layer.go · CreateChainID].
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

__all__ = ["chain_id", "chain_ids", "short_id"]


def short_id(identifier: str) -> str:
    """The engine's 12-character short form of an id (``TruncateID``).

    >>> short_id("sha256:5a2defe21f57e1b4c32f2b7cbd7d7f6a4b2e31a7a12ddf9b8b7d6f4e3a2b1c0d")
    '5a2defe21f57'
    """
    _, sep, rest = identifier.partition(":")
    return (rest if sep else identifier)[:12]


def chain_ids(diff_ids: Iterable[str]) -> tuple[str, ...]:
    """The chain id of every prefix of ``diff_ids`` (base first).

    >>> chain_ids(["sha256:" + "a" * 64])[0] == "sha256:" + "a" * 64
    True
    """
    out: list[str] = []
    previous = ""
    for diff_id in diff_ids:
        if not previous:
            previous = diff_id
        else:
            previous = "sha256:" + hashlib.sha256(f"{previous} {diff_id}".encode()).hexdigest()
        out.append(previous)
    return tuple(out)


def chain_id(diff_ids: Iterable[str]) -> str:
    """The chain id of the top layer of ``diff_ids``; ``""`` for no layers."""
    ids = chain_ids(diff_ids)
    return ids[-1] if ids else ""
