#!/usr/bin/python3
"""S3 double: a reverse proxy in front of s3rver that verifies AWS SigV4.

s3rver 3.7.1 checks the access key, the presence of x-amz-content-sha256 and
the clock skew, but computes no V4 signature and never checks the payload
hash.  This proxy does, following AWS Signature Version 4 (canonical request,
string to sign, signing key, signature: steps 1-7 below), answers failures with S3's XML errors,
and forwards verified GET/HEAD/PUT/DELETE/POST requests to s3rver, streaming
bodies both ways.  It also evaluates If-Match/If-None-Match itself, since
s3rver ignores them.

Fault injection and inspection live under /_double/, a path no S3 request can
take (bucket names cannot start with "_"); tests/doubles/faultkit.py lists
the control paths and the JSON shape of a fault.  "match" (fnmatch) and
"prefix" apply to the decoded object key.  NAME is one of slowdown, internal_error, request_timeout, access_denied,
no_such_key, error, missing_as_403, truncate, reset, delay, trickle, close,
etag, permanent_redirect (301 to "region", default sa-east-1); see
FAULT_ERRORS and Handler._forward for their parameters.

Usage: s3proxy.py --port 0 --port-file F --upstream http://127.0.0.1:PORT
       --region us-east-1 --access-key S3RVER --secret S3RVER [--log FILE]
"""

import argparse
import base64
import calendar
import hashlib
import hmac
import http.client
import http.server
import re
import secrets
import socket
import tempfile
import time
import urllib.parse
from xml.sax.saxutils import escape

from faultkit import Aborted, Server, State, abort_connection, serve

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
CHUNK = 64 * 1024
MAX_SKEW = 15 * 60
# Bodies of rejected requests up to this size are read and dropped so the
# connection stays usable; larger ones close it, as S3 does.
DRAIN_LIMIT = 1 << 20
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect",
}

# The canned S3 errors a fault can answer with: name -> (status, code, text).
FAULT_ERRORS = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "service_unavailable": (503, "ServiceUnavailable",
                            "Service is unable to handle request."),
    "internal_error": (500, "InternalError",
                       "We encountered an internal error. Please try again."),
    "request_timeout": (400, "RequestTimeout",
                        "Your socket connection to the server was not read "
                        "from or written to within the timeout period."),
    "access_denied": (403, "AccessDenied", "Access Denied"),
    "no_such_key": (404, "NoSuchKey", "The specified key does not exist."),
    "invalid_range": (416, "InvalidRange",
                      "The requested range is not satisfiable"),
}
FAULT_NAMES = set(FAULT_ERRORS) | {
    "error", "missing_as_403", "truncate", "reset", "delay", "trickle",
    "close", "etag", "permanent_redirect",
}


class S3Error(Exception):
    """An S3 error response: status, Code, Message and extra elements."""

    def __init__(self, status, code, message, headers=(), **extra):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.headers = list(headers)
        self.extra = extra


class Answered(Aborted):
    """The response is complete already (e.g. 304); nothing more to send."""


