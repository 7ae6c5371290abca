"""Connections served one per thread, remembered so that a stop can end them all at once."""

from __future__ import annotations

import socket
import threading

__all__ = ["ConnectionThreads"]


class ConnectionThreads:
    """The open connections of a server, each with the thread that serves it."""

    def __init__(self) -> None:
        self._open: dict[threading.Thread, socket.socket] = {}
        self._lock = threading.Lock()

    def add(self, thread: threading.Thread, sock: socket.socket) -> None:
        """Remember that ``thread`` serves ``sock``."""
        with self._lock:
            self._open[thread] = sock

    def forget_current(self) -> socket.socket | None:
        """Forget the calling thread's connection; returns its socket."""
        with self._lock:
            return self._open.pop(threading.current_thread(), None)

    def end_all(self, timeout: float = 5.0) -> None:
        """Shut down every open connection and wait for its thread."""
        with self._lock:
            open_now = list(self._open.items())
        for _, sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread, _ in open_now:
            thread.join(timeout)
