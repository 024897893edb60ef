"""A loopback TCP proxy that can hold the engine's answers back, as a slow engine does.

    proxy = DelayingProxy(engine_port).start()
    proxy.slow_down(3.0)                      # every answer 3 s late
    proxy.slow_down(3.0, b"PutItem", b"BookingUserByDateAt")   # only those requests'
    proxy.slow_down(3.0, b"PutItem", limit=1)  # only the next such answer
    proxy.refuse(b"DeleteItem", skip=1)       # drop such requests, but the next one
    proxy.recover()                           # every request and answer flows again
    proxy.stop()                              # closes everything, joins its threads

Requests go through at once: the engine executes them. Only the answers are
late, so a client that gives up (its read timeout) does not know whether its
request took effect, which is what a slow or partitioned engine does to it.
A refused request never reaches the engine: its connection is cut.
Every thread is a daemon with a bounded life: sockets have timeouts and
``stop()`` closes them all and checks that every thread ended.
"""

import contextlib
import socket
import threading
import time

CHUNK = 65536
POLL = 0.2  # seconds between checks of the stop flag


class DelayingProxy:
    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(POLL)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.delay = 0.0
        self.needles = ()
        self.limit = None
        self.held = 0  # answers held back
        self.refused_needles = None
        self.refuse_after = 0
        self.matched = 0  # requests matching the refused needles
        self.refused = 0  # requests cut
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets = set()
        self._threads = []

    def slow_down(self, delay, *needles, limit=None):
        """Hold back by ``delay`` s the answers to requests holding every one of ``needles``.

        With ``limit``, only that many more answers are held back.
        """
        with self._lock:
            self.needles = needles
            self.limit = None if limit is None else self.held + limit
            self.delay = delay

    def refuse(self, *needles, skip=0):
        """Cut the connection of requests holding every one of ``needles``, past the ``skip``."""
        with self._lock:
            self.matched = 0
            self.refuse_after = skip
            self.refused_needles = needles

    def recover(self):
        with self._lock:
            self.delay = 0.0
            self.refused_needles = None

    def start(self):
        self._spawn(self._accept)
        return self

    def stop(self, timeout=10):
        """Close every socket and wait for every thread; return the threads still alive."""
        self._stopping.set()
        self.listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread for thread in self._threads if thread.is_alive()]

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self):
        while not self._stopping.is_set():
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.settimeout(POLL)
            with self._lock:
                self._sockets.update((client, upstream))
            state = {"held": False, "counted": False, "matched": False}
            self._spawn(self._requests, client, upstream, state)
            self._spawn(self._answers, upstream, client, state)

    def _requests(self, source, target, state):
        """Forward a connection's requests, noting whether the current one is to be held."""
        request = b""
        while True:
            data = self._receive(source)
            if not data:
                break
            if data.startswith((b"POST ", b"GET ")):
                request = b""
                state["counted"] = state["matched"] = False
            request += data
            state["held"] = self.delay > 0 and all(needle in request for needle in self.needles)
            if self._refuses(request, state):
                break
            if not self._send(target, data):
                break
        self._close(source, target)

    def _answers(self, source, target, state):
        """Forward the engine's answers, late when the request they answer is held."""
        while True:
            data = self._receive(source)
            if not data:
                break
            if state["held"] and self._hold(state) and self._stopping.wait(self.delay):
                break  # stopping
            if not self._send(target, data):
                break
        self._close(source, target)

    def _refuses(self, request, state):
        """Whether this request is cut (decided once its needles are all seen)."""
        with self._lock:
            needles = self.refused_needles
            if needles is None or state["matched"] or not all(n in request for n in needles):
                return False
            state["matched"] = True
            self.matched += 1
            if self.matched <= self.refuse_after:
                return False
            self.refused += 1
            return True

    def _hold(self, state):
        """Whether this answer is held back (counted once per answer, within the limit)."""
        with self._lock:
            if not state["counted"]:
                if self.limit is not None and self.held >= self.limit:
                    state["held"] = False
                    return False
                state["counted"] = True
                self.held += 1
            return True

    def _receive(self, sock):
        while not self._stopping.is_set():
            try:
                return sock.recv(CHUNK)
            except TimeoutError:
                continue
            except OSError:
                return b""
        return b""

    @staticmethod
    def _send(sock, data):
        try:
            sock.sendall(data)
        except OSError:
            return False
        return True

    def _close(self, *sockets):
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            with self._lock:
                self._sockets.discard(sock)
