import pytest

from kiosk import cli, config


def test_defaults_follow_the_domain_rules():
    settings = config.load(environ={})
    assert settings.school.timezone == "Asia/Shanghai"
    assert settings.language == "zh-CN"
    assert settings.canteen.min_weight_grams == 125 and settings.canteen.retention_hours == 48
    assert settings.gate.visitor_retention_days == 180
    assert settings.security.idle_lock_minutes == 5 and settings.security.pin_max_tries == 5


def test_file_then_environment_override(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text('[school]\nname = "一中"\n[station]\nkind = "dorm"\n[canteen]\nmin_weight_grams = 150\n', encoding="utf-8")
    settings = config.load(str(path), environ={"KIOSK_STATION__KIND": "canteen", "KIOSK_LANG": "en"})
    assert settings.school.name == "一中"
    assert settings.station.kind == "canteen"  # environment wins over the file
    assert settings.canteen.min_weight_grams == 150
    assert settings.language == "en"


def test_environment_lists_and_booleans():
    settings = config.load(environ={"KIOSK_DORM__ESCALATION_MINUTES": "0,15,45", "KIOSK_CANTEEN__REQUIRE_REVIEWER": "yes"})
    assert settings.dorm.escalation_minutes == [0, 15, 45]
    assert settings.canteen.require_reviewer is True


@pytest.mark.parametrize("text, message", [
    ('[station]\nkind = "roof"\n', "station.kind"),
    ('[school]\ntimezone = "Mars/Base"\n', "school.timezone"),
    ('[school]\nnmae = "x"\n', "school.nmae: unknown setting"),
    ('[canteen]\nmin_weight_grams = "heavy"\n', "canteen.min_weight_grams"),
    ('[school\n', "not valid TOML"),
    ('school = 3\n', "expected a [section]"),
])
def test_bad_config_is_a_one_line_error(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError) as error:
        config.load(str(path), environ={})
    assert message in str(error.value)


def test_missing_explicit_config_file(tmp_path):
    with pytest.raises(config.ConfigError, match="not found"):
        config.load(str(tmp_path / "nope.toml"), environ={})


def test_config_show_prints_effective_toml(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("KIOSK_SCHOOL__NAME", "实验中学")
    assert cli.main(["config", "show", "--db", str(tmp_path / "x.sqlite3")]) == 0
    out = capsys.readouterr().out
    assert 'name = "实验中学"' in out
    assert "[canteen]" in out and "min_weight_grams = 125" in out


def test_cli_reports_config_errors_without_traceback(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[station]\nkind = "roof"\n', encoding="utf-8")
    assert cli.main(["config", "show", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kiosk: station.kind") and err.count("\n") == 1


from hypothesis import given, settings as hypothesis_settings, strategies as st  # noqa: E402


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_config_text_loads_or_gives_a_config_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "c.toml"
    path.write_text(text, encoding="utf-8")
    try:
        config.load(str(path), environ={})
    except config.ConfigError as error:
        assert "\n" not in str(error).strip()


@hypothesis_settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["KIOSK_STATION", "KIOSK_LANG", "KIOSK_SECURITY__PIN_MAX_TRIES",
                                        "KIOSK_DORM__ESCALATION_MINUTES", "KIOSK_NOPE__X", "KIOSK_CANTEEN__FRIDGE_MAX_C"]),
                       st.text(max_size=20)))
def test_any_environment_override_loads_or_gives_a_config_error(environ):
    try:
        config.load(environ=environ)
    except config.ConfigError:
        pass


def test_an_unexpected_error_is_one_line_and_logged(capsys, monkeypatch, tmp_path):
    from kiosk import commands

    def broken(args, settings):
        raise KeyError("boom")

    monkeypatch.setattr(commands, "cmd_config_show", broken)
    assert cli.main(["config", "show"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KeyError" in err and "kiosk.log" in err


@pytest.mark.parametrize("value", ["8 07:00", "0 07:00", "1 25:00", "1 07:99", "1 " + "2" * 25 + ":00", "Mon 07:00"])
def test_closed_management_times_out_of_range_stop_the_start(tmp_path, value):
    path = tmp_path / "config.toml"
    path.write_text(f'[gate]\nclosed_from = "{value}"\n', encoding="utf-8")
    with pytest.raises(config.ConfigError) as raised:
        config.load(str(path), environ={})
    assert "closed_from" in str(raised.value)


def test_retired_settings_are_gone_but_old_files_still_load(tmp_path):
    """Issue 12: dorm.headcount_window_minutes and canteen.records_retention_days were never read."""
    from kiosk import config as cfg

    assert not hasattr(cfg.DormSettings(), "headcount_window_minutes")
    assert not hasattr(cfg.CanteenSettings(), "records_retention_days")
    path = tmp_path / "old.toml"
    path.write_text("[dorm]\nheadcount_window_minutes = 30\n[canteen]\nrecords_retention_days = 730\n", encoding="utf-8")
    assert cfg.load(str(path)).canteen.retention_hours == 48


def test_config_show_masks_credentials():
    """A DingTalk secret, webhook keys and the central database's password never appear in `kiosk config show`."""
    from kiosk import config as cfg

    settings = cfg.Settings()
    settings.notify.dingtalk.secret = "SECabcdef123"
    settings.notify.wecom.webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx"
    settings.sync.central_url = "postgresql://gate_east:s3cret@10.0.0.5/school"
    shown = cfg.dumps(settings)
    assert "SECabcdef123" not in shown and "693a91f6" not in shown and "s3cret" not in shown
    assert "send?key=***" in shown and "gate_east:***@10.0.0.5" in shown
    assert "SECabcdef123" in cfg.dumps(settings, reveal=True)
