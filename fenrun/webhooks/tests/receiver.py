"""A webhook receiver for the tests: a real HTTP server on loopback that checks signatures as
docs/webhooks.md tells integrators to, and answers with the status codes a test scripts."""

import http.server
import json
import threading
import time
from dataclasses import dataclass, field

from fenrun.webhooks.signing import SIGNATURE_HEADER, verify


@dataclass
class Received:
    headers: dict
    body: bytes
    signature_ok: bool

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    secret: str = ""
    answers: list[int] = field(default_factory=list)  # status per request; then 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                ok = verify(
                    receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body, now=time.time()
                )
                receiver.received.append(Received(dict(self.headers), body, ok))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"not now")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/fenrun"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
