"""The docker CLI's text output, byte for byte (CLI v28.2.2 against API 1.41).

Every function here is pure: it takes the engine's JSON documents exactly as
the API returns them (``GET /images/json``, ``GET /system/df``,
``GET /containers/json?all=1&size=1``, the ``DELETE /images/{name}`` records,
the prune bodies) and returns the text the installed ``docker`` CLI prints for
them. Relative times ("2 hours ago") are computed against ``now``, a Unix time
in seconds passed in by the caller; nothing reads the clock.

Sources (``docker/cli`` at tag ``v28.2.2``; ``docs/cli.md`` shows the tables):

* sizes and durations — go-units v0.5.0 ``HumanSizeWithPrecision``,
  ``HumanDuration``;
* alignment — the CLI's own copy of ``text/tabwriter``, which measures cells in
  terminal display columns;
* rows and cells — ``cli/command/formatter/{image,container,disk_usage,
  volume,buildcache,displayutils}.go``;
* the rmi / prune / error lines — ``cli/command/image/{remove,prune}.go``,
  ``cli/command/container/prune.go``.

Where the CLI iterates a Go map (repository groups of one image in
``docker images``) the order here is first appearance in ``RepoTags``; the
real CLI's order is random between runs.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .digest import short_id

__all__ = [
    "builder_prune_output",
    "container_command",
    "container_image",
    "container_names",
    "container_prune_output",
    "container_size",
    "daemon_error",
    "displayable_ports",
    "ellipsis",
    "go_quote",
    "human_duration",
    "human_duration_ns",
    "human_size",
    "image_prune_output",
    "images_quiet",
    "images_table",
    "ps_quiet",
    "ps_table",
    "rm_output",
    "rmi_output",
    "system_df",
    "system_df_verbose",
    "system_prune_output",
    "table",
    "tabwrite",
    "text_width",
    "volume_prune_output",
]

Doc = Mapping[str, Any]

_NS = 1_000_000_000
_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


# --------------------------------------------------------------------------
# Sizes and durations
# --------------------------------------------------------------------------


def human_size(size: int | float, precision: int = 4) -> str:
    """go-units ``HumanSizeWithPrecision(float64(size), precision)``.

    Divide by 1000 *repeatedly* while the value is >= 1000 (at most 8 times),
    then print it with C/Go ``%.{precision}g`` followed by the decimal unit,
    without a space: ``4096 → 4.096kB`` (4 digits), ``999500 → 1e+03kB``
    (3 digits; genuine CLI output). Negative sizes are never divided.
    ``human_size(n)`` with the default precision is ``HumanSize``.
    [docker/go-units v0.5.0 size.go · getSizeAndUnit, HumanSizeWithPrecision]
    """
    x = float(size)
    i = 0
    while x >= 1000.0 and i < len(_UNITS) - 1:
        x = x / 1000.0
        i += 1
    return "%.*g%s" % (precision, x, _UNITS[i])  # noqa: UP031 - C/Go %g, verified


def human_duration_ns(ns: int) -> str:
    """go-units ``HumanDuration`` of a Go ``time.Duration`` (int nanoseconds).

    ``s = int(d.Seconds())``: ``< 1`` → ``Less than a second`` (negative
    durations too), ``1`` → ``1 second``, ``< 60`` → ``N seconds``; then
    ``m = int(d.Minutes())``: ``1`` → ``About a minute``, ``< 60`` →
    ``N minutes``; then ``h = int(d.Hours() + 0.5)``: ``1`` → ``About an hour``,
    ``< 48`` → ``N hours``, ``< 336`` → ``h/24 days``, ``< 1440`` →
    ``h/24/7 weeks``, ``< 17520`` → ``h/24/30 months``, else
    ``int(d.Hours())/24/365 years``. Go's float conversions are reproduced
    (whole units plus the remainder as a fraction).
    [docker/go-units v0.5.0 duration.go · HumanDuration] [Go stdlib time/time.go · Duration.Seconds]
    """
    seconds = int(_go_units(ns, _NS))
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = int(_go_units(ns, 60 * _NS))
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(_go_units(ns, 3600 * _NS) + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(_go_units(ns, 3600 * _NS)) // 24 // 365} years"


def human_duration(seconds: float) -> str:
    """``HumanDuration`` of a duration given in seconds (see :func:`human_duration_ns`)."""
    return human_duration_ns(_to_ns(seconds))


def _go_units(ns: int, unit: int) -> float:
    """Go ``Duration.Seconds/Minutes/Hours``: ``float(d/unit) + float(d%unit)/unit``.

    Go's ``/`` and ``%`` truncate toward zero. [Go stdlib time/time.go · Duration.Hours]
    """
    whole = abs(ns) // unit
    rest = abs(ns) % unit
    if ns < 0:
        whole, rest = -whole, -rest
    return float(whole) + float(rest) / unit


def _to_ns(seconds: float) -> int:
    """Seconds (int exact, float rounded to the nanosecond) as int nanoseconds."""
    if isinstance(seconds, int):
        return seconds * _NS
    return round(seconds * _NS)


def _since(now: float, created_unix: int) -> str:
    """``HumanDuration(now − time.Unix(created, 0)) + " ago"`` (CREATED columns).

    [docker/cli v28.2.2 cli/command/formatter/image.go · imageContext.CreatedSince]
    [docker/cli v28.2.2 cli/command/formatter/container.go · ContainerContext.RunningFor]
    """
    return human_duration_ns(_to_ns(now) - int(created_unix) * _NS) + " ago"


# --------------------------------------------------------------------------
# Display width, ellipsis, quoting
# --------------------------------------------------------------------------


def _rune_width(ch: str, after_zwj: bool) -> int:
    """Display columns of one code point, as go-runewidth (non-CJK locale) counts.

    Control characters, combining marks, format characters (ZWJ, ZWSP, soft
    hyphen …) and a code point joined by a preceding ZWJ take 0 columns;
    East-Asian Wide and Fullwidth take 2; everything else (ambiguous ``…``
    included) takes 1. [docker/cli v28.2.2 cli/command/formatter/tabwriter/tabwriter.go
    · Writer.updateWidth] (go-runewidth ``StringWidth``)
    """
    if after_zwj:
        return 0
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Mn", "Me") or unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Terminal display width of ``text`` as the CLI 28 tabwriter measures it.

    ``text_width("abc") == 3``, ``text_width("日本") == 4``,
    ``text_width("e\\u0301") == 1``. Grapheme clusters are approximated by
    "a code point after a ZWJ joins the previous one".
    """
    total = 0
    after_zwj = False
    for ch in text:
        total += _rune_width(ch, after_zwj)
        after_zwj = ch == "\u200d"
    return total


