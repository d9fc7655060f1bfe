"""Benchmark: HQ's planning reads over every branch — the suggestions with their replayed cost
(the HQ planning page and `GET planning/suggestions/`) and a replay of a draft over every branch
(`GET planning/replay/…`) — against the same reads with every branch's events in every
branch's SQL, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_load python bench/planning_hq.py [--months 3 12]

Runs on the scaled demo (`bench/scale_demo.py`: 20 branches × 100 specialists × 12 months, same
DATABASE_URL). A branch's statement lines come from the events of the branches where its people
earn; the SQL of a replayed branch-month holds parts for those only (`commissions.selectors.
line_sources`). The baseline is the same reads with parts for every branch: the same rows, the
same SQL but for parts that find nothing. Both sides' rows are compared (they must be equal).
Reads only. The last line printed is JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hrsaas_load")

import django  # noqa: E402

django.setup()

from commissions.planning import engine as E, selectors  # noqa: E402
from commissions.services import source_branches  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--months", type=int, nargs="+", default=[3, 12])
    args = parser.parse_args()
    branches = selectors.hq_branches()
    if len(branches) < 2:
        sys.exit("no scaled demo here: run bench/scale_demo.py first (same DATABASE_URL)")
    every = {b.id: source_branches() for b in branches}
    kept = selectors.line_sources(branches)
    result = {"branches": len(branches), "sources_per_branch": round(sum(map(len, kept.values())) / len(kept), 2),
              "runs": []}
    for months in args.months:
        periods = selectors.replay_window(months)
        draft = E.AdjustmentDraftData(branch_id=branches[0].id, component="sales_commission", percent=Decimal("10.00"))
        rows, replay_s = timed(lambda: selectors.replay_rows(draft=draft, periods=periods, branches=branches))
        base_rows, base_replay_s = timed(lambda: selectors.replay_rows(draft=draft, periods=periods,
                                                                       branches=branches, sources=every))
        found, suggestions_s = timed(lambda: selectors.suggestions(branches=branches, periods=periods))
        base_found, base_suggestions_s = timed(lambda: _suggestions_over_every_branch(branches, periods, every))
        run = {"months": months, "replay_rows": len(rows), "replay_equal": rows == base_rows,
               "replay_s": round(replay_s, 2), "replay_every_branch_s": round(base_replay_s, 2),
               "replay_ratio": round(replay_s / base_replay_s, 3),
               "suggestions": len(found), "suggestions_equal": found == base_found,
               "suggestions_s": round(suggestions_s, 2), "suggestions_every_branch_s": round(base_suggestions_s, 2)}
        result["runs"].append(run)
        print(f"{months} months: replay of a draft over {len(branches)} branches ({len(rows)} month × person × "
              f"component rows, equal: {run['replay_equal']}) {replay_s:.2f}s vs every branch's parts "
              f"{base_replay_s:.2f}s (×{run['replay_ratio']}); {len(found)} suggestions with their cost "
              f"(equal: {run['suggestions_equal']}) {suggestions_s:.2f}s vs {base_suggestions_s:.2f}s")
    print(json.dumps(result, ensure_ascii=False))
    if not all(r["replay_equal"] and r["suggestions_equal"] for r in result["runs"]):
        sys.exit("the reads differ from the baseline")


def _suggestions_over_every_branch(branches, periods, every):
    """`selectors.suggestions` with every branch's parts in each replay (the baseline)."""
    original = selectors.line_sources
    selectors.line_sources = lambda wanted: {b.id: every[b.id] for b in wanted}
    try:
        return selectors.suggestions(branches=branches, periods=periods)
    finally:
        selectors.line_sources = original


if __name__ == "__main__":
    main()
