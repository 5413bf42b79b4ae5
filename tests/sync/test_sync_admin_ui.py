"""The station admin screen lists dead letters and conflicts with their reasons (admin only)."""
from __future__ import annotations

from textual.widgets import DataTable, Static

from kiosk import clock
from kiosk.features import station_actions
from kiosk.i18n import t
from kiosk.models.sync import SyncConflict, SyncDeadLetter
from tests.ui_helpers import login, start_app


def _problems(school_id: str) -> None:
    SyncDeadLetter.create(school_id=school_id, outbox_seq=7, epoch=1, table="building", row_id="0190-row-a",
                          reason="not_writer:gate", payload="{}", at=clock.now())
    SyncConflict.create(id=1, school_id=school_id, server_seq=9, kind="stale_update", table="visit", row_id="0190-row-b",
                        station_id="st-gate2", other_station_id="st-gate1",
                        detail={"kept": {"time_out": "2026-11-18T02:10:00.000000Z"}, "lost": {"time_out": "2026-11-18T02:05:00.000000Z"}},
                        at=clock.now())


def test_every_station_kind_offers_the_screen_to_admins_only():
    for kind in ("gate", "dorm", "canteen", "office"):
        actions = [a for a in station_actions(kind) if a.label_key == "sync.menu_admin"]
        assert len(actions) == 1 and actions[0].roles == frozenset({"admin"})


async def test_admin_screen_lists_dead_letters_and_conflicts(db, settings, frozen_now):
    from kiosk.models import School, Staff
    from kiosk.services.actor import system_actor
    from kiosk.services.auth import hash_pin
    from kiosk.services.facts import record
    from kiosk.sync.engine import pending_count

    school_id = settings.school.id
    with record(system_actor(school_id), "staff.add") as w:
        w.insert(School(id=school_id, name="test school"))
        w.insert(Staff(school_id=school_id, number="A001", name="admin", roles="admin", pin_hash=hash_pin("888888"),
                       updated_at=frozen_now))
    _problems(school_id)
    pending = pending_count()
    assert pending == 2
    async with start_app(settings, station="gate") as (app, pilot):
        await login(pilot, "A001", "888888")
        await pilot.press("f12")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "SyncAdminScreen"
        dead = screen.query_one("#sync-dead", DataTable)
        conflicts = screen.query_one("#sync-conflicts", DataTable)
        assert dead.row_count == 1 and conflicts.row_count == 1
        # central's reason code, in the screen's language
        assert str(dead.get_row_at(0)[3]) == t("sync_trust.reason_not_writer", detail=t("core.station_gate"))
        assert str(dead.get_row_at(0)[3]) == "门卫室类工作站不能新建这类记录"
        assert str(conflicts.get_row_at(0)[1]) == t("sync.conflict_stale_update")
        summary = str(screen.query_one("#sync-summary", Static).render())
        assert t("sync.admin_summary", pending=pending, last=t("sync.admin_never")) in summary
