"""The library's exception types: one class per failure.

Three families:

* :class:`InvalidReference` (a :class:`ValueError`) and its subclasses, one per
  error of distribution/reference v0.6 and go-digest (docker/distribution
  v2.8.1, which Engine 20.10 vendors, has the same errors; only the text of
  :class:`RepositoryNameNotLowercase` differs). The first line of
  ``str(error)`` is the engine's message exactly; later lines may show the
  input with a caret under the offending part.
* :class:`EngineError` and its subclasses :class:`NotFound`,
  :class:`Conflict` and :class:`InvalidArgument`: what the engine itself would
  answer to a request, with the HTTP ``status`` it uses and its JSON
  ``message`` exactly (``str(error) == error.message``).
* :class:`InvalidPayload` (malformed engine JSON or snapshot files, naming the
  field at fault), :class:`SnapshotError`, and :class:`EngineUnreachable` /
  :class:`EngineRequestError` for the adapter's I/O edge;
* :class:`PlanMismatch`: a removal plan given to a host it was not made for.

Every public exception derives from :class:`DockerModelError`.
"""

from __future__ import annotations

__all__ = [
    "CONFLICT_KINDS",
    "AmbiguousPrefix",
    "BadPattern",
    "Conflict",
    "DigestInvalidFormat",
    "DigestInvalidLength",
    "DigestUnsupported",
    "DockerModelError",
    "EngineError",
    "EnginePermissionDenied",
    "EngineRequestError",
    "EngineUnreachable",
    "InvalidArgument",
    "InvalidDigestFormat",
    "InvalidPayload",
    "InvalidReference",
    "InvalidTagFormat",
    "LooksLikeImageID",
    "NameContainsUppercase",
    "NameEmpty",
    "NameNotCanonical",
    "NameTooLong",
    "NotFound",
    "NotModelled",
    "PlanMismatch",
    "ReferenceInvalidFormat",
    "RepositoryNameNotLowercase",
    "SnapshotError",
]


class DockerModelError(Exception):
    """Base class of every exception this library raises on purpose."""


# --------------------------------------------------------------------------
# References (distribution/reference v0.6, go-digest v1.0.0, path.Match)
# --------------------------------------------------------------------------


class InvalidReference(DockerModelError, ValueError):
    """A reference, tag, digest or pattern the engine would reject.

    ``message`` is the engine's message; ``source`` the text that was parsed
    (``None`` when not applicable) and ``span`` the ``(start, end)`` slice of
    ``source`` at fault, when known. ``str(error)`` is the message, followed,
    when a source is known, by the source and a caret line under the span.
    """

    #: The engine's message for this failure (class default; instances may
    #: carry a formatted one).
    default_message = "invalid reference format"

    def __init__(
        self,
        message: str | None = None,
        *,
        source: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.source = source
        self.span = span
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.source is None or "\n" in self.source or len(self.source) > 200:
            return self.message
        start, end = self.span if self.span is not None else (0, len(self.source))
        start = max(0, min(start, len(self.source)))
        end = max(start + 1, min(end, len(self.source)))
        return f"{self.message}\n    {self.source}\n    {' ' * start}{'^' * (end - start)}"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.source, self.span))


def _rebuild(
    cls: type[InvalidReference],
    message: str,
    source: str | None,
    span: tuple[int, int] | None,
) -> InvalidReference:
    return cls(message, source=source, span=span)


class ReferenceInvalidFormat(InvalidReference):
    """``invalid reference format`` (ErrReferenceInvalidFormat)."""

    default_message = "invalid reference format"


class InvalidTagFormat(InvalidReference):
    """``invalid tag format`` (ErrTagInvalidFormat, from ``with_tag``)."""

    default_message = "invalid tag format"


class InvalidDigestFormat(InvalidReference):
    """``invalid digest format`` (ErrDigestInvalidFormat, from ``with_digest``)."""

    default_message = "invalid digest format"


class NameContainsUppercase(InvalidReference):
    """``repository name must be lowercase`` (ErrNameContainsUppercase)."""

    default_message = "repository name must be lowercase"


class NameEmpty(InvalidReference):
    """``repository name must have at least one component`` (ErrNameEmpty)."""

    default_message = "repository name must have at least one component"


class NameTooLong(InvalidReference):
    """``repository name must not be more than 255 characters`` (ErrNameTooLong)."""

    default_message = "repository name must not be more than 255 characters"


