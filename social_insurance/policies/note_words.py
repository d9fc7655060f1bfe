"""The shipped policy data's notes (`shared/data/si_policies.json`) are written in English by
whoever gathered the sources. HQ reads them in Chinese: each note the data ships is rendered here
once, and the original is kept beside it (it is what the sources say). A note HQ types itself,
or one this table does not know, is shown as typed."""
from __future__ import annotations

from django.utils.translation import get_language

NOTES_ZH: dict[str, str] = {
    "maternity merged; employee pays 2% + 3 yuan/month (大额医疗互助)":
        "生育保险已并入;个人缴 2% + 每月 3 元(大额医疗互助)",
    "rate by industry class": "按行业类别确定费率",
    "whole percent chosen by the employer; same for both sides": "单位在范围内选整数百分比;单位与个人比例相同",
    "maternity merged; 9% is a temporary reduced rate (to 2027-02-28 per 沪医保规〔2026〕2号, as quoted)":
        "生育保险已并入;9% 为阶段性降低费率(据引文,依沪医保规〔2026〕2号执行至 2027-02-28)",
    "industry class + floating; one source says from 0.2%": "按行业类别加浮动费率;有来源称最低 0.2%",
    "whole percent; monthly limits are published as 2 x per-side amount": "取整数百分比;公布的月缴存上下限为单边金额的 2 倍",
    "an older source says 见分进角 for SI; 2024 published figures are fen-precise":
        "较早的来源称社保见分进角;2024 年公布的金额精确到分",
    "medical base is set per calendar year (2025: 6236-31179); reduced rate to 2025-12-31, 2026 rate disputed (6% vs 6.85%)":
        "医疗保险基数按自然年核定(2025 年:6236–31179);降低费率执行至 2025-12-31,2026 年费率有争议(6% 或 6.85%)",
    "base range disputed; one source gives 0.7%/0.3%": "基数范围有争议;有来源给出 0.7%/0.3%",
    "whole percent; employee rate not below employer rate": "取整数百分比;个人比例不低于单位比例",
    "Guangdong sets pension bases province-wide; Guangzhou 2024年度 pension range is disputed (5284-26421 vs 5500-27501).":
        "广东省统一核定养老保险基数;广州 2024 年度养老基数范围有争议(5284–26421 或 5500–27501)。",
    "深户 employer 17% (16% + 1% local supplementary); non-深户 16%": "深户单位 17%(16% + 1% 地方补充);非深户 16%",
    "tier 1; calendar-year base; employer restored to 6% from 2026-01-01": "一档;基数按自然年;单位比例自 2026-01-01 起恢复为 6%",
    "unconfirmed beyond one source": "仅一个来源,未经其他来源证实",
    "disputed: 0.7%/0.3% and ceiling 44934 in other sources": "有争议:其他来源为 0.7%/0.3%,上限 44934",
    "floor and ceiling disputed (2360/2520, 44265/44934)": "上下限有争议(下限 2360 或 2520,上限 44265 或 44934)",
    "maternity merged (0.6% of the 9.5%)": "生育保险已并入(9.5% 中含 0.6%)",
    "range unconfirmed": "范围未经证实",
    "HF year 2025-07 to 2026-06 (杭公积金〔2025〕21号 as quoted)": "公积金年度 2025-07 至 2026-06(据引文,杭公积金〔2025〕21号)",
    "Zhejiang social base by calendar year; one source keeps the ceiling at 24930.":
        "浙江社保基数按自然年;有来源仍以 24930 为上限。",
}


def note_words(text: str) -> str:
    """The note in the reader's language where the shipped data's note is known, else as typed."""
    text = (text or "").strip()
    if (get_language() or "zh-hans").startswith("zh"):
        return NOTES_ZH.get(text, text)
    return text


# The shipped versions' sources (`sources`), as HQ reads them in Chinese: which notice, and how it
# reached the data (quoted by others, not read at the source), dates as dates are written. The
# original stays in the data and is what English readers see.
SOURCES_ZH: dict[str, str] = {
    "Forvis Mazars Dec 2024 and Aug 2024 newsletters": "富睿玛泽(Forvis Mazars)2024年12月及8月通讯",
    "Link Compliance SH/BJ notice (effective 2024-07-01)": "Link Compliance 沪/京通知(2024年7月1日起执行)",
    "Beijing HF committee notice 2024-07-31 (verbatim copy)": "北京住房公积金管理委员会2024年7月31日通知(原文转载)",
    "京人社发〔2025〕11号 (as quoted by public calculator repos)": "京人社发〔2025〕11号(据公开社保计算器项目转引)",
    "京人社发〔2026〕7号; 京房公积金管委会办〔2026〕6号 (as quoted by four public calculator repos)":
        "京人社发〔2026〕7号;京房公积金管委会办〔2026〕6号(据四个公开社保计算器项目转引)",
    "Forvis Mazars Dec/Aug 2024": "富睿玛泽(Forvis Mazars)2024年12月/8月通讯",
    "Link Compliance (cap example)": "Link Compliance(上限示例)",
    "Shanghai government English portal 2024-08-30 (rates)": "上海市政府英文门户2024年8月30日(费率)",
    "Shanghai HRSS notice 2025-09-18 (as quoted)": "上海市人社局2025年9月18日通知(据转引)",
    "AAStocks 2025-09-19 (HF limits 5222/376)": "阿思达克财经2025年9月19日(公积金上下限 5222/376)",
    "a-zlf newsletter 2025-10-13": "a-zlf 通讯2025年10月13日",
    "Shanghai HRSS 公示 2026-08-18 (as quoted by public calculator repos)":
        "上海市人社局2026年8月18日公示(据公开社保计算器项目转引)",
    "Forvis Mazars Dec 2024 (2024 figures)": "富睿玛泽(Forvis Mazars)2024年12月通讯(2024年数据)",
    "public calculator repos citing Guangdong notices (2025)": "公开社保计算器项目引用的广东省通知(2025年)",
    "Forvis Mazars Dec 2024": "富睿玛泽(Forvis Mazars)2024年12月通讯",
    "public calculator repos (2025)": "公开社保计算器项目(2025年)",
    "浙人社发〔2025〕52号 (as quoted by public repos)": "浙人社发〔2025〕52号(据公开项目转引)",
}


def source_words(text: str) -> str:
    """A version's source in the reader's language where the shipped data's source is known, else
    as typed (a source HQ enters is shown as entered)."""
    text = (text or "").strip()
    if (get_language() or "zh-hans").startswith("zh"):
        return SOURCES_ZH.get(text, text)
    return text
