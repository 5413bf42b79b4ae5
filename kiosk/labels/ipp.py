"""Just enough IPP (RFC 8010/8011) to ask a CUPS server about a queue and a job, and to cancel a job.

`lp` sends the label (CUPS's filters do the conversion); `lpstat`'s text output does not say whether a
finished job completed or was aborted or cancelled, and it is translated, so the states are asked over IPP,
the protocol CUPS itself speaks. The server is found the way libcups finds it: $CUPS_SERVER, then
~/.cups/client.conf and /etc/cups/client.conf (ServerName), then the local socket, then localhost:631.
"""
from __future__ import annotations

import getpass
import http.client
import os
import socket
import struct
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

TIMEOUT_SECONDS = 5.0
LOCAL_SOCKET = "/run/cups/cups.sock"

# operations (RFC 8011 section 5.4.15, CUPS extension 0x4001)
CANCEL_JOB, GET_JOB_ATTRIBUTES, GET_PRINTER_ATTRIBUTES, CUPS_GET_DEFAULT = 0x0008, 0x0009, 0x000B, 0x4001
STATUS_NOT_FOUND = 0x0406

# printer-state and job-state enums
PRINTER_STOPPED = 5
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED = 3, 4, 5, 6
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9

_OPERATION_GROUP, _END = 0x01, 0x03
_INTEGER, _BOOLEAN, _ENUM = 0x21, 0x22, 0x23
_TEXT, _NAME, _KEYWORD, _URI, _CHARSET, _LANGUAGE = 0x41, 0x42, 0x44, 0x45, 0x47, 0x48


class IppError(OSError):
    """The CUPS server could not be reached or did not answer in IPP."""


@dataclass
class IppResponse:
    status: int
    attributes: dict[str, list] = field(default_factory=dict)  # every group's attributes, merged

    @property
    def ok(self) -> bool:
        return self.status < 0x0100

    def first(self, name: str, default=None):
        values = self.attributes.get(name)
        return values[0] if values else default


def cups_server() -> str:
    """A socket path or "host[:port]", as libcups chooses it."""
    if os.environ.get("CUPS_SERVER"):
        return os.environ["CUPS_SERVER"]
    for conf in (Path.home() / ".cups" / "client.conf", Path("/etc/cups/client.conf")):
        try:
            for line in conf.read_text(encoding="utf-8", errors="replace").splitlines():
                key, _, value = line.strip().partition(" ")
                if key.lower() == "servername" and value.strip():
                    return value.strip()
        except OSError:
            continue
    return LOCAL_SOCKET if os.path.exists(LOCAL_SOCKET) else "localhost:631"


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=TIMEOUT_SECONDS)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT_SECONDS)
        self.sock.connect(self.socket_path)


def _connection(server: str) -> http.client.HTTPConnection:
    if server.startswith("/"):
        return _UnixHTTPConnection(server)
    host, _, port = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
    return http.client.HTTPConnection(host or server, int(port or 631), timeout=TIMEOUT_SECONDS)


def _attribute(tag: int, name: str, values) -> bytes:
    out = b""
    for index, value in enumerate(values if isinstance(values, (list, tuple)) else [values]):
        if tag in (_INTEGER, _ENUM):
            encoded = struct.pack(">i", value)
        elif tag == _BOOLEAN:
            encoded = bytes([1 if value else 0])
        else:
            encoded = str(value).encode("utf-8")
        label = name.encode("ascii") if index == 0 else b""  # later values of the same attribute: no name
        out += struct.pack(">BH", tag, len(label)) + label + struct.pack(">H", len(encoded)) + encoded
    return out


def encode_request(operation: int, attributes: list[tuple[int, str, object]], request_id: int = 1) -> bytes:
    body = struct.pack(">BBHI", 2, 0, operation, request_id) + bytes([_OPERATION_GROUP])
    body += _attribute(_CHARSET, "attributes-charset", "utf-8")
    body += _attribute(_LANGUAGE, "attributes-natural-language", "en")
    for tag, name, value in attributes:
        body += _attribute(tag, name, value)
    return body + bytes([_END])


