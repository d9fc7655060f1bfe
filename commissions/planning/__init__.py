"""Planning (方案回放与建议): HQ or a branch manager replays a draft rule version or branch
adjustment over past months of real events without saving anything, and reads deterministic,
explained suggestions drawn from the data (issue #22).

- `engine.py`   pure: the draft substituted into the rule book, the replay's sums, the suggestion rules;
- `selectors.py` reads: the replay (the recompute's own SQL, `commissions.sql.lines_select`, in
  a CTE — nothing written) and the figures the suggestions read;
- `services.py` writes: rule drafts (create, publish through the rule service, discard) and a
  suggestion turned into a draft in one step — all audited;
- `apis.py`, `views.py`, `urls.py`, `exports.py`: thin.
"""
