#!/usr/bin/env python3
"""Sends one SigV4-signed POST / to the API with a chosen clock offset, for the skew tests
(no faketime here). Prints the status, then the x-amzn-query-error header, then the body.

    sigv4_send.py URL SERVICE OFFSET_SECONDS CONTENT_TYPE BODY [X-Amz-Target]
"""
import datetime
import hashlib
import hmac
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def sign(key, message):
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def main():
    url, service, offset, content_type, body = sys.argv[1:6]
    target = sys.argv[6] if len(sys.argv) > 6 else None
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(offset))
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    host = urllib.parse.urlparse(url).netloc
    headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date}
    if target:
        headers["x-amz-target"] = target
    names = sorted(headers)
    canonical = "".join("%s:%s\n" % (name, headers[name]) for name in names)
    signed = ";".join(names)
    request = "\n".join(["POST", "/", "", canonical, signed,
                         hashlib.sha256(body.encode()).hexdigest()])
    scope = "%s/us-east-1/%s/aws4_request" % (amz_date[:8], service)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (amz_date[:8], "us-east-1", service, "aws4_request"):
        key = sign(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (os.environ["AWS_ACCESS_KEY_ID"], scope, signed, signature))
    del headers["host"]
    sent = urllib.request.Request(url + "/", data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(sent, timeout=10) as response:
            status, error, text = response.status, "", response.read().decode()
    except urllib.error.HTTPError as failure:
        status = failure.code
        error = failure.headers.get("x-amzn-query-error", "")
        text = failure.read().decode()
    print(status)
    print(error)
    print(text)


main()
