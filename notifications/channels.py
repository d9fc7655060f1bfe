"""Outside delivery channels: e-mail (Django's mail backends) and a WeCom-style webhook.

Each sender raises `TransientDeliveryError` for failures worth retrying (network, 5xx, 429)
and `PermanentDeliveryError` for the rest, so the task retries only what can succeed later."""
from __future__ import annotations

import http.client
import json
import ssl

from django.conf import settings
from django.core.mail import send_mail

from . import webhooks


class TransientDeliveryError(Exception):
    pass


class PermanentDeliveryError(Exception):
    pass


def webhook_payload(title: str, body: str) -> dict:
    # WeCom group robots accept {"msgtype": "text", "text": {"content": …}}.
    content = title if not body else f"{title}\n{body}"
    return {"msgtype": "text", "text": {"content": content}}


def send_webhook(url: str, title: str, body: str, *, timeout: float = 5.0) -> None:
    """Post to the branch's webhook through the address check (notifications/webhooks.py): a URL
    pointing inside our network is refused even if it reached the database unchecked, and a
    redirect is a failed delivery, never followed."""
    data = json.dumps(webhook_payload(title, body), ensure_ascii=False).encode("utf-8")
    try:
        status, raw = webhooks.post(url, data, content_type="application/json; charset=utf-8", timeout=timeout)
    except webhooks.UnsafeWebhook as exc:
        if exc.message.startswith("无法解析"):  # DNS may come back; a refused address will not
            raise TransientDeliveryError(f"webhook host not resolved: {url[:100]}") from exc
        raise PermanentDeliveryError(f"webhook address refused: {exc.message}") from exc
    except (TimeoutError, ConnectionError, ssl.SSLError, http.client.HTTPException, OSError) as exc:
        raise TransientDeliveryError(f"webhook unreachable: {exc}") from exc
    if status >= 500 or status == 429:
        raise TransientDeliveryError(f"webhook HTTP {status}")
    if 300 <= status < 400:
        raise PermanentDeliveryError(f"webhook HTTP {status}: redirects are not followed")
    if status >= 400:
        raise PermanentDeliveryError(f"webhook HTTP {status}")
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
