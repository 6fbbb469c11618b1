#!/usr/bin/python3
"""A protocol-faithful double of the OpenSearch APIs gz uses.

Models: POST|PUT /_bulk and /{index}/_bulk (strict NDJSON parsing, Content-Type
rules, gzip bodies, a decoded-size limit answered with an empty 413, Expect:
100-continue), per-document state (_version, _seq_no, created/updated, 409 on
create), type checks of mapped date/boolean/keyword fields, near-real-time
_count/_search (documents appear after a refresh), index create/HEAD/_refresh/
_mapping/GET _doc, _cluster/health, optional Basic auth.  A bulk into a
missing index auto-creates it, as a real cluster does, and records that.

Does not model: search beyond match_all counts, scripts, update/delete
semantics beyond the basics, shards or replicas.

Test control lives under /_double/ (names OpenSearch never uses):
  GET  /_double/log          requests seen (bodies with --log-bodies)
  GET  /_double/state        indices, document counts, auto-created indices
  GET  /_double/docs/INDEX   every document, real time, as NDJSON
  POST /_double/reset        forget indices, faults and log
  POST /_double/faults       queue faults, e.g.
        {"item_status": {"ids": ["a"], "status": 429, "times": 1}}
        {"item_every": {"n": 5, "status": 429, "times": 1}}
            every 5th document, in the order their _ids are first seen,
            answered 429 (rejected_execution_exception) that many times
        {"request_status": {"status": 503, "times": 2}}   (429 also: "type")
        {"drop_after_apply": {"times": 1}}    apply the bulk, then close
        {"drop_before_apply": {"times": 1}}   close without applying
        {"truncate": {"times": 1}}            short body, then close
        {"reset": {"times": 1}}               TCP reset instead of a reply
        {"slow_ms": {"ms": 3000, "times": 1}}
        {"malformed": {"times": 1}}           200 with a body that isn't JSON
        {"down": true} / {"down": false}      refuse every request (outage)
        {"down": {"after_bulks": 3}}          the same from the 4th _bulk on
      A connection fault takes "after_bulks": N too, sparing the first N
      _bulk requests: a test then waits on the double's count, not a clock.
        {"max_content_length": 1000}
      "times": -1 means forever.
"""
import argparse
import base64
import gzip
import json
import re
import socket
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit, unquote

LOCK = threading.RLock()
STATE = {"indices": {}, "auto_created": [], "log": [], "seq": 0, "bulks": 0}
FAULTS = {"item": [], "every": [], "request": [], "conn": [], "down": False,
          "down_after": None}
CONFIG = {}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def new_index(name, body=None):
    mappings = (body or {}).get("mappings", {}).get("properties", {})
    return {"uuid": uuid.uuid4().hex[:22], "settings": (body or {}).get("settings", {}),
            "mappings": mappings, "docs": {}, "visible": 0, "primary_term": 1}


def take(queue, match=lambda f: True):
    """Returns the first fault in queue that matches, counting it down."""
    for fault in list(queue):
        if match(fault):
            if fault["times"] > 0:
                fault["times"] -= 1
                if fault["times"] == 0:
                    queue.remove(fault)
            return fault
    return None


def error_body(status, etype, reason, **extra):
    cause = {"type": etype, "reason": reason, **extra}
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}


def check_field(kind, value):
    if value is None:
        return True
    if kind == "date":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or \
            (isinstance(value, str) and DATE_RE.match(value) is not None)
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false", "")
    if kind in ("keyword", "text"):
        return not isinstance(value, (dict, list)) or \
            (isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value))
    return True


def mapping_error(index, doc, doc_id):
    for field, spec in index["mappings"].items():
        kind = spec.get("type")
        if field in doc and not check_field(kind, doc[field]):
            return {"type": "mapper_parsing_exception",
                    "reason": "failed to parse field [%s] of type [%s] in document with id '%s'. "
                              "Preview of field's value: '%s'" % (field, kind, doc_id, doc[field]),
                    "caused_by": {"type": "illegal_argument_exception",
                                  "reason": "failed to parse value [%s]" % (doc[field],)}}
    return None


