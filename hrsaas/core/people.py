"""How a list shows people: by the name colleagues know them by (张三), and — only where two of
the same list share that name — with what tells them apart: their sign-in name on a branch's
lists, their branch on a company-wide one. Everyone else stays a name alone, so a list does not
fill up with logins nobody reads.

The caller chooses the details and their order, and only passes what the reader may see: the
list's own scoping decides that, not this module."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.utils.translation import gettext as _

__all__ = ["names_told_apart", "with_detail"]


def with_detail(name: str, detail: str) -> str:
    """张三(bj.s1) / Zhang San (bj.s1)."""
    return _("%(name)s(%(detail)s)") % {"name": name, "detail": detail}


def names_told_apart(people: Sequence[tuple[str, Sequence[str]]], *, beside: Sequence[str] | None = None) -> list[str]:
    """For each (name, details) of a list, in order: the name alone when no one else of the list
    has it; else the name with as few of its details (in the order given, e.g. branch, then sign-in
    name) as tell it from each other person of that name. Empty details are skipped. `beside`, when
    given, is what the list already shows next to each name (a branch column): people it tells
    apart need nothing more."""
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (name, _details) in enumerate(people):
        by_name[(name, beside[i] if beside is not None else "")].append(i)
    out = [name for name, _details in people]
    for (name, _beside), indices in by_name.items():
        if len(indices) < 2:
            continue
        details = {i: tuple(people[i][1]) for i in indices}
        widest = max(len(d) for d in details.values())
        for i in indices:
            k = next((k for k in range(1, widest) if all(details[j][:k] != details[i][:k] for j in indices if j != i)),
                     widest)
            shown = " · ".join(d for d in details[i][:k] if d)
            out[i] = with_detail(name, shown) if shown else name
    return out
