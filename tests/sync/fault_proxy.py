"""A TCP fault proxy on 127.0.0.1 between stations and PostgreSQL, for the stall scenarios of issue 13.

    proxy = FaultProxy(5432).start(); url = proxy.url(central_url)     # stations connect through it
    proxy.blackhole()        # stall every connection without closing it (new ones too): bytes are held
    proxy.stall_after(b"sync_push")   # pass until a client message holding the marker went through, then stall
    proxy.triggered          # True once a stall began (blackhole() or the marker went through)
    proxy.close_side("server")        # close the PostgreSQL side only; the station's side stays open and silent
    proxy.reset()            # RST both sides of every connection
    proxy.cut_after(100, "s2c")       # pass 100 more bytes server->client, then close both sides
    proxy.cut_after(40, "s2c", after=b"sync_push")   # the same, counting from the push's request on
    proxy.resume()           # new connections pass; the stalled ones and those whose server side was
                             # closed stay silent (as when a router lost their state)
    proxy.heal()             # pass again: held bytes flow (as TCP retransmits after a partition heals);
                             # a connection whose server side was closed gets a RST on its station side
                             # (what the station's next packet or keepalive probe would get from the server)

Byte-level only: it knows nothing of the PostgreSQL protocol beyond the marker search.
"""
from __future__ import annotations

import select
import socket
import struct
import threading
from urllib.parse import urlsplit, urlunsplit

DIRECTIONS = ("c2s", "s2c")


def _reset_close(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a RST instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class _Link:
    """One station connection: the station's socket, PostgreSQL's socket, bytes held per direction."""

    def __init__(self, proxy: "FaultProxy", client: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.held = {direction: bytearray() for direction in DIRECTIONS}
        self.eof = {direction: False for direction in DIRECTIONS}
        self.close_requested: str | None = None  # "server" or "client": that side is closed, the other left silent
        self.one_side_closed = False
        self.stalled = proxy.stall_new
        self.closed = False
        self.thread = threading.Thread(target=self._run, name="fault-proxy-link", daemon=True)

    def _source(self, direction: str) -> socket.socket:
        return self.client if direction == "c2s" else self.upstream

    def _target(self, direction: str) -> socket.socket:
        return self.upstream if direction == "c2s" else self.client

    def _run(self) -> None:
        try:
            while not self.closed:
                if self.close_requested and not self.one_side_closed:
                    # closed here, not by the caller's thread: a socket closed under this thread's select()
                    # would end the whole link, and the close would not be one-sided
                    (self.upstream if self.close_requested == "server" else self.client).close()
                    self.one_side_closed = True
                watched = [(self.client, "c2s"), (self.upstream, "s2c")]
                if self.one_side_closed:
                    watched = [(self.upstream, "s2c")] if self.close_requested == "client" else [(self.client, "c2s")]
                watched = [sock for sock, direction in watched if not self.eof[direction]]
                readable = select.select(watched, [], [], 0.05)[0] if watched else []
                for sock in readable:
                    direction = "c2s" if sock is self.client else "s2c"
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        self.held[direction] += data
                    else:
                        self.eof[direction] = True
                self._flush()
        except (OSError, ValueError):  # a socket closed under us by a fault
            self.close()

    def _flush(self) -> None:
        with self.proxy.lock:
            for direction in DIRECTIONS:
                if self.closed:
                    return
                if self.close_requested:
                    self.held[direction].clear()  # the other side is gone: nothing is delivered
                    continue
                if self.stalled:
                    continue
                data = bytes(self.held[direction])
                if data:
                    budget = self.proxy.cut_budget.get(direction)
                    if budget is not None:
                        data = data[:budget]
                    self._target(direction).sendall(data)
                    del self.held[direction][:len(data)]
                    if budget is not None:
                        self.proxy.cut_budget[direction] = budget - len(data)
                        if budget - len(data) <= 0:
                            del self.proxy.cut_budget[direction]
                            self.close()
                            return
                    marker = self.proxy.stall_marker
                    if marker is not None and marker[1] == direction and marker[0] in data:
                        self.proxy.stall_marker = None
                        self.proxy.blackhole()
                    armed = self.proxy.cut_armed
                    if armed is not None and direction == "c2s" and armed[0] in data:
                        self.proxy.cut_armed = None
                        self.proxy.cut_budget[armed[2]] = armed[1]
                if self.eof[direction] and not self.held[direction]:
                    self.close()
                    return


    def reset(self) -> None:
        self.closed = True
        _reset_close(self.client)
        _reset_close(self.upstream)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock in (self.client, self.upstream):
            try:
                sock.close()
            except OSError:
                pass


class FaultProxy:
    def __init__(self, target_port: int = 5432, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.lock = threading.RLock()
        self.stall_new = False  # new connections start stalled
        self.triggered = False
        self.stall_marker: tuple[bytes, str] | None = None
        self.cut_budget: dict[str, int] = {}
        self.cut_armed: tuple[bytes, int, str] | None = None
        self.links: list[_Link] = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._stopped = False
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    def start(self) -> "FaultProxy":
        self._acceptor.start()
        return self

    def url(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (userinfo + "@" if userinfo else "") + f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset_close(client)
                continue
            link = _Link(self, client, upstream)
            with self.lock:
                self.links = [each for each in self.links if not each.closed]
                self.links.append(link)
            link.thread.start()

    def live_links(self) -> list[_Link]:
        with self.lock:
            return [link for link in self.links if not link.closed]

    # ------------------------------------------------------------------ faults

    def blackhole(self) -> None:
        with self.lock:
            self.triggered = True
            self.stall_new = True
            for link in self.live_links():
                link.stalled = True

    def stall_after(self, marker: bytes, direction: str = "c2s") -> None:
        with self.lock:
            self.stall_marker = (marker, direction)

    def close_side(self, side: str = "server") -> None:
        """Close one side of every connection: "server" closes PostgreSQL's side (it rolls back and frees its
        locks) while the station's side stays open and hears nothing; "client" the other way round."""
        with self.lock:
            for link in self.live_links():
                link.close_requested = side

    def reset(self) -> None:
        with self.lock:
            for link in self.live_links():
                link.reset()

    def cut_after(self, nbytes: int, direction: str = "s2c", *, after: bytes | None = None) -> None:
        """Pass `nbytes` more bytes in `direction`, then close both sides; with `after`, start counting once a
        station message holding that marker went through (e.g. the reply to a push: after=b"sync_push")."""
        with self.lock:
            if after is None:
                self.cut_budget[direction] = nbytes
            else:
                self.cut_armed = (after, nbytes, direction)

    def resume(self) -> None:
        """Pass again, but leave connections whose server side was closed silent (as a station would find
        them: nothing ever arrives, nothing says the connection is gone)."""
        with self.lock:
            self.stall_new = False
            self.stall_marker = None

    def heal(self) -> None:
        with self.lock:
            self.stall_new = False
            self.stall_marker = None
            self.cut_budget.clear()
            self.cut_armed = None
            for link in self.live_links():
                link.stalled = False
                if link.close_requested:
                    link.reset()

    def stop(self) -> None:
        self._stopped = True
        self.listener.close()
        with self.lock:
            for link in self.live_links():
                link.close()
