"""Chinese names for the synthetic population: surnames by rough frequency, given names by sex and generation.

The surname weights follow the order and rough shares of the national surname ranking (王, 李, 张 each about
7 %, then 刘, 陈, 杨 …); they are weights for a demo, not statistics to quote. Given names change with the
times — 秀英 and 建国 among people born before 1960, 伟 and 丽 around 1980, 子轩 and 欣怡 after 2000 — so
each of three generations has its own lists, and most names are built from a first and a second character,
which gives thousands of combinations and a realistic rate of two people sharing a name.

Every name here is assembled at random: none is meant to be, or to identify, a real person.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

# (surname, weight in per mille of the population, roughly)
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 20),
    ("吴", 19), ("周", 19), ("徐", 13), ("孙", 13), ("马", 12), ("朱", 11), ("胡", 11), ("郭", 11),
    ("何", 10), ("林", 9.7), ("高", 9.6), ("罗", 9), ("郑", 8), ("梁", 8), ("谢", 7), ("宋", 6.7),
    ("唐", 6.6), ("许", 6.3), ("韩", 6), ("冯", 5.9), ("邓", 5.9), ("曹", 5.5), ("彭", 5.4), ("曾", 5.1),
    ("肖", 5), ("田", 4.7), ("董", 4.6), ("袁", 4.5), ("潘", 4.5), ("于", 4.4), ("蒋", 4.3), ("蔡", 4.3),
    ("余", 4.2), ("杜", 4.1), ("叶", 4), ("程", 3.9), ("苏", 3.8), ("魏", 3.7), ("吕", 3.6), ("丁", 3.5),
    ("任", 3.4), ("沈", 3.3), ("姚", 3.3), ("卢", 3.2), ("姜", 3.1), ("崔", 3.1), ("钟", 3), ("谭", 3),
    ("陆", 2.9), ("汪", 2.8), ("范", 2.8), ("金", 2.7), ("石", 2.6), ("廖", 2.6), ("贾", 2.5), ("夏", 2.4),
    ("韦", 2.4), ("付", 2.4), ("方", 2.3), ("白", 2.2), ("邹", 2.2), ("孟", 2.2), ("熊", 2.2), ("秦", 2.1),
    ("邱", 2.1), ("江", 2.1), ("尹", 2), ("薛", 1.9), ("闫", 1.9), ("段", 1.8), ("雷", 1.8), ("侯", 1.8),
    ("龙", 1.7), ("史", 1.7), ("陶", 1.6), ("黎", 1.6), ("贺", 1.6), ("顾", 1.5), ("毛", 1.5), ("郝", 1.5),
    ("龚", 1.4), ("邵", 1.4), ("万", 1.3), ("钱", 1.3), ("严", 1.3), ("覃", 1.3), ("武", 1.3), ("戴", 1.2),
    ("莫", 1.2), ("孔", 1.2), ("向", 1.2), ("汤", 1.1), ("柯", 0.8), ("储", 0.5), ("欧阳", 0.4),
)  # fmt: skip

_SURNAME_VALUES = tuple(name for name, _weight in SURNAMES)
_SURNAME_CUMULATIVE = tuple(accumulate(weight for _name, weight in SURNAMES))


# Generation boundaries by birth year: names of each era differ more than names of each region.
OLD_BEFORE = 1962
MIDDLE_BEFORE = 1995


# (single-character names, first characters, second characters) per generation and sex.
_GIVEN: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    ("old", "male"): (
        ("福", "贵", "林", "山", "明", "华", "财", "生"),
        ("建", "国", "德", "永", "长", "世", "春", "学", "志", "明", "正", "家", "开", "树", "金", "玉",
         "文", "光", "成", "守", "忠", "绍", "宗", "继"),
        ("国", "华", "明", "福", "贵", "青", "生", "文", "刚", "军", "富", "兴", "旺", "林", "山", "才",
         "成", "发", "清", "安", "有", "和", "祥", "荣"),
    ),
    ("old", "female"): (
        ("英", "兰", "珍", "芳", "梅", "秀", "凤", "菊"),
        ("秀", "桂", "玉", "凤", "翠", "春", "兰", "淑", "素", "腊", "金", "冬", "彩", "银", "菊", "月"),
        ("英", "兰", "珍", "芳", "梅", "花", "莲", "霞", "琴", "娥", "香", "云", "枝", "凤", "清", "荣"),
    ),
    ("middle", "male"): (
        ("伟", "勇", "军", "强", "磊", "涛", "斌", "杰", "鹏", "超", "波", "刚", "平", "辉", "明", "峰"),
        ("海", "建", "小", "红", "志", "国", "春", "东", "永", "立", "新", "家", "俊", "晓", "伟", "文",
         "明", "德", "长", "金"),
        ("军", "平", "华", "强", "林", "明", "涛", "峰", "刚", "波", "勇", "东", "成", "兵", "斌", "杰",
         "龙", "辉", "亮", "宏"),
    ),
    ("middle", "female"): (
        ("芳", "丽", "娟", "敏", "静", "燕", "艳", "霞", "红", "玲", "琴", "萍", "英", "梅", "莉", "颖"),
        ("丽", "小", "红", "春", "海", "晓", "秀", "玉", "雪", "美", "金", "彩", "慧", "翠", "桂", "少"),
        ("娟", "燕", "梅", "红", "芳", "霞", "琴", "玲", "丽", "萍", "莉", "英", "艳", "平", "兰", "华"),
    ),
    ("young", "male"): (
        ("浩", "宇", "轩", "睿", "鑫", "豪", "博", "凯", "昊", "航", "帅", "乐"),
        ("子", "浩", "宇", "俊", "博", "梓", "一", "家", "晨", "思", "锦", "天", "泽", "皓", "嘉", "明",
         "文", "雨", "佳", "志"),
        ("轩", "然", "航", "杰", "文", "豪", "鸣", "阳", "远", "程", "佑", "宇", "涵", "辰", "睿", "博",
         "熙", "铭", "川", "哲"),
    ),
    ("young", "female"): (
        ("婷", "雪", "悦", "萱", "琪", "妍", "瑶", "洁", "倩", "璐", "蕾", "菲"),
        ("欣", "梓", "诗", "雨", "可", "佳", "紫", "思", "梦", "子", "一", "语", "若", "晓", "嘉", "心",
         "艺", "雅", "静", "依"),
        ("怡", "涵", "桐", "馨", "琪", "瑶", "欣", "诺", "妍", "曦", "萱", "彤", "雯", "悦", "然", "琳",
         "婷", "佳", "蕊", "淇"),
    ),
}  # fmt: skip
# Single-character given names were common in the 1970s–80s and rarer before and after.
_SINGLE_SHARE = {"old": 0.12, "middle": 0.3, "young": 0.18}


def surname(rng: random.Random) -> str:
    """A surname drawn by its rough share of the population."""
    return _SURNAME_VALUES[bisect(_SURNAME_CUMULATIVE, rng.random() * _SURNAME_CUMULATIVE[-1])]


def generation(birth_year: int) -> str:
    """``old``, ``middle`` or ``young``: which era's names suit someone born in ``birth_year``."""
    if birth_year < OLD_BEFORE:
        return "old"
    return "middle" if birth_year < MIDDLE_BEFORE else "young"


def given_name(rng: random.Random, *, sex: str, birth_year: int) -> str:
    """A given name of one or two characters, typical for ``sex`` and the era of ``birth_year``."""
    era = generation(birth_year)
    single, first, second = _GIVEN[(era, sex)]
    if rng.random() < _SINGLE_SHARE[era]:
        return single[int(rng.random() * len(single))]
    a = first[int(rng.random() * len(first))]
    b = second[int(rng.random() * len(second))]
    # "明明", "丽丽": doubled names exist but are rare; avoid the accidental ones.
    if a == b:
        b = second[(second.index(b) + 1) % len(second)]
    return a + b
