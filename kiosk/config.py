"""Settings: defaults here, a TOML file on top, `KIOSK_*` environment variables on top of that.

File: `--config PATH`, else `$KIOSK_CONFIG`, else `$XDG_CONFIG_HOME/kiosk/config.toml` (if it exists).
Environment: `KIOSK_<SECTION>__<KEY>=value`, e.g. `KIOSK_SCHOOL__NAME=...`, `KIOSK_STATION__KIND=gate`;
shortcuts `KIOSK_DB` (database path), `KIOSK_STATION` (station kind), `KIOSK_LANG` (zh-CN / en).
Where a rule differs between schools it is a setting here, with the default from DOMAIN.md.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from kiosk import clock_times, paths
from kiosk.notify.settings import GUARDIAN_SLIP_CHOICES, RECIPIENT_ROLES, NotifySettings

STATION_KINDS = ("gate", "dorm", "canteen", "office")
LANGUAGES = ("zh-CN", "en")
DAY_STUDENT_OUTSIDE_HOURS = ("refuse", "confirm")


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message says which key and why."""


@dataclass
class SchoolSettings:
    id: str = "demo"
    name: str = "示范寄宿学校"
    timezone: str = "Asia/Shanghai"


@dataclass
class StationSettings:
    kind: str = "gate"
    name: str = ""  # shown beside the kind on the status bar, e.g. "east-gate"
    building: str = ""  # dorm stations: the building they count ("" = ask at login)


@dataclass
class DatabaseSettings:
    path: str = ""  # "" = XDG data dir


@dataclass
class SecuritySettings:
    idle_lock_minutes: int = 5
    pin_max_tries: int = 5
    lockout_minutes: int = 15


@dataclass
class ScannerSettings:
    burst_gap_ms: int = 40  # keys closer than this belong to one scanner burst
    repeat_ignore_seconds: float = 2.0


@dataclass
class GateSettings:
    visiting_hours: str = "07:00-21:00"  # outside: a night visit, needs the duty leader
    visitor_default_stay_minutes: int = 120
    visitor_retention_days: int = 180
    # Closed management: boarders stay in from drop-off to dismissal (ISO weekday 1=Monday).
    closed_from: str = "1 07:00"
    closed_until: str = "5 16:30"
    # Day students' hours: every day "06:30-22:00", or by ISO weekday with several windows a day,
    # e.g. "1-5 06:30-07:50,11:40-14:10,16:30-22:00; 7 17:00-21:00" (a weekday not named: no hours).
    day_student_hours: str = "06:30-22:00"
    # A day student's card outside those hours: "refuse" (with the hours as the reason), or "confirm":
    # allowed, flagged, and recorded only when the gatekeeper presses the confirmation key.
    day_student_outside_hours: str = "refuse"
    # A slip scanned again this soon after its exit was recorded is the same student scanning twice, not a
    # return: refused with the exit time, so a habitual Enter cannot record a false return.
    slip_rescan_minutes: int = 3
    # A day student's card crossing the other way this soon after its last crossing is flagged: with the
    # direction inferred from that crossing, a card handed back over the fence would otherwise pass unflagged.
    card_turnaround_minutes: int = 5

    # The times above as the rules read them (parsed once per text; config.validate has checked them).
    @property
    def closed_window(self) -> clock_times.WeekWindow:
        return clock_times.week_window(self.closed_from, self.closed_until)

    @property
    def day_student_schedule(self) -> clock_times.WeekSchedule:
        return clock_times.parse_week_schedule(self.day_student_hours)

    @property
    def visiting_window(self) -> clock_times.DailyWindow:
        return clock_times.parse_daily_window(self.visiting_hours)


@dataclass
class SlipSettings:
    head_teacher_max_days: float = 3.0
    discipline_max_days: float = 7.0  # above this the principal approves too
    key_dir: str = ""  # office: folder of the private signing key ("" = beside the database, <db>.keys/); never synced


