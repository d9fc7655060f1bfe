"""A window over a long list an API returns as a JSON array: `?offset=&limit=` (each checked, a
bad one refused in words) and the whole list's size in `X-Total-Count`, so an integrator knows
when there is more and can fetch it, instead of a list silently cut at its limit."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from .inputs import Errors, parse_int

# The window's query parameters, for the schema of each list that takes them.
LIST_WINDOW = [
    OpenApiParameter("offset", int, required=False, description="Rows to skip (default 0)."),
    OpenApiParameter("limit", int, required=False, description="Rows to return (default and most: the list's limit)."),
]


def window(request, qs, *, most: int) -> tuple[list, dict[str, str]]:
    """(rows of `qs` in the window asked for — the first `most` by default — and the headers
    that say where they sit in the whole list). `qs` must be ordered."""
    params, errors = request.query_params, Errors()
    offset = parse_int(params, "offset", errors, low=0, high=10**9) if params.get("offset") not in (None, "") else 0
    limit = parse_int(params, "limit", errors, low=1, high=most) if params.get("limit") not in (None, "") else most
    errors.raise_if_any()
    rows = list(qs[offset:offset + limit])
    return rows, {"X-Total-Count": str(qs.count()), "X-Offset": str(offset), "X-Limit": str(limit)}
