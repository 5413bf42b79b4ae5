"""The office's slip-signing keys (Ed25519).

- The private key is a PEM file (mode 0600) under `<data dir>/keys/` (or a folder given with --out),
  named `slip-<school>-<key id>.pem`. It is never stored in the database and never synced.
- The public key goes into the `slip_key` table through the write path, so it syncs to every gate.
  A gate station without sync imports it from the file `kiosk keys export-public` writes.
- Rotation: a new key gets the next key id and signs new slips; older keys are marked retired but keep
  verifying the slips they signed. The QR payload carries the key id.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk import clock, paths
from kiosk.models.slips import SlipKey
from kiosk.services.actor import Actor
from kiosk.services.facts import record


class SlipKeyError(Exception):
    """A key operation that cannot be done; the message says why (one line)."""


@dataclass(frozen=True)
class KeyInfo:
    key_id: int
    public_key: str  # hex
    label: str
    created_at: datetime
    retired_at: datetime | None
    private_file: str  # "" when this station holds no private key for it


def default_key_dir() -> Path:
    """Beside the database that holds the keys' public halves: `<database file>.keys/`.

    One office database, one key folder: a second database on the same machine (a demo, a rebuilt office)
    never finds, or collides with, another database's private keys. `[slips] key_dir` overrides it.
    """
    from kiosk.models import database_proxy

    name = getattr(database_proxy.obj, "database", "") or ""
    if name and name != ":memory:":
        database_file = Path(name)
        return database_file.with_name(database_file.name + ".keys")
    return paths.data_dir() / "keys"


def private_key_path(school_id: str, key_id: int, key_dir: Path | None = None) -> Path:
    return (key_dir or default_key_dir()) / f"slip-{school_id}-{key_id}.pem"


def public_keys(school_id: str) -> dict[int, bytes]:
    """Every public key this station knows for the school, retired ones included (old slips still verify)."""
    from kiosk.models import database_proxy

    rows = database_proxy.execute_sql('SELECT key_id, public_key FROM slip_key WHERE school_id = ?', (school_id,))
    return {key_id: bytes.fromhex(public_hex) for key_id, public_hex in rows.fetchall()}


def list_keys(school_id: str, key_dir: Path | None = None) -> list[KeyInfo]:
    rows = SlipKey.select().where(SlipKey.school_id == school_id).order_by(SlipKey.key_id)
    result = []
    for row in rows:
        path = private_key_path(school_id, row.key_id, key_dir)
        result.append(KeyInfo(row.key_id, row.public_key, row.label, row.recorded_at, row.retired_at,
                              str(path) if path.exists() else ""))
    return result


def _write_private(path: Path, pem: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    # O_EXCL: never overwrite a key that may have signed slips already.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)


def create_key(actor: Actor, *, key_dir: Path | None = None, rotate: bool = False, label: str = "") -> KeyInfo:
    """Make a key pair: private file (0600), public half into the database. `rotate` retires the older keys."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    existing = list(SlipKey.select().where(SlipKey.school_id == actor.school_id).order_by(SlipKey.key_id))
    if existing and not rotate:
        raise SlipKeyError("a signing key already exists; use --rotate to make a new one")
    key_id = (existing[-1].key_id + 1) if existing else 1
    if key_id > 0xFFFF:
        raise SlipKeyError("no key ids left")
    path = private_key_path(actor.school_id, key_id, key_dir)
    if path.exists():
        raise SlipKeyError(f"{path} already exists; refusing to overwrite a private key")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public_hex = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    now = clock.now()
    _write_private(path, pem)
    try:
        with record(actor, "slip.key_create", entity="slip_key", detail={"key_id": key_id, "public_key": public_hex}) as w:
            row = w.insert(SlipKey(recorded_at=now, key_id=key_id, public_key=public_hex,
                                   label=label or f"key {key_id}"))
            for old in existing:
                if old.retired_at is None:
                    old.retired_at = now
                    w.update(old, SlipKey.retired_at)
    except Exception:
        path.unlink(missing_ok=True)  # no database row, no orphan private key
        raise
    _private_cache.clear()
    return KeyInfo(row.key_id, public_hex, row.label, now, None, str(path))


def export_public(school_id: str, output: Path) -> int:
    keys = [{"key_id": k.key_id, "public_key": k.public_key, "label": k.label,
             "retired": k.retired_at is not None} for k in list_keys(school_id)]
    if not keys:
        raise SlipKeyError("no signing keys yet; run `kiosk keys init` at the office first")
    output.write_text(json.dumps({"kind": "kiosk-slip-public-keys", "school_id": school_id, "keys": keys},
                                 ensure_ascii=False, indent=2), encoding="utf-8")
    return len(keys)


def import_public(actor: Actor, source: Path) -> int:
    """Add the public keys from an export file; returns how many were new. A clash (same id, other key) is refused."""
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        if data.get("kind") != "kiosk-slip-public-keys":
            raise ValueError("kind")
        keys = [(int(k["key_id"]), str(k["public_key"]).lower(), str(k.get("label", "")), bool(k.get("retired")))
                for k in data["keys"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise SlipKeyError(f"{source}: not a public key file written by `kiosk keys export-public`") from None
    if data.get("school_id") != actor.school_id:
        raise SlipKeyError(f"{source}: keys of school {data.get('school_id')!r}, this station is {actor.school_id!r}")
    for key_id, public_hex, _label, _retired in keys:
        if not 0 <= key_id <= 0xFFFF or len(public_hex) != 64 or any(c not in "0123456789abcdef" for c in public_hex):
            raise SlipKeyError(f"{source}: key {key_id} is malformed")
    known = {row.key_id: row.public_key for row in SlipKey.select().where(SlipKey.school_id == actor.school_id)}
    for key_id, public_hex, _label, _retired in keys:
        if key_id in known and known[key_id] != public_hex:
            raise SlipKeyError(f"key {key_id} differs from the one this station already has; nothing imported")
    new = [k for k in keys if k[0] not in known]
    if not new:
        return 0
    now = clock.now()
    with record(actor, "slip.key_import", entity="slip_key", detail={"key_ids": [k[0] for k in new]}) as w:
        for key_id, public_hex, label, retired in new:
            w.insert(SlipKey(recorded_at=now, key_id=key_id, public_key=public_hex, label=label,
                             retired_at=now if retired else None))
    return len(new)


_private_cache: dict[str, tuple[int, object]] = {}


def signing_key(school_id: str, key_dir: Path | None = None) -> tuple[int, object]:
    """(key id, Ed25519PrivateKey) of the newest active key whose private file this station holds."""
    cache_key = f"{school_id}|{key_dir or default_key_dir()}"
    if cache_key in _private_cache:
        return _private_cache[cache_key]
    from cryptography.hazmat.primitives import serialization

    rows = (SlipKey.select().where((SlipKey.school_id == school_id) & SlipKey.retired_at.is_null())
            .order_by(SlipKey.key_id.desc()))
    for row in rows:
        path = private_key_path(school_id, row.key_id, key_dir)
        if path.exists():
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            public_hex = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                           serialization.PublicFormat.Raw).hex()
            if public_hex != row.public_key:
                raise SlipKeyError(f"{path} does not match public key {row.key_id} in the database")
            _private_cache[cache_key] = (row.key_id, private)
            return row.key_id, private
    raise SlipKeyError("this station holds no private signing key; slips are issued at the office (kiosk keys init)")