@dataclass
class DormSettings:
    lights_out: str = "22:00"
    escalation_minutes: list[int] = field(default_factory=lambda: [0, 30, 60])
    escalation_overdue_minutes: int = 15  # an unacknowledged escalation step turns overdue after this

    @property
    def lights_out_time(self):
        """Lights-out as a clock time; ValueError if the setting is not HH:MM (config.validate checks)."""
        moment = clock_times.parse_hhmm(self.lights_out)
        if moment is None:
            raise ValueError(f"{self.lights_out!r}: expected HH:MM")
        return moment


@dataclass
class CanteenSettings:
    min_weight_grams: int = 125
    retention_hours: int = 48
    fridge_min_c: float = 0.0
    fridge_max_c: float = 8.0
    require_reviewer: bool = False
    disposal_overdue_hours: int = 24  # due for disposal longer than this = overdue
    # Samples come from the finished dish before service: later than this after service began is "late",
    # earlier than this before it is "early" (both flagged on screen and in the register's 备注).
    late_sample_minutes: int = 0
    early_sample_hours: float = 4.0
    meals_set_by: str = "10:00"  # a school day (Mon-Fri) with no meals set up by this time is an alert
    scale_port: str = ""  # serial port of the sample scale, e.g. /dev/ttyUSB0; "" = weights are typed
    scale_baud: int = 9600
    scale_unit: str = "g"  # the unit of a scale that sends bare numbers: g or kg


@dataclass
class IdCardSettings:
    port: str = ""  # serial port of the ID card reader, e.g. /dev/ttyUSB0; "" = no reader (type or scan the number)
    baud: int = 115200
    poll_ms: int = 500  # how often the open visitor form asks the reader for a card
    keep_address: bool = False  # fill and show the card's address; off by default (keep only what the register needs)


@dataclass
class PrinterSettings:
    backend: str = "png"  # png | tspl | escpos | cups
    device: str = ""  # TSPL device file, or host:port for TCP 9100
    cups_queue: str = ""
    label_size: str = "40x30"  # millimetres: 40x30, 50x30, 60x40
    dpi: int = 203
    output_dir: str = ""  # png backend; "" = XDG data dir / labels


@dataclass
class SyncSettings:
    central_url: str = ""  # "" = local only
    interval_seconds: int = 10
    batch_size: int = 1000  # outbox rows per push (a local transaction is never split)
    page_size: int = 5000  # rows per pull page
    pull_tables: list[str] = field(default_factory=list)  # table patterns to pull; [] = by station kind
    # Time limits on every station connection to central (issue 13): a stalled or vanished station must not
    # hang its own worker nor hold up another station's push. PostgreSQL's defaults are 0 (wait forever).
    connect_timeout_seconds: int = 10
    statement_timeout_seconds: float = 30.0  # a push or pull query running longer is cancelled at central
    lock_timeout_seconds: float = 20.0  # waiting longer for the school's push turn fails the round (retried)
    idle_in_transaction_seconds: float = 15.0  # central ends a session left idle inside a transaction
    keepalive_idle_seconds: int = 10  # TCP keepalives: a peer gone silently is noticed within
    keepalive_interval_seconds: int = 5  # idle + interval * count seconds
    keepalive_count: int = 3
    stall_seconds: float = 60.0  # no completed round for this long: drop the connection, status bar says stalled


