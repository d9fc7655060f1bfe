"""What makes two client records the same company (客户查重): the 统一社会信用代码 when given, else
the normalised name.

统一社会信用代码 (GB 32100-2015): 18 characters from 0-9 and the capitals without I, O, Z, S, V;
the 18th is a check character over the first 17 (weights 3^i mod 31, check = 31 − Σ mod 31).

The normalised name only removes what a typist varies without meaning another company: outer
and repeated spaces, full-width letters, digits and brackets (NFKC: （）→ (), ＡＢＣ → ABC), and
case. "有限公司" is kept: "北京华信科技" and "北京华信科技有限公司" may be two companies, and a person
deciding that is better than a rule guessing it."""
from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "")
    text = re.sub(r"\s+", " ", text).strip()
    return text.casefold()


def normalise_credit_code(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """None for a valid (normalised) code, else what is wrong with it, in the user's words."""
    if len(code) != 18:
        return _("统一社会信用代码须为 18 位,现为 %(n)d 位。") % {"n": len(code)}
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARS})
    if bad:
        return _("统一社会信用代码含无效字符:%(chars)s(不使用 I、O、Z、S、V)。") % {"chars": "".join(bad)}
    if credit_code_check_char(code[:17]) != code[17]:
        return _("统一社会信用代码校验位不符,请核对是否录错。")
    return None
