"""Engine 23–28 with the overlay2 (graph driver) store: ``moby/moby`` v28.5.2.

What differs from Engine 20.10:

* ``SharedSize`` counts layers shared with **any** image in the store,
  intermediates included (since 23.0).
  [moby v28.5.2 daemon/images/image_list.go · ImageService.Images]
* ``/system/df`` lists images with ``RepoTags``/``RepoDigests`` ``null`` when
  empty (never ``<none>`` markers) and an empty build cache as ``[]``.
  [moby v28.5.2 api/server/router/system/system_routes.go · getDiskUsage]
* ``docker rm`` of a running container: ``cannot remove container "NAME":
  container is running: stop the container before removing or force remove``.
  [moby v28.5.2 daemon/delete.go · containerRm, cleanupContainer]
* An ambiguous container id prefix is HTTP 400 ``multiple IDs found with
  provided prefix: X`` (since 24.0). [moby v28.5.2 container/view.go · ViewDB.GetByPrefix]
* Filters: ``invalid filter 'KEY'`` (lower case).
  [moby v28.5.2 api/types/filters/parse.go · invalidFilter]
* Image prune's ``until`` skips images without a creation time.
  [moby v28.5.2 daemon/images/image_prune.go · ImageService.ImagesPrune]
* From 28.0 a container's ``image`` mount counts as use of that image on
  ``rmi``'s reference path. [moby v28.5.2 daemon/images/image_delete.go · ImageDelete]
* Layers exported by BuildKit stay held by its cache until ``builder prune``
  removes the records. [moby v28.5.2 builder/builder-next/adapters/snapshot/layer.go · EnsureLayer]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from .. import _reference_v2_8
from .. import reference as _ref
from .._filters import until_ns
from ..errors import (
    AmbiguousPrefix,
    Conflict,
    EngineError,
    InvalidArgument,
    InvalidReference,
    NotFound,
)
from ..model import BuildCacheRecord
from .base import Engine, Profile

__all__ = ["Overlay2"]


class Overlay2(Profile):
    """Engine 23.0–28.x (and 29 with an upgraded overlay2 store)."""

    family: ClassVar[str] = "Engine 23–28 (overlay2)"
    shared_size_over: ClassVar[Literal["listed", "all"]] = "all"
    buildkit_holds_layers: ClassVar[bool] = True
    until_skips_undated: ClassVar[bool] = True

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.image_mounts_are_use = engine.release >= (28, 0, 0)
        #: ``until`` of a build-cache prune takes timestamps too (24.0+)
        self.build_prune_timestamps = engine.release >= (24, 0, 0)

    def build_prune_cutoff(self, value: str, now_ns: int) -> int:
        """From 24.0 ``until`` is a duration or a timestamp (``GetTimestamp``); errors are 400.

        [moby v28.5.2 builder/builder-next/builder.go · toBuildkitPruneInfo]
        [moby v28.5.2 api/types/time/timestamp.go · GetTimestamp, ParseTimestamps]
        """
        if not self.build_prune_timestamps:
            return super().build_prune_cutoff(value, now_ns)
        try:
            return until_ns(value, now_ns)
        except EngineError as exc:
            raise EngineError(
                f"filter expects a duration (e.g., '24h') or a timestamp: {exc.message}", 400
            ) from None

    def parse_lookup(self, text: str) -> _ref.Reference | _ref.DigestReference:
        """Engines 23.0–24.x vendor docker/distribution v2.8 (as 20.10), later ones
        distribution/reference (v0.5 in 25.0–26.1 upstream, v0.6 from 27.0; Debian's
        26.1.5 is built with v0.6 and answers as v0.6). See ``docs/reference.md``.
        [moby v24.0.9 vendor.mod] [moby v28.5.2 vendor.mod]
        """
        if self.engine.release < (25, 0, 0):
            try:
                return _reference_v2_8.parse_any_reference(text)
            except InvalidReference as exc:
                raise InvalidArgument(exc.message) from None
        return super().parse_lookup(text)

    def df_image_entry(self, entry: dict[str, Any], api: int) -> dict[str, Any]:
        """df entries skip the list's API conversion: empty lists are ``null``, no markers.

        ``VirtualSize`` still exists below 1.44.
        [moby v28.5.2 api/server/router/system/system_routes.go · getDiskUsage]
        """
        for key in ("RepoTags", "RepoDigests"):
            value = entry[key]
            if not value or value in (["<none>:<none>"], ["<none>@<none>"]):
                entry[key] = None
        return entry

    def df_build_cache(
        self, records: Sequence[BuildCacheRecord] | None, api: int
    ) -> dict[str, Any]:
        """``BuildCache`` is ``[]`` when empty; ``BuilderSize`` (left out when 0) and
        ``Parent`` below 1.42 only.

        From 1.42 parents are listed under the key ``" Parents"`` (with a
        leading space, the engine's struct tag), left out when empty.
        [moby v28.5.2 api/server/router/system/system_routes.go · getDiskUsage]
        [moby v28.5.2 api/types/build/cache.go · CacheRecord]
        """
        shaped = [_cache_record(r, api) for r in records or ()]
        doc: dict[str, Any] = {"BuildCache": shaped}
        builder_size = sum(r.size for r in records or ())
        if api < 42 and builder_size:
            doc["BuilderSize"] = builder_size
        return doc

    def cache_parents(self, record: BuildCacheRecord, api: int) -> tuple[str, ...] | None:
        """``" Parents"`` from API 1.42 (the key is left out when empty); unknown below.

        Below 1.42 the engine clears ``Parents`` and never fills the
        deprecated ``Parent``, so the records' relations are not reported.
        [moby v28.5.2 api/server/router/system/system_routes.go · getDiskUsage]
        [moby v28.5.2 builder/builder-next/builder.go · Builder.DiskUsage]
        """
        return record.parents if api >= 42 else None

    def invalid_filter(self, spec: str) -> InvalidArgument:
        return InvalidArgument(f"invalid filter '{spec}'")

    def ambiguous_container(self, prefix: str) -> AmbiguousPrefix:
        return AmbiguousPrefix(f"multiple IDs found with provided prefix: {prefix}", 400)

    def invalid_state_filter(self, value: str) -> InvalidArgument:
        """From Engine 28 the error goes on to name the states there are.

        [moby v28.5.2 daemon/list.go · foldFilter]
        [moby v28.5.2 api/types/container/state.go · ValidateContainerState];
        Engine 26.1.5 words it as Engine 20.10 does, in lower case.
        """
        if self.engine.release < (28, 0, 0):
            return self.invalid_filter(f"status={value}")
        return InvalidArgument(
            f"invalid filter 'status={value}': invalid value for state ({value}): must be "
            "one of created, running, paused, restarting, removing, exited, dead"
        )

    def position_not_found(self, value: str) -> NotFound:
        """``No such container: X``, the container store's not-found error (verified on
        Engine 26.1.5 and 28.5.2).

        [moby v28.5.2 daemon/list.go · foldFilter]
        [moby v28.5.2 daemon/container.go · GetContainer]
        """
        return NotFound(f"No such container: {value}")

    def rm_in_state(
        self, name: str, full_id: str, state: str, container_name: str = ""
    ) -> Conflict:
        """Engine 28 names the container as the request did (``web``); Engine 26.1
        by its own name (``/web``). Engine 27 is not verified and is taken as 26.1.

        [moby v28.5.2 daemon/delete.go · ContainerRm]
        [moby v26.1.5 daemon/delete.go · cleanupContainer]
        """
        if self.engine.release < (28, 0, 0) and container_name:
            name = container_name
        quoted = _go_quote(name)
        if state == "paused":
            cause = "container is paused and must be unpaused first"
        else:
            cause = (
                f"container is {state}: stop the container before removing or force remove"
            )
        return Conflict(f"cannot remove container {quoted}: {cause}")


def _cache_record(record: BuildCacheRecord, api: int) -> dict[str, Any]:
    """One record: ``Parent`` (if set) below 1.42, ``" Parents"`` (if any) from 1.42."""
    doc: dict[str, Any] = {}
    for key, value in record.to_api().items():
        if key == "Parent":
            if api < 42 and value:
                doc[key] = value
        elif key == " Parents":
            if api >= 42:
                doc[key] = value
        else:
            doc[key] = value
    return doc


def _go_quote(text: str) -> str:
    """Go's ``%q`` of a string of printable characters (what a name can hold)."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