@dataclass
class Settings:
    language: str = "zh-CN"
    school: SchoolSettings = field(default_factory=SchoolSettings)
    station: StationSettings = field(default_factory=StationSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    scanner: ScannerSettings = field(default_factory=ScannerSettings)
    gate: GateSettings = field(default_factory=GateSettings)
    slips: SlipSettings = field(default_factory=SlipSettings)
    dorm: DormSettings = field(default_factory=DormSettings)
    canteen: CanteenSettings = field(default_factory=CanteenSettings)
    idcard: IdCardSettings = field(default_factory=IdCardSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)  # kiosk/notify/settings.py

    def database_path(self) -> Path:
        return Path(self.database.path) if self.database.path else paths.data_dir() / "kiosk.sqlite3"

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _coerce(value: Any, annotation: Any, key: str) -> Any:
    """Turn a TOML value or an environment string into the field's type, or say why not."""
    origin = getattr(annotation, "__origin__", None)
    try:
        if annotation is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if annotation is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if annotation is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if annotation is str:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError(value)
            return str(value)
        if origin is list:
            if isinstance(value, str):
                value = [part for part in value.split(",") if part.strip()]
            if not isinstance(value, list):
                raise ValueError(value)
            (item_type,) = annotation.__args__
            return [_coerce(item, item_type, key) for item in value]
    except (TypeError, ValueError, OverflowError):  # OverflowError: `inf` for an int, a 400-digit int for a float
        raise ConfigError(f"{key}: {value!r} is not a valid {getattr(annotation, '__name__', annotation)}") from None
    raise ConfigError(f"{key}: unsupported setting type")


# Settings that nothing read and were removed: a config file written before still loads (they are ignored).
RETIRED_SETTINGS = frozenset({"dorm.headcount_window_minutes", "canteen.records_retention_days"})


def _apply(target: Any, values: dict[str, Any], prefix: str) -> None:
    hints = get_type_hints(type(target))
    known = {f.name for f in fields(target)}
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if dotted in RETIRED_SETTINGS:
            continue
        if key not in known:
            raise ConfigError(f"{dotted}: unknown setting")
        current = getattr(target, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"{dotted}: expected a [section]")
            _apply(current, value, f"{dotted}.")
        else:
            setattr(target, key, _coerce(value, hints[key], dotted))


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    shortcuts = {"KIOSK_DB": ("database", "path"), "KIOSK_STATION": ("station", "kind"), "KIOSK_LANG": ("language",)}
    overrides: dict[str, Any] = {}
    for name, value in environ.items():
        if name in shortcuts:
            parts = shortcuts[name]
        elif name.startswith("KIOSK_") and "__" in name:
            parts = tuple(part.lower() for part in name[len("KIOSK_"):].split("__"))
        else:
            continue
        node = overrides
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):  # e.g. KIOSK_LANG and KIOSK_LANGUAGE__X, or KIOSK_SCHOOL__NAME and ..__NAME__X
                raise ConfigError(f"{name}: {part} is a setting, not a [section]")
        node[parts[-1]] = value
    return overrides