def _char_width(ch: str) -> int:
    """golang.org/x/text/width: Wide/Fullwidth = 2, everything else 1.

    [docker/cli v28.2.2 cli/command/formatter/displayutils.go · charWidth]
    """
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def ellipsis(text: str, max_width: int) -> str:
    """Cut ``text`` to ``max_width`` display columns, ending in ``…`` when cut.

    ASCII text longer than ``max_width`` keeps ``max_width − 1`` characters plus
    ``…``. Otherwise widths use :func:`_char_width` and the result keeps the
    longest prefix of width ``≤ max_width − 1`` plus ``…``. ``max_width ≤ 0`` →
    ``""``; ``1`` → the first character alone.
    [docker/cli v28.2.2 cli/command/formatter/displayutils.go · Ellipsis]
    """
    if max_width <= 0:
        return ""
    if max_width == 1:
        return text[:1]
    if text.isascii():
        return text if len(text) <= max_width else text[: max_width - 1] + "…"
    display: list[int] = []
    total = 0
    for ch in text:
        total += _char_width(ch)
        display.append(total)
    if total <= max_width:
        return text
    for i in range(len(display) - 1):
        if display[i] <= max_width - 1 < display[i + 1]:
            return text[: i + 1] + "…"
    return text


_QUOTE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """Go ``strconv.Quote``: double-quoted, with Go escapes.

    ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\"`` by name; other code points below
    U+0020 and U+007F as ``\\xNN``; other non-printable code points (Go
    ``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and the
    ASCII space — Python's ``str.isprintable``) as ``\\uNNNN`` /
    ``\\UNNNNNNNN``; lone surrogates as ``\\ufffd``. Hex is lowercase.
    [Go stdlib strconv/quote.go · appendEscapedRune]
    """
    out = ['"']
    for ch in text:
        cp = ord(ch)
        if ch in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[ch])
        elif cp < 0x20 or cp == 0x7F:
            out.append(f"\\x{cp:02x}")
        elif 0xD800 <= cp <= 0xDFFF:
            out.append("\\ufffd")
        elif ch.isprintable():
            out.append(ch)
        elif cp < 0x10000:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    out.append('"')
    return "".join(out)


# --------------------------------------------------------------------------
# Table alignment
# --------------------------------------------------------------------------

_MINWIDTH = 10
_PADDING = 3


def tabwrite(text: str, minwidth: int = _MINWIDTH, padding: int = _PADDING) -> str:
    """The CLI's tabwriter (``minwidth=10, tabwidth=1, padding=3, ' ', flags=0``).

    ``text`` is split into lines at ``\\n``/``\\f`` and into cells at
    ``\\t``/``\\v``; the last cell of a line is not part of a column and is
    written unpadded. Column widths follow Go's elastic tabstops: a column's
    width is ``max(minwidth, widest cell + padding)`` over each block of
    consecutive lines that have a tab-terminated cell in that column; cells
    are left-aligned and padded with spaces (empty cells too). Widths are
    display columns (:func:`text_width`).
    [Go stdlib text/tabwriter/tabwriter.go · Writer.format, Writer.writeLines]
    [docker/cli v28.2.2 cli/command/formatter/tabwriter/tabwriter.go]
    """
    lines = [re.split("[\t\v]", line) for line in re.split("[\n\f]", text)]
    out: list[str] = []
    _format(lines, [], 0, len(lines), out, minwidth, padding)
    return "".join(out)