def amz_time(s):
    """Seconds since the epoch for an x-amz-date, or None if malformed."""
    if not re.fullmatch(r"\d{8}T\d{6}Z", s or ""):
        return None
    try:
        return calendar.timegm(time.strptime(s, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return None


def canonical_uri(raw_path):
    """S3's canonical URI: decode the path, then encode it exactly once."""
    return urllib.parse.quote(urllib.parse.unquote_to_bytes(raw_path),
                              safe="/~")


def canonical_query(raw_query):
    if not raw_query:
        return ""
    pairs = []
    for part in raw_query.split("&"):
        if part == "":
            continue
        name, _, value = part.partition("=")
        pairs.append((
            urllib.parse.quote(urllib.parse.unquote_to_bytes(name), safe="-_.~"),
            urllib.parse.quote(urllib.parse.unquote_to_bytes(value), safe="-_.~"),
        ))
    pairs.sort()
    return "&".join("%s=%s" % p for p in pairs)


def as_text(value):
    """Header values arrive decoded as Latin-1; sign their UTF-8 text."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    sys_version = ""
    # An idle keep-alive connection is dropped after this many seconds.
    timeout = 120

    # ---- plumbing -------------------------------------------------------

    def log_message(self, fmt, *args):
        pass

    def handle_expect_100(self):
        # S3 answers a bad signature before asking for the body: send the
        # 100 Continue only once the request is verified (_continue).
        self._expecting = True
        return True

    def _continue(self):
        if getattr(self, "_expecting", False):
            self._expecting = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()

    def _abort(self, rst):
        abort_connection(self, rst)

    def _request_id(self):
        if not hasattr(self, "_rid"):
            self._rid = secrets.token_hex(8).upper()
        return self._rid

    def _send_head(self, status, headers):
        self.send_response_only(status)
        names = set()
        for name, value in headers:
            names.add(name.lower())
            self.send_header(name, value)
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        if "x-amz-request-id" not in names:
            self.send_header("x-amz-request-id", self._request_id())
            self.send_header("x-amz-id-2", base64.b64encode(
                self._request_id().encode()).decode())
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _send_error(self, err):
        self.entry["status"] = err.status
        self.entry["error"] = err.code
        body = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
                "<Code>%s</Code>" % escape(err.code),
                "<Message>%s</Message>" % escape(err.message)]
        for name, value in err.extra.items():
            body.append("<%s>%s</%s>" % (name, escape(str(value)), name))
        body.append("<RequestId>%s</RequestId>" % self._request_id())
        body.append("<HostId>%s</HostId></Error>" % base64.b64encode(
            self._request_id().encode()).decode())
        data = "".join(body).encode("utf-8")
        self._finish_request_body()
        headers = [("Content-Type", "application/xml")] + err.headers
        if self.command == "HEAD":
            headers.append(("Content-Length", "0"))
            self._send_head(err.status, headers)
            return
        headers.append(("Content-Length", str(len(data))))
        self._send_head(err.status, headers)
        self.wfile.write(data)

    def _finish_request_body(self):
        """Make the connection reusable after an early answer."""
        if getattr(self, "_body_done", False):
            return
        self._body_done = True
        if getattr(self, "_expecting", False):
            self.close_connection = True  # the client has not sent it yet
            return
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            self.close_connection = True
            return
        if length > DRAIN_LIMIT:
            self.close_connection = True
            return
        while length > 0:
            data = self.rfile.read(min(CHUNK, length))
            if not data:
                break
            length -= len(data)

    # ---- dispatch -------------------------------------------------------

    def _handle(self):
        self._body_done = False
        self._expecting = getattr(self, "_expecting", False)
        raw_path, _, raw_query = self.path.partition("?")
        self.entry = {
            "time": time.time(), "method": self.command, "path": self.path,
            "range": self.headers.get("Range"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }
        try:
            if raw_path.startswith("/_double/") or raw_path == "/_double":
                self._control(raw_path)
                return
            self.entry["key"] = self._key(raw_path)
            try:
                self._verify(raw_path, raw_query)
                self._forward(raw_path, raw_query)
            except S3Error as err:
                self._send_error(err)
        except Aborted:
            self.entry.setdefault("status", 0)
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            self.entry["client_error"] = type(e).__name__
            self.close_connection = True
        finally:
            if not raw_path.startswith("/_double"):
                self.entry["duration"] = round(time.time() - self.entry["time"], 3)
                self.server.state.record(self.entry)
            self._expecting = False

    do_GET = do_HEAD = do_PUT = do_DELETE = do_POST = _handle

    @staticmethod
    def _key(raw_path):
        parts = urllib.parse.unquote(raw_path).lstrip("/").split("/", 1)
        return parts[1] if len(parts) > 1 else ""

    def _control(self, raw_path):
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        self._body_done = True
        status, out, ctype = self.server.state.control(self.command, raw_path, body)
        self.send_response_only(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    # ---- SigV4 (the SigV4 algorithm, steps 1-7) ----------------------

    def _verify(self, raw_path, raw_query):
        cfg = self.server.cfg
        authz = self.headers.get("Authorization")
        if authz is None:
            if "X-Amz-Signature" in raw_query or "X-Amz-Algorithm" in raw_query:
                raise S3Error(400, "NotImplemented",
                              "The double does not accept presigned URLs.")
            raise S3Error(403, "AccessDenied", "Access Denied")

        # Step 1: parse Authorization.
        algo, _, rest = authz.strip().partition(" ")
        if algo != "AWS4-HMAC-SHA256":
            raise S3Error(400, "InvalidArgument",
                          "Unsupported Authorization Type",
                          ArgumentName="Authorization", ArgumentValue=authz)
        fields = {}
        for part in rest.split(","):
            name, eq, value = part.strip().partition("=")
            if not eq or name in fields:
                raise S3Error(400, "AuthorizationHeaderMalformed",
                              "The authorization header is malformed; "
                              "the authorization component \"%s\" is "
                              "malformed." % part.strip())
            fields[name] = value
        if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the "
                          "authorization header requires three components: "
                          "Credential, SignedHeaders, and Signature.")
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or not re.fullmatch(r"\d{8}", scope[1]):
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the "
                          "Credential is mal-formed; expecting "
                          "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        access_key, day, region, service, term = scope
        if region != cfg.region:
            # S3 names the bucket's region twice: in the body and in
            # x-amz-bucket-region (the only place a HEAD can carry it).
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the region "
                          "'%s' is wrong; expecting '%s'" % (region, cfg.region),
                          [("x-amz-bucket-region", cfg.region)],
                          Region=cfg.region)
        if service != "s3":
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; incorrect "
                          "service \"%s\". This endpoint belongs to \"s3\"."
                          % service)
        if term != "aws4_request":
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; incorrect "
                          "terminal \"%s\". This endpoint uses "
                          "\"aws4_request\"." % term)
        if access_key != cfg.access_key:
            raise S3Error(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist "
                          "in our records.", AWSAccessKeyId=access_key)
        given_sig = fields["Signature"]
        if not re.fullmatch(r"[0-9a-f]{64}", given_sig):
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; the "
                          "signature is not 64 lowercase hex digits.")

        # Step 2: x-amz-date on the scope's day, within 15 minutes.
        amz_date = self.headers.get("x-amz-date")
        t = amz_time(amz_date)
        if amz_date is None or t is None:
            raise S3Error(403, "AccessDenied",
                          "AWS authentication requires a valid Date or "
                          "x-amz-date header")
        if amz_date[:8] != day:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; Invalid "
                          "credential date. Date is not the same as "
                          "X-Amz-Date.")
        if abs(time.time() - t) > MAX_SKEW:
            raise S3Error(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the "
                          "current time is too large.", RequestTime=amz_date,
                          ServerTime=time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                   time.gmtime()),
                          MaxAllowedSkewMilliseconds=MAX_SKEW * 1000)

        # Step 3: x-amz-content-sha256 present and well-formed (the body is
        # compared once read, in _read_body).
        sha = self.headers.get("x-amz-content-sha256")
        if sha is None:
            raise S3Error(400, "InvalidRequest",
                          "Missing required header for this request: "
                          "x-amz-content-sha256")
        if sha.startswith("STREAMING-"):
            raise S3Error(400, "NotImplemented",
                          "The double does not accept aws-chunked bodies "
                          "(%s)." % sha)
        if sha != "UNSIGNED-PAYLOAD" and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
            raise S3Error(400, "InvalidArgument",
                          "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                          "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid "
                          "sha256 value.", ArgumentName="x-amz-content-sha256",
                          ArgumentValue=sha)

        # Step 4: what must be signed, and what is signed must be there.
        signed = fields["SignedHeaders"].split(";")
        if not all(signed) or any(n != n.lower() for n in signed):
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; "
                          "SignedHeaders must be lowercase names separated "
                          "by ';'.")
        present = {k.lower() for k in self.headers.keys()}
        unsigned = sorted(
            n for n in present | {"host", "x-amz-date", "x-amz-content-sha256"}
            if (n.startswith("x-amz-") or n == "host") and n not in signed)
        if unsigned:
            raise S3Error(403, "AccessDenied",
                          "There were headers present in the request which "
                          "were not signed", HeadersNotSigned=", ".join(unsigned))
        missing = [n for n in signed if n not in present]

        # Steps 5 and 6: canonicalise as S3 does, sign with botocore pieces.
        curi = canonical_uri(raw_path)
        cquery = canonical_query(raw_query)
        auth = S3SigV4Auth(Credentials(cfg.access_key, cfg.secret), "s3",
                           cfg.region)
        host = self.headers.get("host", "")
        req = AWSRequest(method=self.command, url="http://" + host + curi)
        req.context["timestamp"] = amz_date
        hm = HTTPHeaders()
        for n in signed:
            values = self.headers.get_all(n) or [""]
            for v in values:
                hm.add_header(n, as_text(v))
        cr = "\n".join([self.command, curi, cquery,
                        auth.canonical_headers(hm) + "\n",
                        auth.signed_headers(hm), sha])
        sts = auth.string_to_sign(req, cr)
        ok = hmac.compare_digest(auth.signature(sts, req), given_sig)
        if ok and auth.signed_headers(hm) != fields["SignedHeaders"]:
            ok = False  # unsorted or repeated names in SignedHeaders
        self.entry["canonical_request"] = cr

        # Step 7: mismatch.
        if missing or not ok:
            message = ("The request signature we calculated does not match "
                       "the signature you provided. Check your key and "
                       "signing method.")
            if missing:
                message += (" (signed header(s) not in the request: %s)"
                            % ", ".join(missing))
            raise S3Error(403, "SignatureDoesNotMatch", message,
                          AWSAccessKeyId=access_key, StringToSign=sts,
                          SignatureProvided=given_sig,
                          StringToSignBytes=" ".join(
                              "%02x" % b for b in sts.encode()),
                          CanonicalRequest=cr,
                          CanonicalRequestBytes=" ".join(
                              "%02x" % b for b in cr.encode()))
        self.entry["auth"] = "ok"

    # ---- forwarding -----------------------------------------------------

    def _read_body(self, spool, reset_after):
        """Copy the request body to spool, hashing it; check the hashes."""
        te = self.headers.get("Transfer-Encoding", "").lower()
        length = self.headers.get("Content-Length")
        if self.command == "PUT" and (length is None or "chunked" in te):
            raise S3Error(411, "MissingContentLength",
                          "You must provide the Content-Length HTTP header.")
        if "chunked" in te:
            raise S3Error(400, "NotImplemented",
                          "The double does not accept chunked bodies.")
        try:
            length = int(length or "0")
            if length < 0:
                raise ValueError
        except ValueError:
            raise S3Error(400, "InvalidArgument", "Bad Content-Length") from None
        self._continue()
        sha, md5, left = hashlib.sha256(), hashlib.md5(), length
        got = 0
        while left > 0:
            if reset_after is not None and got >= reset_after:
                self._abort(rst=True)
            n = min(CHUNK, left)
            if reset_after is not None:
                n = min(n, max(1, reset_after - got))
            data = self.rfile.read(n)
            if not data:
                self.close_connection = True
                raise Aborted()
            sha.update(data)
            md5.update(data)
            spool.write(data)
            left -= len(data)
            got += len(data)
        if reset_after is not None:
            self._abort(rst=True)
        self._body_done = True
        self.entry["bytes_in"] = length
        spool.flush()
        spool.seek(0)

        claimed = self.headers.get("x-amz-content-sha256")
        if claimed != "UNSIGNED-PAYLOAD" and claimed.lower() != sha.hexdigest():
            raise S3Error(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does "
                          "not match what was computed.",
                          ClientComputedContentSHA256=claimed,
                          S3ComputedContentSHA256=sha.hexdigest())
        content_md5 = self.headers.get("Content-MD5")
        if content_md5 is not None:
            try:
                want = base64.b64decode(content_md5, validate=True)
            except ValueError:
                want = b""
            if len(want) != 16:
                raise S3Error(400, "InvalidDigest",
                              "The Content-MD5 you specified was invalid.",
                              **{"Content-MD5": content_md5})
            if want != md5.digest():
                raise S3Error(400, "BadDigest",
                              "The Content-MD5 you specified did not match "
                              "what we received.",
                              ExpectedDigest=content_md5,
                              CalculatedDigest=base64.b64encode(
                                  md5.digest()).decode())
        return length

    def _upstream(self):
        cfg = self.server.cfg
        return http.client.HTTPConnection(cfg.up_host, cfg.up_port, timeout=60)

    def _forward_headers(self, drop=()):
        cfg = self.server.cfg
        out = []
        for name, value in self.headers.items():
            low = name.lower()
            if low in HOP_BY_HOP or low in ("host", "content-length") or low in drop:
                continue
            out.append((name, value))
        out.append(("Host", "%s:%d" % (cfg.up_host, cfg.up_port)))
        return out

    def _upstream_etag(self, raw_path, raw_query):
        """The ETag s3rver has for the object, or None when it has none."""
        conn = self._upstream()
        try:
            conn.putrequest("HEAD", raw_path + ("?" + raw_query if raw_query else ""),
                            skip_host=True, skip_accept_encoding=True)
            for name, value in self._forward_headers(
                    drop=("range", "if-match", "if-none-match", "if-range")):
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            resp.read()
            return resp.getheader("ETag") if resp.status == 200 else None
        finally:
            conn.close()

    def _fake_etag(self, fault, real):
        if fault.get("etag"):
            return fault["etag"]
        return '"%s-3"' % (real or '""').strip('"')

    def _check_conditions(self, raw_path, raw_query):
        """S3's If-Match / If-None-Match; s3rver ignores both."""
        if_match = self.headers.get("If-Match")
        if_none = self.headers.get("If-None-Match")
        if self.command not in ("GET", "HEAD") or (not if_match and not if_none):
            return
        etag = self._upstream_etag(raw_path, raw_query)
        if etag is None:
            return  # let s3rver answer 404
        fault = self.server.state.peek(self.command, self.entry["key"], {"etag"})
        if fault:
            etag = self._fake_etag(fault, etag)

        def listed(header):
            tags = [t.strip() for t in header.split(",")]
            return "*" in tags or etag in tags or etag.strip('"') in tags

        if if_match and not listed(if_match):
            raise S3Error(412, "PreconditionFailed",
                          "At least one of the pre-conditions you specified "
                          "did not hold", Condition="If-Match")
        if if_none and listed(if_none):
            self.entry["status"] = 304
            self._send_head(304, [("ETag", etag)])
            raise Answered()

    def _forward(self, raw_path, raw_query):
        state = self.server.state
        key = self.entry["key"]
        method = self.command
        fault = state.take(method, key, FAULT_NAMES - {"etag", "missing_as_403"})
        if fault:
            self.entry["fault"] = fault["fault"]
        name = fault["fault"] if fault else None

        if name == "delay":
            time.sleep(fault.get("ms", 1000) / 1000.0)
        with tempfile.TemporaryFile(dir=self.server.cfg.spool) as spool:
            length = 0
            if method in ("PUT", "POST") or self.headers.get("Content-Length") not in (None, "0"):
                reset_after = None
                if name == "reset" and method in ("PUT", "POST"):
                    want = int(self.headers.get("Content-Length") or 0)
                    reset_after = fault.get("bytes", want // 2)
                length = self._read_body(spool, reset_after)
            else:
                self._body_done = True
                claimed = self.headers.get("x-amz-content-sha256")
                if claimed not in ("UNSIGNED-PAYLOAD", EMPTY_SHA256) and \
                        claimed.lower() != EMPTY_SHA256:
                    raise S3Error(400, "XAmzContentSHA256Mismatch",
                                  "The provided 'x-amz-content-sha256' header "
                                  "does not match what was computed.",
                                  ClientComputedContentSHA256=claimed,
                                  S3ComputedContentSHA256=EMPTY_SHA256)

            if name == "close":
                self._abort(rst=False)
            if name == "permanent_redirect":
                # The bucket lives in another region than this endpoint's:
                # S3 answers 301 with where to go, and never follows it
                # for the client.
                region = fault.get("region", "sa-east-1")
                bucket = raw_path.lstrip("/").split("/", 1)[0]
                raise S3Error(301, "PermanentRedirect",
                              "The bucket you are attempting to access must "
                              "be addressed using the specified endpoint. "
                              "Please send all future requests to this "
                              "endpoint.",
                              [("x-amz-bucket-region", region)],
                              Endpoint="%s.s3.%s.amazonaws.com" % (bucket, region),
                              Bucket=bucket)
            if name in FAULT_ERRORS or name == "error":
                status, code, message = FAULT_ERRORS.get(
                    name, (500, "InternalError", "We encountered an internal "
                           "error. Please try again."))
                status = fault.get("status", status)
                code = fault.get("code", code)
                message = fault.get("message", message)
                headers = []
                if "retry_after" in fault:
                    headers.append(("Retry-After", str(fault["retry_after"])))
                extra = {"Key": key} if code == "NoSuchKey" else {}
                raise S3Error(status, code, message, headers, **extra)

            self._check_conditions(raw_path, raw_query)

            conn = self._upstream()
            try:
                target = raw_path + ("?" + raw_query if raw_query else "")
                conn.putrequest(method, target, skip_host=True,
                                skip_accept_encoding=True)
                for hname, value in self._forward_headers(
                        drop=("if-match", "if-none-match")):
                    conn.putheader(hname, value)
                if method in ("PUT", "POST") or length:
                    conn.putheader("Content-Length", str(length))
                conn.endheaders()
                while length:
                    data = spool.read(CHUNK)
                    if not data:
                        break
                    conn.send(data)
                try:
                    resp = conn.getresponse()
                except (OSError, http.client.HTTPException) as e:
                    raise S3Error(500, "InternalError",
                                  "The double could not reach s3rver: %s" % e)
                self._relay(resp, fault, key)
            finally:
                conn.close()

    def _relay(self, resp, fault, key):
        state = self.server.state
        name = fault["fault"] if fault else None
        headers = []
        for hname, value in resp.getheaders():
            if hname.lower() in HOP_BY_HOP:
                continue
            headers.append((hname, value))
        status = resp.status

        if status == 404 and self.command in ("GET", "HEAD", "PUT", "DELETE"):
            f403 = state.take(self.command, key, {"missing_as_403"})
            if f403:
                resp.read()
                self.entry["fault"] = "missing_as_403"
                raise S3Error(403, "AccessDenied", "Access Denied")

        if status < 300 and any(h.lower() == "etag" for h, _ in headers):
            fe = state.take(self.command, key, {"etag"})
            if fe:
                self.entry["fault"] = "etag"
                headers = [(h, self._fake_etag(fe, v) if h.lower() == "etag" else v)
                           for h, v in headers]

        if self.command == "HEAD" and status >= 300:
            # S3 never sends a body with HEAD, errors included.
            headers = [(h, v) for h, v in headers if h.lower() != "content-length"]
            headers.append(("Content-Length", "0"))

        if name == "reset" and self.command != "GET":
            self._abort(rst=True)  # no body to cut: reset instead of answering
        length = resp.getheader("Content-Length")
        chunked = length is None and self.command != "HEAD" and status not in (204, 304)
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        self.entry["status"] = status
        self._send_head(status, headers)
        if self.command == "HEAD" or status in (204, 304):
            resp.read()
            return

        total = int(length) if length else None
        cut_at = None
        if name in ("truncate", "reset"):
            cut_at = fault.get("bytes", (total or 0) // 2)
        rate = fault.get("rate", 1024) if name == "trickle" else None
        sent = 0
        while True:
            if cut_at is not None and sent >= cut_at:
                self.entry["bytes_out"] = sent
                self._abort(rst=(name == "reset"))
            n = CHUNK
            if cut_at is not None:
                n = min(n, cut_at - sent)
            if rate:
                n = min(n, max(1, rate // 10))
            data = resp.read(n)
            if not data:
                break
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)
            sent += len(data)
            if rate:
                self.wfile.flush()
                time.sleep(len(data) / float(rate))
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.entry["bytes_out"] = sent


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port-file")
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--access-key", default="S3RVER")
    ap.add_argument("--secret", default="S3RVER")
    ap.add_argument("--log")
    ap.add_argument("--spool", default=None,
                    help="folder for buffered PUT bodies (default: TMPDIR)")
    cfg = ap.parse_args()
    up = urllib.parse.urlsplit(cfg.upstream)
    if up.scheme != "http" or not up.hostname:
        ap.error("--upstream must be http://HOST:PORT")
    cfg.up_host, cfg.up_port = up.hostname, up.port or 80

    srv = Server((cfg.bind, cfg.port), Handler)
    srv.cfg = cfg
    srv.state = State(cfg.log, FAULT_NAMES)
    serve(srv, cfg.port_file)

if __name__ == "__main__":
    main()
