"""The fault proxy itself, against a local echo server (no PostgreSQL): each fault does what the stall tests
rely on, so a failing stall test points at the sync code, not at the proxy."""
from __future__ import annotations

import socket
import threading

import pytest

from tests.sync.fault_proxy import FaultProxy


@pytest.fixture
def echo_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    closed = threading.Event()

    def serve(conn):
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:  # the proxy reset us: that is the point of some tests
                pass

    def accept():
        while not closed.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    closed.set()
    server.close()


@pytest.fixture
def proxy(echo_port):
    proxy = FaultProxy(echo_port).start()
    yield proxy
    proxy.stop()


def _client(proxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    sock.settimeout(0.5)
    return sock


def _echo(sock, data: bytes) -> bytes:
    sock.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def test_passes_then_blackholes_then_delivers_what_it_held(proxy):
    sock = _client(proxy)
    assert _echo(sock, b"hello") == b"hello"
    proxy.blackhole()
    sock.sendall(b"held")
    with pytest.raises(TimeoutError):  # stalled: nothing comes back, and the connection stays open
        sock.recv(10)
    proxy.heal()
    sock.settimeout(2)
    assert sock.recv(10) == b"held"


def test_stall_after_a_marker(proxy):
    sock = _client(proxy)
    proxy.stall_after(b"push")
    assert _echo(sock, b"pull") == b"pull"
    sock.sendall(b"push")  # reaches the server; its echo is held
    with pytest.raises(TimeoutError):
        sock.recv(10)
    assert proxy.triggered


def test_server_side_closed_leaves_the_station_side_open_and_silent_until_healed(proxy):
    sock = _client(proxy)
    assert _echo(sock, b"x") == b"x"
    proxy.close_side("server")
    proxy.resume()
    sock.sendall(b"anyone?")
    with pytest.raises(TimeoutError):  # no answer, and no EOF either
        sock.recv(10)
    assert _echo(_client(proxy), b"new") == b"new"  # new connections pass
    proxy.heal()
    sock.settimeout(2)
    with pytest.raises(ConnectionResetError):
        sock.recv(10)


def test_reset_and_cut_after_n_bytes(proxy):
    sock = _client(proxy)
    assert _echo(sock, b"x") == b"x"
    proxy.reset()
    sock.settimeout(2)
    with pytest.raises(ConnectionResetError):
        sock.recv(10)
    cut = _client(proxy)
    proxy.cut_after(3, "s2c")
    cut.settimeout(2)
    cut.sendall(b"abcdef")
    got = b""
    while chunk := cut.recv(10):
        got += chunk
    assert got == b"abc"  # then the proxy closed both sides
