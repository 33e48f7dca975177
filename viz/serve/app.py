"""The web application behind ``circuitgrad serve``: pages, the editor's API and the trainer's
event stream (Starlette).

Routes::

    GET  /                          the circuit editor (state in the URL: /?expr=(x%2By)*z&x=-2...)
    GET  /playground                the training playground
    GET  /static/...                the pages' own CSS and JavaScript (nothing from the network)
    GET  /api/circuit?expr=..&x=..  numbers and step-through frames of a formula (JSON)
    GET  /api/circuit.svg|.png      the full diagram, as a download
    GET  /api/stepthrough.html      the self-contained step-through page, as a download
    POST /api/train                 start a playground session (JSON settings -> id, data, state)
    GET  /api/train/{id}/stream     train and stream the state as server-sent events
                                    (?steps=N: N training steps per event, 1 to 100)
    POST /api/train/{id}/step       one training step (JSON state)
    GET  /api/train/{id}/neuron     one neuron's circuit at the current step (JSON: svg, title)

Slow work never runs on the event loop: diagrams are drawn in worker threads (at most
:data:`RENDER_THREADS` at once, each Graphviz run stopped after :data:`DOT_TIMEOUT` seconds), and
training runs in short bounded chunks in other worker threads (at most :data:`TRAIN_THREADS`), so
a class's training cannot starve anyone's editor. Requests with a query string over
:data:`MAX_QUERY` bytes or a body over :data:`MAX_BODY` bytes are refused with 414 / 413 at once.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import render
from .circuit import EditorError, circuit_answer, diagram_bytes, stepthrough_page
from .training import SettingsError, Trainer, parse_settings

__all__ = ["create_app", "MAX_QUERY", "MAX_BODY", "DOT_TIMEOUT", "RENDER_THREADS",
           "TRAIN_THREADS", "MAX_SESSIONS"]

STATIC = Path(__file__).with_name("static")
MAX_QUERY = 8 * 1024
MAX_BODY = 64 * 1024
DOT_TIMEOUT = 10.0
RENDER_THREADS = 4
TRAIN_THREADS = 2
MAX_SESSIONS = 64
SESSION_IDLE = 30 * 60.0
MEMO_BYTES = 32 * 1024 * 1024
STEPS_PER_EVENT = 10
MAX_STEPS_PER_EVENT = 100
EVENT_PAUSE = 0.02

# A page may load only what this server sends: no CDN, no remote fonts, no inline scripts.
_SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
     b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _Limits:
    """ASGI middleware: refuse oversized requests before any work, add the security headers."""

    def __init__(self, app: Callable):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY:
            await _plain(send, 414, f"the query string is longer than {MAX_QUERY} bytes")
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > MAX_BODY:
            await _plain(send, 413, f"the request body is larger than {MAX_BODY} bytes")
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + _SECURITY_HEADERS
            await send(message)

        await self.app(scope, _capped(receive), send_with_headers)


def _capped(receive: Callable) -> Callable:
    """``receive`` that stops a body (chunked, without a length) once it passes MAX_BODY."""
    seen = 0

    async def capped() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _TooLarge()
        return message

    return capped


class _TooLarge(Exception):
    pass


async def _plain(send: Callable, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class _Memo:
    """An LRU cache of answers (bytes) up to ``max_bytes`` in all, that computes each key once,
    even when 50 requests ask for it at once."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()
        self._done: "OrderedDict[Any, Any]" = OrderedDict()
        self._pending: Dict[Any, threading.Event] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                if key in self._done:
                    self._done.move_to_end(key)
                    return _unwrap(self._done[key])
                waiting = self._pending.get(key)
                if waiting is None:
                    self._pending[key] = threading.Event()
                    break
            waiting.wait()
        try:
            result: Any = compute()
        except EditorError as error:  # a user's mistake is an answer too: cache it
            result = error
        except BaseException:
            with self._lock:
                self._pending.pop(key).set()
            raise
        with self._lock:
            self._done[key] = result
            self._bytes += _size(result)
            while self._bytes > self.max_bytes and len(self._done) > 1:
                self._bytes -= _size(self._done.popitem(last=False)[1])
            self._pending.pop(key).set()
        return _unwrap(result)


def _size(result: Any) -> int:
    return len(result) if isinstance(result, bytes) else 200


def _unwrap(result: Any) -> Any:
    if isinstance(result, EditorError):
        raise result
    return result


class _Session:
    """One playground run, its lock, and which stream may drive it."""

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.lock = threading.Lock()
        self.stream = 0  # each new stream takes over; an older one stops
        self.used = time.monotonic()

    def chunk(self, steps: int) -> Dict[str, Any]:
        with self.lock:
            self.used = time.monotonic()
            history = self.trainer.train(steps, max_seconds=0.1)
            state = self.trainer.snapshot()
        state["history"] = [[step, loss, accuracy] for step, loss, accuracy in history]
        return state

    def neuron(self, layer: int, unit: int, example: int) -> Dict[str, Any]:
        with self.lock:
            self.used = time.monotonic()
            out, title = self.trainer.neuron(layer, unit, example)
        svg = render.render_svg(out, local_grads=True, precision=4)  # the page shows the title
        return {"svg": svg, "title": title}


