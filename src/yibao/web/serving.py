"""Run the web service in one or several processes.

With several workers, uvicorn's own ``--workers`` shares one listening socket among the
processes: whichever process wakes first accepts every waiting connection (asyncio accepts up
to the backlog at once), so under a burst of new connections one worker can get nearly all of
them (``make bench-api`` once saw 14 of 16). Here each worker listens on its own socket bound
to the same address with ``SO_REUSEPORT``, and the kernel spreads new connections over them by
their address hash, as a load balancer in front would. A worker that dies is started again;
SIGINT or SIGTERM stops them all. Where ``SO_REUSEPORT`` is missing (not Linux or BSD), it
falls back to uvicorn's shared socket.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from types import FrameType
from typing import Any

APP = "yibao.web.app:create_app"
BACKLOG = 2048
STARTUP_SECONDS = 5  # a worker that dies sooner is a start-up failure: stop, not loop


def _options(access_log: bool) -> dict[str, Any]:
    return {"factory": True, "log_level": "info", "backlog": BACKLOG, "access_log": access_log}


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT``, listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int, access_log: bool) -> None:
    import uvicorn

    sock = listening_socket(host, port)
    uvicorn.Server(uvicorn.Config(APP, **_options(access_log))).run(sockets=[sock])


def serve(host: str, port: int, workers: int = 1, *, access_log: bool = True) -> None:
    """Serve on ``host:port`` with ``workers`` processes (see the module's note);
    ``access_log`` logs a line per request."""
    import uvicorn

    if workers <= 1:
        uvicorn.run(APP, host=host, port=port, **_options(access_log))
        return
    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP, host=host, port=port, workers=workers, **_options(access_log))
        return
    try:  # a taken port or a bad address fails here, once, not in every worker
        listening_socket(host, port).close()
    except OSError as exc:
        raise SystemExit(
            f"无法监听 {host}:{port}：{exc.strerror or exc}（端口已被占用？）"
        ) from None
    _supervise(host, port, workers, access_log)


def _supervise(host: str, port: int, workers: int, access_log: bool) -> None:
    spawn = multiprocessing.get_context("spawn")
    procs: list[Any] = []
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        procs = [
            spawn.Process(target=_worker, args=(host, port, access_log)) for _ in range(workers)
        ]
        started = []
        for p in procs:
            p.start()
            started.append(time.monotonic())
        while not stopping:
            time.sleep(0.5)
            for i, p in enumerate(procs):
                if p.is_alive() or stopping:
                    continue
                if time.monotonic() - started[i] < STARTUP_SECONDS:
                    raise SystemExit(f"worker exited at start-up (code {p.exitcode})")
                procs[i] = spawn.Process(target=_worker, args=(host, port, access_log))
                procs[i].start()
                started[i] = time.monotonic()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
        for s, handler in previous.items():
            signal.signal(s, handler)