def _format(
    lines: list[list[str]],
    widths: list[int],
    line0: int,
    line1: int,
    out: list[str],
    minwidth: int,
    padding: int,
) -> None:
    """Go ``Writer.format``: find the blocks of column ``len(widths)``, recurse."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, text_width(lines[this][column]) + padding)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, out, minwidth, padding)
        widths.pop()
        line0 = this
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(
    lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]
) -> None:
    """Go ``Writer.writeLines``: pad cells that have a column width; newline
    after every line but the very last buffered one."""
    for i in range(line0, line1):
        for j, cell in enumerate(lines[i]):
            out.append(cell)
            if j < len(widths):
                out.append(" " * (widths[j] - text_width(cell)))
        if i + 1 < len(lines):
            out.append("\n")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A default-format CLI table: header and rows, cells joined by tabs, each
    line ending in ``\\n``, aligned by :func:`tabwrite`.
    [docker/cli v28.2.2 cli/command/formatter/formatter.go · Context.postFormat]
    """
    text = "".join("\t".join(line) + "\n" for line in [header, *rows])
    return tabwrite(text)


# --------------------------------------------------------------------------
# References (distribution/reference, via dockermodel.reference)
# --------------------------------------------------------------------------


def _parse_named(text: str) -> tuple[str, str | None, str | None] | None:
    """``(familiar name, tag, digest)`` of ``ParseNormalizedNamed(text)``, or
    ``None`` when it does not parse. Uses :mod:`dockermodel.reference`; a
    trivial splitter stands in while that module is absent.
    [distribution/reference v0.6.0 normalize.go · ParseNormalizedNamed]
    [distribution/reference v0.6.0 helpers.go · FamiliarName]
    """
    try:
        from . import reference
    except ImportError:  # pragma: no cover - only before reference.py exists
        return _fallback_parse(text)
    try:
        ref = reference.parse_normalized_named(text)
    except ValueError:
        return None
    return reference.familiar_name(ref), ref.tag, ref.digest


def _fallback_parse(text: str) -> tuple[str, str | None, str | None] | None:
    """Split ``name[:tag][@digest]`` and drop ``docker.io/`` and ``library/``."""
    if not text or text != text.strip() or "<" in text:
        return None
    name, _, digest = text.partition("@")
    tag: str | None = None
    head, colon, tail = name.rpartition(":")
    if colon and "/" not in tail:
        name, tag = head, tail
    if name.startswith("docker.io/"):
        name = name[len("docker.io/") :]
    if name.startswith("library/") and name.count("/") == 1:
        name = name[len("library/") :]
    return name, tag, digest or None


# --------------------------------------------------------------------------
# docker images
# --------------------------------------------------------------------------

_IMAGES_HEADER = ("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE")
_IMAGES_DIGEST_HEADER = ("REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE")


def _is_dangling(summary: Doc) -> bool:
    """No RepoTags and no RepoDigests, or exactly the ``<none>`` markers.
    [docker/cli v28.2.2 cli/command/formatter/image.go · isDangling]"""
    tags = summary.get("RepoTags") or []
    digests = summary.get("RepoDigests") or []
    if not tags and not digests:
        return True
    return tags == ["<none>:<none>"] and digests == ["<none>@<none>"]


def _image_rows(summary: Doc, digests: bool) -> list[tuple[str, str, str]]:
    """``(repository, tag, digest)`` rows of one summary.

    Tags are grouped by familiar repository (group order: first appearance —
    Go map order in the CLI); each tag gives one row, or one per digest of its
    repository when ``digests``; repositories with digests but no tag give
    ``repo <none>`` (one row per digest when ``digests``, else one row with an
    empty digest). [docker/cli v28.2.2 cli/command/formatter/image.go · imageFormatTaggedAndDigest]
    """
    if _is_dangling(summary):
        return [("<none>", "<none>", "<none>")]
    repo_tags: dict[str, list[str]] = {}
    repo_digests: dict[str, list[str]] = {}
    for text in summary.get("RepoTags") or []:
        parsed = _parse_named(text)
        if parsed is not None and parsed[1] is not None:
            repo_tags.setdefault(parsed[0], []).append(parsed[1])
    for text in summary.get("RepoDigests") or []:
        parsed = _parse_named(text)
        if parsed is not None and parsed[2] is not None:
            repo_digests.setdefault(parsed[0], []).append(parsed[2])
    rows: list[tuple[str, str, str]] = []
    for repo, tags in repo_tags.items():
        shown = repo_digests.pop(repo, []) if digests else []
        repo_digests.pop(repo, None)
        for tag in tags:
            rows.extend((repo, tag, d) for d in shown or ["<none>"])
    for repo, dgsts in repo_digests.items():
        rows.extend((repo, "<none>", d) for d in (dgsts if digests else [""]))
    return rows


