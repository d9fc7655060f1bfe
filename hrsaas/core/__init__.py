"""What every app uses, in one place each (STYLE.md "One place for each shared idea").

- `branch`  — the current branch (of the schema, of a request)
- `period`  — `Period` ("YYYY-MM"), the one regex, the sane year range, `parse_day`
- `money`   — THE money parser for every input path (API, forms, imports, social insurance)
              and the precision helpers (`quantize_money`)
- `locks`   — the advisory-lock registry: one namespace per lock, one order
- `inputs`  — field parsers that collect errors per field (API 400s and import reports alike)
- `json_numbers`, `api_json` — the API's JSON numbers, recognisable as such (the parser every API
              view uses), so that money and percents sent as numbers are refused (ADR 0011)

Display formatting (money and dates for people) lives in `formatting.py` (owned by the page shell),
with the one rule for files people download (applied by `hrsaas/exports.py`).
"""
