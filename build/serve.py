"""`python -m build.serve` (`make serve`): the built site on http://127.0.0.1:PORT/, cross-origin isolated.

The standard library's file server with two more headers on every response, Cross-Origin-Opener-Policy
`same-origin` and Cross-Origin-Embedder-Policy `require-corp` (and a Cross-Origin-Resource-Policy
`same-origin`, which the page's own files satisfy). A page served so is `crossOriginIsolated`, the
condition under which browsers give WebAssembly shared memory, and the page then lets onnxruntime-web run
on several threads. Opened from disk or from GitHub Pages (which sends no such headers) the page runs on
one thread, as everywhere else. build/preview.py serves with the same headers.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class IsolatedHandler(SimpleHTTPRequestHandler):
    """Files of `directory`, each response with the cross-origin isolation headers."""

    def end_headers(self) -> None:
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the built site, cross-origin isolated.")
    parser.add_argument("port", type=int, nargs="?", default=8000)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--directory", default="site")
    options = parser.parse_args(argv)
    handler = partial(IsolatedHandler, directory=options.directory)
    try:
        server = ThreadingHTTPServer((options.bind, options.port), handler)
    except OSError as error:
        print(f"serve: cannot listen on {options.bind}:{options.port} ({error.strerror})", file=sys.stderr)
        return 1
    where = f"http://{options.bind}:{options.port}/"
    print(f"serve: {where} serves {options.directory}/ (Ctrl-C stops)", flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
