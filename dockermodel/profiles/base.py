"""What a host models: the :class:`Engine` value and the :class:`Profile` of its rules.

An engine is known by three facts: its version (``/version`` ``Version``),
the API version its payloads were read at (``ApiVersion`` of the response,
or the version the client asked for), and its image store (``overlay2``, the
graph-driver layer store, or ``containerd``, the containerd image store of
Engine 24+ with ``containerd-snapshotter`` on).

The rules that differ between engines live in one :class:`Profile` subclass
per engine family (:mod:`dockermodel.profiles.engine20`,
:mod:`dockermodel.profiles.overlay2`, :mod:`dockermodel.profiles.containerd`);
every other module asks the host's profile instead of comparing versions.
Each rule below names what it decides; the family modules cite the engine's
source for their answer. See ``docs/versions.md`` for the support table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import attrs

from .. import buildcache as _buildcache
from .. import reference as _ref
from ..errors import AmbiguousPrefix, Conflict, EngineError, InvalidArgument, InvalidReference
from ..model import BuildCacheRecord, Image, Layer
from .volume_prune import VOLUME_PRUNE_1_41, VOLUME_PRUNE_1_42, VolumePruneRule

__all__ = ["STORES", "Engine", "Profile", "Store"]

Store = Literal["overlay2", "containerd"]
#: The image stores the library knows.
STORES: tuple[Store, ...] = ("overlay2", "containerd")

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
_API_VERSION = re.compile(r"1\.(\d+)\Z")


def _check_version(instance: Any, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or _VERSION.match(value) is None:
        raise ValueError(
            f"Engine.{attribute.name}: expected a version like '28.5.2', got {value!r}"
        )


def _check_api(instance: Any, attribute: Any, value: str) -> None:
    if not isinstance(value, str) or _API_VERSION.match(value) is None:
        raise ValueError(
            f"Engine.{attribute.name}: expected an API version like '1.41', got {value!r}"
        )


def _check_store(instance: Any, attribute: Any, value: str) -> None:
    if value not in STORES:
        raise ValueError(f"Engine.store: expected one of {', '.join(STORES)}, got {value!r}")


@attrs.frozen
class Engine:
    """The engine a host models: ``version``, ``api_version``, ``store``.

    >>> Engine("28.5.2+dfsg4", "1.51", "containerd").release
    (28, 5, 2)
    >>> Engine.parse("20.10").api_version
    '1.41'
    """

    version: str = attrs.field(validator=_check_version)
    api_version: str = attrs.field(validator=_check_api)
    store: Store = attrs.field(default="overlay2", validator=_check_store)

    @property
    def release(self) -> tuple[int, int, int]:
        """``(major, minor, patch)`` of :attr:`version` (Debian suffixes ignored)."""
        m = _VERSION.match(self.version)
        assert m is not None
        return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)

    @property
    def api(self) -> int:
        """The minor number of :attr:`api_version` (``41`` for ``1.41``)."""
        m = _API_VERSION.match(self.api_version)
        assert m is not None
        return int(m.group(1))

    @classmethod
    def parse(cls, text: str) -> Engine:
        """``"28.5"``, ``"28.5.2/containerd"``, ``"26.1.5@1.41"``: version[/store][@api].

        The API version defaults to the engine's own maximum
        (:func:`dockermodel.profiles.max_api_version`).
        """
        from . import max_api_version

        rest, _, api = text.partition("@")
        version, _, store = rest.partition("/")
        if _VERSION.fullmatch(version) is None:
            raise ValueError(
                f"engine {text!r}: expected VERSION[/STORE][@API], e.g. 28.5/containerd"
            )
        engine = cls(version, "1.41", store or "overlay2")  # type: ignore[arg-type]
        return attrs.evolve(engine, api_version=api or max_api_version(engine.release))

    def __str__(self) -> str:
        return f"Engine {self.version} ({self.store} store, API {self.api_version})"


class Profile:
    """The rules of one engine family; subclasses override what differs.

    A profile is stateless: one instance per :class:`Engine`, made by
    :func:`dockermodel.profiles.profile_for`.
    """

    #: A short name for messages and docs ("Engine 20.10 (overlay2)").
    family: ClassVar[str] = "abstract"
    #: Which images' chains count for an image's ``SharedSize`` in ``/system/df``:
    #: ``"listed"`` (the default image list) or ``"all"`` (every image in the store).
    shared_size_over: ClassVar[Literal["listed", "all"]] = "listed"
    #: Whether a container's ``image`` mount (``Type: image``) counts as use of
    #: the image on ``rmi``'s reference path.
    image_mounts_are_use: bool = False
    #: Whether layers exported by BuildKit stay held by the build cache.
    buildkit_holds_layers: ClassVar[bool] = False
    #: Whether ``until`` prune filters skip images without a ``Created`` time.
    until_skips_undated: ClassVar[bool] = False

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.engine}>"

    # ------------------------------------------------------------------
    # names
    # ------------------------------------------------------------------

    def parse_lookup(self, text: str) -> _ref.Reference | _ref.DigestReference:
        """Parse an image name as the engine's lookup does (``ParseAnyReference``).

        Raises :class:`~dockermodel.InvalidArgument` with the engine's message.
        """
        try:
            return _ref.parse_any_reference(text)
        except InvalidReference as exc:
            raise InvalidArgument(exc.message) from None

    # ------------------------------------------------------------------
    # messages
    # ------------------------------------------------------------------

    def invalid_filter(self, spec: str) -> InvalidArgument:
        """The error for a filter the engine cannot take (``spec`` is ``key`` or ``key=[…]``)."""
        return InvalidArgument(f"Invalid filter '{spec}'")

    def ambiguous_container(self, prefix: str) -> AmbiguousPrefix:
        """A container id prefix that matches several containers."""
        return AmbiguousPrefix(f"Multiple IDs found with provided prefix: {prefix}", 500)

    def volume_prune_rule(self) -> VolumePruneRule:
        """Which volumes ``POST /volumes/prune`` takes, by the API version of the request.

        From API 1.42 (Engine 23+) only anonymous volumes go unless the
        request carries ``all=true`` (``docker volume prune -a``); a request
        below 1.42 gets the old behaviour, every unused local volume, because
        the router adds ``all=true`` itself. Engine 20.10 (API 1.41) prunes
        every unused volume and knows no ``all`` filter. The docker CLI
        negotiates the engine's own API version, so a host read at that
        version (``host.engine.api``) predicts the CLI.
        [moby v28.5.2 api/server/router/volume/volume_routes.go · postVolumesPrune]
        [moby v28.5.2 volume/service/service.go · VolumesService.Prune]
        [moby v20.10.24 volume/service/service.go · VolumesService.Prune]
        """
        return VOLUME_PRUNE_1_42 if self.engine.api >= 42 else VOLUME_PRUNE_1_41

    def invalid_state_filter(self, value: str) -> InvalidArgument:
        """The ``status=VALUE`` filter of ``GET /containers/json`` naming no container state.

        [moby v20.10.24 daemon/list.go · foldFilter]
        """
        return self.invalid_filter(f"status={value}")

    def position_not_found(self, value: str) -> EngineError:
        """A ``before`` / ``since`` filter of ``GET /containers/json`` naming no container.

        [moby v20.10.24 daemon/list.go · foldFilter]
        """
        return EngineError(f"no such container {value}", 500)

    def rm_in_state(
        self, name: str, full_id: str, state: str, container_name: str = ""
    ) -> Conflict:
        """``docker rm`` without force of a running, paused or restarting container.

        ``name`` is the name or id the request gave, ``container_name`` the
        container's own name (``/web``).
        """
        procedure = "Unpause and then stop" if state == "paused" else "Stop"
        return Conflict(
            f"You cannot remove a {state} container {full_id}. "
            f"{procedure} the container before attempting removal or force remove"
        )

    # ------------------------------------------------------------------
    # documents
    # ------------------------------------------------------------------

    def df_image_entry(self, entry: dict[str, Any], api: int) -> dict[str, Any]:
        """A ``/system/df`` ``Images[]`` entry from the image's list entry at API ``1.<api>``.

        Engine 20.10 answers with the list entry itself (``<none>`` markers
        included) plus ``SharedSize`` and ``Containers``.
        [moby v20.10.24 daemon/disk_usage.go · Daemon.SystemDiskUsage]
        """
        return entry

    def df_build_cache(
        self, records: Sequence[BuildCacheRecord] | None, api: int
    ) -> dict[str, Any]:
        """``BuildCache`` (and ``BuilderSize``) of ``/system/df``.

        Engine 20.10: ``null`` when the cache is empty; ``BuilderSize`` the
        sum of every record's ``Size``; records keep ``Parent``.
        [moby v20.10.24 api/server/router/system/system_routes.go · getDiskUsage]
        """
        return {
            "BuildCache": [r.to_api() for r in records] if records is not None else None,
            "BuilderSize": sum(r.size for r in records or ()),
        }

    # ------------------------------------------------------------------
    # the build cache
    # ------------------------------------------------------------------

    def build_prune_cutoff(self, value: str, now_ns: int) -> int:
        """The ``until`` / ``unused-for`` of a build-cache prune: records used after it stay.

        Engine 20.10 takes a Go duration only (``time.ParseDuration``); a
        value it cannot parse is a 500 ``filter expects a duration (e.g.,
        '24h'): <Go's error>`` (the caller puts the key in front).
        [moby v20.10.24 builder/builder-next/builder.go · toBuildkitPruneInfo]
        """
        try:
            return now_ns - go_duration_ns(value)
        except ValueError as exc:
            raise EngineError(f"filter expects a duration (e.g., '24h'): {exc}", 500) from None

    def cache_parents(self, record: BuildCacheRecord, api: int) -> tuple[str, ...] | None:
        """The ids of ``record``'s parent records, or ``None`` when the API does not say.

        Engine 20.10 reports one ``Parent`` (empty for a root record).
        [moby v20.10.24 builder/builder-next/builder.go · Builder.DiskUsage]
        """
        return (record.parent,) if record.parent else ()

    def cache_holds(
        self,
        images: Iterable[Image],
        layers: Mapping[str, Layer],
        records: Sequence[BuildCacheRecord] | None,
        api: int,
        unsure: frozenset[str] = frozenset(),
    ) -> tuple[frozenset[str], frozenset[str]]:
        """``(maybe, certain)`` image layers the build cache holds.

        See :func:`dockermodel.buildcache.holds`; both empty unless
        :attr:`buildkit_holds_layers`.
        """
        if not self.buildkit_holds_layers or not records:
            return frozenset(), frozenset()
        return _buildcache.holds(
            images, layers, records, lambda r: self.cache_parents(r, api), unsure
        )

    def cache_after_image_removal(
        self,
        before: tuple[Iterable[Image], Mapping[str, Layer]],
        after: tuple[Iterable[Image], Mapping[str, Layer]],
        records: tuple[BuildCacheRecord, ...],
        api: int,
        unsure: frozenset[str] = frozenset(),
    ) -> tuple[tuple[BuildCacheRecord, ...], frozenset[str]]:
        """The records once images are gone, and the ids whose ``Shared`` flag is unsure.

        Only where the cache holds layers (:func:`dockermodel.buildcache.still_shared`);
        elsewhere the records are kept as they are.
        """
        if not self.buildkit_holds_layers:
            return records, frozenset()
        return _buildcache.still_shared(
            before, after, records, lambda r: self.cache_parents(r, api), unsure
        )


_GO_UNITS = {
    "ns": 1,
    "us": 1000,
    "\u00b5s": 1000,  # U+00B5 micro sign
    "\u03bcs": 1000,  # U+03BC Greek mu
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}


def go_duration_ns(text: str) -> int:
    """Go's ``time.ParseDuration``: nanoseconds, or ``ValueError`` with Go's message.

    ``[-+]`` then one or more ``<decimal><unit>`` (``1h30m``, ``.5s``); ``0``
    alone needs no unit. [go src/time/format.go · ParseDuration]
    """
    orig = text
    quoted = _go_quote(orig)
    s = text
    negative = False
    if s and s[0] in "+-":
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0
    while s:
        if not (s[0] == "." or (s[0].isascii() and s[0].isdigit())):
            raise ValueError(f"time: invalid duration {quoted}")
        i = 0
        while i < len(s) and s[i].isascii() and s[i].isdigit():
            i += 1
        whole, s = s[:i], s[i:]
        fraction = ""
        if s.startswith("."):
            j = 1
            while j < len(s) and s[j].isascii() and s[j].isdigit():
                j += 1
            fraction, s = s[1:j], s[j:]
            if not whole and not fraction:
                raise ValueError(f"time: invalid duration {quoted}")
        elif not whole:
            raise ValueError(f"time: invalid duration {quoted}")
        k = 0
        while k < len(s) and not (s[k] == "." or (s[k].isascii() and s[k].isdigit())):
            k += 1
        if k == 0:
            raise ValueError(f"time: missing unit in duration {quoted}")
        unit, s = s[:k], s[k:]
        scale = _GO_UNITS.get(unit)
        if scale is None:
            raise ValueError(f"time: unknown unit {_go_quote(unit)} in duration {quoted}")
        value = int(whole or "0") * scale
        if fraction:
            value += int(int(fraction) * scale // 10 ** len(fraction))
        total += value
        if total > 2**63 - 1:
            raise ValueError(f"time: invalid duration {quoted}")
    return -total if negative else total


def _go_quote(text: str) -> str:
    """Go's ``strconv.Quote`` for the printable text a filter value is."""
    out = ['"']
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)
