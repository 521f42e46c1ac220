"""The on-disk cache of what never changes for an image id (used by :mod:`dockermodel.engine`).

What is kept
------------
An image id is the SHA-256 of the image's config, so for one
engine the inspect body's config-derived fields and its layers never change
while the id exists: ``Id``, ``Created``, ``RootFS`` (the diff ids), ``Size``
and ``VirtualSize`` (the sum of its layers' DiffSizes), ``Config``,
``ContainerConfig``, ``Architecture``, … The fields that *can* change for an
id are never cached: ``RepoTags``, ``RepoDigests`` (tags and pulls),
``Parent`` (parents are read fresh from the list), ``Metadata``
(``LastTagTime``) and ``GraphDriver`` (the layer directories, new if the
image is deleted and loaded again). A history, when one was read, is kept
with every entry's ``Tags`` removed (tags move); its ``Size``, ``CreatedBy``,
``Created``, ``Comment`` and ``Id`` column (the parent chain) are fixed.

Where
-----
``$XDG_CACHE_HOME/dockermodel/images/<engine>/`` (``~/.cache`` when
``XDG_CACHE_HOME`` is unset or not absolute, per the XDG base directory
specification), where ``<engine>`` is the first 32 hex digits of the SHA-256
of the engine's ``ID`` (``GET /info``; it lives in the data root and
survives restarts). Two kinds of files, both ``{"format": 1, "engine": ID,
…}``:

* ``<hex>.json``, one image (``<hex>`` is its id without ``sha256:``):
  ``"id"``, ``"inspect"`` and optionally ``"history"``; written when a read
  adds fewer than :data:`PACK_MIN` entries (a few images changed);
* ``pack-<random>.json``, many images: ``"entries": {id: {"inspect": …,
  "history": …}}``; written when a read adds :data:`PACK_MIN` or more (a cold
  read writes one file, not thousands), and when loose files and stale
  entries pile up (:data:`COMPACT_FILES`), all current entries are rewritten
  into one new pack and the files merged are removed.

A warm read loads the engine's directory (a pack and a few loose files) on a
thread of its own while the engine lists its images.

Safety
------
* A file is written to a temporary name in the same directory and moved into
  place with :func:`os.replace` (atomic on POSIX and Windows): a reader sees
  the old file, the new one, or none, never half of one. Two writers of the
  same entry write the same facts, so whichever lands last is right; a
  compaction removes only the files it read, so a concurrent writer's new
  files survive (at worst an entry is lost and read from the engine again).
* An entry is used only if it is JSON of the expected shape whose
  ``format`` and ``engine`` match the file's place, whose ``id`` (or pack
  key) matches, and whose inspect ``Id`` is the image id; anything else
  (truncated, edited, another version) is ignored and the image read from
  the engine again, which writes a good entry.
* Loose entries of images the engine no longer lists are removed after a
  read, and a compaction leaves them out of the new pack, so an engine's
  directory holds about its current images only.
* The total size is bounded (:data:`DEFAULT_MAX_BYTES`): after a read that
  wrote files, the oldest files by modification time (written longest ago,
  any engine; a pack goes as a whole) are removed until the cache fits.
* I/O errors (read-only home, full disk, permissions) turn caching off for
  the read; they never fail it.

``cache=False`` on :func:`~dockermodel.engine.read_payloads` or the
environment variable ``DOCKERMODEL_NO_CACHE`` (any value but ``""`` and
``"0"``) turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "COMPACT_FILES",
    "DEFAULT_MAX_BYTES",
    "FORMAT",
    "NO_CACHE_VARIABLE",
    "PACK_MIN",
    "Entry",
    "ImageCache",
    "cache_disabled_by_environment",
    "default_directory",
    "immutable_history",
    "immutable_inspect",
]

#: Version of the entry layout; entries of another version are ignored.
FORMAT = 1
#: Upper bound of the cache's total size in bytes (about 30,000 images).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: Environment variable that turns the cache off.
NO_CACHE_VARIABLE = "DOCKERMODEL_NO_CACHE"
#: A read that adds at least this many entries writes them as one pack.
PACK_MIN = 32
#: More files than this in an engine's directory (or stale pack entries
#: than live ones) makes the next writing read compact it into one pack.
COMPACT_FILES = 64

#: Inspect fields that can change for an image id: never cached.
MUTABLE_INSPECT_FIELDS = frozenset({"RepoTags", "RepoDigests", "Parent", "Metadata", "GraphDriver"})

#: ``(inspect, history or None)`` of one image.
Entry = tuple[dict[str, Any], "list[Any] | None"]


def cache_disabled_by_environment() -> bool:
    """Whether ``DOCKERMODEL_NO_CACHE`` is set to something other than ``""`` or ``"0"``."""
    return os.environ.get(NO_CACHE_VARIABLE, "") not in ("", "0")


def default_directory() -> Path:
    """``$XDG_CACHE_HOME/dockermodel`` (``~/.cache/dockermodel`` when unset or relative)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "dockermodel"


