"""``circuitgrad serve``: a live page for the classroom.

* ``/``: the circuit editor. Type a formula, move a slider, and the circuit (values, gradients,
  local gradients) redraws; step through the backward pass gate by gate with the captions the
  engine prints. The state is in the URL (``/?expr=(x%2By)*z&x=-2&y=5&z=-4``), so a link on a
  slide opens that diagram.
* ``/playground``: a small net trains on a 2-D dataset on the server, on circuitgrad's own
  engine, and streams its loss, decision boundary, weights and gradients to the page; click a
  neuron to see its circuit with local gradients.

It needs the optional ``serve`` extra (Starlette and uvicorn): ``pip install "circuitgrad[serve]"``.
Importing :mod:`viz` does not import this package.
"""

from __future__ import annotations

__all__ = ["serve", "MISSING_EXTRA"]

MISSING_EXTRA = ('circuitgrad serve needs the web server packages of the "serve" extra: '
                 'pip install "circuitgrad[serve]" (Starlette and uvicorn)')


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> None:
    """Serve the editor and the playground until Ctrl-C (see :func:`viz.serve.server.serve`).

    Raises:
        ImportError: Starlette or uvicorn is missing (the message says how to install them).
        OSError: the address cannot be bound.
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ImportError(MISSING_EXTRA) from None
    from .server import serve as run

    run(host, port, open_browser)