class _Sessions:
    """The playground runs by id: at most MAX_SESSIONS, the least recently used dropped first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: "OrderedDict[str, _Session]" = OrderedDict()

    def add(self, trainer: Trainer) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            now = time.monotonic()
            for old in [k for k, s in self._items.items() if now - s.used > SESSION_IDLE]:
                del self._items[old]
            self._items[key] = _Session(trainer)
            while len(self._items) > MAX_SESSIONS:
                self._items.popitem(last=False)
        return key

    def get(self, key: str) -> Optional[_Session]:
        with self._lock:
            session = self._items.get(key)
            if session is not None:
                self._items.move_to_end(key)
            return session


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(stopping: Optional[threading.Event] = None) -> Starlette:
    """The application (an ASGI callable wrapped in the request-size limits).

    Args:
        stopping: set when the server is shutting down; open training streams then end.
    """
    render.DOT_TIMEOUT = DOT_TIMEOUT
    stopping = stopping or threading.Event()
    memo = _Memo(MEMO_BYTES)
    sessions = _Sessions()
    limiters: Dict[str, anyio.CapacityLimiter] = {}

    def limiter(name: str, tokens: int) -> anyio.CapacityLimiter:
        if name not in limiters:
            limiters[name] = anyio.CapacityLimiter(tokens)
        return limiters[name]

    async def in_thread(name: str, function: Callable, *args: Any) -> Any:
        tokens = RENDER_THREADS if name == "render" else TRAIN_THREADS
        return await anyio.to_thread.run_sync(function, *args, limiter=limiter(name, tokens))

    def formula_of(request: Request):
        params = request.query_params
        expr = params.get("expr", "")
        given = {k: v for k, v in params.items() if k != "expr"}
        return expr, given

    async def page(request: Request) -> Response:
        name = "editor.html" if request.url.path == "/" else "playground.html"
        return FileResponse(STATIC / name, headers={"cache-control": "no-cache"})

    async def circuit(request: Request) -> Response:
        expr, given = formula_of(request)
        key = ("circuit", expr, tuple(sorted(given.items())))
        try:
            answer = await in_thread("render", memo.get, key, lambda: json.dumps(
                circuit_answer(expr, given), allow_nan=False).encode("utf-8"))
        except EditorError as error:
            return _error(400, str(error))
        except (render.GraphvizNotFound, render.GraphvizFailed) as error:
            return _error(503, " ".join(str(error).split()))
        return Response(answer, media_type="application/json")

    async def download(request: Request) -> Response:
        expr, given = formula_of(request)
        kind = request.url.path.rpartition("/")[2]
        try:
            if kind == "stepthrough.html":
                text = await in_thread("render", stepthrough_page, expr, given)
                data, media, name = text.encode("utf-8"), "text/html; charset=utf-8", "steps.html"
            else:
                fmt = kind.rpartition(".")[2]
                data, media = await in_thread("render", diagram_bytes, expr, given, fmt)
                name = f"circuit.{fmt}"
        except EditorError as error:
            return _error(400, str(error))
        except (render.GraphvizNotFound, render.GraphvizFailed) as error:
            return _error(503, " ".join(str(error).split()))
        return Response(data, media_type=media,
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    async def read_json(request: Request) -> Any:
        try:
            body = await request.body()
        except _TooLarge:
            raise SettingsError(f"the request body is larger than {MAX_BODY} bytes") from None
        if not body:
            return {}
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise SettingsError("the request body is not valid JSON") from None

    async def train_start(request: Request) -> Response:
        try:
            settings = parse_settings(await read_json(request))
            trainer = await in_thread("train", Trainer, settings)
        except SettingsError as error:
            return _error(400, str(error))
        key = sessions.add(trainer)
        return JSONResponse({"id": key, "data": trainer.data(), "state": trainer.snapshot()})

    def session_of(request: Request) -> _Session:
        session = sessions.get(request.path_params["key"])
        if session is None:
            raise LookupError("this training session has expired; press Start again")
        return session

    async def train_step(request: Request) -> Response:
        try:
            session = session_of(request)
        except LookupError as error:
            return _error(404, str(error))
        return JSONResponse(await in_thread("train", session.chunk, 1))

    async def train_stream(request: Request) -> Response:
        try:
            session = session_of(request)
            text = request.query_params.get("steps", str(STEPS_PER_EVENT))
            if not (text.isdigit() and 1 <= int(text) <= MAX_STEPS_PER_EVENT):
                raise SettingsError(f"steps (per update) must be a whole number from 1 to "
                                    f"{MAX_STEPS_PER_EVENT}")
        except LookupError as error:
            return _error(404, str(error))
        except SettingsError as error:
            return _error(400, str(error))
        per_event = int(text)
        session.stream += 1
        mine = session.stream

        async def events():
            while session.stream == mine and not stopping.is_set():
                state = await in_thread("train", session.chunk, per_event)
                yield f"event: state\ndata: {json.dumps(state, allow_nan=False)}\n\n"
                if state["finished"]:
                    yield "event: finished\ndata: {}\n\n"
                    return
                await anyio.sleep(EVENT_PAUSE)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    async def train_neuron(request: Request) -> Response:
        try:
            session = session_of(request)
            numbers = [request.query_params.get(k, "0") for k in ("layer", "unit", "example")]
            if not all(n.isdigit() and len(n) <= 6 for n in numbers):
                raise SettingsError("layer, unit and example must be whole numbers")
            answer = await in_thread("render", session.neuron, *map(int, numbers))
        except LookupError as error:
            return _error(404, str(error))
        except SettingsError as error:
            return _error(400, str(error))
        except (render.GraphvizNotFound, render.GraphvizFailed) as error:
            return _error(503, " ".join(str(error).split()))
        return JSONResponse(answer)

    app = Starlette(routes=[
        Route("/", page),
        Route("/playground", page),
        Route("/api/circuit", circuit),
        Route("/api/circuit.svg", download),
        Route("/api/circuit.png", download),
        Route("/api/stepthrough.html", download),
        Route("/api/train", train_start, methods=["POST"]),
        Route("/api/train/{key:str}/stream", train_stream),
        Route("/api/train/{key:str}/step", train_step, methods=["POST"]),
        Route("/api/train/{key:str}/neuron", train_neuron),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    return _Limits(app)
