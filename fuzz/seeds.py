"""Write the seed corpus `fuzz/corpus/<name>/`: a handful of valid and broken inputs per harness.

    python -m fuzz.seeds

Each file is one input in the harness's own format (a first byte that picks the mode, then the data;
see each harness's docstring). Inputs a fuzzing run found worth keeping (crashes that were fixed) are
added to the corpus by hand as `crash-*` files; this script leaves those alone.
"""
from __future__ import annotations

import codecs
import io
from pathlib import Path

from fuzz.run import SEEDS

VALID_ROSTER = (
    "学号,姓名,性别,班级,住宿/走读,宿舍楼,房间,床位,监护人,监护人电话\n"
    "20260101,张三,男,高一(1)班,住宿,男生1号楼,101,3,张大山,13800138000\n"
    "20260102,李　明,女,高一(1)班,走读,,,,李华,+86 139-0013-9000\n"
)
VALID_STAFF = "工号,姓名,角色,班级,手机,卡号,初始PIN\nT900,王老师,班主任、宿管,高一(1)班,13700137000,STAFF-T900,1234\n"


def _slip_code() -> str:
    import uuid
    from datetime import datetime, timezone

    from fuzz.slip import KEY, KEY_ID
    from kiosk.services import slip_codec

    at = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
    payload = slip_codec.SlipPayload(KEY_ID, str(uuid.UUID(int=42)), "20240101", at, at.replace(hour=6),
                                     at.replace(day=20))
    return slip_codec.sign(payload, KEY)


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def seeds() -> dict[str, dict[str, bytes]]:
    code = _slip_code()
    roster_rows = [line.split(",") for line in VALID_ROSTER.splitlines()]
    xlsx = _xlsx([["2026级学生名册"], *roster_rows, ["20260103", "王五", "男", "高一(2)班", "住宿", "男生1号楼", "102", 7,
                                                   "=HYPERLINK(\"http://evil\",\"x\")", 13800138000]])
    return {
        "slip": {
            "valid-typed": b"\x00" + code.encode(),
            "valid-lower-case-padded": b"\x00  " + code.lower().encode() + b"\n",
            "one-char-changed": b"\x00" + (code[:40] + ("A" if code[40] != "A" else "B") + code[41:]).encode(),
            "truncated": b"\x00" + code[:-7].encode(),
            "not-a-slip": b"\x00hello \x1b[A\x00",
            "signed-fields": b"\x01" + bytes(range(7, 90)),
            "raw-body": b"\x02" + bytes([40]) + bytes(range(200, 240)) + bytes(64),
            "other-key": b"\x03" + bytes(range(3, 80)),
        },
        "scan": {
            "student-number-typed": b"\x00 20240101\r",
            "other-school-number": b"\x00X-99-000001",
            "control-characters": b"\x00S1:\x1b[B\x07AEAA\x00",
            "live-slip": b"\x01\x00\x00\x00",
            "live-slip-damaged": b"\x01\x05\x02\x10\x00\x41\x01",
            "card-with-noise": b"\x02\x07\x00\x03\x00",
            "foreign-slip": b"\x03\x02",
            "cli-undecodable": b"\x04S1:\xff\xfe2024",
            "huge": b"\x05\x0aS1:AAAAAAA\xff\xff\xff\x00",
        },
        "id_number": {
            "resident-valid": b"\x00\x40\x00" + "11010519491231002X".encode(),
            "resident-spaced-lower": b"\x00\x40\x00" + "110105 19491231 002x".encode(),
            "resident-full-width": b"\x00\x40\x00" + "１１０１０５１９４９１２３１００２Ｘ".encode(),
            "resident-bad-check": b"\x00\x40\x00" + b"110105194912310021",
            "resident-future-birth": b"\x00\x00\x10" + b"110105202001010012",
            "resident-mutated": b"\x80\x40\x00\x02\x05\x00\x03\x11\x01",
            "passport": b"\x01\x40\x00E12345678",
            "hk-macau": b"\x02\x40\x00H12345678",
            "taiwan": b"\x03\x40\x0012345678",
            "unknown-type": b"\x05\x40\x00abc",
        },
        "phone": {
            "mobile": b"\x00" + b"13800138000",
            "mobile-with-prefix": b"\x00" + "+86 138-0013-8000".encode(),
            "full-width": b"\x00" + "１３８００１３８０００".encode(),
            "international": b"\x01" + b"+852 9123 4567",
            "too-short": b"\x00" + b"138001",
            "landline": b"\x00" + b"010-12345678",
            "built": b"\x80\x02\x01\x05\x03\x00\x02",
        },
        "visit_form": {
            # id type, then length-prefixed fields (a flag byte picks a sample or typed text), host, minute.
            "valid-parent": bytes([0, 1, 0, 0, 1, 0, 1, 0]) + bytes([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0x02, 0x58]),
            "typed": bytes([1, 0, 9]) + b"E12345678" + bytes([0, 6]) + "张三".encode() + bytes([0, 11]) + b"13800138000"
                     + bytes([0, 0, 4]) + "送东西".encode()[:4] + bytes([0, 1]) + b"2" + bytes([0, 5]) + b"18:30"
                     + bytes([0, 0, 0, 0, 1, 0x10, 0x00]),
            "night-no-leader": bytes([4, 1, 4, 1, 0, 1, 0, 2, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0x1f, 0xff]),
            "bad-leave": bytes([0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 4, 1, 0, 1, 0, 1, 0]),
        },
        "roster": {
            "utf8.csv": b"\x00" + VALID_ROSTER.encode("utf-8"),
            "utf8-bom.csv": b"\x00" + VALID_ROSTER.encode("utf-8-sig"),
            "gb18030.csv": b"\x00" + VALID_ROSTER.encode("gb18030"),
            "utf16.csv": b"\x00" + codecs.BOM_UTF16_LE + VALID_ROSTER.encode("utf-16-le"),
            "staff.csv": b"\x00" + VALID_STAFF.encode("utf-8"),
            "formula.csv": b"\x00" + "学号,姓名,性别,班级\n=1+1,张三,男,高一(1)班\n".encode(),
            "binary.csv": b"\x00" + bytes(range(256)),
            "unclosed-quote.csv": b"\x00" + '学号,姓名,性别,班级\n"20260101,张三,男,高一(1)班\n'.encode(),
            "valid.xlsx": b"\x01" + xlsx,
            "truncated.xlsx": b"\x01" + xlsx[: len(xlsx) // 2],
            "built-csv": b"\x02" + bytes(range(1, 60)),
            "built-xlsx": b"\x03" + bytes(range(3, 70)),
        },
        "config": {
            "valid.toml": b"\x00" + '[school]\nname = "一中"\n[station]\nkind = "dorm"\n[dorm]\nescalation_minutes = [0, 15]\n'
                                    .encode(),
            "broken.toml": b"\x00[school\nname = ",
            "gbk.toml": b"\x00" + '[school]\nname = "一中"\n'.encode("gbk"),
            "unknown-key.toml": b"\x00[gate]\nopen_all_night = true\n",
            "wrong-type.toml": b"\x00[security]\npin_max_tries = \"many\"\n",
            "built": b"\x01" + bytes(range(1, 40)),
            "environment": b"\x02" + bytes(range(5, 40)),
        },
        "canteen": {
            "label-typed": b"\x00LY0123456789AB",
            "bare-code-lower": b"\x00  0123456789ab\t",
            "junk": b"\x00\x1b[A\xff\xfe",
            "live-label": b"\x01\x00\x00",
            "live-label-damaged": b"\x01\x03\x01\x00\x02\x05\x00\x01",
            "weight": b"\x02125g",
            "temperature": b"\x02" + "3.5°C".encode(),
            "service-time": b"\x0212:30",
            "not-a-number": b"\x02nan",
        },
    }


def write(root: Path = SEEDS) -> int:
    count = 0
    for name, files in seeds().items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, content in files.items():
            (folder / file_name).write_bytes(content)
            count += 1
    return count


if __name__ == "__main__":
    print(f"{write()} seed inputs written to {SEEDS}")