def images_table(
    summaries: Iterable[Doc], now: float, *, digests: bool = False, no_trunc: bool = False
) -> str:
    """``docker images [-a] [--digests] [--no-trunc]`` for a ``GET /images/json`` body.

    Columns ``REPOSITORY TAG [DIGEST] IMAGE ID CREATED SIZE``; rows per
    :func:`_image_rows`, summaries in the order given (the CLI never
    re-sorts); IMAGE ID = 12-char ``TruncateID`` (full with ``no_trunc``);
    CREATED = ``HumanDuration(now − Created) + " ago"``; SIZE =
    ``HumanSizeWithPrecision(Size, 3)``. ``-a`` changes only the request.
    [docker/cli v28.2.2 cli/command/formatter/image.go · defaultImageTableFormat, imageContext]
    """
    rows = []
    for summary in summaries:
        image_id = summary["Id"] if no_trunc else short_id(summary["Id"])
        tail = (image_id, _since(now, summary["Created"]), human_size(summary["Size"], 3))
        for repo, tag, digest in _image_rows(summary, digests):
            rows.append((repo, tag, digest, *tail) if digests else (repo, tag, *tail))
    return table(_IMAGES_DIGEST_HEADER if digests else _IMAGES_HEADER, rows)


# --------------------------------------------------------------------------
# docker ps
# --------------------------------------------------------------------------

_PS_HEADER = ("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES")


def container_names(names: Sequence[str] | None, trunc: bool = True) -> str:
    """NAMES cell: names without their leading ``/``; truncated mode keeps only
    the first name without a ``/`` (hides link aliases); joined by ``,``.
    [docker/cli v28.2.2 cli/command/formatter/container.go · ContainerContext.Names]
    """
    stripped = [name[1:] for name in names or []]
    if trunc:
        for name in stripped:
            if "/" not in name:
                return name
    return ",".join(stripped)


def container_image(image: str, image_id: str, trunc: bool = True) -> str:
    """IMAGE cell: ``<no image>`` when empty; in truncated mode the 12-char ID
    when ``TruncateID(ImageID) == TruncateID(Image)``, else the familiar
    ``name:tag`` (or bare name when untagged; digest dropped) when ``Image``
    parses as a reference, else ``Image`` unchanged.
    [docker/cli v28.2.2 cli/command/formatter/container.go · ContainerContext.Image]
    """
    if not image:
        return "<no image>"
    if not trunc:
        return image
    if short_id(image_id) == short_id(image):
        return short_id(image_id)
    parsed = _parse_named(image)
    if parsed is None:
        return image
    name, tag, _ = parsed
    return f"{name}:{tag}" if tag is not None else name


def container_command(command: str, trunc: bool = True) -> str:
    """COMMAND cell: ``strconv.Quote`` of the command, cut first to 20 display
    columns with ``…`` in truncated mode.
    [docker/cli v28.2.2 cli/command/formatter/container.go · ContainerContext.Command]
    """
    return go_quote(ellipsis(command, 20) if trunc else command)


def container_size(summary: Doc) -> str:
    """SIZE cell of ``ps -s``: ``HS3(SizeRw)``, plus ``" (virtual HS3(SizeRootFs))"``
    when ``SizeRootFs > 0``; absent keys are 0.
    [docker/cli v28.2.2 cli/command/formatter/container.go · ContainerContext.Size]
    """
    size_rw = human_size(summary.get("SizeRw") or 0, 3)
    root = summary.get("SizeRootFs") or 0
    return f"{size_rw} (virtual {human_size(root, 3)})" if root > 0 else size_rw


def displayable_ports(ports: Iterable[Doc] | None) -> str:
    """PORTS cell: ports sorted by (PrivatePort, IP, PublicPort, Type); runs of
    consecutive private ports with the same key (``type``, or ``ip/type`` when
    published on the same port number) collapse to ``first-last``; published
    ports mapped to another number are listed last as ``ip:pub->priv/type``.
    [docker/cli v28.2.2 cli/command/formatter/container.go · DisplayablePorts, formGroup,
    comparePorts]
    """
    items = sorted(
        ports or [],
        key=lambda p: (
            p.get("PrivatePort", 0),
            p.get("IP", ""),
            p.get("PublicPort", 0),
            p.get("Type", ""),
        ),
    )
    groups: dict[str, list[int]] = {}
    result: list[str] = []
    mappings: list[str] = []
    for port in items:
        current, key = port.get("PrivatePort", 0), port.get("Type", "")
        if port.get("IP"):
            if port.get("PublicPort", 0) != current:
                host = _join_host_port(port["IP"], str(port.get("PublicPort", 0)))
                mappings.append(f"{host}->{current}/{key}")
                continue
            key = port["IP"] + "/" + key
        group = groups.get(key)
        if group is None:
            groups[key] = [current, current]
        elif current == (group[1] + 1) & 0xFFFF:
            group[1] = current
        else:
            result.append(_form_group(key, group[0], group[1]))
            groups[key] = [current, current]
    result.extend(_form_group(key, first, last) for key, (first, last) in groups.items())
    return ", ".join(result + mappings)


