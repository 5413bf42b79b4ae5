"""Name handling: pinyin initials for search (`zhl` finds 张华丽), whitespace clean-up."""
from __future__ import annotations

import unicodedata


def clean_text(value: object) -> str:
    """Free text (notes, reasons, names, whereabouts) kept exactly as typed, only trimmed: its full-width
    punctuation （，：） is part of what the person wrote and what an inspector reads months later."""
    if value is None:
        return ""
    return str(value).strip()


def clean_identifier(value: object) -> str:
    """An identifier (student, staff and ID numbers, phones, codes, rooms, classes): full-width forms folded
    (NFKC: 全角 digits from Excel, （1）班 -> (1)班), trimmed, inner spaces collapsed, so it matches however typed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())  # str.split() splits on exactly what re's \s matches, 5x faster than re.sub


# Characters pypinyin reads as everyday words (曾 ceng, 单 dan, 解 jie) where a surname has its own reading:
# as the first character of a person's name they take the surname's (曾 zeng, 单 shan, 解 xie).
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "翟": "zhai", "朴": "piao",
    "乐": "yue", "覃": "qin", "缪": "miao", "盖": "ge", "种": "chong", "重": "chong", "秘": "bi", "繁": "po",
    "折": "she", "藏": "zang", "六": "lu", "薄": "bo", "乜": "nie", "阚": "kan", "卜": "bu", "召": "shao",
    "员": "yun", "澹": "tan", "隗": "wei", "黑": "he",
}


def pinyin_initials(name: str) -> str:
    """Lower-case initials of each character's pinyin (a surname read as a surname: 曾英 -> zy); Latin letters
    and digits kept as they are."""
    from pypinyin import Style, lazy_pinyin

    letters = []
    for syllable in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"):
        letters.extend(ch.lower() for ch in syllable if ch.isascii() and ch.isalnum())
    if letters and name[:1] in SURNAME_READINGS:
        letters[0] = SURNAME_READINGS[name[0]][0]
    return "".join(letters)


def full_pinyin(name: str) -> str:
    """Lower-case toneless pinyin of the whole name run together (`张华丽` -> `zhanghuali`, 曾英 -> `zengying`,
    ü as v), what people type when they spell a name out instead of its initials."""
    return pinyin_spellings(name)[0]


def pinyin_spellings(name: str) -> tuple[str, ...]:
    """The name spelled out in pinyin: with the surname's reading first, and the everyday reading too where
    they differ (曾英: zengying, cengying), since people type either."""
    from pypinyin import lazy_pinyin

    syllables = [syllable.lower() for syllable in lazy_pinyin(name, v_to_u=False)]
    everyday = "".join(syllables)
    if not syllables or name[:1] not in SURNAME_READINGS:
        return (everyday,)
    return ("".join([SURNAME_READINGS[name[0]], *syllables[1:]]), everyday)


def pinyin_query(query: str) -> str:
    """The query as pinyin letters (`Zhang Hua` -> `zhanghua`), or '' when it is not letters only."""
    letters = query.replace(" ", "").lower()
    return letters if letters.isascii() and letters.isalpha() else ""
