"""A replay as a file (CSV or XLSX) through the shared table download (`hrsaas.exports`, which
writes every cell through THE export writer): one row per person and component over the
replayed months, then the totals per component, per branch and overall."""
from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _

from hrsaas.exports import FORMATS, table_response

__all__ = ["FORMATS", "replay_response", "replay_rows_for_people"]
from hrsaas.core.labels import label


def replay_rows_for_people(replay) -> list[list]:
    """`replay`: selectors.Replay. Amounts stay Decimals."""
    cells: dict = {}
    for r in replay.rows:
        key = (r.branch_id, r.earner_id, r.component)
        cur, dra = cells.get(key, (0, 0))
        cells[key] = (cur + r.current, dra + r.draft)
    names, branches = replay.person_names, replay.branch_names
    rows = [[branches.get(b, ""), names.get(e, ""), label("component", c), cur, dra, dra - cur]
            for (b, e, c), (cur, dra) in sorted(cells.items(), key=lambda kv: (
                branches.get(kv[0][0], ""), names.get(kv[0][1], ""), kv[0][2]))]
    s = replay.summary
    rows += [[_("合计"), "", label("component", f.key), f.current, f.draft, f.difference] for f in s.by_component]
    rows += [[branches.get(f.key, ""), _("合计"), "", f.current, f.draft, f.difference] for f in s.by_branch]
    rows.append([_("合计"), "", "", s.total.current, s.total.draft, s.total.difference])
    return rows


def replay_response(replay, fmt: str, *, filename: str, title: str) -> HttpResponse:
    periods = replay.summary.periods
    return table_response(
        fmt=fmt, filename=f"{filename}-{periods[0]}-{periods[-1]}", title=title,
        headers=[_("分支机构"), _("人员"), _("提成项目"), _("现行方案"), _("草案"), _("差额")],
        rows=replay_rows_for_people(replay))
