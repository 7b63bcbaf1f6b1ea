"""Business time of the hospital interface.

Times sent without a zone are in the business zone (``YIBAO_TIMEZONE``, Beijing time by
default), and every date derived from an instant (the visit's date, the year of the
year-to-date, 5203's ``begndate``) is taken in that zone. Instants are stored in UTC.
A visit, admission or discharge may lie ahead of the server's clock by at most the configured
skew (``YIBAO_CLOCK_SKEW_SECONDS``): see ``fields.not_future``.

The zone and the skew are the process's settings (:func:`configure`, called by the app
factory; otherwise read from the environment on first use).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from yibao.config import Settings, get_settings

_configured: list[tuple[ZoneInfo, timedelta]] = []


def configure(settings: Settings) -> None:
    """Use ``settings``' business zone and clock skew from now on."""
    _configured[:] = [(settings.zone, timedelta(seconds=settings.clock_skew_seconds))]


def _current() -> tuple[ZoneInfo, timedelta]:
    if not _configured:
        configure(get_settings())
    return _configured[0]


def zone() -> ZoneInfo:
    """The business time zone."""
    return _current()[0]


def skew() -> timedelta:
    """How far ahead of the server's clock a visit time may be."""
    return _current()[1]


def local_date(moment: datetime) -> date:
    """The business date of an aware instant."""
    return moment.astimezone(zone()).date()


def local_text(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in the business zone."""
    return moment.astimezone(zone()).strftime("%Y-%m-%d %H:%M:%S")