def faults_view():
    """FAULTS as JSON can carry them (item_every's sets become counts)."""
    view = dict(FAULTS)
    view["every"] = [{k: (len(v) if k == "seen" else v) for k, v in f.items()}
                     for f in FAULTS["every"]]
    return view


def every_fault(doc_id):
    """The item_every fault doc_id falls under, counted down, or None.

    Documents are numbered in the order their _ids are first seen, so a
    retried document is the same document: it is rejected only its own
    "times" times, as a shard write queue that drains would do."""
    for f in FAULTS["every"]:
        if doc_id not in f["seen"]:
            f["seen"].add(doc_id)
            if len(f["seen"]) % f["n"] == 0:
                f["left"][doc_id] = f["times"]
        if f["left"].get(doc_id, 0) != 0:
            f["left"][doc_id] -= 1
            return f
    return None


def apply_item(op, index_name, doc_id, source_text, forced):
    """Applies one action; returns the response item body (without the op key)."""
    with LOCK:
        if index_name not in STATE["indices"]:
            STATE["indices"][index_name] = new_index(index_name)
            STATE["auto_created"].append(index_name)
        index = STATE["indices"][index_name]
        if doc_id is None:
            doc_id = uuid.uuid4().hex[:20]
        fault = take(FAULTS["item"], lambda f: doc_id in f["ids"]) or every_fault(doc_id)
        if fault is not None:
            status = fault["status"]
            etype = fault.get("type") or {429: "rejected_execution_exception",
                                           503: "unavailable_shards_exception",
                                           409: "version_conflict_engine_exception"}.get(
                                               status, "illegal_argument_exception")
            reason = "injected by the double"
            if etype == "rejected_execution_exception":
                # OpenSearch's words when a shard's write queue is full.
                reason = ("rejected execution of primary operation [shard_detail=[%s][0][P]] "
                          "on OpenSearchThreadPoolExecutor[name = double/write, queue capacity "
                          "= 10000, active threads = 2, queued tasks = 10000]" % index_name)
            return {"_index": index_name, "_id": doc_id, "status": status,
                    "error": {"type": etype, "reason": reason,
                              "index": index_name, "shard": "0", "index_uuid": index["uuid"]}}
        if op in ("index", "create"):
            try:
                doc = json.loads(source_text)
                if not isinstance(doc, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                return {"_index": index_name, "_id": doc_id, "status": 400,
                        "error": {"type": "mapper_parsing_exception", "reason": "failed to parse",
                                  "caused_by": {"type": "json_parse_exception", "reason": str(e)}}}
            err = mapping_error(index, doc, doc_id)
            if err:
                return {"_index": index_name, "_id": doc_id, "status": 400, "error": err}
            old = index["docs"].get(doc_id)
            if op == "create" and old is not None:
                return {"_index": index_name, "_id": doc_id, "status": 409,
                        "error": {"type": "version_conflict_engine_exception",
                                  "reason": "[%s]: version conflict, document already exists "
                                            "(current version [%d])" % (doc_id, old["_version"]),
                                  "index": index_name, "shard": "0", "index_uuid": index["uuid"]}}
            STATE["seq"] += 1
            version = old["_version"] + 1 if old else 1
            index["docs"][doc_id] = {"_version": version, "_seq_no": STATE["seq"],
                                     "_source": doc, "visible": forced}
            item = {"_index": index_name, "_id": doc_id, "_version": version,
                    "result": "updated" if old else "created",
                    "_shards": {"total": 2, "successful": 1, "failed": 0},
                    "_seq_no": STATE["seq"], "_primary_term": 1,
                    "status": 200 if old else 201}
        else:  # delete (update is not used by gz: treat as not found)
            old = index["docs"].pop(doc_id, None)
            STATE["seq"] += 1
            item = {"_index": index_name, "_id": doc_id, "_version": (old or {}).get("_version", 0) + 1,
                    "result": "deleted" if old else "not_found",
                    "_shards": {"total": 2, "successful": 1, "failed": 0},
                    "_seq_no": STATE["seq"], "_primary_term": 1, "status": 200 if old else 404}
        if forced:
            item["forced_refresh"] = True
            refresh(index)
        return item


def refresh(index):
    for d in index["docs"].values():
        d["visible"] = True


def parse_bulk(body, path_index):
    """Returns (actions, None) or (None, (status, error_body)) like OpenSearch."""
    if not body.endswith(b"\n"):
        return None, error_body(400, "illegal_argument_exception",
                                "The bulk request must be terminated by a newline [\\n]")
    lines = body.split(b"\n")[:-1]
    actions, i = [], 0
    while i < len(lines):
        raw = lines[i].rstrip(b"\r")
        i += 1
        if not raw.strip():
            continue
        try:
            action = json.loads(raw)
        except ValueError:
            return None, error_body(400, "illegal_argument_exception",
                                    "Malformed action/metadata line [%d], expected START_OBJECT" % i)
        if not isinstance(action, dict) or len(action) != 1:
            return None, error_body(400, "illegal_argument_exception",
                                    "Malformed action/metadata line [%d], expected a simple value "
                                    "for field [%s] but found [START_OBJECT]" % (i, "action"))
        op, meta = next(iter(action.items()))
        if op not in ("index", "create", "update", "delete") or not isinstance(meta, dict):
            return None, error_body(400, "illegal_argument_exception",
                                    "Action/metadata line [%d] contains an unknown parameter [%s]" % (i, op))
        for key in meta:
            if key not in ("_index", "_id", "routing", "pipeline", "version", "version_type",
                           "if_seq_no", "if_primary_term", "require_alias"):
                return None, error_body(400, "illegal_argument_exception",
                                        "Action/metadata line [%d] contains an unknown parameter [%s]" % (i, key))
        index_name = meta.get("_index") or path_index
        if not index_name:
            return None, error_body(400, "action_request_validation_exception",
                                    "Validation Failed: 1: index is missing;")
        source = None
        if op in ("index", "create", "update"):
            if i >= len(lines):
                return None, error_body(400, "illegal_argument_exception",
                                        "Validation Failed: 1: source is missing;")
            source = lines[i].rstrip(b"\r").decode("utf-8", "replace")
            i += 1
        doc_id = meta.get("_id")
        actions.append((op, index_name, None if doc_id is None else str(doc_id), source))
    if not actions:
        return None, error_body(400, "action_request_validation_exception",
                                "Validation Failed: 1: no requests added;")
    return actions, None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "opensearch-double"

    def log_message(self, fmt, *args):  # the request log is ours
        pass

    # -- plumbing ---------------------------------------------------------

    def send(self, status, body=None, ctype="application/json; charset=UTF-8", headers=()):
        data = b"" if body is None else (body if isinstance(body, bytes) else
                                          json.dumps(body, ensure_ascii=False).encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.record["status"] = status

    def reset_connection(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def handle_expect_100(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > CONFIG["max_content_length"] and "_bulk" in self.path:
            self.record = {"method": self.command, "path": self.path, "status": 413}
            self.send_response(413)
            self.send_header("Content-Length", "0")
            self.end_headers()
            STATE["log"].append(self.record)
            return False
        return super().handle_expect_100()

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body

    def authorized(self):
        if not CONFIG.get("user"):
            return True
        auth = self.headers.get("Authorization", "")
        ok = False
        user = None
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                user, pw = None, None
            ok = (user, pw) == (CONFIG["user"], CONFIG["password"]) or \
                (CONFIG.get("readonly") and [user, pw] == CONFIG["readonly"].split(":", 1))
        if not ok:
            self.send(401, b"Unauthorized", "text/plain; charset=UTF-8",
                      [("WWW-Authenticate", 'Basic realm="OpenSearch Security"')])
            return False
        if CONFIG.get("readonly") and user == CONFIG["readonly"].split(":", 1)[0] and \
                self.command in ("POST", "PUT", "DELETE") and not self.path.startswith("/_double"):
            self.send(*error_body(403, "security_exception",
                                  "no permissions for [indices:data/write/bulk] and User [name=%s, "
                                  "backend_roles=[], requestedTenant=null]" % user))
            return False
        return True

    # -- dispatch ---------------------------------------------------------

    def conn_fault(self, kind):
        """The queued connection fault of this kind that applies to this
        request (its after_bulks spared), counted down; or None."""
        return take(FAULTS["conn"], lambda f: f["kind"] == kind and
                    (f["after"] == 0 or getattr(self, "bulk_no", 0) > f["after"]))

    def dispatch(self):
        self.record = {"time": time.time(), "method": self.command, "path": self.path,
                       "client": self.client_address[0],
                       "headers": dict(self.headers.items()), "status": None}
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            if parts and parts[0] == "_double":
                body = self.read_body()
                return self.control(parts[1:], body)
            self.bulk_no = 0
            if parts and parts[-1] == "_bulk":
                with LOCK:
                    STATE["bulks"] += 1
                    self.bulk_no = STATE["bulks"]
            after = FAULTS["down_after"]
            if FAULTS["down"] or (after is not None and self.bulk_no > after):
                self.record["status"] = "down"
                self.reset_connection()
                return
            body = self.read_body()
            self.record["body_bytes"] = len(body)
            if CONFIG.get("log_bodies"):
                self.record["body"] = body.decode("utf-8", "replace")
            if not self.authorized():
                return
            fault = self.conn_fault("slow_ms")
            if fault:
                time.sleep(fault["ms"] / 1000)
            self.route(parts, query, body)
        finally:
            with LOCK:
                STATE["log"].append(self.record)
                if CONFIG.get("log_file"):
                    rec = {k: v for k, v in self.record.items() if k != "body"}
                    with open(CONFIG["log_file"], "a") as f:
                        f.write(json.dumps(rec) + "\n")

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = dispatch

    def route(self, parts, query, body):
        m = self.command
        if not parts:
            return self.send(200, {"name": "double", "cluster_name": "gz-double",
                                   "version": {"distribution": "opensearch", "number": "2.11.0"},
                                   "tagline": "The OpenSearch Project: https://opensearch.org/"})
        if parts[-1] == "_bulk" and len(parts) <= 2 and m in ("POST", "PUT"):
            return self.bulk(parts[0] if len(parts) == 2 else None, query, body)
        if parts == ["_cluster", "health"] and m == "GET":
            return self.health(query)
        name = parts[0]
        with LOCK:
            index = STATE["indices"].get(name)
        if len(parts) == 1:
            if m == "HEAD":
                return self.send(200 if index else 404)
            if m == "PUT":
                return self.create_index(name, body)
            if m == "GET" and index:
                return self.send(200, {name: {"settings": index["settings"],
                                              "mappings": {"properties": index["mappings"]}}})
        if index is None:
            return self.send(*error_body(404, "index_not_found_exception",
                                         "no such index [%s]" % name, index=name))
        if parts[1:] == ["_refresh"] and m in ("POST", "GET"):
            with LOCK:
                refresh(index)
            return self.send(200, {"_shards": {"total": 2, "successful": 1, "failed": 0}})
        if parts[1:] in (["_count"], ["_search"]) and m in ("GET", "POST"):
            with LOCK:
                n = sum(1 for d in index["docs"].values() if d["visible"])
            if parts[1] == "_count":
                return self.send(200, {"count": n, "_shards": {"total": 1, "successful": 1,
                                                               "skipped": 0, "failed": 0}})
            return self.send(200, {"took": 1, "timed_out": False,
                                   "hits": {"total": {"value": n, "relation": "eq"}, "hits": []}})
        if parts[1:] == ["_mapping"] and m == "GET":
            return self.send(200, {name: {"mappings": {"properties": index["mappings"]}}})
        if len(parts) == 3 and parts[1] == "_doc" and m == "GET":
            with LOCK:
                d = index["docs"].get(parts[2])
            if d is None:
                return self.send(404, {"_index": name, "_id": parts[2], "found": False})
            return self.send(200, {"_index": name, "_id": parts[2], "_version": d["_version"],
                                   "_seq_no": d["_seq_no"], "_primary_term": 1, "found": True,
                                   "_source": d["_source"]})
        return self.send(*error_body(405 if m not in ("GET", "POST", "PUT", "HEAD") else 400,
                                     "illegal_argument_exception",
                                     "request [%s] contains unrecognized parameters" % self.path))

    # -- APIs -------------------------------------------------------------

    def create_index(self, name, body):
        try:
            spec = json.loads(body) if body else {}
        except ValueError:
            return self.send(*error_body(400, "parse_exception", "request body is required"))
        if not re.match(r"^[a-z0-9][a-z0-9_.+-]*$", name):
            return self.send(*error_body(400, "invalid_index_name_exception",
                                         "Invalid index name [%s], must be lowercase" % name))
        with LOCK:
            if name in STATE["indices"]:
                idx = STATE["indices"][name]
                return self.send(*error_body(400, "resource_already_exists_exception",
                                             "index [%s/%s] already exists" % (name, idx["uuid"]),
                                             index=name, index_uuid=idx["uuid"]))
            STATE["indices"][name] = new_index(name, spec)
        return self.send(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})

    def health(self, query):
        want = query.get("wait_for_status")
        if want == "green":
            time.sleep(min(float(query.get("timeout", "1s").rstrip("s") or 1), 2))
            return self.send(408, {"cluster_name": "gz-double", "status": "yellow", "timed_out": True})
        return self.send(200, {"cluster_name": "gz-double", "status": "yellow", "timed_out": False,
                               "number_of_nodes": 1})

    def bulk(self, path_index, query, body):
        ctype = self.headers.get("Content-Type")
        if ctype is None:
            return self.send(406, {"error": "Content-Type header is missing", "status": 406})
        if ctype.split(";")[0].strip().lower() not in ("application/x-ndjson", "application/json"):
            return self.send(406, {"error": "Content-Type header [%s] is not supported" % ctype,
                                   "status": 406})
        if len(body) > CONFIG["max_content_length"]:
            self.close_connection = True
            return self.send(413, b"", "text/plain")
        fault = take(FAULTS["request"])
        if fault:
            status = fault["status"]
            if status == 502:
                return self.send(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                                 "text/html")
            if status == 429 and fault.get("type") == "circuit_breaking_exception":
                return self.send(*error_body(429, "circuit_breaking_exception",
                                             "[parent] Data too large, data for [<http_request>] would be "
                                             "[123/1gb], which is larger than the limit of [100/1gb]",
                                             bytes_wanted=123, bytes_limit=100, durability="TRANSIENT"))
            if status == 401:
                return self.send(401, b"Unauthorized", "text/plain; charset=UTF-8",
                                 [("WWW-Authenticate", 'Basic realm="OpenSearch Security"')])
            etype = {429: "rejected_execution_exception", 503: "unavailable_shards_exception"}.get(
                status, "illegal_argument_exception")
            return self.send(*error_body(status, etype, "injected by the double"))
        if self.conn_fault("drop_before_apply"):
            self.record["status"] = "dropped"
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        actions, err = parse_bulk(body, path_index)
        if err:
            return self.send(*err)
        if CONFIG.get("latency_ms"):
            time.sleep(CONFIG["latency_ms"] / 1000)
        forced = query.get("refresh") in ("true", "", "wait_for")
        started = time.time()
        items = [{op: apply_item(op, idx, doc_id, src, forced)} for op, idx, doc_id, src in actions]
        result = {"took": int((time.time() - started) * 1000),
                  "errors": any("error" in next(iter(it.values())) for it in items),
                  "items": items}
        if "filter_path" in query:
            result = filter_path(result, query["filter_path"])
        self.record["items"] = len(items)
        if self.conn_fault("drop_after_apply"):
            self.record["status"] = "applied-then-dropped"
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if self.conn_fault("reset"):
            self.record["status"] = "reset"
            return self.reset_connection()
        data = json.dumps(result).encode()
        if self.conn_fault("malformed"):
            data = b'{"took":1,"errors":fal'
            return self.send(200, data)
        if self.conn_fault("truncate"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.record["status"] = "truncated"
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        return self.send(200, data)

    # -- control ----------------------------------------------------------

    def control(self, parts, body):
        with LOCK:
            if parts == ["log"]:
                return self.send(200, STATE["log"])
            if parts == ["reset"]:
                STATE.update({"indices": {}, "auto_created": [], "log": [], "seq": 0,
                              "bulks": 0})
                FAULTS.update({"item": [], "every": [], "request": [], "conn": [],
                               "down": False, "down_after": None})
                return self.send(200, {"reset": True})
            if parts == ["state"]:
                return self.send(200, {"indices": {n: {"docs": len(i["docs"]),
                                                       "visible": sum(1 for d in i["docs"].values() if d["visible"]),
                                                       "mapped": bool(i["mappings"])}
                                                   for n, i in STATE["indices"].items()},
                                       "auto_created": STATE["auto_created"]})
            if len(parts) == 2 and parts[0] == "docs":
                idx = STATE["indices"].get(parts[1], {"docs": {}})
                lines = [json.dumps({"_id": k, "_version": d["_version"], "_source": d["_source"]},
                                    ensure_ascii=False) for k, d in idx["docs"].items()]
                return self.send(200, ("\n".join(lines) + ("\n" if lines else "")).encode(),
                                 "application/x-ndjson")
            if parts == ["faults"] and self.command == "GET":
                return self.send(200, faults_view())
            if parts == ["faults"]:
                spec = json.loads(body or b"{}")
                for kind, f in spec.items():
                    if kind == "down" and isinstance(f, dict):
                        FAULTS["down_after"] = int(f["after_bulks"])
                    elif kind == "down":
                        FAULTS["down"] = bool(f)
                        if not f:
                            FAULTS["down_after"] = None
                    elif kind == "max_content_length":
                        CONFIG["max_content_length"] = int(f)
                    elif kind == "item_status":
                        FAULTS["item"].append({"ids": [str(i) for i in f["ids"]], "status": f["status"],
                                               "type": f.get("type"), "times": f.get("times", 1)})
                    elif kind == "item_every":
                        FAULTS["every"].append({"n": int(f["n"]), "status": f["status"],
                                                "type": f.get("type"), "times": f.get("times", 1),
                                                "seen": set(), "left": {}})
                    elif kind == "request_status":
                        FAULTS["request"].append({"status": f["status"], "type": f.get("type"),
                                                  "times": f.get("times", 1)})
                    elif kind in ("drop_after_apply", "drop_before_apply", "truncate", "reset",
                                  "malformed", "slow_ms"):
                        FAULTS["conn"].append({"kind": kind, "ms": f.get("ms", 0),
                                               "times": f.get("times", 1),
                                               "after": int(f.get("after_bulks", 0))})
                    else:
                        return self.send(400, {"error": "unknown fault [%s]" % kind})
                return self.send(200, faults_view())
        return self.send(404, {"error": "unknown control path"})


def filter_path(obj, spec):
    """OpenSearch's filter_path: keep matching paths, '*' wildcards, prune empties."""
    include = [p.split(".") for p in spec.split(",") if p and not p.startswith("-")]

    def walk(node, patterns):
        if not patterns:
            return node
        if any(len(p) == 0 for p in patterns):
            return node
        if isinstance(node, list):
            out = [walk(x, patterns) for x in node]
            return [x for x in out if x not in (None, {}, [])]
        if not isinstance(node, dict):
            return None
        out = {}
        for k, v in node.items():
            sub = [p[1:] for p in patterns if p[0] in ("*", k)]
            if sub:
                r = walk(v, sub)
                if r not in (None, {}, []):
                    out[k] = r
        return out
    return walk(obj, include) or {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1",
                    help="address to listen on (0.0.0.0 for other network namespaces)")
    ap.add_argument("--port-file")
    ap.add_argument("--max-content-length", type=int, default=100 * 1024 * 1024)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--readonly-user", help="NAME:PASS that may read but not write")
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--log-bodies", action="store_true")
    a = ap.parse_args()
    CONFIG.update(max_content_length=a.max_content_length, user=a.user, password=a.password,
                  readonly=a.readonly_user, latency_ms=a.latency_ms, log_file=a.log,
                  log_bodies=a.log_bodies)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer((a.bind, a.port), Handler)
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        import os
        os.rename(a.port_file + ".tmp", a.port_file)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
