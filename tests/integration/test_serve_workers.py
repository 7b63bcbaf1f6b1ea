"""``yibao serve --workers N``: every worker listens on its own ``SO_REUSEPORT`` socket, so the
kernel spreads new connections over them (uvicorn's shared socket once gave one worker 14 of
16 connections); all of them answer, and SIGTERM stops the supervisor and every worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from servers import free_port

WORKERS = 2


def _listeners(port: int, pids: set[int]) -> set[int]:
    found = set()
    for pid in pids:
        for conn in psutil.Process(pid).net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port:
                found.add(pid)
    return found


def test_each_worker_listens_on_its_own_socket_and_all_stop_on_sigterm(
    migrated_url: str, secret_key_file: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "YIBAO_DATABASE_URL": migrated_url,
        "YIBAO_SECRET_KEY_FILE": str(secret_key_file),
    }
    command = [sys.executable, "-m", "yibao", "serve", "--port", str(port)]
    process = subprocess.Popen([*command, "--workers", str(WORKERS)], env=env)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        supervisor = psutil.Process(process.pid)
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"yibao serve exited with {process.returncode}"
            children = {c.pid for c in supervisor.children() if c.is_running()}
            workers = _listeners(port, children)  # not multiprocessing's resource tracker
            if len(workers) == WORKERS:
                break
            assert time.monotonic() < deadline, "the workers did not all listen"
            time.sleep(0.2)

        def one_request(_: int) -> int:  # a new connection each time
            with httpx.Client(timeout=10) as client:
                return client.get(url).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(one_request, range(40))) == {200}
        assert _listeners(port, workers) == workers  # none died under load
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("yibao serve did not stop on SIGTERM")
    assert not [p for p in workers if psutil.pid_exists(p) and psutil.Process(p).is_running()
                and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]  # fmt: skip


def test_a_port_already_taken_fails_at_once_with_a_clear_error(
    migrated_url: str, secret_key_file: Path
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "YIBAO_DATABASE_URL": migrated_url}
        result = subprocess.run(
            [sys.executable, "-m", "yibao", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"无法监听 127.0.0.1:{port}" in result.stderr, result.stderr
