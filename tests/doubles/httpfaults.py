#!/usr/bin/python3
"""A small HTTP/1.1 file server with scripted faults, for gz-fetch's tests.

Serves the files under --root with keep-alive, single-range requests (206 +
Content-Range, 416 when unsatisfiable), ETag, Last-Modified, If-Match,
If-None-Match and If-Range.  Faults are armed per path through the control
paths of tests/doubles/faultkit.py (its docstring has the JSON shape);
"match" (fnmatch) and "prefix" apply to the decoded URL path ("/a.pdf").
NAME:

    status    answer "status" (default 500) with a short text body, and a
              Retry-After header when "retry_after" is given
    reset     send the headers and "bytes" bytes of the body (default half),
              then reset the connection (SO_LINGER 0)
    truncate  send the full Content-Length but only "bytes" bytes (default
              half), then close
    stall     sleep "ms" (default 3000) before the response, or after "bytes"
              bytes of the body when "bytes" is given
    trickle   send the body at "rate" bytes per second (default 1024)
    endless   200 with a chunked body that never ends (at "rate" bytes per
              second, default as fast as the client reads); the server
              stops it after "seconds" (default 60)
    length    claim Content-Length "length" (default 10 GiB), send the file,
              then close
    redirect  "status" (default 302) to a chain of "hops" redirects (default
              1; -1 = an endless loop) that ends at the file, or at "to" (a
              URL path on this server; any URL when "hops" is 1)
    close     close the connection without answering

Redirect hops live under /_redirect/STATUS/LEFT/PATH.

Usage: httpfaults.py --port 0 --port-file F --root DIR [--log FILE]
"""

import argparse
import email.utils
import os
import posixpath
import re
import socket
import time
import urllib.parse
import http.server

from faultkit import Aborted, Server, State, abort_connection, serve

CHUNK = 64 * 1024
FAULT_NAMES = {"status", "reset", "truncate", "stall", "trickle", "endless",
               "length", "redirect", "close"}


