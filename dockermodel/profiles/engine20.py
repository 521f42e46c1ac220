"""Engine 20.10 (overlay2 store): the rules of ``moby/moby`` v20.10.24.

* Lookups parse names with docker/distribution v2.8.1's ``reference`` package
  (vendored by 20.10): no IPv6 hosts, the 255 limit on the whole name, an
  uppercase first component is no registry, and the lowercase error does not
  name the repository (``docs/reference.md``).
  [moby v20.10.24 daemon/images/image.go · ImageService.GetImage]
* ``SharedSize`` counts only the listed images' chains.
  [moby v20.10.24 daemon/images/images.go · ImageService.Images]
* Error texts: ``Invalid filter``, ``Multiple IDs found with provided
  prefix`` (HTTP 500), ``You cannot remove a running container``.
  [moby v20.10.24 api/types/filters/parse.go · invalidFilter]
  [moby v20.10.24 container/view.go · memDB.GetByPrefix]
  [moby v20.10.24 daemon/delete.go · cleanupContainer]
"""

from __future__ import annotations

from typing import ClassVar

from .. import _reference_v2_8
from .. import reference as _ref
from ..errors import InvalidArgument, InvalidReference
from .base import Profile

__all__ = ["Engine20"]


class Engine20(Profile):
    """Engine 20.10 with the overlay2 (graph driver) store."""

    family: ClassVar[str] = "Engine 20.10 (overlay2)"

    def parse_lookup(self, text: str) -> _ref.Reference | _ref.DigestReference:
        """docker/distribution v2.8.1's ``ParseAnyReference`` (see ``docs/reference.md``)."""
        try:
            return _reference_v2_8.parse_any_reference(text)
        except InvalidReference as exc:
            raise InvalidArgument(exc.message) from None