def _join_host_port(host: str, port: str) -> str:
    """Go ``net.JoinHostPort``: brackets around hosts containing ``:``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _form_group(key: str, first: int, last: int) -> str:
    """``first[-last][/type]``, prefixed by ``ip:…->`` for published groups.
    [docker/cli v28.2.2 cli/command/formatter/container.go · formGroup]"""
    parts = key.split("/")
    ip, kind = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
    group = str(first) if first == last else f"{first}-{last}"
    if ip:
        group = f"{_join_host_port(ip, group)}->{group}"
    return f"{group}/{kind}"


def ps_table(
    containers: Iterable[Doc], now: float, *, size: bool = False, no_trunc: bool = False
) -> str:
    """``docker ps [-a] [-s] [--no-trunc]`` for a ``GET /containers/json`` body.

    Columns ``CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES`` and, with
    ``size``, a last ``SIZE``; rows in the order given (newest first). STATUS
    is the daemon's string as received; CREATED uses ``now``.
    [docker/cli v28.2.2 cli/command/formatter/container.go · defaultContainerTableFormat,
    NewContainerFormat]
    """
    trunc = not no_trunc
    rows = []
    for c in containers:
        row = [
            short_id(c["Id"]) if trunc else c["Id"],
            container_image(c.get("Image") or "", c.get("ImageID") or "", trunc),
            container_command(c.get("Command") or "", trunc),
            _since(now, c["Created"]),
            c.get("Status") or "",
            displayable_ports(c.get("Ports")),
            container_names(c.get("Names"), trunc),
        ]
        if size:
            row.append(container_size(c))
        rows.append(row)
    header = (*_PS_HEADER, "SIZE") if size else _PS_HEADER
    return table(header, rows)


# --------------------------------------------------------------------------
# docker system df
# --------------------------------------------------------------------------

_ACTIVE_STATES = ("running", "paused", "restarting")


def _with_percent(reclaimable: int, total: int) -> str:
    """``HS(r) (P%)`` with ``P = r*100/total`` truncated toward zero (Go int64
    division), or ``HS(r)`` when ``total ≤ 0``."""
    if total > 0:
        percent = abs(reclaimable * 100) // total
        return f"{human_size(reclaimable)} ({-percent if reclaimable < 0 else percent}%)"
    return human_size(reclaimable)


def _builder_size(build_cache: Iterable[Doc]) -> int:
    """Σ Size of the non-shared build-cache records (computed by the CLI).
    [docker/cli v28.2.2 cli/command/system/df.go · runDiskUsage]"""
    return sum(r.get("Size") or 0 for r in build_cache if not r.get("Shared"))


def _images_row(df: Doc) -> list[str]:
    """Images: count, #with Containers > 0, HS(LayersSize), LayersSize minus the
    unique size of images with Containers ≠ 0.
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go · diskUsageImagesContext]"""
    images = df.get("Images") or []
    total = df.get("LayersSize") or 0
    used = sum(
        i["Size"] - i["SharedSize"]
        for i in images
        if i.get("Containers", 0) != 0 and i["Size"] != -1 and i["SharedSize"] != -1
    )
    active = sum(1 for i in images if i.get("Containers", 0) > 0)
    return [
        "Images",
        str(len(images)),
        str(active),
        human_size(total),
        _with_percent(total - used, total),
    ]


def _containers_row(df: Doc) -> list[str]:
    """Containers: count, #running/paused/restarting, HS(ΣSizeRw), ΣSizeRw of
    the others.
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go · diskUsageContainersContext]
    """
    containers = df.get("Containers") or []
    total = sum(c.get("SizeRw") or 0 for c in containers)
    idle = sum(c.get("SizeRw") or 0 for c in containers if c.get("State") not in _ACTIVE_STATES)
    active = sum(1 for c in containers if c.get("State") in _ACTIVE_STATES)
    return [
        "Containers",
        str(len(containers)),
        str(active),
        human_size(total),
        _with_percent(idle, total),
    ]


def _volume_usage(volume: Doc) -> tuple[int, int]:
    """``(Size, RefCount)`` of a volume; a null UsageData counts as ``(-1, 0)``."""
    usage = volume.get("UsageData") or {}
    return usage.get("Size", -1), usage.get("RefCount", 0)


def _volumes_row(df: Doc) -> list[str]:
    """Local Volumes: count, #RefCount > 0, ΣSize and ΣSize of RefCount == 0,
    sizes of −1 skipped.
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go · diskUsageVolumesContext]
    """
    usages = [_volume_usage(v) for v in df.get("Volumes") or []]
    total = sum(s for s, _ in usages if s != -1)
    idle = sum(s for s, refs in usages if s != -1 and refs == 0)
    active = sum(1 for _, refs in usages if refs > 0)
    return [
        "Local Volumes",
        str(len(usages)),
        str(active),
        human_size(total),
        _with_percent(idle, total),
    ]


def _build_cache_row(df: Doc) -> list[str]:
    """Build Cache: count, #InUse, HS(B) with B = Σ non-shared sizes, and
    ``HS(B − Σ in-use non-shared)`` — never a percentage.
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go · diskUsageBuilderContext]"""
    records = df.get("BuildCache") or []
    size = _builder_size(records)
    in_use = sum(r.get("Size") or 0 for r in records if r.get("InUse") and not r.get("Shared"))
    active = sum(1 for r in records if r.get("InUse"))
    return [
        "Build Cache",
        str(len(records)),
        str(active),
        human_size(size),
        human_size(size - in_use),
    ]


def system_df(df: Doc) -> str:
    """``docker system df`` for a ``GET /system/df`` body.

    Header ``TYPE TOTAL ACTIVE SIZE RECLAIMABLE``; rows Images, Containers,
    Local Volumes, Build Cache; sizes with 4 significant digits.
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go · DiskUsageContext.Write]
    """
    rows = [_images_row(df), _containers_row(df), _volumes_row(df), _build_cache_row(df)]
    return table(("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"), rows)


_DF_IMAGES_HEADER = (
    "REPOSITORY",
    "TAG",
    "IMAGE ID",
    "CREATED",
    "SIZE",
    "SHARED SIZE",
    "UNIQUE SIZE",
    "CONTAINERS",
)
_DF_CONTAINERS_HEADER = (
    "CONTAINER ID",
    "IMAGE",
    "COMMAND",
    "LOCAL VOLUMES",
    "SIZE",
    "CREATED",
    "STATUS",
    "NAMES",
)
_DF_BUILD_HEADER = ("CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED")


def _df_image_repo_tag(summary: Doc) -> tuple[str, str] | None:
    """REPOSITORY/TAG of a ``df -v`` row: from ``RepoTags[0]`` only, ``<none>``
    when there are no tags or the image is dangling; ``None`` (row skipped, as
    the CLI does) when ``RepoTags[0]`` does not parse.
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go · DiskUsageContext.verboseWrite]"""
    tags = summary.get("RepoTags") or []
    if not tags or _is_dangling(summary):
        return "<none>", "<none>"
    parsed = _parse_named(tags[0])
    if parsed is None:
        return None
    if parsed[1] is None:
        return "<none>", "<none>"
    return parsed[0], parsed[1]


def _df_image_row(summary: Doc, now: float, repo: str, tag: str) -> list[str]:
    """SIZE = HS3(Size); SHARED SIZE = HS(SharedSize) or N/A; UNIQUE SIZE =
    HS(Size − SharedSize) or N/A; CONTAINERS = %d or N/A (−1 means unknown).
    [docker/cli v28.2.2 cli/command/formatter/image.go · imageContext.Size, SharedSize,
    UniqueSize, Containers]"""
    size, shared = summary["Size"], summary.get("SharedSize", -1)
    containers = summary.get("Containers", -1)
    return [
        repo,
        tag,
        short_id(summary["Id"]),
        _since(now, summary["Created"]),
        human_size(size, 3),
        "N/A" if shared == -1 else human_size(shared),
        "N/A" if size == -1 or shared == -1 else human_size(size - shared),
        "N/A" if containers == -1 else str(containers),
    ]


def _df_container_row(c: Doc, now: float) -> list[str]:
    """Cells of the ``df -v`` containers table (SizeRootFs ignored).
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go ·
    defaultDiskUsageContainerTableFormat]
    """
    local = sum(1 for m in c.get("Mounts") or [] if m.get("Driver") == "local")
    return [
        short_id(c["Id"]),
        container_image(c.get("Image") or "", c.get("ImageID") or ""),
        container_command(c.get("Command") or ""),
        str(local),
        human_size(c.get("SizeRw") or 0, 3),
        _since(now, c["Created"]),
        c.get("Status") or "",
        container_names(c.get("Names")),
    ]


def _df_volume_row(v: Doc) -> list[str]:
    """``VOLUME NAME LINKS SIZE``; LINKS and SIZE are ``N/A`` without UsageData.
    [docker/cli v28.2.2 cli/command/formatter/volume.go · volumeContext.Links,
    volumeContext.Size]
    """
    usage = v.get("UsageData")
    if usage is None:
        return [v["Name"], "N/A", "N/A"]
    return [v["Name"], str(usage.get("RefCount", 0)), human_size(usage.get("Size", 0))]


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)"
)


def _unix_ns(stamp: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 (nano) timestamp.

    An absent time (``""``) is Go's zero ``time.Time``, as the CLI decodes it.
    """
    m = _RFC3339.fullmatch(stamp or "0001-01-01T00:00:00Z")
    if m is None:
        raise ValueError(f"invalid RFC 3339 time: {stamp!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac, zone = m.group(7) or "", m.group(8)
    ns = calendar.timegm((year, month, day, hour, minute, second)) * _NS
    ns += int(frac.ljust(9, "0")) if frac else 0
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        ns -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * _NS
    return ns


def _build_cache_sorted(records: Iterable[Doc]) -> list[Doc]:
    """Rows sorted by LastUsedAt ascending, null first, ties by ID.
    [docker/cli v28.2.2 cli/command/formatter/buildcache.go · buildCacheSort]"""

    def key(r: Doc) -> tuple[int, int, str]:
        last = r.get("LastUsedAt")
        return (0, 0, r["ID"]) if last is None else (1, _unix_ns(last), r["ID"])

    return sorted(records, key=key)


def _df_build_row(r: Doc, now: float) -> list[str]:
    """``CACHE ID`` (+``*`` when in use), type, HS3(Size), created, last used
    (empty when null), usage count, shared.
    [docker/cli v28.2.2 cli/command/formatter/buildcache.go · buildCacheContext]"""
    last = r.get("LastUsedAt")
    now_ns = _to_ns(now)
    return [
        short_id(r["ID"]) + ("*" if r.get("InUse") else ""),
        r.get("Type") or "",
        human_size(r.get("Size") or 0, 3),
        human_duration_ns(now_ns - _unix_ns(r["CreatedAt"])) + " ago",
        "" if last is None else human_duration_ns(now_ns - _unix_ns(last)) + " ago",
        str(r.get("UsageCount") or 0),
        "true" if r.get("Shared") else "false",
    ]


def system_df_verbose(df: Doc, now: float) -> str:
    """``docker system df -v`` for a ``GET /system/df`` body.

    Four independently aligned tables: ``Images space usage:``, ``Containers
    space usage:``, ``Local Volumes space usage:``, ``Build cache usage: HS(B)``,
    each title followed by a blank line, sections separated by a blank line.
    [docker/cli v28.2.2 cli/command/formatter/disk_usage.go · DiskUsageContext.verboseWriteTable]
    """
    image_rows = []
    for summary in df.get("Images") or []:
        repo_tag = _df_image_repo_tag(summary)
        if repo_tag is not None:
            image_rows.append(_df_image_row(summary, now, *repo_tag))
    containers = [_df_container_row(c, now) for c in df.get("Containers") or []]
    volumes = [_df_volume_row(v) for v in df.get("Volumes") or []]
    records = df.get("BuildCache") or []
    builds = [_df_build_row(r, now) for r in _build_cache_sorted(records)]
    return "".join(
        [
            "Images space usage:\n\n",
            table(_DF_IMAGES_HEADER, image_rows),
            "\nContainers space usage:\n\n",
            table(_DF_CONTAINERS_HEADER, containers),
            "\nLocal Volumes space usage:\n\n",
            table(("VOLUME NAME", "LINKS", "SIZE"), volumes),
            f"\nBuild cache usage: {human_size(_builder_size(records))}\n\n",
            table(_DF_BUILD_HEADER, builds),
        ]
    )


# --------------------------------------------------------------------------
# rmi, prune, errors
# --------------------------------------------------------------------------


def rmi_output(records: Iterable[Doc]) -> str:
    """``docker rmi`` stdout for one ``DELETE /images/{name}`` body: a line
    ``Deleted: X`` for a record with a non-empty ``Deleted``, else
    ``Untagged: X``. [docker/cli v28.2.2 cli/command/image/remove.go · runRemove]"""
    return "".join(
        f"Deleted: {r['Deleted']}\n" if r.get("Deleted") else f"Untagged: {r.get('Untagged', '')}\n"
        for r in records
    )


def image_prune_output(doc: Doc) -> str:
    """``docker image prune -f [-a]`` stdout for a ``POST /images/prune`` body.

    With records: ``Deleted Images:``, one ``untagged: X`` / ``deleted: X``
    line each, a blank line; then always ``Total reclaimed space: HS(n)``,
    where ``n`` is ``SpaceReclaimed`` only when there were records (else 0).
    [docker/cli v28.2.2 cli/command/image/prune.go · runPrune, NewPruneCommand]"""
    records = doc.get("ImagesDeleted") or []
    if not records:
        return "Total reclaimed space: 0B\n"
    lines = "".join(
        f"untagged: {r['Untagged']}\n"
        if r.get("Untagged")
        else f"deleted: {r.get('Deleted', '')}\n"
        for r in records
    )
    total = human_size(doc.get("SpaceReclaimed") or 0)
    return f"Deleted Images:\n{lines}\nTotal reclaimed space: {total}\n"


def container_prune_output(doc: Doc) -> str:
    """``docker container prune -f`` stdout for a ``POST /containers/prune`` body:
    ``Deleted Containers:``, one full ID per line, a blank line, then
    ``Total reclaimed space: HS(n)`` (``n`` = 0 when nothing was deleted).
    [docker/cli v28.2.2 cli/command/container/prune.go · runPrune]"""
    ids = doc.get("ContainersDeleted") or []
    if not ids:
        return "Total reclaimed space: 0B\n"
    lines = "".join(f"{i}\n" for i in ids)
    total = human_size(doc.get("SpaceReclaimed") or 0)
    return f"Deleted Containers:\n{lines}\nTotal reclaimed space: {total}\n"


def builder_prune_output(doc: Doc) -> str:
    """``docker builder prune -f [-a]`` stdout for a ``POST /build/prune`` body.

    With records: ``Deleted build cache objects:``, one record ID per line,
    a blank line; then always ``Total reclaimed space: HS(SpaceReclaimed)``.
    [docker/cli v28.2.2 cli/command/builder/prune.go · runPrune, NewPruneCommand]
    """
    ids = doc.get("CachesDeleted") or []
    total = f"Total reclaimed space: {human_size(doc.get('SpaceReclaimed') or 0)}\n"
    if not ids:
        return total
    lines = "".join(f"{i}\n" for i in ids)
    return f"Deleted build cache objects:\n{lines}\n{total}"


def daemon_error(message: str) -> str:
    """The stderr line CLI 28 prints for an engine error (404 and 409 alike):
    ``Error response from daemon: <message>``. Several ``rmi`` arguments that
    fail give one such line each (``errors.Join``), exit status 1 (0 with
    ``-f`` when every error is "not found"). CLI 28 does *not* print 20.10's
    ``Error: No such image: <arg>`` for rmi (observed).
    [moby v28.2.2 client/errors.go] [docker/cli v28.2.2 cli/command/image/remove.go · runRemove]"""
    return f"Error response from daemon: {message}\n"


# --------------------------------------------------------------------------
# rm, volume prune, system prune, quiet listings
# --------------------------------------------------------------------------


def rm_output(names: Iterable[str]) -> str:
    """``docker rm`` stdout: each argument as typed, one per line, for the removed ones.
    [docker/cli v28.2.2 cli/command/container/rm.go · runRm]"""
    return "".join(f"{name}\n" for name in names)


def volume_prune_output(doc: Doc) -> str:
    """``docker volume prune -f`` stdout for a ``POST /volumes/prune`` body:
    ``Deleted Volumes:``, one name per line, a blank line, then
    ``Total reclaimed space: HS(n)`` (``n`` = 0 when nothing was deleted).
    [docker/cli v28.2.2 cli/command/volume/prune.go · runPrune, NewPruneCommand]"""
    names = doc.get("VolumesDeleted") or []
    if not names:
        return "Total reclaimed space: 0B\n"
    lines = "".join(f"{n}\n" for n in names)
    total = human_size(doc.get("SpaceReclaimed") or 0)
    return f"Deleted Volumes:\n{lines}\nTotal reclaimed space: {total}\n"


def _prune_block(title: str, items: Sequence[str]) -> str:
    return f"{title}\n" + "".join(f"{item}\n" for item in items) if items else ""


def system_prune_output(doc: Doc) -> str:
    """``docker system prune -f [-a] [--volumes]`` stdout for the steps' answers.

    ``doc`` maps step names (``containers``, ``networks``, ``volumes``,
    ``images``, ``build cache``; absent steps did not run) to the engine's
    prune bodies, plus ``SpaceReclaimed`` (the CLI's total). Each step with
    something removed prints its block (``Deleted Containers:``, ``Deleted
    Networks:``, ``Deleted Volumes:``, ``Deleted Images:`` with
    ``untagged:`` / ``deleted:`` lines, ``Deleted build cache objects:``)
    and a blank line; then ``Total reclaimed space: HS(total)``.
    [docker/cli v28.2.2 cli/command/system/prune.go · runPrune] [C@v28.2.2
    cli/command/{container,network,volume,image,builder}/prune.go · runPrune]
    """
    out = []
    steps = (
        ("containers", "Deleted Containers:", "ContainersDeleted"),
        ("networks", "Deleted Networks:", "NetworksDeleted"),
        ("volumes", "Deleted Volumes:", "VolumesDeleted"),
    )
    for name, title, key in steps:
        body = doc.get(name)
        if body:
            block = _prune_block(title, body.get(key) or [])
            if block:
                out.append(block + "\n")
    images = doc.get("images")
    if images:
        records = [
            f"untagged: {r['Untagged']}"
            if r.get("Untagged")
            else f"deleted: {r.get('Deleted', '')}"
            for r in images.get("ImagesDeleted") or []
        ]
        block = _prune_block("Deleted Images:", records)
        if block:
            out.append(block + "\n")
    cache = doc.get("build cache")
    if cache:
        block = _prune_block("Deleted build cache objects:", cache.get("CachesDeleted") or [])
        if block:
            out.append(block + "\n")
    out.append(f"Total reclaimed space: {human_size(doc.get('SpaceReclaimed') or 0)}\n")
    return "".join(out)


def images_quiet(summaries: Iterable[Doc], *, no_trunc: bool = False) -> str:
    """``docker images -q``: the IMAGE ID of every row the table would have, one per line.

    An image with several tags is listed once per row (tag), as the CLI's
    quiet format (``{{.ID}}``) runs over the same rows.
    [docker/cli v28.2.2 cli/command/formatter/image.go · NewImageFormat, imageFormat]
    """
    lines: list[str] = []
    for summary in summaries:
        image_id = summary["Id"] if no_trunc else short_id(summary["Id"])
        lines.extend(image_id for _ in _image_rows(summary, False))
    return "".join(f"{line}\n" for line in lines)


def ps_quiet(containers: Iterable[Doc], *, no_trunc: bool = False) -> str:
    """``docker ps -q``: container ids (12 characters unless ``no_trunc``), one per line.
    [docker/cli v28.2.2 cli/command/formatter/container.go · NewContainerFormat]"""
    return "".join(f"{c['Id'] if no_trunc else short_id(c['Id'])}\n" for c in containers)