def parse_range(header, size):
    """(start, end) for one "bytes=" range, None to ignore it, "416"."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header or "")
    if not m or (m.group(1) == "" and m.group(2) == ""):
        return None  # malformed or several ranges: serve it all (RFC 9110)
    first, last = m.group(1), m.group(2)
    if first == "":
        n = int(last)
        if n == 0:
            return "416"
        return (max(0, size - n), size - 1)
    start = int(first)
    if start >= size:
        return "416"
    end = int(last) if last else size - 1
    if end < start:
        return None
    return (start, min(end, size - 1))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "httpfaults"
    sys_version = ""
    timeout = 120

    def log_message(self, fmt, *args):
        pass

    def _abort(self, rst):
        abort_connection(self, rst)

    def _head(self, status, headers, reason=None):
        self.entry["status"] = status
        self.send_response(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _simple(self, status, text, headers=()):
        body = (text + "\n").encode()
        self._head(status, [("Content-Type", "text/plain"),
                            ("Content-Length", str(len(body)))] + list(headers))
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        raw_path, _, query = self.path.partition("?")
        self.entry = {"time": time.time(), "method": self.command,
                      "path": self.path, "range": self.headers.get("Range")}
        try:
            if raw_path.startswith("/_double"):
                self._control(raw_path)
                return
            self._drain()
            self._serve(urllib.parse.unquote(raw_path))
        except Aborted:
            self.entry.setdefault("status", 0)
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            self.entry["client_error"] = type(e).__name__
            self.close_connection = True
        finally:
            if not raw_path.startswith("/_double"):
                self.entry["duration"] = round(time.time() - self.entry["time"], 3)
                self.server.state.record(self.entry)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle

    def _drain(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20 or "chunked" in self.headers.get(
                "Transfer-Encoding", "").lower():
            self.close_connection = True
            return
        while length > 0:
            data = self.rfile.read(min(CHUNK, length))
            if not data:
                break
            length -= len(data)

    def _control(self, raw_path):
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        status, out, ctype = self.server.state.control(self.command, raw_path, body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    def _file(self, path):
        """The file under --root for a URL path, or None."""
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        if any(p in (".", "..") for p in parts):
            return None
        full = os.path.join(self.server.root, *parts)
        return full if os.path.isfile(full) else None

    def _serve(self, path):
        fault = None
        m = re.fullmatch(r"/_redirect/(\d{3})/(-?\d+)(/.*)", path)
        if m:
            # One hop of a redirect chain; hop 0 serves the file, no faults.
            status, left, target = int(m.group(1)), int(m.group(2)), m.group(3)
            if left != 0:
                loc = "/_redirect/%d/%d%s" % (status, max(left - 1, -1), target)
                self._simple(status, "moved",
                             [("Location", urllib.parse.quote(loc))])
                return
            path = target
        else:
            fault = self.server.state.take(self.command, path)
        name = fault["fault"] if fault else None
        if fault:
            self.entry["fault"] = name

        if name == "close":
            self._abort(rst=False)
        if name == "status":
            headers = []
            if "retry_after" in fault:
                headers.append(("Retry-After", str(fault["retry_after"])))
            self._simple(fault.get("status", 500),
                         fault.get("body", "injected fault"), headers)
            return
        if name == "redirect":
            status = fault.get("status", 302)
            hops = fault.get("hops", 1)
            to = urllib.parse.unquote(fault["to"]) if "to" in fault else path
            if hops == 1 and "to" in fault:
                loc = fault["to"]  # as given: may be a full URL
            else:
                loc = urllib.parse.quote("/_redirect/%d/%d%s" % (
                    status, hops - 1 if hops > 0 else -1, to))
            self._simple(status, "moved", [("Location", loc)])
            return
        if name == "stall" and "bytes" not in fault:
            time.sleep(fault.get("ms", 3000) / 1000.0)
        if name == "endless":
            self._endless(fault)
            return

        if self.command not in ("GET", "HEAD"):
            self._simple(405, "method not allowed", [("Allow", "GET, HEAD")])
            return
        full = self._file(path)
        if full is None:
            self._simple(404, "not found")
            return
        st = os.stat(full)
        size = st.st_size
        etag = '"%x-%x"' % (size, st.st_mtime_ns)
        headers = [("Accept-Ranges", "bytes"), ("ETag", etag),
                   ("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True)),
                   ("Content-Type", "application/octet-stream")]

        def listed(header):
            return any(t.strip() in ("*", etag) for t in header.split(","))

        if_match = self.headers.get("If-Match")
        if if_match is not None and not listed(if_match):
            self._simple(412, "precondition failed")
            return
        if_none = self.headers.get("If-None-Match")
        if if_none is not None and listed(if_none):
            self._head(304, [("ETag", etag)])
            return

        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if rng is not None and (if_range is None or if_range.strip() == etag):
            r = parse_range(rng, size)
            if r == "416":
                self._simple(416, "range not satisfiable",
                             [("Content-Range", "bytes */%d" % size)])
                return
            if r is not None:
                start, end, status = r[0], r[1], 206
                headers.append(("Content-Range",
                                "bytes %d-%d/%d" % (start, end, size)))
        count = end - start + 1 if size else 0
        claimed = fault.get("length", 10 << 30) if name == "length" else count
        headers.append(("Content-Length", str(claimed)))
        if name == "length":
            self.close_connection = True
        self._head(status, headers)
        if self.command == "HEAD":
            return

        cut_at = stall_at = rate = None
        if name in ("reset", "truncate"):
            cut_at = fault.get("bytes", count // 2)
        if name == "stall" and "bytes" in fault:
            stall_at = fault["bytes"]
        if name == "trickle":
            rate = fault.get("rate", 1024)
        sent = 0
        with open(full, "rb") as f:
            f.seek(start)
            while sent < count:
                if cut_at is not None and sent >= cut_at:
                    self.entry["bytes_out"] = sent
                    self._abort(rst=(name == "reset"))
                if stall_at is not None and sent >= stall_at:
                    self.wfile.flush()
                    time.sleep(fault.get("ms", 3000) / 1000.0)
                    stall_at = None
                n = min(CHUNK, count - sent)
                for limit in (cut_at, stall_at):
                    if limit is not None and limit > sent:
                        n = min(n, limit - sent)
                if rate:
                    n = min(n, max(1, rate // 10))
                data = f.read(n)
                if not data:
                    break
                self.wfile.write(data)
                sent += len(data)
                if rate:
                    self.wfile.flush()
                    time.sleep(len(data) / float(rate))
        self.entry["bytes_out"] = sent
        if cut_at is not None and sent >= cut_at:
            self._abort(rst=(name == "reset"))
        if name == "length":
            self._abort(rst=False)

    def _endless(self, fault):
        """A chunked 200 that never ends, cut by the server after a while."""
        self.close_connection = True
        self._head(200, [("Content-Type", "application/octet-stream"),
                         ("Transfer-Encoding", "chunked")])
        if self.command == "HEAD":
            return
        rate = fault.get("rate")
        deadline = time.time() + fault.get("seconds", 60)
        piece = b"x" * (max(1, rate // 10) if rate else CHUNK)
        frame = b"%x\r\n%s\r\n" % (len(piece), piece)
        sent = 0
        try:
            while time.time() < deadline:
                self.wfile.write(frame)
                sent += len(piece)
                if rate:
                    self.wfile.flush()
                    time.sleep(len(piece) / float(rate))
        finally:
            self.entry["bytes_out"] = sent
        self._abort(rst=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port-file")
    ap.add_argument("--root", required=True)
    ap.add_argument("--log")
    cfg = ap.parse_args()
    srv = Server((cfg.bind, cfg.port), Handler)
    srv.root = os.path.abspath(cfg.root)
    srv.state = State(cfg.log, FAULT_NAMES)
    serve(srv, cfg.port_file)


if __name__ == "__main__":
    main()
