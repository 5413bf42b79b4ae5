"""The data layer starts without Textual or heavy libraries (the CLI and sync worker stay light)."""
import subprocess
import sys

CODE = """
import sys
import kiosk.models, kiosk.db, kiosk.config, kiosk.services.facts, kiosk.services.auth, kiosk.services.demo, kiosk.cli
import kiosk.features
kiosk.features.loaded()
# psycopg2 is not listed: peewee itself imports it at import time whenever it is installed.
heavy = [m for m in ("textual", "PIL", "qrcode", "openpyxl", "cryptography", "pypinyin", "zxingcpp") if m in sys.modules]
print(",".join(heavy))
"""


def test_services_and_models_do_not_import_textual_or_heavy_libraries():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"imported at start-up: {result.stdout.strip()}"
