"""`kiosk notify ...` through the real entry point, and the [notify] settings from TOML and KIOSK_* variables."""
from __future__ import annotations

import json

import pytest

from kiosk import config
from kiosk.cli import main
from tests.notify_fakes import WecomFake


def test_settings_from_file_and_environment(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[notify]\nguardian_slip = "return_only"\n[notify.dingtalk]\nwebhook = "https://ding.example/x"\n'
                    'secret = "SEC1"\n[notify.smtp]\nhost = "mail.school.example"\nto = ["duty@school.example"]\n',
                    encoding="utf-8")
    settings = config.load(str(path), environ={"KIOSK_NOTIFY__WECOM__WEBHOOK": "https://wecom.example/k",
                                               "KIOSK_NOTIFY__SMS__TEMPLATE_OVERDUE": "SMS_9"})
    assert settings.notify.guardian_slip == "return_only" and settings.notify.dingtalk.secret == "SEC1"
    assert settings.notify.wecom.webhook == "https://wecom.example/k" and settings.notify.sms.template_overdue == "SMS_9"
    assert settings.notify.smtp.to == ["duty@school.example"] and settings.notify.smtp.port == 25
    with pytest.raises(config.ConfigError, match="notify.guardian_slip"):
        config.load(None, environ={"KIOSK_NOTIFY__GUARDIAN_SLIP": "always"})
    with pytest.raises(config.ConfigError, match="notify.overdue_later_roles: janitor"):
        config.load(None, environ={"KIOSK_NOTIFY__OVERDUE_LATER_ROLES": "duty_leader,janitor"})
    assert config.load(None, environ={"KIOSK_NOTIFY__OVERDUE_ROLES": "head_teacher"}).notify.overdue_roles == ["head_teacher"]
    with pytest.raises(config.ConfigError, match="notify.wecom.webhook"):
        config.load(None, environ={"KIOSK_NOTIFY__WECOM__WEBHOOK": "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})


def test_cli_test_deliver_list(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "station.sqlite3")
    with WecomFake() as fake:
        monkeypatch.setenv("KIOSK_NOTIFY__WECOM__WEBHOOK", fake.url)
        assert main(["notify", "test", "--channel", "wecom", "--to", "值班室", "--db", db]) == 0
        assert "wecom -> 值班室: sent" in capsys.readouterr().out and len(fake.received) == 1
        assert main(["notify", "deliver", "--once", "--db", db]) == 0
        assert "sent 0" in capsys.readouterr().out
        assert main(["notify", "list", "--json", "--db", db]) == 0
        (row,) = json.loads(capsys.readouterr().out)
        assert (row["event"], row["channel"], row["status"]) == ("test", "wecom", "sent")
        assert main(["notify", "test", "--channel", "sms", "--to", "13812345678", "--db", db]) == 2
        error = capsys.readouterr().err
        assert "sms" in error and "未配置" in error and "not configured" in error
        assert main(["notify", "opt-out", "--student", "nobody", "--db", db]) == 2
        assert "nobody" in capsys.readouterr().err
