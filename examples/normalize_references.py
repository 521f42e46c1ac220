"""Normalize the image references of a compose file or a list, as the engine does.

Reads the ``image:`` entries of compose files (``*.yml`` / ``*.yaml``) or one
reference per line from other files, and prints each reference's canonical
form (what the engine stores: ``docker.io/library/redis:latest``) and its
familiar form (what ``docker images`` shows). Invalid references are
reported with the engine's message and a caret under the offending part;
the exit status is then 1.

Usage::

    python examples/normalize_references.py compose.yaml images.txt
    python examples/normalize_references.py --demo             # a sample compose file
    python examples/normalize_references.py --snapshot FILE    # the tags in a snapshot

With ``--demo`` the input is a sample compose file (below) plus the tags of
the bundled demo snapshot.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import dockermodel
from dockermodel import reference
from dockermodel.cli import load_demo
from dockermodel.render import table

SAMPLE_COMPOSE = """\
services:
  web:
    image: nginx
  cache:
    image: "redis:7-alpine"
  db:
    image: docker.io/library/postgres:16
  app:
    image: ghcr.io/acme/app@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
  registry-mirror:
    image: localhost:5000/team/tool:v2
"""

_IMAGE_LINE = re.compile(r"""^\s*image:\s*["']?([^"'\s#]+)""", re.MULTILINE)


def references_in(text: str, compose: bool) -> list[str]:
    """The ``image:`` values of a compose file, or the non-empty lines of a list."""
    if compose:
        return _IMAGE_LINE.findall(text)
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def inputs(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(where, reference) pairs from the files, the demo or a snapshot."""
    if args.demo or args.snapshot:
        host = load_demo() if args.demo else dockermodel.Host.load(args.snapshot)
        if args.demo:
            for ref in references_in(SAMPLE_COMPOSE, compose=True):
                yield "sample compose", ref
        for image in host.images.values():
            for tag in image.repo_tags:
                yield f"image {image.short_id}", tag.familiar
    for name in args.files:
        text = Path(name).read_text(encoding="utf-8")
        for ref in references_in(text, compose=name.endswith((".yml", ".yaml"))):
            yield name, ref


def normalize(pairs: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Table rows for the valid references, messages for the invalid ones."""
    rows: list[tuple[str, ...]] = []
    errors: list[str] = []
    for where, text in pairs:
        try:
            ref = reference.tag_name_only(reference.parse_normalized_named(text))
        except dockermodel.InvalidReference as error:
            errors.append(f"{where}: {error}")
            continue
        rows.append((where, text, str(ref), ref.familiar))
    return rows, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", metavar="FILE")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="sample compose file and demo tags")
    source.add_argument("--snapshot", metavar="FILE", help="the tags of a snapshot file")
    args = parser.parse_args(argv)
    rows, errors = normalize(inputs(args))
    sys.stdout.write(table(("SOURCE", "AS WRITTEN", "CANONICAL", "FAMILIAR"), rows))
    for message in errors:
        print(message, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
