"""A row that may exist only once, inserted after a check that it does not exist yet.

Two requests at once (a double click, a retried answer) both pass the check — neither sees the
other's row before it commits — and the second insert meets the database's unique constraint:
an IntegrityError, a 500. `taken_is_refused` turns that into the check's own refusal (a 400
that changes nothing), in a savepoint, so a caller's transaction stays usable.
"""
from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def broken_unique_constraint(exc: IntegrityError) -> str | None:
    """The name of the unique constraint `exc` broke, or None when it is another integrity error
    (a foreign key, a check constraint, NOT NULL)."""
    cause = exc.__cause__
    if getattr(cause, "pgcode", None) != UNIQUE_VIOLATION:
        return None
    return getattr(getattr(cause, "diag", None), "constraint_name", None) or ""


@contextmanager
def taken_is_refused(error: dict[str, list[str]], *, constraint: str | None = None):
    """Run the insert in the block in a savepoint; a unique violation there — of `constraint`
    when named, else of any unique constraint of the row — raises ValidationError(error), the
    message the check before it gives. Other integrity errors are raised as they are."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        broken = broken_unique_constraint(exc)
        if broken is None or (constraint is not None and broken != constraint):
            raise
        raise ValidationError(error) from None
