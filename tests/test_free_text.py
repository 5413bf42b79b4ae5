"""Free text is kept as typed; only identifiers are folded (defect 5 of issue 15)."""
from __future__ import annotations

from kiosk.services.names import clean_identifier, clean_text
from kiosk.services.visitor_rules import normalise_id, normalise_phone


def test_free_text_keeps_its_full_width_punctuation_and_is_only_trimmed():
    typed = "  家长来电：路上堵车，次日返校（已告知班主任）  "
    assert clean_text(typed) == "家长来电：路上堵车，次日返校（已告知班主任）"
    assert clean_text(None) == ""


def test_identifiers_are_folded_from_full_width_and_spaces_collapsed():
    assert clean_identifier(" ２０２５０１０１ ") == "20250101"
    assert clean_identifier("高一（1）班") == "高一(1)班"
    assert clean_identifier("３０５　室") == "305 室"
    assert normalise_id("１１０１０１　19900307451Ｘ") == "11010119900307451X"
    assert normalise_phone("１３８－0000－0001") == "13800000001"
