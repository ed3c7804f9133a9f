"""Finding personal data in values: resident ID numbers, phone numbers, bank cards, e-mail,
licence plates, detailed addresses, person names and precise coordinates.

Every finder returns spans in the text, so a value is masked where the data sits and the rest is
kept. Digits are matched with digit-only boundaries (a Chinese character next to a number does
not hide it: "身份证440305199001011234号" is found). Checks that cut look-alikes: ID numbers need a
real province code, a real birth date and the ISO 7064 MOD 11-2 check character; bank cards need
the Luhn check and an issuer prefix; mobile numbers need a 1[3-9] network prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

KINDS = (
    "id_card",
    "bank_card",
    "mobile",
    "landline",
    "email",
    "plate",
    "address",
    "person_name",
    "coordinates",
)
# GB/T 2260 province-level codes (first two digits of a resident ID number)
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}  # fmt: skip
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Common surnames (the most frequent ~120 cover about 90 % of the population)
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞"
    "姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫", "尉迟", "公孙")
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![0-9])(?:\d[ -]?){15,18}\d(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])")
_LANDLINE = re.compile(
    r"(?<![0-9])(?:\(0\d{2,3}\)[ -]?|0\d{2,3}[ -])?[2-9]\d{2,3}[ -]?\d{4}(?![0-9])"
)
_LANDLINE_AREA = re.compile(r"(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3}[ -])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PLATE = re.compile(
    rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][·•\s-]?(?:[A-HJ-NP-Z0-9]{{5,6}})(?![A-Za-z0-9])"
)
_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|巷|道|里|村|小区|花园|苑|城|大厦|广场)"
    r"[\u4e00-\u9fff0-9A-Za-z]{0,12}?\d+(?:-\d+)?\s*(?:号楼|号|栋|幢|座|单元|室|楼|层)"
    r"(?:[\u4e00-\u9fff0-9A-Za-z-]{0,16}(?:室|房|号|层|楼))?"
)
_COORDINATE = re.compile(r"(?<![0-9.])-?\d{1,3}\.\d{5,}(?![0-9])")
_NAME_CUE = re.compile(
    r"(?:姓名|联系人|申请人|投诉人|反映人|户主|业主|当事人|经办人|负责人|收件人)[:：\s]*"
    r"([\u4e00-\u9fff]{2,4})"
)
_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
NAME_HEADERS = ("姓名", "名字", "联系人", "申请人", "投诉人", "户主", "业主", "name", "contact")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str


def valid_id_number(text: str) -> bool:
    """An 18-character resident ID number: province code, real birth date, MOD 11-2 check."""
    if len(text) != 18 or not text[:17].isdecimal() or text[:2] not in PROVINCES:
        return False
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date.today():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == text[17].upper()


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def valid_bank_card(digits: str) -> bool:
    """16-19 digits with an issuer's prefix and length (UnionPay 62/81 16-19 and 60 16/19,
    Visa 4 16/19, Mastercard 51-55 and 2221-2720 16, JCB 3528-3589 16-19) and the Luhn check."""
    n = len(digits)
    if not 16 <= n <= 19 or not digits.isdecimal():
        return False
    head2, head4 = int(digits[:2]), int(digits[:4])
    issuer = (
        head2 in (62, 81)
        or (head2 == 60 and n in (16, 19))
        or (digits[0] == "4" and n in (16, 19))
        or ((51 <= head2 <= 55 or 2221 <= head4 <= 2720) and n == 16)
        or 3528 <= head4 <= 3589
    )
    return issuer and luhn(digits)


def _grouped(text: str) -> bool:
    """Separators in a card number come between groups of 4 (or 6 for some UnionPay cards)."""
    parts = re.split(r"[ -]", text)
    return len(parts) == 1 or all(len(p) in (4, 6) for p in parts[:-1])


def find(text: str) -> list[Finding]:
    """Every piece of personal data in a text, left to right, without overlaps."""
    if not text:
        return []
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        found.append(Finding(kind, start, end, text[start:end]))

    for m in _ID.finditer(text):
        if valid_id_number(m.group()):
            add("id_card", m.start(), m.end())
    for m in _CARD.finditer(text):
        raw = m.group().rstrip(" -")
        digits = re.sub(r"[ -]", "", raw)
        if _grouped(raw) and valid_bank_card(digits):
            add("bank_card", m.start(), m.start() + len(raw))
    for m in _MOBILE.finditer(text):
        add("mobile", m.start(), m.end())
    for m in _LANDLINE.finditer(text):
        if _LANDLINE_AREA.match(text, m.start()) or _landline_cue(text, m.start()):
            add("landline", m.start(), m.end())
    for m in _EMAIL.finditer(text):
        add("email", m.start(), m.end())
    for m in _PLATE.finditer(text):
        add("plate", m.start(), m.end())
    for m in _ADDRESS.finditer(text):
        add("address", m.start(), m.end())
    for m in _NAME_CUE.finditer(text):
        name = m.group(1)
        if surname_of(name):
            add("person_name", m.start(1), m.start(1) + len(name))
    for m in _COORDINATE.finditer(text):
        add("coordinates", m.start(), m.end())
    return sorted(found, key=lambda f: f.start)


def _landline_cue(text: str, start: int) -> bool:
    """A local number without an area code counts only after a word for telephone."""
    before = text[max(0, start - 6) : start]
    return any(cue in before for cue in ("电话", "座机", "热线", "Tel", "tel", "TEL", "传真"))


def surname_of(name: str) -> str | None:
    if name[:2] in COMPOUND_SURNAMES and len(name) >= 3:
        return name[:2]
    return name[0] if name and name[0] in SURNAMES else None


def looks_like_name(value: str) -> bool:
    """A bare 2-4 character Chinese name with a common surname (for columns headed 姓名 ...)."""
    return bool(_NAME.match(value)) and surname_of(value) is not None
