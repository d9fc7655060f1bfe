"""What every page of the shell must satisfy, checked in the browser (used by test_shell.py and
test_dense_pages.py): no horizontal overflow, no internal key in the visible text, no English run
on a Chinese page, amounts ≥ 1,000 with separators, no table cell narrower than its words, no
console error and no failed asset; and the axe-core accessibility scan."""
from __future__ import annotations

import re
from pathlib import Path

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


# English on a Chinese page: a word of three or more Latin letters that is not one of the
# abbreviations Chinese HR software writes in Latin letters (VIP, KPI, CSV …) nor part of a code
# (HT-2026-088, DEMO-BJ-01: letters next to digits or hyphens are an identifier, not a word).
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9\-_.@/])[A-Za-z]{3,}(?![A-Za-z0-9\-_@/])", re.A)
LATIN_ALLOWED = {"hrsaas", "Excel", "Webhook", "VIP", "KPI", "CSV", "XLSX", "PDF", "API", "English", "HRO", "JPG", "PNG", "HEIC",
                 "OCR", "SLA", "IBAN", "SWIFT"}


# The text a Chinese page shows in its own words: quoted sources, account names and other text
# marked translate="no" (HTML's "not to be translated") are left out of the English check.
TRANSLATABLE_TEXT = r"""() => {
  let text = document.body.innerText;
  for (const e of document.querySelectorAll("[translate=no]")) {
    const t = e.innerText.trim();
    if (t) text = text.split(t).join(" ");
  }
  return text;
}"""


def english_runs(text: str) -> list[str]:
    return [text[max(0, m.start() - 20): m.end() + 20].replace("\n", " ")
            for m in LATIN_WORD.finditer(text) if m.group(0) not in LATIN_ALLOWED]


# Every visible table cell's text split into words (runs between spaces and CJK punctuation);
# a word drawn on more than one line means its column was crushed (Chinese one character per
# line). Returns how many cells were checked and the words that broke.
CELLS_KEEP_THEIR_WORDS = r"""() => {
  const broken = []; let cells = 0;
  const range = document.createRange();
  for (const cell of document.querySelectorAll("th, td")) {
    if (!cell.getClientRects().length || !cell.innerText.trim()) continue;
    cells += 1;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const words = /[^\s,。;:、()()/／]+/g;
      for (let m = words.exec(node.data); m; m = words.exec(node.data)) {
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return {cells, broken};
}"""

# The elements a selector matches that a person cannot see without scrolling sideways: drawn past
# the right edge of the window or of the table's own scrolling box (.table-wrap), whichever is
# nearer. Returns how many visible elements matched and the text of those cut off.
OFF_SCREEN = r"""(selector) => {
  const hidden = []; let seen = 0;
  for (const e of document.querySelectorAll(selector)) {
    if (!e.getClientRects().length) continue;
    seen += 1;
    const r = e.getBoundingClientRect(), wrap = e.closest(".table-wrap");
    const right = Math.min(document.documentElement.clientWidth, wrap ? wrap.getBoundingClientRect().right : Infinity);
    if (r.left < -0.5 || r.right > right + 0.5) hidden.push(e.innerText.trim().slice(0, 40) || e.outerHTML.slice(0, 60));
  }
  return {seen, hidden};
}"""

# A table that scrolls inside its box must show that it does: every .table-wrap whose table is
# wider than the box has the scroll shadows (white covers scrolling with the table over shadows
# that stay put) and a see-through table for them to show through. Returns how many boxes
# scroll and the first cells of those that give no sign.
SCROLL_HINT = r"""() => {
  const silent = []; let scrolling = 0;
  for (const w of document.querySelectorAll(".table-wrap")) {
    if (!w.getClientRects().length || w.scrollWidth <= w.clientWidth + 1) continue;
    scrolling += 1;
    const s = getComputedStyle(w), table = w.querySelector("table");
    const shadows = (s.backgroundImage.match(/gradient/g) || []).length >= 4
      && /local.*local.*scroll.*scroll/.test(s.backgroundAttachment);
    const seeThrough = table && getComputedStyle(table).backgroundColor === "rgba(0, 0, 0, 0)";
    if (!(shadows && seeThrough)) silent.push((w.innerText || "").trim().slice(0, 30));
  }
  return {scrolling, silent};
}"""

# Text drawn whole: the elements a selector matches whose text is cut ("北京分公…") or whose text
# (a link of a menu) is broken over two lines.
CUT_OR_BROKEN = r"""(selector) => [...document.querySelectorAll(selector)]
  .filter(e => e.getClientRects().length && (e.scrollWidth > e.clientWidth + 0.5 || e.getClientRects().length > 1))
  .map(e => e.innerText.trim())"""


# Text that is the product's own words on an English page (menus, headings of columns, labels,
# buttons): data (names of people and companies) may stay Chinese, these may not.
CHROME_TEXT = r"""() => [...document.querySelectorAll(
  "[data-testid=side-menu] a, [data-testid=tab-bar] a, thead th, label, button, legend, dt, h2, h3")]
  .filter(e => e.getClientRects().length && !e.closest("[translate=no], [data-testid=user-menu], [data-testid=branch-switch]"))
  .map(e => { const c = e.cloneNode(true); c.querySelectorAll("select, textarea, [translate=no]").forEach(x => x.remove());
              return c.textContent.trim(); })
  .filter(Boolean)"""
CJK = re.compile(r"[\u3400-\u9fff]")

AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# Serious and critical violations of WCAG 2.1 A/AA and axe's best practices; page.evaluate is
# not subject to the Content-Security-Policy (no inline script is added to the page).
AXE_RUN = r"""async () => {
  const r = await axe.run(document, {resultTypes: ["violations"],
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}});
  return {rules: r.passes.length + r.violations.length + r.incomplete.length,
          violations: r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + (n.failureSummary || "").split("\n").slice(1, 2).join(""))}))};
}"""


def axe_scan(page) -> dict:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS)
    return page.evaluate(AXE_RUN)


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
