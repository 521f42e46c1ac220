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
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import attrs

from .. import reference as _ref
from ..errors import AmbiguousPrefix, Conflict, EngineError, InvalidArgument, InvalidReference
from ..model import BuildCacheRecord

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
