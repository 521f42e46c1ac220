"""``python -m dockermodel``: the ``dockermodel`` command line (see :mod:`dockermodel.cli`)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
