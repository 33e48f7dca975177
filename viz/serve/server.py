"""Run the web server: bind, print the URL, serve until Ctrl-C.

uvicorn serves the application of :mod:`viz.serve.app`. The socket is bound here, before uvicorn
starts, so ``--port 0`` (any free port) can print the real URL. On Ctrl-C (SIGINT) or SIGTERM
uvicorn stops accepting, gives open requests :data:`GRACE` seconds, and returns; the worker
threads are short-lived and Graphviz runs are bounded, so nothing is left running.
"""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from typing import Optional, TextIO

__all__ = ["serve", "url_of", "GRACE", "MAX_HEAD"]

GRACE = 2.0
"""Seconds open requests get to finish when the server stops."""

MAX_HEAD = 4 * 1024 * 1024
"""The largest request line and headers read; the application then refuses a long query string
with 414. (A larger head is cut off by uvicorn with a 400 and a closed connection.)"""


def url_of(host: str, port: int) -> str:
    """The address to type in a browser for a server on ``host:port``."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          out: Optional[TextIO] = None) -> None:
    """Serve the editor and the playground until interrupted.

    Args:
        host: the address to listen on (default: this machine only).
        port: the port; 0 picks a free one.
        open_browser: open the editor in the default web browser once serving.
        out: where the URL line goes (default: stdout).

    Raises:
        OSError: the address cannot be bound (in use, not this machine's ...).
    """
    import uvicorn

    from .app import create_app

    stopping = threading.Event()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            stopping.set()  # open training streams end, so the shutdown need not wait
            super().handle_exit(sig, frame)

        async def startup(self, sockets: Optional[list] = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # listening: the URL works from now on
                print(f"circuitgrad serve: the circuit editor is at {url} and the playground "
                      f"at {url}playground (Ctrl-C stops the server)", file=out, flush=True)
                if open_browser:
                    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    sock = _bind(host, port)
    url = url_of(host, sock.getsockname()[1])
    out = out or sys.stdout
    config = uvicorn.Config(create_app(stopping), log_level="warning", access_log=False,
                            timeout_graceful_shutdown=GRACE, lifespan="off",
                            h11_max_incomplete_event_size=MAX_HEAD)
    server = Server(config)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it has handled
        pass
    finally:
        sock.close()
    print("circuitgrad serve: stopped", file=out, flush=True)
