"""A small model server written from Label Studio's ML backend protocol (GET /health,
POST /setup, /predict, /webhook), run in a thread on a free port, whose answers a test
chooses: good ones, or each of the bad inputs newsapp must survive."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "proto-ner-v1"


class ProtocolServer:
    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[tuple[str, dict, dict]] = []  # path, headers, body
        self.release = threading.Event()  # ends a hanging answer
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers), {}))
                self._answer(200, {"status": "UP", "model_class": "Proto"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append((self.path, dict(self.headers), body))
                if self.path == "/setup":
                    self._answer(200, {"model_version": VERSION})
                elif self.path == "/webhook":
                    self._answer(201, {"job_id": "1"})
                elif self.path == "/predict":
                    server.predict(self, body)
                else:
                    self._answer(404, {"error": "no such path"})

            def _answer(self, status: int, document, raw: bytes | None = None) -> None:
                data = raw if raw is not None else json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # shutdown() waits for the loop to look again: every 10 ms, not the default 0.5 s.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.01,), daemon=True
        )

    def __enter__(self) -> ProtocolServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def predict(self, handler, body: dict) -> None:
        mode = self.mode
        if mode == "hang":
            self.release.wait(30)
            return
        if mode == "500":
            handler._answer(500, None, b"Traceback: model exploded")
            return
        if mode == "invalid-json":
            handler._answer(200, None, b"{'results': oops")
            return
        stance_field = re.search(r'<Choices name="([^"]+)"', body["label_config"])
        results = []
        for task in body["tasks"]:
            text = task["data"]["text"]
            regions = []
            for match in re.finditer(r"Lavrov|Bamako", text):
                label = "PERSON" if match.group() == "Lavrov" else "GPE"
                start, end = match.start(), match.end()
                if mode == "outside":
                    start, end = len(text) + 5, len(text) + 11
                if mode == "unknown-label" and label == "GPE":
                    label = "CITY"
                regions.append(
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": start, "end": end, "labels": [label]},
                        "score": 0.9 if label == "PERSON" else 0.7,
                    }
                )
            if stance_field:
                regions.append(
                    {
                        "from_name": stance_field.group(1),
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["against"]},
                        "score": 0.8,
                    }
                )
            results.append({"result": regions, "score": 0.75, "model_version": VERSION})
        handler._answer(200, {"results": results, "model_version": VERSION})
