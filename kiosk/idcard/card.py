"""The card's text as a Card, checked field by field (pure functions, no port, no database).

The reader sends 256 bytes of UCS-2 little-endian text. Three layouts share those 256 bytes; the card says which
it is in the type mark at bytes 248-249 (blank on a resident card):

    resident ID (居民身份证), mark " ":  name 30, sex 2, nation 4, birth 16, address 70, ID number 36,
        issuing authority 30, valid from 16, valid to 16 ("长期" on long-term cards), reserved 36
    HK/Macau/Taiwan residence permit (港澳台居民居住证), mark "J":  name 30, sex 2, reserved 4, birth 16,
        address 70, ID number 36, authority 30, valid from 16, valid to 16, pass number 18, issue count 4,
        reserved 6, mark 2, reserved 6
    foreign permanent resident ID (外国人永久居留身份证, 2017), mark "I":  English name 120, sex 2,
        card number 30, nationality 6, Chinese name 30, valid from 16, valid to 16, birth 16, version 4,
        authority code 8, mark 2, reserved 6

Any other mark (e.g. the 2023 foreign card, "Y") is refused. A field that does not read as what it must be
(a date that is no date, a sex code outside GB/T 2261.1, an ID number whose check character or birth date
disagrees) refuses the whole card: a form is never filled with a misread field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kiosk.idcard import IdCardError

TEXT_BYTES = 256
LONG_TERM = "长期"

SEXES = {"0": "unknown", "1": "male", "2": "female", "9": "unstated"}  # GB/T 2261.1 -> visitor_rules.SEXES

NATIONS = dict(enumerate((  # GB 3304: code -> name as printed on the card
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼",
    "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
    "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克",
    "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
), start=1))
NATIONS.update({97: "其他", 98: "外国血统中国籍人士"})

# (field, start, end) in bytes, per layout.
RESIDENT_LAYOUT = (("name", 0, 30), ("sex", 30, 32), ("nation", 32, 36), ("birth", 36, 52), ("address", 52, 122),
                   ("id_number", 122, 158), ("authority", 158, 188), ("valid_from", 188, 204),
                   ("valid_to", 204, 220))
PERMIT_LAYOUT = RESIDENT_LAYOUT[:2] + RESIDENT_LAYOUT[3:] + (("pass_number", 220, 238), ("issue_count", 238, 242))
FOREIGN_LAYOUT = (("name_en", 0, 120), ("sex", 120, 122), ("id_number", 122, 152), ("nationality", 152, 158),
                  ("name", 158, 188), ("valid_from", 188, 204), ("valid_to", 204, 220), ("birth", 220, 236),
                  ("version", 236, 240), ("authority", 240, 248))
MARK = (248, 250)
CARD_TYPES = {" ": "resident", "": "resident", "J": "permit_hmt", "I": "foreign_permanent"}

_FOREIGN_NUMBER = re.compile(r"^[A-Z]{3}[0-9]{12}$")
_NATIONALITY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Card:
    """What the card says. `sex` is male | female | unknown | unstated; `valid_to` None on a long-term card."""

    card_type: str  # resident | permit_hmt | foreign_permanent
    name: str  # Chinese name ("" on a foreign card without one)
    sex: str
    birth_date: date
    id_number: str
    valid_from: date
    valid_to: date | None
    address: str = ""
    nation: str = ""  # resident cards: the nation's name (汉, 回, ...)
    authority: str = ""
    name_en: str = ""  # foreign cards
    nationality: str = ""  # foreign cards: ISO 3166 alpha-3
    pass_number: str = ""  # residence permits: the HK/Macau or Taiwan travel permit number

    def expired(self, today: date) -> bool:
        return self.valid_to is not None and self.valid_to < today


def _fields(text: bytes, layout) -> dict[str, str]:
    values = {}
    for name, start, end in layout:
        try:
            value = text[start:end].decode("utf-16-le")
        except UnicodeDecodeError:
            raise IdCardError("idcard.err_bad_text") from None
        values[name] = value.rstrip(" \x00")
    return values


def _readable(value: str, *, required: bool = True, max_chars: int = 60) -> str:
    """Printable text (names, addresses); anything else means the card was misread."""
    if (required and not value) or len(value) > max_chars or not value.isprintable() or "\ufffd" in value:
        raise IdCardError("idcard.err_bad_text")
    return value


def _date(value: str) -> date:
    if not re.fullmatch(r"[0-9]{8}", value):
        raise IdCardError("idcard.err_bad_text")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise IdCardError("idcard.err_bad_text") from None


def _valid_to(value: str) -> date | None:
    return None if value == LONG_TERM else _date(value)


def _sex(code: str) -> str:
    if code not in SEXES:
        raise IdCardError("idcard.err_bad_text")
    return SEXES[code]


def card_type_of(text: bytes) -> str:
    """resident | permit_hmt | foreign_permanent; IdCardError for a card type this kiosk cannot read."""
    if len(text) < TEXT_BYTES:
        raise IdCardError("idcard.err_bad_text")
    try:
        mark = text[MARK[0]:MARK[1]].decode("utf-16-le").strip(" \x00")
    except UnicodeDecodeError:
        raise IdCardError("idcard.err_bad_text") from None
    if mark not in CARD_TYPES:
        raise IdCardError("idcard.err_card_type", mark=mark if mark.isprintable() else "?")
    return CARD_TYPES[mark]


def _resident_number(number: str, born: date, today: date) -> str:
    from kiosk.services.visitor_rules import check_resident_id

    checked = check_resident_id(number, today)
    if not checked.ok or checked.number != number or checked.birth_date != born:
        raise IdCardError("idcard.err_bad_text")
    return number


def parse_card_text(text: bytes, today: date) -> Card:
    """The card's 256 bytes of text as a Card; IdCardError (nothing usable) if any field does not read."""
    card_type = card_type_of(text)
    if card_type == "foreign_permanent":
        return _foreign(_fields(text, FOREIGN_LAYOUT))
    layout = RESIDENT_LAYOUT if card_type == "resident" else PERMIT_LAYOUT
    values = _fields(text, layout)
    born = _date(values["birth"])
    nation = ""
    if card_type == "resident":
        code = values["nation"]
        if not (code.isascii() and code.isdigit() and int(code) in NATIONS):
            raise IdCardError("idcard.err_bad_text")
        nation = NATIONS[int(code)]
    pass_number = ""
    if card_type == "permit_hmt":
        pass_number = values["pass_number"].strip()
        if not re.fullmatch(r"[A-Z0-9]{8,11}", pass_number):
            raise IdCardError("idcard.err_bad_text")
    return Card(
        card_type=card_type, name=_readable(values["name"], max_chars=15), sex=_sex(values["sex"]),
        birth_date=born, id_number=_resident_number(values["id_number"], born, date.max),
        valid_from=_date(values["valid_from"]), valid_to=_valid_to(values["valid_to"]),
        address=_readable(values["address"], required=False, max_chars=35), nation=nation,
        authority=_readable(values["authority"], required=False, max_chars=15), pass_number=pass_number,
    )


