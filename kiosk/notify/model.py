"""Notification facts, their delivery receipts and guardian opt-outs (migration m0012).

A notification names one message to one recipient on one channel. Its id is a UUIDv5 of its dedupe key
(event, subject, step, recipient, channel), so two stations that write the same notification write the
same row, and sync folds them into one. `owner_station_id` is the one station that delivers it (the gate
that saw the exit, the dorm station that opened the incident); every other station only shows it.
Status changes and receipts are written by the owner only, so last-writer-wins never has to choose.
"""
from __future__ import annotations

import peewee

from kiosk.models.base import FactModel, JSONField, UtcDateTimeField
from kiosk.models.people import Student

STATUSES = ("queued", "sent", "failed", "cancelled")


class Notification(FactModel):
    owner_station_id = peewee.CharField(max_length=40)
    dedupe_key = peewee.CharField(unique=True)
    event = peewee.CharField(max_length=24)  # slip_exit | slip_return | overdue | missing | watchlist_deny | sample_missing | test
    subject_id = peewee.CharField(max_length=36)  # the row that caused it: crossing, overdue alert, incident, visit, meal
    step = peewee.IntegerField(default=0)
    recipient_role = peewee.CharField(max_length=60)  # guardian | head_teacher | duty_leader | principal | food_safety
    recipient_id = peewee.CharField(max_length=36, default="")  # staff or student id; "" for a group channel
    recipient_name = peewee.CharField(default="")
    address = peewee.CharField(default="")  # a phone for SMS; "" for group channels (the channel has the address)
    channel = peewee.CharField(max_length=12)  # sms | wecom | dingtalk | smtp
    params = JSONField()  # the minimum the message needs: names, class, times, gate; never an ID number
    due_at = UtcDateTimeField()
    status = peewee.CharField(max_length=12, default="queued")
    attempts = peewee.IntegerField(default=0)
    next_try_at = UtcDateTimeField(null=True)
    sending_since = UtcDateTimeField(null=True)  # set before the provider is called, cleared by the receipt
    sent_at = UtcDateTimeField(null=True)
    reason = peewee.CharField(default="")  # the last provider code and message (kept when given up)

    class Meta:
        indexes = ((("owner_station_id", "status", "due_at"), False), (("event", "subject_id"), False))


class NotificationReceipt(FactModel):
    """One delivery attempt's outcome: sent, retry (with the provider's reason), failed, interrupted, cancelled."""

    notification = peewee.ForeignKeyField(Notification, backref="receipts")
    attempt = peewee.IntegerField()
    outcome = peewee.CharField(max_length=12)
    code = peewee.CharField(default="")
    reason = peewee.CharField(default="")


class GuardianOptOut(FactModel):
    """A guardian who asked not to be told (or asked again to be told): the newest row for a student wins."""

    student = peewee.ForeignKeyField(Student, backref="notify_opt_outs")
    opted_out = peewee.BooleanField()
    note = peewee.CharField(default="")


MODELS = [Notification, NotificationReceipt, GuardianOptOut]
