"""Local servers on 127.0.0.1 that speak each notification channel's documented request and reply.

- WecomFake: POST /cgi-bin/webhook/send?key=KEY with {"msgtype": "markdown", "markdown": {"content": ...}},
  answers {"errcode": 0, "errmsg": "ok"}; `script` queues other answers (45009 = too frequent: retry).
- DingtalkFake: POST /robot/send?access_token=T&timestamp=MS&sign=S; checks the timestamp is within an hour
  and sign = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), as DingTalk's documentation says;
  answers 310000 "sign not match" otherwise.
- SmsFake: a template SMS gateway (kiosk/notify/channels/sms.py): checks phone, sign, template and params.
Each records what it accepted in `received`; `hang` makes the next request block until released (a crash
test kills the client while the server holds its request).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


_ARRIVALS = itertools.count()  # one order across all fakes: which message reached which server first


class _Fake:
    path = "/"

    def __init__(self, port: int = 0) -> None:
        self.received: list[dict] = []
        self.arrivals: list[int] = []  # for each received message, its place in the order across all fakes
        self.requests = 0
        self.script: list[dict] = []  # answers to give before the normal one
        self.hang = threading.Event()  # set: hold the next request until `release` is set
        self.release = threading.Event()
        self.holding = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                fake.requests += 1
                if fake.hang.is_set():
                    fake.hang.clear()
                    fake.holding.set()
                    fake.release.wait(30)
                before = len(fake.received)
                status, answer = fake.answer(urlsplit(self.path), self.headers, body)
                if len(fake.received) > before:
                    fake.arrivals.append(next(_ARRIVALS))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self):
        self.thread.start()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, url, headers, body: bytes) -> tuple[int, dict]:
        raise NotImplementedError


class WecomFake(_Fake):
    def __init__(self, key: str = "test-key", port: int = 0) -> None:
        super().__init__(port)
        self.key = key

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key={self.key}"

    def answer(self, url, headers, body):
        if url.path != "/cgi-bin/webhook/send" or parse_qs(url.query).get("key") != [self.key]:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
        message = json.loads(body)
        if message.get("msgtype") != "markdown" or not isinstance(message.get("markdown", {}).get("content"), str):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        if self.script:
            return 200, self.script.pop(0)
        self.received.append(message)
        return 200, {"errcode": 0, "errmsg": "ok"}


class DingtalkFake(_Fake):
    def __init__(self, token: str = "tok", secret: str = "SECtest", port: int = 0) -> None:
        super().__init__(port)
        self.token, self.secret = token, secret

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/robot/send?access_token={self.token}"

    def answer(self, url, headers, body):
        query = parse_qs(url.query)
        if query.get("access_token") != [self.token]:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        try:
            timestamp = int(query["timestamp"][0])
            sign = query["sign"][0]  # parse_qs already URL-decoded it
        except (KeyError, ValueError):
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        if abs(time.time() * 1000 - timestamp) > 3600 * 1000:
            return 200, {"errcode": 310000, "errmsg": "timestamp too far"}
        expected = base64.b64encode(hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(),
                                             hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(sign, expected):
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        message = json.loads(body)
        if message.get("msgtype") != "markdown" or not message["markdown"].get("title"):
            return 200, {"errcode": 40035, "errmsg": "missing parameter"}
        if self.script:
            return 200, self.script.pop(0)
        self.received.append(message)
        return 200, {"errcode": 0, "errmsg": "ok"}


class SmsFake(_Fake):
    def __init__(self, sign: str = "示范寄宿学校", templates: tuple[str, ...] = ("SMS_EXIT", "SMS_RETURN", "SMS_OVERDUE",
                                                                          "SMS_MISSING", "SMS_TEST"),
                 port: int = 0) -> None:
        super().__init__(port)
        self.sign, self.templates = sign, set(templates)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def answer(self, url, headers, body):
        message = json.loads(body)
        if message.get("sign") != self.sign:
            return 200, {"code": "isv.SMS_SIGNATURE_ILLEGAL", "message": "signature not approved"}
        if message.get("template") not in self.templates:
            return 200, {"code": "isv.SMS_TEMPLATE_ILLEGAL", "message": "template not approved"}
        phone = str(message.get("phone", ""))
        if not (phone.isdigit() and len(phone) == 11):
            return 200, {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "bad mobile number"}
        if not isinstance(message.get("params"), dict) or not all(isinstance(v, str) for v in message["params"].values()):
            return 200, {"code": "isv.INVALID_PARAMETERS", "message": "params must be strings"}
        if self.script:
            return 200, self.script.pop(0)
        self.received.append(message)
        return 200, {"code": "OK", "message": "OK", "biz_id": f"biz{len(self.received)}"}


def free_port() -> int:
    """A port nothing listens on (connections are refused: the network is down for that URL)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
