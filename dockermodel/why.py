"""Why an image is still on disk: every holder, and what each way of removing it would do.

:func:`why` (``Host.why``) answers for one image what the engine's refusals
only show one at a time:

* its **references** — tags and digests, and the repositories they name
  (``rmi`` by id refuses an image referenced in more than one repository
  unless forced; a tag keeps the image out of ``image prune``);
* its **containers**, by state — a running (paused, restarting) one blocks
  even ``rmi -f`` by id, a stopped or created one blocks ``rmi`` without
  ``-f``;
* its **child images** — they block ``rmi`` even with ``-f``;
* its **layers** and who else holds each one (other images, containers), so
  the bytes a removal frees can be read off; and whether the build cache may
  hold layers, where the engine's answers tell;
* four **outcomes**, each planned exactly (records, refusals, bytes) on the
  host as it is: ``docker rmi NAME`` as given, ``docker rmi -f <id>``,
  removing its containers first (``docker rm [-f]`` each, then
  ``docker rmi -f <id>``), and the force-free cleanup
  (:func:`~dockermodel.removal.plan_image_cleanup`).

Every refusal is a :class:`~dockermodel.Conflict` whose structured fields
name all the holders of its kind. The engine rules are those of
:mod:`dockermodel.removal` [moby v20.10.24 daemon/images/image_delete.go ·
ImageService.ImageDelete, checkImageDeleteConflict, imageDeleteHelper] at
v20.10.24; docs/removal.md explains them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from . import reference as _ref
from .errors import Conflict, EngineError
from .model import STATES, Container, Image
from .removal import CleanupPlan, Plan, _is_single_reference, plan_commands, plan_image_cleanup

if TYPE_CHECKING:
    from .graph import Graph as Host

__all__ = ["LayerHolders", "Outcome", "Why", "why"]


@attrs.frozen
class LayerHolders:
    """One layer of the image's chain and everything else that holds it.

    ``images`` are the other images whose chain contains the layer (id
    order); ``containers`` the containers (any state) whose layer chain
    contains it, newest first. ``own`` is true when the layer goes with the
    image: every image holding it is the image or one of the untagged
    ancestors a delete of the image walks up to (no other child, no
    container, no reference), and every container holding it is a
    container of those images.
    """

    chain_id: str
    size: int
    images: tuple[str, ...]
    containers: tuple[str, ...]
    own: bool

    @property
    def shared(self) -> bool:
        return not self.own

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "size": self.size,
            "own": self.own,
            "images": list(self.images),
            "containers": list(self.containers),
        }


@attrs.frozen
class Outcome:
    """One way of removing the image: its commands and what they would do.

    ``label`` names the way (``rmi``, ``rmi -f``, ``rm + rmi -f``,
    ``cleanup``); ``plan`` holds the commands run until the first refusal
    (:attr:`refusal`, the engine's error, and :attr:`refused_command`).
    """

    label: str
    plan: CleanupPlan
    _target: str = attrs.field(default="", repr=False)

    @property
    def commands(self) -> list[str]:
        """Every command of this way, the refused one included, as shell lines."""
        done = self.plan.commands()
        if self.plan.refused_command is not None:
            done.append(" ".join(self.plan.refused_command))
        return done

    @property
    def refusal(self) -> EngineError | None:
        return self.plan.refusal

    @property
    def refused_command(self) -> tuple[str, ...] | None:
        return self.plan.refused_command

    @property
    def removes_image(self) -> bool:
        """The image is gone once the commands ran."""
        return self.plan.refusal is None and self.image_deleted

    @property
    def image_deleted(self) -> bool:
        return self._target in self.merged.deleted_images

    @property
    def merged(self) -> Plan:
        """The commands that would run, as one plan (for :meth:`Host.apply`)."""
        return self.plan.as_plan()

    @property
    def bytes_freed(self) -> int:
        """Bytes that leave the disk through the commands that would run."""
        return self.plan.bytes_freed

    def to_json(self) -> dict[str, Any]:
        merged = self.merged
        refusal = self.refusal
        return {
            "label": self.label,
            "commands": self.commands,
            "refused": _error_json(refusal) if refusal is not None else None,
            "removes_image": self.removes_image,
            "bytes_freed": self.bytes_freed,
            "space_reclaimed": merged.space_reclaimed,
            "untagged": [ref for _, ref in merged.untagged],
            "deleted_images": list(merged.deleted_images),
            "deleted_layers": list(merged.deleted_layers) + list(merged.silent_layers),
            "deleted_containers": list(merged.deleted_containers),
        }


def _error_json(error: EngineError) -> dict[str, Any]:
    if isinstance(error, Conflict):
        return error.to_json()
    return {"message": error.message, "status": error.status}


@attrs.frozen
class Why:
    """Every reason an image stays, and what each way of removing it would do."""

    image: Image
    #: the name asked about, as given
    name: str
    #: familiar tags (``app:1``) and digest references (``app@sha256:…``)
    tags: tuple[str, ...]
    digests: tuple[str, ...]
    #: familiar repository names of all references, sorted, each once
    repositories: tuple[str, ...]
    #: the engine's ``isSingleReference``: one tag, or one tag and digests of its
    #: repository only — else ``rmi`` by id needs ``-f``
    single_reference: bool
    #: containers of the image by state (the engine's state names), newest first
    containers: Mapping[str, tuple[Container, ...]]
    children: tuple[str, ...]
    #: every image built on it, at any depth (ids, breadth first), and their containers
    descendants: tuple[str, ...]
    descendant_containers: tuple[Container, ...]
    parent: str | None
    dangling: bool
    intermediate: bool
    layers: tuple[LayerHolders, ...]
    #: ``False`` when the engine's answers show the build cache holds no layer,
    #: ``None`` when they cannot tell (BuildKit records shared with images, or
    #: the build cache was not read)
    build_cache_holds: bool | None
    outcomes: tuple[Outcome, ...]

    @property
    def running(self) -> tuple[Container, ...]:
        """Containers with the Running flag (running, paused, restarting)."""
        states = ("running", "paused", "restarting")
        return tuple(c for s in states for c in self.containers.get(s, ()))

    @property
    def stopped(self) -> tuple[Container, ...]:
        """Containers without the Running flag (created, exited, dead, removing)."""
        return tuple(
            c for s in ("created", "exited", "dead", "removing") for c in self.containers.get(s, ())
        )

    @property
    def own_bytes(self) -> int:
        """Bytes of the layers that go with the image (:attr:`LayerHolders.own`).

        What ``docker rmi -f <id>`` frees once the image's containers and
        child images are gone.
        """
        return sum(layer.size for layer in self.layers if layer.own)

    @property
    def shared_bytes(self) -> int:
        """Bytes of its layers that other images (or their containers) keep on disk."""
        return sum(layer.size for layer in self.layers if not layer.own)

    def outcome(self, label: str) -> Outcome:
        """The outcome named ``label`` (``rmi``, ``rmi -f``, ``rm + rmi -f``, ``cleanup``)."""
        for outcome in self.outcomes:
            if outcome.label == label:
                return outcome
        raise KeyError(label)

    def holders(self) -> dict[str, tuple[str, ...]]:
        """Every holder by kind: ``containers`` (full ids), ``children``, ``references``,
        and ``descendant_containers`` (containers of the images built on it)."""
        ids = tuple(c.id for s in STATES for c in self.containers.get(s, ()))
        return {
            "containers": ids,
            "children": self.children,
            "references": self.tags + self.digests,
            "descendant_containers": tuple(c.id for c in self.descendant_containers),
        }

    def reasons(self) -> list[str]:
        """The reasons the image stays, for people, the strongest first."""
        out: list[str] = []
        for c in self.running:
            out.append(
                f"{c.state} container {c.short_id} ({c.name}) uses it: no rmi removes it, "
                "not even rmi -f by id, until the container is removed"
            )
        if self.children:
            n = len(self.children)
            kids = ", ".join(_short(c) for c in self.children)
            out.append(
                f"{n} child image{'s' if n > 1 else ''} built on it ({kids}): "
                "rmi refuses even with -f"
            )
        for c in self.stopped:
            out.append(
                f"{c.state} container {c.short_id} ({c.name}) uses it: rmi refuses without -f"
            )
        below = self.descendant_containers
        if below:
            running = sum(1 for c in below if c.running)
            out.append(
                f"{len(below)} container(s) of images built on it ({running} running): "
                "they keep those images, and those images keep it"
            )
        if not self.single_reference and (self.tags or self.digests):
            out.append(
                f"{len(self.tags) + len(self.digests)} references that do not name one "
                "repository alone: rmi by id refuses without -f (\"referenced in multiple "
                "repositories\")"
            )
        if self.tags:
            out.append(
                f"tagged {', '.join(self.tags)}: image prune keeps it (prune -a does not)"
            )
        elif self.digests:
            out.append(f"digest references {', '.join(self.digests)} (no tag)")
        if self.build_cache_holds is None:
            out.append("the build cache may hold some of its layers (the engine does not say)")
        if not out:
            out.append("nothing holds it: image prune would remove it")
        return out

    def to_text(self) -> str:
        """The ``dockermodel why`` report: holders, reasons and outcomes, for people."""
        from .render import human_size

        image = self.image
        names = ", ".join(self.tags + self.digests) or "<none>"
        marks = " (dangling)" if self.dangling else " (intermediate)" if self.intermediate else ""
        lines = [
            f"{names}  {image.id}{marks}",
            f"  size {human_size(image.size)}: {human_size(self.own_bytes)} its own, "
            f"{human_size(self.shared_bytes)} shared with other images",
        ]
        if self.parent is not None:
            lines.append(f"  parent {self.parent}")
        lines.append("")
        lines.append("Why it is still here:")
        lines.extend(f"  - {reason}" for reason in self.reasons())
        lines.append("")
        lines.append("What removing it would do:")
        for outcome in self.outcomes:
            lines.append(f"  {outcome.label}:")
            refused = outcome.refused_command
            for command in outcome.plan.steps:
                lines.append(f"    {' '.join(command.command)}  # frees "
                             f"{human_size(command.bytes_freed)}")
            if refused is not None and outcome.refusal is not None:
                lines.append(f"    {' '.join(refused)}  # refused: {outcome.refusal.message}")
            merged = outcome.merged
            summary = (
                f"untags {len(merged.untagged)}, deletes {len(merged.deleted_images)} image(s)"
                f" and {len(merged.deleted_containers)} container(s), "
                f"frees {human_size(outcome.bytes_freed)}"
            )
            verdict = "the image is removed" if outcome.removes_image else "the image stays"
            lines.append(f"    => {summary}; {verdict}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.image.id,
            "size": self.image.size,
            "own_bytes": self.own_bytes,
            "shared_bytes": self.shared_bytes,
            "tags": list(self.tags),
            "digests": list(self.digests),
            "repositories": list(self.repositories),
            "single_reference": self.single_reference,
            "containers": {
                state: [{"id": c.id, "name": c.name} for c in cs]
                for state, cs in self.containers.items()
            },
            "children": list(self.children),
            "descendants": list(self.descendants),
            "descendant_containers": [
                {"id": c.id, "name": c.name, "state": c.state} for c in self.descendant_containers
            ],
            "parent": self.parent,
            "dangling": self.dangling,
            "intermediate": self.intermediate,
            "build_cache_holds": self.build_cache_holds,
            "layers": [layer.to_json() for layer in self.layers],
            "reasons": self.reasons(),
            "outcomes": [o.to_json() for o in self.outcomes],
        }


def _short(image_id: str) -> str:
    return image_id.partition(":")[2][:12]


def build_cache_holds(host: Host) -> bool | None:
    """Whether the build cache may hold image layers, as far as the engine's answers tell.

    ``False`` when the engine's family never keeps image layers in the build
    cache (the profile's ``buildkit_holds_layers``: Engine 20.10, the
    containerd store), when ``/system/df`` listed no build cache record, or
    none marked ``Shared`` (a record shares storage with image layers only
    then); ``None`` when a record is shared, or when the host was read
    without ``/system/df``. A host derived with :meth:`Host.apply` keeps the
    answer of the host it came from. See docs/removal.md.
    """
    if not host.profile.buildkit_holds_layers:
        return False
    if any(record.shared for record in host.build_cache or ()):
        return None
    if host.build_cache is None and host.payloads is not None and (
        "system_df" not in host.payloads
    ):
        return None  # read without /system/df: nothing is known about the build cache
    return False


def why(host: Host, name: str, *, detail: bool = True) -> Why:
    """Every holder of the image ``name`` finds (as ``docker rmi`` finds it) and the outcomes.

    Raises what the lookup raises (:class:`~dockermodel.NotFound`,
    :class:`~dockermodel.InvalidArgument`). Linear in the size of the host.
    With ``detail=False`` the layers and outcomes are left out (both empty):
    then only the holders are read, in time proportional to their number,
    for reports that ask about many images.
    """
    image = host.find_image(name)
    refs = image.references
    tags = tuple(_ref.familiar_string(r) for r in refs if r.digest is None)
    digests = tuple(_ref.familiar_string(r) for r in refs if r.digest is not None)
    repositories = tuple(sorted({_ref.familiar_name(r) for r in refs}))
    by_state: dict[str, list[Container]] = {}
    for container in host.users(image.id):
        by_state.setdefault(container.state, []).append(container)
    containers = {s: tuple(by_state[s]) for s in STATES if s in by_state}
    descendants: list[str] = []
    frontier = list(host.children(image.id))
    while frontier:
        descendants.extend(frontier)
        frontier = [kid for d in frontier for kid in host.children(d)]
    return Why(
        image=image,
        name=name,
        tags=tags,
        digests=digests,
        repositories=repositories,
        single_reference=not refs or _is_single_reference(refs),
        containers=containers,
        children=host.children(image.id),
        descendants=tuple(descendants),
        descendant_containers=tuple(c for d in descendants for c in host.users(d)),
        parent=image.parent if image.parent in host.images else None,
        dangling=host.is_dangling(image),
        intermediate=host.is_intermediate(image),
        layers=_layer_holders(host, image) if detail else (),
        build_cache_holds=build_cache_holds(host),
        outcomes=_outcomes(host, image, name) if detail else (),
    )


def _goes_with(host: Host, image: Image) -> set[str]:
    """The image and the untagged ancestors its delete walks up to (parent walk, prune=true).

    An ancestor is taken while it has no reference, no container and no
    other child. [moby v20.10.24 daemon/images/image_delete.go · imageDeleteHelper]
    """
    taken = {image.id}
    current = image
    while current.parent is not None and current.parent in host.images:
        parent = host.images[current.parent]
        if parent.repo_tags or parent.repo_digests or host.users(parent.id):
            break
        if len(host.children(parent.id)) != 1:
            break
        taken.add(parent.id)
        current = parent
    return taken


def _layer_holders(host: Host, image: Image) -> tuple[LayerHolders, ...]:
    chain = set(image.layers)
    taken = _goes_with(host, image)
    images: dict[str, list[str]] = {c: [] for c in chain}
    for other in host.images.values():
        if other.id == image.id:
            continue
        for c in other.layers:
            if c in chain:
                images[c].append(other.id)
    containers: dict[str, list[str]] = {c: [] for c in chain}
    for container in host.containers.values():
        held = container.layers
        if not held:
            source = host.images.get(container.image_id)
            held = source.layers if source is not None else ()
        for c in held:
            if c in chain:
                containers[c].append(container.id)
    owners = {cid: c.image_id for cid, c in host.containers.items()}
    return tuple(
        LayerHolders(
            chain_id=c,
            size=host.layers[c].size if c in host.layers else 0,
            images=tuple(sorted(images[c])),
            containers=tuple(containers[c]),
            own=all(i in taken for i in images[c])
            and all(owners[cid] in taken for cid in containers[c]),
        )
        for c in image.layers
    )


def _outcomes(host: Host, image: Image, name: str) -> tuple[Outcome, ...]:
    users = host.users(image.id)
    remove_first = [
        ("docker", "rm", "-f", c.id) if c.running else ("docker", "rm", c.id) for c in users
    ]
    plans = [
        ("rmi", plan_commands(host, [("docker", "rmi", name)])),
        ("rmi -f", plan_commands(host, [("docker", "rmi", "-f", image.id)])),
        ("rm + rmi -f", plan_commands(host, [*remove_first, ("docker", "rmi", "-f", image.id)])),
        ("cleanup", plan_image_cleanup(host, image.id)),
    ]
    return tuple(Outcome(label, plan, target=image.id) for label, plan in plans)
