"""[notify] settings: which events tell whom, and the channels. Defaults from issue 17 and DOMAIN.md.

Every value is overridable like any setting, e.g. KIOSK_NOTIFY__WECOM__WEBHOOK=https://...
A channel without its address is off; with no channel on, nothing is queued (on screen only, as before).
"""
from __future__ import annotations

from dataclasses import dataclass, field

GUARDIAN_SLIP_CHOICES = ("off", "return_only", "exit_and_return")
# Who can be told: the student's guardian, the student's own head teacher, or every active holder of a staff role.
RECIPIENT_ROLES = ("guardian", "head_teacher", "duty_leader", "principal", "discipline", "dorm_manager", "food_safety")


@dataclass
class WecomSettings:
    webhook: str = ""  # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...


@dataclass
class DingtalkSettings:
    webhook: str = ""  # https://oapi.dingtalk.com/robot/send?access_token=...
    secret: str = ""  # the robot's 加签 secret (SEC...); "" = the robot has no signature check


@dataclass
class SmsSettings:
    url: str = ""  # the gateway's HTTP endpoint
    sign: str = ""  # the approved signature (签名), e.g. 示范寄宿学校
    # Approved template ids, one per event (no free text goes to an SMS gateway).
    template_slip_exit: str = ""
    template_slip_return: str = ""
    template_overdue: str = ""
    template_missing: str = ""
    template_watchlist_deny: str = ""
    template_sample_missing: str = ""
    template_test: str = ""


@dataclass
class SmtpSettings:
    host: str = ""
    port: int = 25
    sender: str = ""
    to: list[str] = field(default_factory=list)  # the staff mailbox(es) that receive staff notices


@dataclass
class NotifySettings:
    guardian_slip: str = "exit_and_return"  # off | return_only | exit_and_return
    # Who is told of what (RECIPIENT_ROLES); the missing-student ladder is [dorm] escalation_minutes' own.
    overdue_roles: list[str] = field(default_factory=lambda: ["guardian", "head_teacher"])  # at the deadline
    overdue_later_roles: list[str] = field(default_factory=lambda: ["duty_leader"])  # ...and this much later:
    overdue_duty_leader_minutes: int = 30
    watchlist_deny_roles: list[str] = field(default_factory=lambda: ["duty_leader"])
    sample_missing_roles: list[str] = field(default_factory=lambda: ["food_safety"])
    rate_limit_per_hour: int = 10  # messages per recipient and channel; more wait for the window
    max_attempts: int = 8  # provider refusals worth retrying; then given up with the reason
    expire_hours: int = 24  # a message not sent within this (network down) is given up as stale
    interval_seconds: int = 15  # the delivery loop's pace
    wecom: WecomSettings = field(default_factory=WecomSettings)
    dingtalk: DingtalkSettings = field(default_factory=DingtalkSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