class NameNotCanonical(InvalidReference):
    """``repository name must be canonical`` (ErrNameNotCanonical, ``parse_named``)."""

    default_message = "repository name must be canonical"


class DigestUnsupported(InvalidReference):
    """``unsupported digest algorithm`` (go-digest ErrDigestUnsupported)."""

    default_message = "unsupported digest algorithm"


class DigestInvalidLength(InvalidReference):
    """``invalid checksum digest length`` (go-digest ErrDigestInvalidLength)."""

    default_message = "invalid checksum digest length"


class DigestInvalidFormat(InvalidReference):
    """``invalid checksum digest format`` (go-digest ErrDigestInvalidFormat)."""

    default_message = "invalid checksum digest format"


class BadPattern(InvalidReference):
    """``syntax error in pattern`` (Go's ``path.ErrBadPattern``, ``familiar_match``)."""

    default_message = "syntax error in pattern"


class RepositoryNameNotLowercase(InvalidReference):
    """``invalid reference format: repository name (<repo>) must be lowercase``.

    A formatted error of ``ParseNormalizedNamed``; it is *not*
    :class:`ReferenceInvalidFormat` although its text starts the same way.
    docker/distribution v2.8.1 (Engine 20.10) names no repository: its text
    is the class default, ``invalid reference format: repository name must
    be lowercase`` [docker/distribution reference/normalize.go ·
    ParseNormalizedNamed at v2.8.1].
    """

    default_message = "invalid reference format: repository name must be lowercase"


class LooksLikeImageID(InvalidReference):
    """``invalid repository name (<input>), cannot specify 64-byte hexadecimal strings``."""

    default_message = "invalid repository name, cannot specify 64-byte hexadecimal strings"


# --------------------------------------------------------------------------
# What the engine answers
# --------------------------------------------------------------------------


class EngineError(DockerModelError):
    """An error the engine would return: HTTP ``status`` and JSON ``message``.

    ``str(error) == error.message``, the engine's message exactly.
    """

    status: int = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        self.message = message
        if status is not None:
            self.status = status
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message, self.status))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, EngineError)
        return (self.message, self.status) == (other.message, other.status)

    def __hash__(self) -> int:
        return hash((type(self), self.message, self.status))


class NotFound(EngineError):
    """The engine's 404, e.g. ``No such image: app:latest``."""

    status = 404


class AmbiguousPrefix(NotFound):
    """``Multiple IDs found with provided prefix: X`` (containers; HTTP 500)."""

    status = 500


class Conflict(EngineError):
    """The engine's 409, e.g. ``conflict: unable to delete … (must be forced) - …``.

    ``str(error)`` is the engine's message exactly; beside it the refusal's
    structure, for programs that must not parse messages:

    * ``kind`` — one of :data:`CONFLICT_KINDS` (``None`` for a conflict built
      from a message alone);
    * ``image_id`` — the image refused (``sha256:…``), when an image is;
    * ``containers`` — full ids of every container that qualifies for the
      refusal, newest first (the message names one of them; the engine picks
      it from a hash map, the model names the first);
    * ``children`` — full ids of the child images, for ``dependent_child``;
    * ``hard`` — ``True`` when ``-f`` does not override the refusal
      (``cannot be forced``), ``False`` when it does (``must be forced``,
      ``must force``, a running container for ``rm``), ``None`` when unknown;
    * ``reference`` — the name as given, for ``repository_reference``.

    Kinds and the engine's wording [moby v20.10.24 daemon/images/image_delete.go ·
    checkImageDeleteConflict, ImageDelete] [moby v20.10.24 daemon/delete.go · ContainerRm]
    at v20.10.24:

    * ``dependent_child`` — ``image has dependent child images`` (hard);
    * ``running_container`` — ``image is being used by running container`` (hard);
    * ``multiple_repositories`` — ``image is referenced in multiple repositories``;
    * ``stopped_container`` — ``image is being used by stopped container``;
    * ``repository_reference`` — ``unable to remove repository reference … (must force)``;
    * ``container_running`` — ``rm``: ``You cannot remove a running container …``
      (running, paused or restarting);
    * ``removal_in_progress`` — ``rm``: ``removal of container … is already in progress``.
    """

    status = 409

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        kind: str | None = None,
        image_id: str | None = None,
        containers: tuple[str, ...] = (),
        children: tuple[str, ...] = (),
        hard: bool | None = None,
        reference: str | None = None,
    ) -> None:
        super().__init__(message, status)
        if kind is not None and kind not in CONFLICT_KINDS:
            raise ValueError(f"unknown conflict kind {kind!r}")
        self.kind = kind
        self.image_id = image_id
        self.containers = tuple(containers)
        self.children = tuple(children)
        self.hard = hard
        self.reference = reference

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_conflict, (type(self), self.message, self.status, self.structure()))

    def structure(self) -> dict[str, object]:
        """The refusal's fields (not the message) as a JSON-ready dict."""
        return {
            "kind": self.kind,
            "image_id": self.image_id,
            "containers": list(self.containers),
            "children": list(self.children),
            "hard": self.hard,
            "reference": self.reference,
        }

    def to_json(self) -> dict[str, object]:
        """``{"message": …, "status": 409, …structure}``: what ``--format json`` prints."""
        return {"message": self.message, "status": self.status, **self.structure()}