def decode_response(data: bytes) -> IppResponse:
    """The status and attributes of an IPP message; IppError when the bytes are not one."""
    try:
        return _decode(data)
    except (struct.error, IndexError, UnicodeDecodeError) as error:
        raise IppError(f"not an IPP response: {error}") from None


def _decode(data: bytes) -> IppResponse:
    if len(data) < 9:
        raise IppError("short IPP response")
    status = struct.unpack(">H", data[2:4])[0]
    response = IppResponse(status)
    position, name = 8, ""
    while position < len(data):
        tag = data[position]
        position += 1
        if tag == _END:
            break
        if tag < 0x10:  # the start of another attribute group
            continue
        name_length = struct.unpack(">H", data[position:position + 2])[0]
        position += 2
        if name_length:
            name = data[position:position + name_length].decode("ascii", "replace")
        position += name_length
        value_length = struct.unpack(">H", data[position:position + 2])[0]
        position += 2
        raw = data[position:position + value_length]
        position += value_length
        if tag in (_INTEGER, _ENUM) and value_length == 4:
            value: object = struct.unpack(">i", raw)[0]
        elif tag == _BOOLEAN and value_length == 1:
            value = bool(raw[0])
        else:
            value = raw.decode("utf-8", "replace")
        response.attributes.setdefault(name, []).append(value)
    return response


def request(operation: int, attributes: list[tuple[int, str, object]], *, path: str = "/",
            server: str | None = None) -> IppResponse:
    server = server or cups_server()
    connection = _connection(server)
    try:
        connection.request("POST", path, encode_request(operation, attributes),
                           {"Content-Type": "application/ipp"})
        answer = connection.getresponse()
        data = answer.read()
    except (OSError, http.client.HTTPException) as error:
        raise IppError(f"CUPS at {server}: {error}") from None
    finally:
        connection.close()
    if answer.status != 200:
        raise IppError(f"CUPS at {server}: HTTP {answer.status}")
    return decode_response(data)


def printer_uri(queue: str) -> str:
    return f"ipp://localhost/printers/{quote(queue)}"


def _user() -> tuple[int, str, str]:
    return (_NAME, "requesting-user-name", getpass.getuser())


def default_queue() -> str:
    """The server's default destination, "" when it has none."""
    answer = request(CUPS_GET_DEFAULT, [(_KEYWORD, "requested-attributes", ["printer-name"])])
    return str(answer.first("printer-name", "")) if answer.ok else ""


def printer_state(queue: str) -> IppResponse:
    """printer-state (3 idle, 4 processing, 5 stopped), printer-state-message, printer-is-accepting-jobs."""
    return request(GET_PRINTER_ATTRIBUTES, [
        (_URI, "printer-uri", printer_uri(queue)), _user(),
        (_KEYWORD, "requested-attributes",
         ["printer-state", "printer-state-message", "printer-state-reasons", "printer-is-accepting-jobs"]),
    ], path=f"/printers/{quote(queue)}")


def job_state(queue: str, job_id: int) -> IppResponse:
    """job-state (3 pending .. 9 completed), job-state-reasons, job-printer-state-message."""
    return request(GET_JOB_ATTRIBUTES, [
        (_URI, "printer-uri", printer_uri(queue)), (_INTEGER, "job-id", job_id), _user(),
        (_KEYWORD, "requested-attributes", ["job-state", "job-state-reasons", "job-printer-state-message"]),
    ], path="/jobs/")


def cancel_job(queue: str, job_id: int) -> bool:
    answer = request(CANCEL_JOB, [(_URI, "printer-uri", printer_uri(queue)), (_INTEGER, "job-id", job_id), _user()],
                     path="/jobs/")
    return answer.ok
