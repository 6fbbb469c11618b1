"""What the HTTP test doubles share (httpfaults.py, s3proxy.py).

Faults are JSON objects {"fault": NAME, "match": GLOB, "prefix": STR,
"methods": [...], "times": N, ...} armed through the control paths below,
tried in the order they were armed; "times" counts down each time one
fires (-1 = forever, default 1).  Every request the double serves is
recorded in a log:

    POST   /_double/faults   one fault object or an array of them (appended)
    GET    /_double/faults   the faults still armed, with their counts
    DELETE /_double/faults   disarm every fault
    POST   /_double/reset    disarm every fault and clear the log
    GET    /_double/log      the request log, one JSON object per line
"""

import fnmatch
import http.server
import json
import os
import signal
import socket
import struct
import sys
import threading
import time


class Aborted(Exception):
    """The connection was cut on purpose (a fault) or by the client."""


class State:
    """Faults and the request log, shared by all handler threads."""

    def __init__(self, log_path, known):
        self.known = set(known)
        self.lock = threading.Lock()
        self.faults = []
        self.log = []
        self.seq = 0
        self.reset_at = 0.0
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None

    def add_faults(self, items):
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise ValueError("expected a fault object or an array of them")
        checked = []
        for f in items:
            if not isinstance(f, dict) or f.get("fault") not in self.known:
                raise ValueError("unknown fault: %r (known: %s)" % (
                    f.get("fault") if isinstance(f, dict) else f,
                    ", ".join(sorted(self.known))))
            f = dict(f)
            f.setdefault("times", 1)
            if not isinstance(f["times"], int):
                raise ValueError("times must be an integer")
            methods = f.get("methods", f.get("method"))
            if isinstance(methods, str):
                methods = [methods]
            f["methods"] = [m.upper() for m in methods] if methods else None
            f.pop("method", None)
            checked.append(f)
        with self.lock:
            self.faults.extend(checked)
        return len(checked)

    @staticmethod
    def _matches(f, method, key, names):
        if f["times"] == 0 or (names and f["fault"] not in names):
            return False
        if f["methods"] and method not in f["methods"]:
            return False
        if "prefix" in f and not key.startswith(f["prefix"]):
            return False
        if "match" in f and not fnmatch.fnmatchcase(key, f["match"]):
            return False
        return True

    def take(self, method, key, names=None):
        """Return the first armed fault for this request and count it down."""
        with self.lock:
            for f in self.faults:
                if self._matches(f, method, key, names):
                    if f["times"] > 0:
                        f["times"] -= 1
                    f["fired"] = f.get("fired", 0) + 1
                    return dict(f)
        return None

    def peek(self, method, key, names):
        """The fault take() would return, without counting it down."""
        with self.lock:
            for f in self.faults:
                if self._matches(f, method, key, names):
                    return dict(f)
        return None

    def record(self, entry):
        """Log a finished request; one that began before the last reset is
        dropped, or a slow answer to an earlier test would land in the
        next one's log."""
        with self.lock:
            if entry.get("time", self.reset_at) < self.reset_at:
                return
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            if len(self.log) > 100000:
                del self.log[:10000]
            if self.log_file:
                self.log_file.write(json.dumps(entry) + "\n")
                self.log_file.flush()

    def reset(self, log=True):
        with self.lock:
            self.faults = []
            if log:
                self.log = []
                self.reset_at = time.time()

    def control(self, method, path, body):
        """Answer a /_double control request: (status, bytes, content type)."""
        if path == "/_double/faults" and method == "POST":
            try:
                n = self.add_faults(json.loads(body or b"null"))
                return 200, json.dumps({"added": n}).encode(), "application/json"
            except ValueError as e:
                return 400, json.dumps({"error": str(e)}).encode(), "application/json"
        if path == "/_double/faults" and method == "GET":
            with self.lock:
                out = json.dumps([f for f in self.faults if f["times"] != 0])
            return 200, out.encode(), "application/json"
        if path == "/_double/faults" and method == "DELETE":
            self.reset(log=False)
            return 200, b"{}", "application/json"
        if path == "/_double/reset" and method == "POST":
            self.reset()
            return 200, b"{}", "application/json"
        if path == "/_double/log" and method == "GET":
            with self.lock:
                out = "".join(json.dumps(e) + "\n" for e in self.log)
            return 200, out.encode(), "application/x-ndjson"
        return 404, b'{"error": "no such control path"}', "application/json"


def abort_connection(handler, rst):
    """Cut handler's connection: RST (SO_LINGER 0) or an orderly FIN."""
    handler.close_connection = True
    try:
        handler.wfile.flush()
    except OSError:
        pass
    try:
        if rst:
            time.sleep(0.1)  # let the client take what was sent
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          struct.pack("ii", 1, 0))
        else:
            handler.connection.shutdown(socket.SHUT_WR)
            time.sleep(0.1)
        handler.connection.close()
    except OSError:
        pass
    raise Aborted()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(srv, port_file):
    """Publish the port (atomically) in port_file and serve until SIGTERM."""
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    srv.server_close()
