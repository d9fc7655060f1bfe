"""Working days in mainland China (工作日): weekends and statutory holidays (法定节假日) off,
make-up working days (调休上班, a Saturday or Sunday worked before or after a long holiday) on.

The days come from the State Council's yearly notices as the `chinesecalendar` package carries
them (2004 to its latest year). A year it does not carry yet — the notice comes out in November
or December for the next year — counts Monday to Friday, so nothing stops; a newer package
brings the year in. `covered(year)` says which it is."""
from __future__ import annotations

import datetime as dt

import chinese_calendar


def covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5