def immutable_inspect(inspect: Mapping[str, Any]) -> dict[str, Any]:
    """The inspect body without the fields that can change for its id."""
    return {k: v for k, v in inspect.items() if k not in MUTABLE_INSPECT_FIELDS}


def immutable_history(history: list[Any]) -> list[Any]:
    """The history entries without ``Tags`` (the tags of the entry's image move)."""
    return [
        {k: v for k, v in entry.items() if k != "Tags"} if isinstance(entry, dict) else entry
        for entry in history
    ]


def _valid(image_id: str, value: Any) -> Entry | None:
    """The entry in ``value`` (``{"inspect", "history"?}``) if it has the expected shape."""
    if type(value) is not dict:
        return None
    inspect = value.get("inspect")
    if type(inspect) is not dict or inspect.get("Id") != image_id:
        return None
    if type(inspect.get("Created")) is not str:
        return None
    rootfs = inspect.get("RootFS")
    if rootfs is not None:
        if type(rootfs) is not dict:
            return None
        layers = rootfs.get("Layers")
        if layers is not None and (
            type(layers) is not list or not all(type(d) is str for d in layers)
        ):
            return None
    history = value.get("history")
    if history is not None and (
        type(history) is not list
        or not all(type(e) is dict and type(e.get("Size")) is int for e in history)
    ):
        return None
    return inspect, history