#: Every :attr:`Conflict.kind`.
CONFLICT_KINDS = (
    "dependent_child",
    "running_container",
    "multiple_repositories",
    "stopped_container",
    "repository_reference",
    "container_running",
    "removal_in_progress",
)


def _rebuild_conflict(
    cls: type[Conflict], message: str, status: int, structure: dict[str, object]
) -> Conflict:
    containers = structure.get("containers") or ()
    children = structure.get("children") or ()
    kind, image_id, reference = (structure.get(k) for k in ("kind", "image_id", "reference"))
    hard = structure.get("hard")
    return cls(
        message,
        status,
        kind=kind if isinstance(kind, str) else None,
        image_id=image_id if isinstance(image_id, str) else None,
        containers=tuple(str(c) for c in containers) if isinstance(containers, list) else (),
        children=tuple(str(c) for c in children) if isinstance(children, list) else (),
        hard=hard if isinstance(hard, bool) else None,
        reference=reference if isinstance(reference, str) else None,
    )


class InvalidArgument(EngineError):
    """The engine's 400, e.g. ``Invalid filter 'foo'`` or a reference parse error."""

    status = 400


class NotModelled(DockerModelError, ValueError):
    """A question the library cannot answer as the engine would (the message says why).

    Raised instead of guessing, e.g. for a build-cache prune filter value
    that BuildKit's filter syntax would need quoted.
    """


# --------------------------------------------------------------------------
# Input data and the I/O edge
# --------------------------------------------------------------------------


class InvalidPayload(DockerModelError, ValueError):
    """Engine JSON (or a snapshot document) that does not have the expected shape.

    ``field`` is the path of the value at fault, e.g.
    ``image_inspect['sha256:…'].RootFS.Layers[2]``.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.field, self.problem))


class SnapshotError(InvalidPayload):
    """A snapshot file that cannot be read, decoded or validated."""


class PlanMismatch(DockerModelError, ValueError):
    """``Host.apply(plan)`` with a plan made for another host, or applied already."""


class EngineUnreachable(DockerModelError):
    """No engine answered at ``address``.

    ``request`` is the request that found nobody there (``GET /info``), when
    known.
    """

    def __init__(self, address: str, reason: str, request: str | None = None) -> None:
        self.address = address
        self.reason = reason
        self.request = request
        super().__init__(self._text())

    def _text(self) -> str:
        return f"cannot reach the Docker engine at {self.address}: {self.reason}"

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.address, self.reason, self.request))


class EnginePermissionDenied(EngineUnreachable):
    """The engine's socket refused this user: the docker client's own message.

    ``Got permission denied while trying to connect to the Docker daemon
    socket at ADDRESS: REASON`` [moby v20.10.24 client/request.go · Client.doRequest].
    """

    def _text(self) -> str:
        return (
            "Got permission denied while trying to connect to the Docker daemon socket at "
            f"{self.address}: {self.reason}"
        )


class EngineRequestError(DockerModelError):
    """A GET the adapter made failed with an HTTP error or a broken body."""

    def __init__(self, address: str, request: str, status: int | None, message: str) -> None:
        self.address = address
        self.request = request
        self.status = status
        self.message = message
        where = f"{request} at {address}"
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{where} failed{code}: {message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.address, self.request, self.status, self.message))
