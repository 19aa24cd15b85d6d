#!/usr/bin/env python3
"""Long-span CloudTrail for the memory benchmark: one CIS 4.1 match (AccessDenied) every
minute for --days days, each from one of a few principals and source IPs, as NDJSON on
standard output. Every matched minute is a bucket a scan with alarms must keep (or spill),
so peak RSS here shows whether memory stays flat in the span of event time."""
import argparse
import datetime
import json
import random
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    users = [f"user-{i}" for i in range(8)]
    out = sys.stdout
    for minute in range(options.days * 1440):
        when = start + datetime.timedelta(minutes=minute, seconds=rng.randrange(60))
        user = rng.choice(users)
        event = {
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::123456789012:user/{user}",
                             "accountId": "123456789012", "userName": user},
            "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "s3.amazonaws.com",
            "eventName": rng.choice(["GetObject", "ListBucket", "PutObject", "GetBucketPolicy"]),
            "awsRegion": rng.choice(["us-east-1", "eu-west-1"]),
            "sourceIPAddress": f"198.51.100.{rng.randrange(1, 20)}",
            "errorCode": "AccessDenied",
            "errorMessage": f"User: arn:aws:iam::123456789012:user/{user} is not authorized to "
                            "perform: s3:GetObject because no identity-based policy allows "
                            "the s3:GetObject action",
            "requestID": f"{rng.getrandbits(64):016X}",
            "eventID": f"{rng.getrandbits(128):032x}",
            "eventType": "AwsApiCall",
            "recipientAccountId": "123456789012",
        }
        out.write(json.dumps(event, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