def validate(settings: Settings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if settings.station.kind not in STATION_KINDS:
        raise ConfigError(f"station.kind: {settings.station.kind!r} is not one of {', '.join(STATION_KINDS)}")
    if settings.language not in LANGUAGES:
        raise ConfigError(f"language: {settings.language!r} is not one of {', '.join(LANGUAGES)}")
    try:
        ZoneInfo(settings.school.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"school.timezone: unknown time zone {settings.school.timezone!r}") from None
    if settings.security.pin_max_tries < 1 or settings.security.idle_lock_minutes < 1:
        raise ConfigError("security: pin_max_tries and idle_lock_minutes must be at least 1")
    if settings.canteen.min_weight_grams <= 0 or settings.canteen.retention_hours <= 0:
        raise ConfigError("canteen: min_weight_grams and retention_hours must be positive")
    if settings.canteen.scale_unit not in ("g", "kg") or settings.canteen.scale_baud <= 0:
        raise ConfigError("canteen: scale_unit must be g or kg, and scale_baud positive (e.g. 9600)")
    if settings.notify.guardian_slip not in GUARDIAN_SLIP_CHOICES:
        raise ConfigError(f"notify.guardian_slip: {settings.notify.guardian_slip!r} is not one of {', '.join(GUARDIAN_SLIP_CHOICES)}")
    for name in ("overdue_roles", "overdue_later_roles", "watchlist_deny_roles", "sample_missing_roles"):
        unknown = [role for role in getattr(settings.notify, name) if role not in RECIPIENT_ROLES]
        if unknown:
            raise ConfigError(f"notify.{name}: {', '.join(unknown)} is not one of {', '.join(RECIPIENT_ROLES)}")
    for name, url in (("notify.wecom.webhook", settings.notify.wecom.webhook),
                      ("notify.dingtalk.webhook", settings.notify.dingtalk.webhook), ("notify.sms.url", settings.notify.sms.url)):
        if url and not url.startswith(("https://", "http://")):  # else every message would wait for a typo
            raise ConfigError(f"{name}: {url!r} is not an http(s):// address")
    if settings.idcard.baud <= 0 or not 50 <= settings.idcard.poll_ms <= 60000:
        raise ConfigError("idcard: baud must be positive (e.g. 115200) and poll_ms between 50 and 60000")
    if settings.gate.day_student_outside_hours not in DAY_STUDENT_OUTSIDE_HOURS:
        raise ConfigError(f"gate.day_student_outside_hours: {settings.gate.day_student_outside_hours!r} is not one "
                          f"of {', '.join(DAY_STUDENT_OUTSIDE_HOURS)}")
    _validate_sync_limits(settings.sync)
    _validate_clock_times(settings)


def _validate_sync_limits(sync: SyncSettings) -> None:
    limits = {name: getattr(sync, name) for name in (
        "connect_timeout_seconds", "statement_timeout_seconds", "lock_timeout_seconds", "idle_in_transaction_seconds",
        "keepalive_idle_seconds", "keepalive_interval_seconds", "keepalive_count", "stall_seconds")}
    for name, value in limits.items():
        if value <= 0:
            raise ConfigError(f"sync.{name}: must be positive (0 would mean wait forever)")
    # The school's push turn is freed within idle_in_transaction_seconds of a stall; a waiter must outlast that.
    if not sync.idle_in_transaction_seconds <= sync.lock_timeout_seconds <= sync.statement_timeout_seconds:
        raise ConfigError("sync: expected idle_in_transaction_seconds <= lock_timeout_seconds <= statement_timeout_seconds")


def _validate_clock_times(settings: Settings) -> None:
    """The times the gate and dorm read on every scan and count, checked with the code that reads them:
    a typo must stop `kiosk run` with this message, not make the first scan fail without a verdict."""
    checks = (
        ("gate.closed_from / gate.closed_until", '"1 07:00" (ISO weekday, HH:MM)',
         lambda: settings.gate.closed_window),
        ("gate.day_student_hours", '"06:30-22:00" or "1-5 06:30-07:50,16:30-22:00; 7 17:00-21:00"',
         lambda: settings.gate.day_student_schedule),
        ("gate.visiting_hours", '"07:00-21:00"', lambda: settings.gate.visiting_window),
        ("dorm.lights_out", '"22:00"', lambda: settings.dorm.lights_out_time),
    )
    for name, example, read in checks:
        try:
            read()
        except (ValueError, TypeError, OverflowError):
            raise ConfigError(f"{name}: cannot be read as a time, expected e.g. {example}") from None


def config_path(explicit: str | None, environ: dict[str, str] | None = None) -> Path | None:
    environ = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if environ.get("KIOSK_CONFIG"):
        return Path(environ["KIOSK_CONFIG"])
    default = paths.config_dir() / "config.toml"
    return default if default.exists() else None


def load(explicit_path: str | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Effective settings. Raises ConfigError with a one-line reason; never half-applies."""
    environ = dict(os.environ if environ is None else environ)
    settings = Settings()
    path = config_path(explicit_path, environ)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: not valid TOML ({error})") from None
        _apply(settings, data, "")
    _apply(settings, _env_overrides(environ), "")
    validate(settings)
    return settings


# Settings that hold a credential: `kiosk config show` prints them masked (its output lands in tickets and chats).
SECRET_SETTINGS = ("notify.dingtalk.secret",)
URL_SETTINGS = ("sync.central_url", "notify.wecom.webhook", "notify.dingtalk.webhook", "notify.sms.url")


def redact_url(url: str) -> str:
    """A URL with its password and its query values (webhook keys, access tokens) masked."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(":" + parts.password + "@", ":***@")
    query = urlencode([(name, "***") for name, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def dumps(settings: Settings, *, reveal: bool = False) -> str:
    """The effective settings as TOML; credentials masked unless `reveal`."""
    import tomli_w

    data = settings.as_dict()
    if not reveal:
        for dotted in SECRET_SETTINGS + URL_SETTINGS:
            *path, name = dotted.split(".")
            section = data
            for part in path:
                section = section.get(part, {})
            if section.get(name):
                section[name] = "***" if dotted in SECRET_SETTINGS else redact_url(section[name])
    return tomli_w.dumps(data)
