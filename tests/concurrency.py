"""Requests sent at one moment, each from its own connection: what two people (or a retrying
script) do when they press the same button together."""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

from django.db import connection
from django.test import Client

T = TypeVar("T")


def at_once(user, sends: list[Callable[[Client], T]], *, timeout: float = 120) -> list[T | str]:
    """Each `send(client)` on its own signed-in test client and thread, all released together;
    their results in order (an exception's repr, or "timed out", in place of a result)."""
    start = threading.Barrier(len(sends))
    results: dict[int, T | str] = {}
    clients = []
    for _send in sends:  # signed in one after the other (a sign-in writes the user's row)
        clients.append(Client())
        clients[-1].force_login(user)

    def run(n: int):
        try:
            start.wait(timeout=20)
            results[n] = sends[n](clients[n])
        except Exception as exc:  # noqa: BLE001 — reported by the callers' assertions
            results[n] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(sends))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return [results.get(n, "timed out") for n in range(len(sends))]
