"""Outside delivery channels: e-mail (Django's mail backends) and a WeCom-style webhook.

Each sender raises `TransientDeliveryError` for failures worth retrying (network, 5xx, 429)
and `PermanentDeliveryError` for the rest, so the task retries only what can succeed later."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import send_mail


class TransientDeliveryError(Exception):
    pass


class PermanentDeliveryError(Exception):
    pass


def webhook_payload(title: str, body: str) -> dict:
    # WeCom group robots accept {"msgtype": "text", "text": {"content": …}}.
    content = title if not body else f"{title}\n{body}"
    return {"msgtype": "text", "text": {"content": content}}


def send_webhook(url: str, title: str, body: str, *, timeout: float = 5.0) -> None:
    data = json.dumps(webhook_payload(title, body), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise TransientDeliveryError(f"webhook HTTP {exc.code}") from exc
        raise PermanentDeliveryError(f"webhook HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise TransientDeliveryError(f"webhook unreachable: {exc}") from exc
    # WeCom answers 200 with {"errcode": 0} on success and a non-zero errcode otherwise.
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, None):
        raise PermanentDeliveryError(f"webhook errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def send_email(address: str, title: str, body: str) -> None:
    try:
        send_mail(title, body or title, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False)
    except (ConnectionError, TimeoutError, OSError) as exc:
        raise TransientDeliveryError(f"mail server: {exc}") from exc
