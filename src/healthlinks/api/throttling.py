"""Rate limits: anonymous use by address (HEALTHLINKS_ANON_RATE, default 60/min), signed-in use by user
(HEALTHLINKS_USER_RATE, default 1200/min). A refused request gets 429 with Retry-After.

DRF reads the rates once, when its throttle classes are defined; these read REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES on every request, so that a changed setting (a test's override_settings) takes effect."""

from __future__ import annotations

from typing import Any

from rest_framework import throttling
from rest_framework.settings import api_settings


def _live_rate(scope: Any) -> str | None:
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    return None if rate is None else str(rate)


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_rate(self) -> str | None:
        return _live_rate(self.scope)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_rate(self) -> str | None:
        return _live_rate(self.scope)
