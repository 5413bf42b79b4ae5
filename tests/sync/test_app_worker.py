"""A station app starts its sync worker with it and stops it on exit; offline is shown, never an error."""
from kiosk.features import sync as sync_feature
from kiosk.widgets.bars import StatusBar
from tests.ui_helpers import settle, start_app


async def test_station_app_runs_the_sync_worker_while_it_runs(demo_school):
    demo_school.sync.central_url = "postgresql://kiosk@127.0.0.1:1/unreachable"  # nothing listens on port 1
    async with start_app(demo_school, "gate") as (app, pilot):
        worker = sync_feature._WORKER["thread"]
        assert worker is not None and worker.is_alive()
        app.refresh_station_status()
        await settle(pilot)
        text = str(app.screen.query_one(StatusBar).query_one("#status-sync").render())
        assert text and text != "本机模式"
    assert sync_feature._WORKER["thread"] is None
    worker.join(timeout=10)
    assert not worker.is_alive()


async def test_no_worker_without_a_central_database(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await settle(pilot)
        assert sync_feature._WORKER["thread"] is None
        assert str(app.screen.query_one("#status-sync").render()) == "本机模式"
