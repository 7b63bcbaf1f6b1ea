"""Each server process settles with the policy registry it holds in memory. A version
published in the back office is installed at once in the process that published it; every
other process (``yibao serve --workers N``, or servers on other machines) looks every
``YIBAO_POLICY_REFRESH_SECONDS`` (default 10) at one cheap fingerprint of the published
versions and reloads the registry when it changed. A version takes effect on a future date
or today, so the delay matters only on the day it starts, for at most that interval.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from yibao.services import policy_documents

log = logging.getLogger(__name__)


class PolicyWatch:
    def __init__(self, factory: sessionmaker[Session], seconds: int) -> None:
        self._factory = factory
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mark: tuple[object, ...] | None = None

    def check(self) -> bool:
        """Reload the registry if the published versions changed; True if it did."""
        with self._factory() as session:
            mark = policy_documents.published_mark(session)
            if mark == self._mark:
                return False
            changed = self._mark is not None
            policy_documents.refresh(session)
            self._mark = mark
            if changed:
                log.info("published policy versions changed: registry reloaded")
            return changed

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.check()
            except Exception:  # a database hiccup: keep the registry, try again later
                log.warning("policy refresh failed; trying again", exc_info=True)

    def start(self) -> None:
        if self._seconds <= 0 or self._thread is not None:
            return
        try:
            self.check()
        except Exception:  # not migrated yet: the built-ins stay, the thread tries later
            log.warning("policy refresh failed at start-up", exc_info=True)
        self._thread = threading.Thread(target=self._run, name="policy-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