def _foreign(values: dict[str, str]) -> Card:
    number = values["id_number"]
    name_en = values["name_en"]
    if not _FOREIGN_NUMBER.match(number) or not _NATIONALITY.match(values["nationality"]):
        raise IdCardError("idcard.err_bad_text")
    if not name_en or not re.fullmatch(r"[A-Z][A-Z ,.'-]*", name_en):
        raise IdCardError("idcard.err_bad_text")
    return Card(
        card_type="foreign_permanent", name=_readable(values["name"], required=False, max_chars=15),
        sex=_sex(values["sex"]), birth_date=_date(values["birth"]), id_number=number,
        valid_from=_date(values["valid_from"]), valid_to=_valid_to(values["valid_to"]),
        authority=values["authority"] if values["authority"].isalnum() else "", name_en=name_en,
        nationality=values["nationality"],
    )


# ---------------------------------------------------------------- what the visitor form takes

@dataclass(frozen=True)
class FormFill:
    """The register form's fields from a card: ID type and number, name; sex and birth date to show;
    the address only when the school keeps it."""

    id_type: str
    id_number: str
    name: str
    sex: str
    birth_date: date
    address: str
    expired: bool
    valid_to: date | None


def form_fill(card: Card, today: date, keep_address: bool) -> FormFill:
    """What the visitor form takes from `card`, or IdCardError when the register has no ID type for it."""
    from kiosk.services.visitor_rules import check_id, guess_id_type

    if card.card_type == "foreign_permanent":
        raise IdCardError("idcard.err_foreign_on_form")
    if card.card_type == "resident":
        id_type, number = "resident", card.id_number
    else:  # the register knows residence-permit holders by their travel permit (回乡证 / 台胞证)
        id_type, number = guess_id_type(card.pass_number), card.pass_number
        if id_type not in ("hk_macau", "taiwan"):
            raise IdCardError("idcard.err_bad_text")
    checked = check_id(id_type, number, today)
    if not checked.ok:
        raise IdCardError("idcard.err_bad_text")
    return FormFill(id_type, checked.number, card.name, card.sex, card.birth_date,
                    card.address if keep_address else "", card.expired(today), card.valid_to)
