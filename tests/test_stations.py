"""A station records its name once, again only when it changes; names fall back to kind + id tail."""
from kiosk.models import Outbox, StationInfo
from kiosk.i18n import t_in
from kiosk.services.stations import announce_station, station_label, station_names


def test_a_station_announces_its_name_once_and_again_when_it_changes(db, settings):
    settings.station.kind, settings.station.name = "gate", "east-gate"
    assert announce_station(settings, "st-aaaabbbbcccc")
    assert not announce_station(settings, "st-aaaabbbbcccc")  # every start: nothing new, nothing written
    assert Outbox.select().where(Outbox.table == "station_info").count() == 1
    settings.station.name = "north-gate"
    assert announce_station(settings, "st-aaaabbbbcccc")
    assert StationInfo.get_by_id("st-aaaabbbbcccc").name == "north-gate"
    assert [row.op for row in Outbox.select().where(Outbox.table == "station_info").order_by(Outbox.seq)] == [
        "insert", "update"]  # the change syncs, last writer wins at the other stations


def test_names_for_people(db, settings):
    settings.station.kind, settings.station.name = "canteen", ""
    announce_station(settings, "st-000011112222")
    names = station_names(settings.school.id)
    assert str(station_label(names, "st-000011112222")) == "食堂 2222"
    assert station_label(names, "st-notseenyet00") == "st-notseenyet00"  # not synced here yet: the id
    # A station without a name is named in the language it is shown in (F9), not the one it was read in.
    assert t_in("en", "core.verbatim", text=station_label(names, "st-000011112222")) == "Canteen 2222"
