"""API throttles with the product's own 429 messages (DRF's default appends an English sentence)."""
from __future__ import annotations

import math

from django.db import connection
from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, Throttled
from rest_framework.throttling import SimpleRateThrottle


def too_many(message: str, wait: float | None) -> Throttled:
    """A 429 whose body is exactly `{"detail": message}` and whose Retry-After is `wait`."""
    exc = Throttled(wait=wait)
    exc.detail = ErrorDetail(message, code="throttled")
    return exc


class JobTriggerThrottle(SimpleRateThrottle):
    """Requests that start a whole-branch job (commission recompute, SI month compute, appraisal
    cycle compute, a history sheet's checks): per person and branch,
    `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["job-trigger"]` (10/min). Counted for every request,
    also those that join a job already pending."""

    scope = "job-trigger"

    def get_cache_key(self, request, view):
        # Keyed on the person (authenticated by then: permissions run before throttles) and the
        # database's identity: another database sharing the Redis database has the same schema
        # names and user ids, and its people must not use up each other's requests.
        from hrsaas.core.prepared import epoch

        return self.cache_format % {"scope": self.scope,
                                    "ident": f"{epoch()}:{connection.schema_name}:{getattr(request.user, 'pk', None)}"}


class JobTriggerThrottleMixin:
    throttle_classes = [JobTriggerThrottle]

    def throttled(self, request, wait):
        seconds = math.ceil(wait) if wait else 60
        raise too_many(_("请求过于频繁:重新计算已在排队或进行中,请 %(s)d 秒后再试。") % {"s": seconds}, wait)
