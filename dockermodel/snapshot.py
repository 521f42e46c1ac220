"""Snapshot files: the payload document as JSON, for offline analysis and bug reports.

A snapshot is one JSON object: the payload document of
:func:`dockermodel.engine.read_payloads` (the engine's bodies exactly as
returned) plus a ``format`` key::

    {"format": "dockermodel-snapshot/1",
     "images_all": [...], "image_inspect": {...}, "image_history": {...},
     "containers": [...], "system_df": {...},
     "version": {...GET /version...},     # the engine that was read, when known
     "info": {...}}

Rules:

* :func:`load` ``(`` :func:`dump` ``(payloads))`` equals ``payloads`` exactly
  (same keys, same values, same order); ``format`` is not part of the payloads;
* the top-level structure is validated on both sides: required
  ``images_all`` (array of objects), ``image_inspect`` (object of objects),
  ``image_history`` (object of arrays), ``containers`` (array of objects);
  optional ``system_df``, ``version``, ``info`` (objects, or ``null`` for
  ``system_df``), and the library's own extensions for a state it predicted
  (``held_layers``, ``api_version``, ``image_store``, ``build_cache_unsure``:
  see :mod:`dockermodel._mapping`); no other key. Every failure is a
  :class:`~dockermodel.errors.SnapshotError` naming the field at fault
  (``format``, ``images_all[3]``, ``image_history['sha256:…']``) or the file;
  the fields inside the engine's bodies are validated by
  :meth:`Host.from_api <dockermodel.host.Host.from_api>`;
* a path ending in ``.gz`` is gzip-compressed;
* :func:`dump` writes a temporary file beside ``path`` and renames it, so a
  reader never sees half a snapshot.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from collections.abc import Mapping
from typing import Any

from ._fields import kind
from ._frozen import too_deep
from .errors import SnapshotError

__all__ = ["FORMAT", "dump", "dumps", "load", "loads", "validate"]

#: The ``format`` value this version writes and reads.
FORMAT = "dockermodel-snapshot/1"

#: Levels of nesting the JSON encoder certainly writes (it recurses once per level).
_JSON_DEPTH = 500

_REQUIRED = ("images_all", "image_inspect", "image_history", "containers")
_OPTIONAL = (
    "system_df",
    "version",
    "info",
    "held_layers",
    "api_version",
    "image_store",
    "build_cache_unsure",
)


def _expect_object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SnapshotError(field, f"expected an object, got {kind(value)}")
    return value


def _expect_array(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise SnapshotError(field, f"expected an array, got {kind(value)}")
    return value


def validate(payloads: Mapping[str, Any]) -> None:
    """Check the payload document's top-level structure; :class:`SnapshotError` if wrong."""
    _expect_object(payloads, "payloads")
    for key in payloads:
        if key not in _REQUIRED and key not in _OPTIONAL:
            raise SnapshotError(str(key), "unknown top-level key")
    for key in _REQUIRED:
        if key not in payloads:
            raise SnapshotError(key, "missing")
    for name in ("images_all", "containers"):
        for i, item in enumerate(_expect_array(payloads[name], name)):
            _expect_object(item, f"{name}[{i}]")
    for name, check in (("image_inspect", _expect_object), ("image_history", _expect_array)):
        for image_id, body in _expect_object(payloads[name], name).items():
            if not isinstance(image_id, str):
                raise SnapshotError(name, f"expected image id keys, got {kind(image_id)}")
            check(body, f"{name}[{image_id!r}]")
    if payloads.get("system_df") is not None:
        _expect_object(payloads["system_df"], "system_df")
    for name in ("version", "info"):
        if name in payloads:
            _expect_object(payloads[name], name)


def dumps(payloads: Mapping[str, Any]) -> str:
    """The snapshot document of ``payloads`` as JSON text."""
    validate(payloads)
    document: dict[str, Any] = {"format": FORMAT, **payloads}
    try:
        return json.dumps(document, ensure_ascii=False, allow_nan=False, indent=1) + "\n"
    except (TypeError, ValueError) as error:
        raise SnapshotError("payloads", f"not representable as JSON: {error}") from None
    except RecursionError:
        path = too_deep(payloads, _JSON_DEPTH) or ""
        raise SnapshotError(
            "payloads" + path, f"not representable as JSON: nested more than {_JSON_DEPTH} levels"
        ) from None


def loads(text: str | bytes, source: str = "snapshot") -> dict[str, Any]:
    """The payload document in snapshot JSON ``text`` (``source`` names it in errors)."""
    try:
        document = json.loads(text)
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError
        raise SnapshotError(source, f"not valid JSON: {error}") from None
    except RecursionError:
        # the decoder recurses once per level: about 990 levels exhaust the stack
        raise SnapshotError(source, "not valid JSON: nested too deeply to decode") from None
    _expect_object(document, source)
    if "format" not in document:
        raise SnapshotError("format", f"missing: not a dockermodel snapshot (expected {FORMAT!r})")
    if document["format"] != FORMAT:
        raise SnapshotError("format", f"unsupported {document['format']!r} (expected {FORMAT!r})")
    payloads = {key: value for key, value in document.items() if key != "format"}
    validate(payloads)
    return payloads


def dump(payloads: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``payloads`` as a snapshot file at ``path`` (gzip when it ends in ``.gz``)."""
    target = os.fspath(path)
    data = dumps(payloads).encode()
    if target.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".snapshot-", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise SnapshotError(target, f"cannot write: {error.strerror or error}") from None


def load(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the payload document of the snapshot file at ``path``."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise SnapshotError(source, f"cannot read: {error.strerror or error}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise SnapshotError(source, f"broken gzip data: {error}") from None
    return loads(data, source)
