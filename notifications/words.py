"""A message's words kept as what they say, so each reader sees them in their own language.

A producer builds `{"title": w(...), "body": w(...)}`: a Chinese message id and its values —
plain text and counts as they are, money, months, times and coded choices typed — and the inbox
and the API put them into words when read (`render`), in the reader's language. The stored
title and body are the same words in the product's language (Chinese), for e-mail, the WeCom
webhook and anyone reading the table; they no longer follow whichever language the person who
caused the message had switched to. A body that is someone's own text (a comment, a reason, a
manager's note) is not in `words`: it is shown as written."""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from hrsaas.core import formatting, labels

log = logging.getLogger(__name__)


def w(msgid: str, **values) -> dict:
    """A message: its Chinese id (also in a locale/en catalogue) and its values."""
    return {"m": str(msgid), "p": values}


def w_count(msgid: str, count_of: str, **values) -> dict:
    """A message whose words follow a count (1 day, 2 days): `count_of` names the value that
    counts; the catalogue has its singular and plural (Chinese says both alike)."""
    return {"m": str(msgid), "n": count_of, "p": values}


def money(amount) -> dict:
    return {"money": f"{Decimal(amount or 0):.2f}"}


def period(value: str) -> dict:
    return {"period": value}


def moment(value: dt.datetime) -> dict:
    return {"when": value.isoformat()}


def day(value: dt.date) -> dict:
    return {"day": value.isoformat()}


def label(kind: str, code) -> dict:
    """A code of one of hrsaas.core.labels' tables (component, role, service …)."""
    return {"label": [kind, code]}


def choice(model: str, field: str, code) -> dict:
    """A stored choice of a model's field ("commissions.Lead", "stage"), by its label."""
    return {"choice": [model, field, code]}


def join(parts: list, sep: str = "; ") -> dict:
    return {"join": parts, "sep": sep}


# Sentences an app makes from its own data, by name (a stored message names one of these, never
# an arbitrary function): (name, its arguments) → text in the active language.
_SENTENCES = {"claim_review": "portal.engine.review_text", "si_exception_kind": "social_insurance.exceptions.kind_label"}


def sentence(name: str, *args) -> dict:
    if name not in _SENTENCES:
        raise ValueError(f"no sentence named {name!r}")
    return {"sentence": [name, list(args)]}


def _value(value):
    if not isinstance(value, dict):
        return value
    if "m" in value:
        return render(value)
    if "money" in value:
        return formatting.format_money(value["money"])
    if "period" in value:
        return formatting.format_period(value["period"])
    if "when" in value:
        return formatting.format_datetime(dt.datetime.fromisoformat(value["when"]))
    if "day" in value:
        return formatting.format_date(dt.date.fromisoformat(value["day"]))
    if "label" in value:
        return labels.label(*value["label"])
    if "choice" in value:
        model, field, code = value["choice"]
        choices = dict(apps.get_model(model)._meta.get_field(field).flatchoices)
        return str(choices.get(code, ""))
    if "join" in value:
        return str(value["sep"]).join(_value(part) for part in value["join"])
    if "sentence" in value:
        from django.utils.module_loading import import_string

        name, args = value["sentence"]
        return import_string(_SENTENCES[name])(*args)
    raise ValueError(f"unknown value in a message: {sorted(value)}")


def render(message: dict) -> str:
    """A message in the active language."""
    if "m" not in message:  # a typed value alone (a joined list, an app's sentence …)
        return _value(message)
    values = message.get("p") or {}
    if message.get("n"):
        text = ngettext(message["m"], message["m"], int(values[message["n"]]))
    else:
        text = gettext(message["m"])
    return text % {name: _value(value) for name, value in values.items()} if values else text


def shown(message: dict | None, stored_text: str) -> str:
    """A message in the reader's language; the stored words when it has none or cannot be said
    (one message that cannot be read must not take the whole inbox down)."""
    if not message:
        return stored_text
    try:
        return render(message)
    except Exception:  # noqa: BLE001 - any fault in one message: its stored words instead
        log.exception("message words could not be rendered; showing the stored text")
        return stored_text


def stored(message: dict) -> str:
    """A message as stored: in the product's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(message)
