#!/usr/bin/python3
"""A local HTTP receiver for the delivery tests: it records every request and answers as
its path says. Never reaches beyond 127.0.0.1.

    http_receiver.py --log FILE --port-file FILE [--user U --password P] [--aws-secret S]

It listens on a free port of 127.0.0.1 and writes the port to --port-file once ready.
Each request becomes one JSON line in --log: method, path, headers ([name, value] pairs in
the order received), body (UTF-8 text), a form body decoded (form), whether it was answered with an authentication
challenge, and, when an AWS4-HMAC-SHA256 Authorization header comes with --aws-secret, the
verdict of our own SigV4 check (the signature recomputed with hmac/hashlib).

The answer is read from the path as name/value segments, in any order:
    /status/503          the status (default 200)
    /retry-after/7       a Retry-After header
    /delay/2.5           wait this many seconds before answering
    /body/invalid_payload  the response body (percent-decoded)
    /sns/ok|throttling|invalid  an SNS Query API XML answer (200, 400 Throttling, 400 invalid)
    /auth/basic|digest   require these credentials (--user, --password) first
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SNS_ANSWERS = {
    "ok": (200, "<PublishResponse xmlns=\"https://sns.amazonaws.com/doc/2010-03-31/\">"
                "<PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId>"
                "</PublishResult><ResponseMetadata><RequestId>f187a3c1</RequestId>"
                "</ResponseMetadata></PublishResponse>"),
    "throttling": (400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                        "<Message>Rate exceeded</Message></Error></ErrorResponse>"),
    "invalid": (400, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code>"
                     "<Message>Invalid parameter: TopicArn</Message></Error></ErrorResponse>"),
}


def path_settings(path):
    parts = urllib.parse.urlsplit(path).path.strip("/").split("/")
    return {parts[i]: urllib.parse.unquote(parts[i + 1]) for i in range(0, len(parts) - 1, 2)}


def sigv4_verdict(method, raw_path, headers, body, secret):
    """Recompute an AWS Signature Version 4 as AWS documents it; returns (valid, reason)."""
    authorization = headers.get("Authorization", "")
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        return False, "no AWS4-HMAC-SHA256 Authorization"
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    credential = fields["Credential"].split("/")
    _, date, region, service, terminator = credential
    signed = fields["SignedHeaders"].split(";")
    amz_date = headers.get("X-Amz-Date", "")
    if not amz_date.startswith(date):
        return False, "x-amz-date does not match the credential date"
    for required in ("host", "x-amz-date"):
        if required not in signed:
            return False, f"{required} is not signed"
    if "X-Amz-Security-Token" in headers and "x-amz-security-token" not in signed:
        return False, "x-amz-security-token is not signed"
    missing = [name for name in signed if name not in headers]
    if missing:
        return False, "signed but not sent: " + ", ".join(missing)
    split = urllib.parse.urlsplit(raw_path)
    query = sorted(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
    canonical_query = "&".join(urllib.parse.quote(k, safe="-_.~") + "=" +
                               urllib.parse.quote(v, safe="-_.~") for k, v in query)
    canonical_headers = "".join(
        name + ":" + " ".join(headers.get(name, "").split()) + "\n" for name in signed)
    canonical_request = "\n".join([
        method, urllib.parse.quote(split.path or "/", safe="/-_.~"), canonical_query,
        canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    scope = "/".join([date, region, service, terminator])
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, terminator):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["Signature"]):
        return False, "signature mismatch"
    return True, "valid"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.answer()

    def do_GET(self):
        self.answer()

    def do_PUT(self):
        self.answer()

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        settings = path_settings(self.path)
        record = {
            "method": self.command,
            "path": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8", "backslashreplace"),
            "challenged": False,
        }
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            record["form"] = dict(urllib.parse.parse_qsl(body.decode("utf-8"),
                                                         keep_blank_values=True))
        if self.server.aws_secret and self.headers.get("Authorization", "").startswith("AWS4"):
            try:
                valid, reason = sigv4_verdict(self.command, self.path, self.headers, body,
                                              self.server.aws_secret)
            except (KeyError, ValueError) as error:
                valid, reason = False, f"unreadable Authorization: {error}"
            record["sigv4"] = {"valid": valid, "reason": reason}
        challenge = self.auth_challenge(settings.get("auth"))
        if challenge:
            record["challenged"] = True
            self.server.record(record)
            self.send(401, "unauthorized", {"WWW-Authenticate": challenge})
            return
        self.server.record(record)
        if "delay" in settings:
            time.sleep(float(settings["delay"]))
        status, text = int(settings.get("status", 200)), settings.get("body", "")
        if "sns" in settings:
            status, text = SNS_ANSWERS[settings["sns"]]
        extra = {"Retry-After": settings["retry-after"]} if "retry-after" in settings else {}
        self.send(status, text, extra)

    def auth_challenge(self, scheme):
        """None when the request carries the right credentials, else the challenge."""
        given = self.headers.get("Authorization", "")
        user, password = self.server.user, self.server.password
        if scheme == "basic":
            expected = base64.b64encode(f"{user}:{password}".encode()).decode()
            return None if given == "Basic " + expected else 'Basic realm="trailhound-test"'
        if scheme == "digest":
            return None if self.digest_valid(given) else (
                f'Digest realm="trailhound-test", nonce="{secrets.token_hex(16)}", '
                'qop="auth", algorithm=MD5')
        return None

    def digest_valid(self, given):
        if not given.startswith("Digest "):
            return False
        fields = {}
        for part in urllib.request.parse_http_list(given[len("Digest "):]):
            name, _, value = part.strip().partition("=")
            fields[name] = value.strip('"')
        md5 = lambda text: hashlib.md5(text.encode()).hexdigest()
        ha1 = md5(f"{self.server.user}:{fields.get('realm')}:{self.server.password}")
        ha2 = md5(f"{self.command}:{fields.get('uri')}")
        expected = md5(f"{ha1}:{fields.get('nonce')}:{fields.get('nc')}:"
                       f"{fields.get('cnonce')}:{fields.get('qop')}:{ha2}")
        return fields.get("username") == self.server.user and fields.get("response") == expected

    def send(self, status, text, headers):
        data = text.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, options):
        super().__init__(("127.0.0.1", options.port), Handler)
        self.log_path = options.log
        self.user, self.password = options.user, options.password
        self.aws_secret = options.aws_secret
        self.lock = threading.Lock()

    def record(self, record):
        with self.lock, open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--user", default="user")
    parser.add_argument("--password", default="password")
    parser.add_argument("--aws-secret")
    parser.add_argument("--port", type=int, default=0, help="listen here (default: a free port)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    parser.add_argument("--tls-key", help="and this private key (PEM)")
    options = parser.parse_args()
    server = Receiver(options)
    if options.tls_cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(options.tls_cert, options.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    temporary = options.port_file + ".tmp"
    with open(temporary, "w", encoding="ascii") as port_file:
        port_file.write(str(server.server_address[1]))
    os.replace(temporary, options.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
