"""A real uvicorn server for tests: the app on a free loopback port, in a background thread.

    with running_server(create_app(settings)) as url:
        httpx.get(f"{url}/healthz")

and :class:`LiveServer`, what the ``live_server`` fixture of ``tests/e2e/conftest.py`` gives.
Importable from any test module or conftest as ``servers`` (pytest puts ``tests/`` on
``sys.path``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yibao.config import Settings
from yibao.persistence.tables import Person
from yibao.services import auth, persons

STARTUP_TIMEOUT_S = 10
CITIZEN_PASSWORD = "Yibao#e2e-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields the base URL. The app's
    database engine (``app.state.engine``) is disposed afterwards."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name=f"uvicorn-{port}")
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


@contextmanager
def server_process(settings: Settings, **env: str) -> Iterator[str]:
    """Serve the app for ``settings`` from a separate uvicorn process (its own interpreter, so
    its own GIL: what a deployment runs); ``env`` adds ``YIBAO_*`` variables. Yields the base
    URL; the process is stopped when the block ends."""
    port = free_port()
    environment = {
        **os.environ,
        "YIBAO_DATABASE_URL": settings.database_url,
        "YIBAO_SECRET_KEY_FILE": str(settings.secret_key_file),
        **env,
    }
    command = [sys.executable, "-m", "uvicorn", "yibao.web.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S * 3
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class LiveServer:
    url: str
    settings: Settings
    session_factory: sessionmaker[Session]
    institution_keys: dict[str, str] = field(default_factory=dict)

    def citizen(self, password: str = CITIZEN_PASSWORD, **where: Any) -> tuple[str, str]:
        """A demo person (the first one matching ``where``, e.g. ``policy_id="nmg-employee"``)
        with ``password`` set; returns ``(ID number, password)`` for the sign-in form."""
        with self.session_factory() as session, session.begin():
            query = select(Person).filter_by(**where).order_by(Person.id).limit(1)
            person = session.scalars(query).one()
            auth.set_password(session, person, password)
            return persons.certno_of(person), password