class ImageCache:
    """Entries of one engine under ``directory`` (see the module docstring).

    Reading never raises; writing swallows I/O errors and then stops
    (``self.writable`` becomes ``False``).
    """

    def __init__(
        self, directory: Path, engine_id: str, *, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self.root = directory / "images"
        self.engine_id = engine_id
        key = hashlib.sha256(engine_id.encode()).hexdigest()[:32]
        self.directory = self.root / key
        self.max_bytes = max_bytes
        self.writable = True
        self.written = 0
        #: loose files seen by :meth:`load_all`, by image id
        self.loose: set[str] = set()
        #: pack files seen by :meth:`load_all`, with the ids they hold
        self.packs: dict[str, set[str]] = {}
        self._made = False

    def _path(self, image_id: str) -> Path:
        return self.directory / (image_id[len("sha256:") :] + ".json")

    def _read(self, path: Path | str) -> Any:
        try:
            with open(path, "rb") as handle:
                document = json.loads(handle.read())
        except (OSError, ValueError):
            return None
        if (
            type(document) is not dict
            or document.get("format") != FORMAT
            or document.get("engine") != self.engine_id
        ):
            return None
        return document

    def get(self, image_id: str) -> Entry | None:
        """The loose entry of ``image_id``, or ``None`` if absent or bad."""
        document = self._read(self._path(image_id))
        if document is None or document.get("id") != image_id:
            return None
        return _valid(image_id, document)

    def load_all(self) -> dict[str, Entry]:
        """Every valid entry of this engine, by image id (bad ones left out).

        A loose entry with a history wins over a pack entry without one.
        """
        found: dict[str, Entry] = {}
        try:
            names = sorted(entry.name for entry in os.scandir(self.directory))
        except OSError:
            return found
        for name in names:
            if name.startswith("pack-") and name.endswith(".json"):
                document = self._read(self.directory / name)
                entries = document.get("entries") if document is not None else None
                held: set[str] = set()
                if type(entries) is dict:
                    for image_id, value in entries.items():
                        entry = _valid(image_id, value)
                        if entry is not None:
                            held.add(image_id)
                            if entry[1] is not None or image_id not in found:
                                found[image_id] = entry
                self.packs[name] = held
            elif len(name) == 69 and name.endswith(".json"):
                image_id = "sha256:" + name[:64]
                self.loose.add(image_id)
                entry = self.get(image_id)
                if entry is not None and (entry[1] is not None or image_id not in found):
                    found[image_id] = entry
        return found

    def _write(self, name: str, document: dict[str, Any]) -> bool:
        """Write ``document`` as ``name`` atomically (temporary file + ``os.replace``)."""
        if not self.writable:
            return False
        data = json.dumps(document, separators=(",", ":")).encode()
        try:
            if not self._made:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._made = True
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, self.directory / name)
            except BaseException:
                _unlink(temporary)
                raise
        except OSError:
            self.writable = False
            return False
        self.written += 1
        return True

    @staticmethod
    def _entry(inspect: Mapping[str, Any], history: list[Any] | None) -> dict[str, Any]:
        value: dict[str, Any] = {"inspect": immutable_inspect(inspect)}
        if history is not None:
            value["history"] = immutable_history(history)
        return value

    def put(self, image_id: str, inspect: Mapping[str, Any], history: list[Any] | None) -> None:
        """Write the loose entry of ``image_id``."""
        document = {"format": FORMAT, "engine": self.engine_id, "id": image_id}
        document.update(self._entry(inspect, history))
        self._write(image_id[len("sha256:") :] + ".json", document)

    def put_pack(self, entries: Mapping[str, tuple[Mapping[str, Any], list[Any] | None]]) -> str:
        """Write ``entries`` as one new pack; its file name."""
        name = f"pack-{os.urandom(8).hex()}.json"
        document = {
            "format": FORMAT,
            "engine": self.engine_id,
            "entries": {i: self._entry(ins, hist) for i, (ins, hist) in entries.items()},
        }
        self._write(name, document)
        return name

    def save(
        self,
        new: Mapping[str, tuple[Mapping[str, Any], list[Any] | None]],
        current: Mapping[str, tuple[Mapping[str, Any], list[Any] | None]],
    ) -> None:
        """Store the ``new`` entries; tidy up against ``current`` (all listed images).

        Few new entries: loose files. Many, or a directory grown past
        :data:`COMPACT_FILES` files or holding more stale pack entries than
        live ones: one pack of every current entry, replacing the files
        :meth:`load_all` read. Loose entries of unlisted images are removed.
        """
        if not self.writable:
            return
        stale = sum(len(held - current.keys()) for held in self.packs.values())
        files = len(self.loose) + len(self.packs) + len(new)
        if files > COMPACT_FILES or (self.packs and stale > len(current)):
            self.put_pack(current)
            if self.writable:
                for name in self.packs:
                    _unlink(str(self.directory / name))
                for image_id in self.loose:
                    _unlink(str(self._path(image_id)))
                self.packs, self.loose = {}, set()
            return
        if len(new) >= PACK_MIN:
            self.put_pack(new)
        else:
            for image_id, (inspect, history) in new.items():
                self.put(image_id, inspect, history)
        for image_id in sorted(self.loose - current.keys()):
            _unlink(str(self._path(image_id)))
        self.loose &= current.keys()

    def trim(self) -> None:
        """Remove the oldest files (by mtime, any engine) until the cache fits ``max_bytes``."""
        if not self.writable or not self.written:
            return
        files: list[tuple[float, int, str]] = []
        total = 0
        try:
            for engine_dir in os.scandir(self.root):
                if not engine_dir.is_dir(follow_symlinks=False):
                    continue
                for item in os.scandir(engine_dir.path):
                    try:
                        st = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    files.append((st.st_mtime, st.st_size, item.path))
                    total += st.st_size
        except OSError:
            return
        if total <= self.max_bytes:
            return
        files.sort()
        for _, size, path in files:
            if total <= self.max_bytes:
                break
            _unlink(path)
            total -= size


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
