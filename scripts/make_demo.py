"""Build the demo state on a throwaway engine and record it as dockermodel/data/demo.json.

Run as root on a machine with ``dockerd`` (Engine 20.10), ``/usr/bin/busybox``
and the docker CLI, from the repository root::

    python scripts/make_demo.py [OUTPUT]     # default: dockermodel/data/demo.json

It starts a private ``dockerd`` (``tests/enginekit.py``; never the system's
engine), builds the state below with the classic builder, and records it with
the library's own command, ``dockermodel snapshot save OUTPUT``, pointed at
that engine through ``DOCKER_HOST``. The engine is taken down afterwards.

The state, chosen to show the classic confusions:

* ``base:1.0`` — busybox (about 2 MB) plus an ``ENV`` step;
* ``web:1.0`` and ``web:latest`` — one image under two tags, ``base:1.0``
  plus two files (100 kB and 30 kB): ``docker images`` lists its size twice,
  and the base layer is shared with ``base:1.0`` and ``worker:1.0``;
* ``worker:1.0`` — ``base:1.0`` plus a 50 kB file;
* ``api:dev`` built twice: the first build is now a dangling image
  (``<none>:<none>``);
* the intermediate images the classic builder leaves for every step
  (``docker images -a``);
* a running container ``web`` (``web:1.0``) and an exited container
  ``worker-job`` (``worker:1.0``) that wrote a 5-byte file, so
  ``docker rmi worker:1.0`` is refused until it is removed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import enginekit  # noqa: E402

DEFAULT_OUTPUT = ROOT / "dockermodel" / "data" / "demo.json"


def _data(size: int, fill: bytes) -> bytes:
    return (fill * size)[:size]


#: Seconds between steps, so that no two images share a creation second (the
#: engine's order within one second is arbitrary) and the recorded STATUS
#: strings read naturally ("Up 5 seconds", not "Up Less than a second").
PAUSE = 1.5


def build_state(engine: enginekit.Engine) -> None:
    """Images and containers of the demo, in the order a user would make them."""
    base = engine.build(["ENV APP_HOME=/app"], tag="base:1.0")
    engine.build(
        ["COPY app.js /app/app.js", "LABEL org.example.role=web", "COPY style.css /app/style.css"],
        files={"app.js": _data(100_000, b"web "), "style.css": _data(30_000, b"css ")},
        base=base,
        tag=["web:1.0", "web:latest"],
    )
    time.sleep(PAUSE)
    engine.build(
        ["COPY worker.py /app/worker.py", 'CMD ["/bin/busybox", "sleep", "1000"]'],
        files={"worker.py": _data(50_000, b"job ")},
        base=base,
        tag="worker:1.0",
    )
    for version in (b"v1 ", b"v2 "):
        time.sleep(PAUSE)
        engine.build(
            ["COPY api.py /app/api.py"],
            files={"api.py": _data(20_000, version)},
            base=base,
            tag="api:dev",
        )
    time.sleep(PAUSE)
    engine.create("web:1.0", name="web", start=True)
    time.sleep(PAUSE)
    engine.run(
        "worker:1.0",
        ("/bin/busybox", "sh", "-c", "echo done > /app/result"),
        name="worker-job",
    )
    time.sleep(2 * PAUSE)


def record(engine: enginekit.Engine, output: Path) -> None:
    """``dockermodel snapshot save OUTPUT`` against ``engine`` (GET requests only)."""
    env = dict(os.environ, DOCKER_HOST=engine.base_url, DOCKERMODEL_NO_CACHE="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run(
        [sys.executable, "-m", "dockermodel", "snapshot", "save", str(output)],
        env=env,
        check=True,
    )


def main(argv: list[str]) -> int:
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    reason = enginekit.unavailable_reason()
    if reason is not None:
        print(f"make_demo: cannot start a throwaway engine: {reason}", file=sys.stderr)
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    with enginekit.Engine() as engine:
        build_state(engine)
        record(engine, output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
