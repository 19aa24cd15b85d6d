#!/usr/bin/python3
"""A PutLogEvents client that retries as the AWS CLI does, for the kill -9 tests: sends
BATCHES batches of EVENTS CloudTrail events each, SigV4-signed, to URL; each batch is sent
again (identical bytes) until it is answered 200 — a refused connection, a reset, a timeout
or a 5xx is retried — and its number is then appended to ACK_FILE. The first two events of
every batch are AccessDenied calls, the others are not. Exits 1 on a 4xx answer.

    put_log_events_client.py URL GROUP STREAM BATCHES EVENTS ACK_FILE STOP_FILE [--again N]

It stops early, before a new batch, once STOP_FILE exists. --again N: once done, sends
batch N once more (a client's retry of an acknowledged batch).
Credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
"""
import datetime
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def sign(key, message):
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signed_request(url, body):
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-type": "application/x-amz-json-1.1",
               "host": urllib.parse.urlparse(url).netloc, "x-amz-date": amz_date,
               "x-amz-target": "Logs_20140328.PutLogEvents"}
    names = sorted(headers)
    canonical = "".join("%s:%s\n" % (name, headers[name]) for name in names)
    signed = ";".join(names)
    request = "\n".join(["POST", "/", "", canonical, signed, hashlib.sha256(body).hexdigest()])
    scope = "%s/us-east-1/logs/aws4_request" % amz_date[:8]
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + os.environ["AWS_SECRET_ACCESS_KEY"]).encode()
    for part in (amz_date[:8], "us-east-1", "logs", "aws4_request"):
        key = sign(key, part)
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (os.environ["AWS_ACCESS_KEY_ID"], scope, signed,
           hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()))
    del headers["host"]
    return urllib.request.Request(url + "/", data=body, headers=headers, method="POST")


def batch_body(group, stream, number, events, base_ms):
    log_events = []
    for index in range(events):
        event = {"eventVersion": "1.08", "eventID": "batch-%d-event-%d" % (number, index),
                 "eventTime": "2026-11-26T12:00:00Z", "eventSource": "s3.amazonaws.com",
                 "eventName": "GetObject", "sourceIPAddress": "192.0.2.%d" % (index + 1),
                 "userIdentity": {"type": "IAMUser",
                                  "arn": "arn:aws:iam::123456789012:user/u%d" % index}}
        if index < 2:
            event["errorCode"] = "AccessDenied"
        log_events.append({"timestamp": base_ms + number * 10 + index,
                           "message": json.dumps(event, sort_keys=True)})
    return json.dumps({"logGroupName": group, "logStreamName": stream,
                       "logEvents": log_events}).encode()


def send_until_acknowledged(url, body):
    while True:
        try:
            with urllib.request.urlopen(signed_request(url, body), timeout=40) as response:
                response.read()
                return
        except urllib.error.HTTPError as failure:
            if failure.code < 500:
                sys.exit("batch refused: %d %s" % (failure.code, failure.read().decode()))
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.02)


def main():
    url, group, stream, batches, events, ack_file, stop_file = sys.argv[1:8]
    again = int(sys.argv[9]) if len(sys.argv) > 9 and sys.argv[8] == "--again" else None
    base_ms = int(time.time() * 1000)
    with open(ack_file, "a", encoding="ascii") as acks:
        for number in range(int(batches)):
            if os.path.exists(stop_file):
                break
            send_until_acknowledged(url, batch_body(group, stream, number, int(events), base_ms))
            acks.write("%d\n" % number)
            acks.flush()
        if again is not None:
            send_until_acknowledged(url, batch_body(group, stream, again, int(events), base_ms))
            acks.write("again %d\n" % again)


main()
