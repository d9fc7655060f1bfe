"""What every page of the shell must satisfy, checked in the browser (used by test_shell.py):
no horizontal overflow, no internal key in the visible text, amounts ≥ 1,000 with separators,
no console error and no failed asset."""
from __future__ import annotations

import re

# Internal keys that must never reach a person (BRIEF: users' own words). Each pattern names
# what it catches, so a failure says why.
# re.ASCII: a Chinese character is not a "word" character, so "beijing恒泰" still shows its slug.
KEY_PATTERNS = {
    "snake_case word": re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b", re.A),
    "#None": re.compile(r"#None\b", re.A),
    "None": re.compile(r"(?<![A-Za-z])None(?![A-Za-z])", re.A),
    "branch:kind:id": re.compile(r"\b[a-z][a-z0-9]*:[a-z_]+:[0-9]+\b", re.A),
    "ISO timestamp": re.compile(r"\b20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}", re.A),
    "role key": re.compile(r"\b(?:hq_admin|hq_finance|branch_manager|branch_staff|specialist|client_contact)\b", re.A),
    "city slug": re.compile(r"(?<![/\w])(?:beijing|shanghai|guangzhou|shenzhen|hangzhou)(?![/\w])", re.A),
    "username": re.compile(r"\b(?:bj|sh|gz)\.(?:s[0-9]+|staff|manager|client|marketing|sales)\b", re.A),
}
# A number of 4+ integer digits with decimals and no separator: 18090.46 (amounts must read 18,090.46).
UNSEPARATED_AMOUNT = re.compile(r"(?<![\d,.\-/])\d{4,}\.\d{2}(?!\d)", re.A)


def visible_text(page) -> str:
    return page.evaluate("document.body.innerText")


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def key_leaks(text: str) -> list[tuple[str, str]]:
    found = []
    for name, pattern in KEY_PATTERNS.items():
        for m in pattern.finditer(text):
            found.append((name, text[max(0, m.start() - 30): m.end() + 30].replace("\n", " ")))
    return found


def unseparated_amounts(text: str) -> list[str]:
    return [m.group(0) for m in UNSEPARATED_AMOUNT.finditer(text)]


class Watch:
    """Console errors and failed requests of a page, from the moment it is attached."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}")
                if r.status >= 400 and r.request.resource_type in ("script", "stylesheet", "image", "font") else None)

    def reset(self):
        self.errors.clear()
        self.failed.clear()
