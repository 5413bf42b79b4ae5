"""A station app starts its sync worker with it and stops it on exit; offline is shown, never an error."""
from kiosk.features import sync as sync_feature
from kiosk.widgets.bars import StatusBar
from tests.ui_helpers import settle, start_app


async def test_station_app_runs_the_sync_worker_while_it_runs(demo_school):
    demo_school.sync.central_url = "postgresql://kiosk@127.0.0.1:1/unreachable"  # nothing listens on port 1
    async with start_app(demo_school, "gate") as (app, pilot):
        worker = sync_feature._WORKER.worker
        assert worker is not None and worker.is_alive()
        app.refresh_station_status()
        await settle(pilot)
        text = str(app.screen.query_one(StatusBar).query_one("#status-sync").render())
        assert text and text != "本机模式"
    assert sync_feature._WORKER.worker is None
    worker.join(timeout=10)
    assert not worker.is_alive()


async def test_no_worker_without_a_central_database(demo_school):
    async with start_app(demo_school, "gate") as (app, pilot):
        await settle(pilot)
        assert sync_feature._WORKER.worker is None
        assert str(app.screen.query_one("#status-sync").render()) == "本机模式"


async def test_status_bar_shows_how_long_sync_has_been_stalled(demo_school, central_url):
    """Today the status bar said 同步：离线 however long no round completed (or 在线, when the connection hung);
    now it shows the age of the last completed round (the clock is frozen here; advancing it ages the stall)."""
    import asyncio
    from datetime import timedelta

    from kiosk import clock
    from tests.sync.fault_proxy import FaultProxy

    proxy = FaultProxy(5432).start()
    proxy.blackhole()  # connections are accepted and then hear nothing
    demo_school.sync.central_url = proxy.url(central_url)
    demo_school.sync.connect_timeout_seconds = 1

    async def status_text() -> str:
        app.refresh_station_status()
        await settle(pilot)
        return str(app.screen.query_one(StatusBar).query_one("#status-sync").render())

    try:
        async with start_app(demo_school, "gate") as (app, pilot):
            for _ in range(100):  # the first round fails on the connect timeout
                if "离线" in await status_text():
                    break
                await asyncio.sleep(0.1)
            assert "离线" in await status_text()
            clock.advance(timedelta(minutes=12))
            text = await status_text()
            assert "同步中断 12 分钟" in text and "在线" not in text and "离线" not in text, text
    finally:
        proxy.stop()
