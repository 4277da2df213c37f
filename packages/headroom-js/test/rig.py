"""The model for the TypeScript tests: Headroom's FakeUpstream, scripted over a small control API.

Prints one JSON line ``{"upstream": URL, "control": URL}`` and serves until stdin closes (the test
process that started it exited). Control API (JSON):

* ``POST /script``  a list of replies for the next model requests, each one of
  ``{"say": text}``, ``{"call": name, "arguments": {...}}``, ``{"fail": status, "message": text}``,
  ``{"retrieve": true, "query"?: ..., "lines"?: ..., "say"?: ...}`` (a ``headroom_retrieve`` call for
  the first ref the request's markers name, after the text ``say`` if given; a plain answer saying
  so when there is no marker).
* ``GET /requests`` every model request since the last clear: ``[{"path", "body"}]``.
* ``POST /clear``   forget the requests and the script.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from headroom import find_refs
from headroom.testing import FakeUpstream, RecordedRequest, Reply


def _retrieve(spec: dict[str, Any]) -> Any:
    def reply(request: RecordedRequest) -> Reply:
        refs = find_refs(request.text)
        if not refs:
            return Reply.say("rig: no headroom marker in the request")
        return Reply.retrieve(refs[0], query=spec.get("query"), lines=spec.get("lines"), text=spec.get("say"))

    return reply


def _reply(spec: dict[str, Any]) -> Any:
    if spec.get("retrieve"):
        return _retrieve(spec)
    if "say" in spec:
        return Reply.say(str(spec["say"]))
    if "call" in spec:
        return Reply.call(str(spec["call"]), spec.get("arguments") or {})
    if "fail" in spec:
        return Reply.fail(int(spec["fail"]), str(spec.get("message", "the fake upstream failed on purpose")))
    raise ValueError(f"unknown reply {spec!r}")


def _control(up: FakeUpstream) -> type[BaseHTTPRequestHandler]:
    class Control(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, data: Any) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/requests":
                reqs = [{"path": r.path, "body": r.json} for r in up.model_requests]
                self._send(200, reqs)
            else:
                self._send(404, {"error": self.path})

        def do_POST(self) -> None:
            data = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"null")
            try:
                if self.path == "/script":
                    up.script(*[_reply(s) for s in data])
                elif self.path == "/clear":
                    up.clear()
                else:
                    return self._send(404, {"error": self.path})
            except (ValueError, TypeError) as e:
                return self._send(400, {"error": str(e)})
            self._send(200, {"ok": True})

    return Control


def main() -> None:
    with FakeUpstream() as up:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _control(up))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        control = f"http://127.0.0.1:{server.server_address[1]}"
        print(json.dumps({"upstream": up.base_url, "control": control}), flush=True)
        sys.stdin.read()  # until the test process goes
        server.shutdown()


if __name__ == "__main__":
    main()
