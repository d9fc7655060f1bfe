"""Working days in mainland China (工作日): weekends and statutory holidays (法定节假日) off,
make-up working days (调休上班, a Saturday or Sunday worked before or after a long holiday) on.

The days come from the State Council's yearly notices as the `chinesecalendar` package carries
them (2004 to its latest year). A year it does not carry yet — the notice comes out in November
or December for the next year — counts Monday to Friday less the holidays fixed by date in
《全国年节及纪念日放假办法》 (元旦 1 January, 劳动节 1–2 May, 国庆节 1–3 October), so nothing
stops; the lunar holidays (春节, 端午, 中秋), 清明 and the 调休 days come with a newer package.
`covered(year)` says which it is."""
from __future__ import annotations

import datetime as dt

import chinese_calendar


def covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


# The statutory holidays fixed by date (month, day): what is known of a year before its notice.
FIXED_DATE_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS
