"""Where the station writes what went wrong: kiosk.log in the station's data folder (XDG data dir).

One file handler on the `kiosk` logger, set up by the app and the CLI; pointing it at another folder (a test's
own data dir) replaces the old handler instead of adding a second one."""
from __future__ import annotations

import logging
from pathlib import Path

from kiosk import paths

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path() -> Path:
    return paths.data_dir() / "kiosk.log"


def configure() -> Path | None:
    """Send the kiosk's log records (warnings and worse) to kiosk.log; None if the folder cannot be written."""
    path = log_path()
    logger = logging.getLogger("kiosk")
    for handler in list(logger.handlers):
        if getattr(handler, "kiosk_log", False):
            if Path(handler.baseFilename) == path:
                return path
            logger.removeHandler(handler)
            handler.close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.kiosk_log = True
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    return path
