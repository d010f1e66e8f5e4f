"""The telephony hook: how a click becomes a call, and what the phone system knows about it.

No telephony is needed: the default backend gives a ``tel:`` link (the agent's phone or softphone
dials) and knows nothing afterwards. A call-centre system (CTI) plugs in through
``settings.DCC_TELEPHONY_BACKEND``: ``call_details`` returns the duration and a recording reference
of the agent's call to that number, which are then stored on the ``Call``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "dcc.telephony.NoTelephony"


@dataclass(frozen=True)
class CallDetails:
    duration_seconds: int | None = None
    recording_ref: str = ""


class NoTelephony:
    """The default: a plain ``tel:`` link and no call data."""

    def dial_url(self, phone: str) -> str:
        return f"tel:{phone}"

    def call_details(self, *, agent, phone: str, started_at: dt.datetime | None) -> CallDetails | None:
        return None


@lru_cache(maxsize=8)
def _backend_class(path: str):
    return import_string(path)


def get_backend() -> NoTelephony:
    return _backend_class(getattr(settings, "DCC_TELEPHONY_BACKEND", DEFAULT_BACKEND))()
