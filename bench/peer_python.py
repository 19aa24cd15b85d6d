#!/usr/bin/env python3
"""The Python peer of the trailhound benchmark, and a checker for generated files.

    peer_python.py FILE|-            count CIS 4.1 matches (json.loads per line), print the count
    peer_python.py --all FILE|-      count every CIS 4.1-4.15 filter, plus file statistics

Input is NDJSON (one event per line; "-" reads standard input, e.g. from zcat).

The predicates follow CloudWatch Logs' filter-pattern semantics as trailhound implements them
(docs/filter-pattern-decisions.md, src/patterns/pattern_evaluate.c):
  - `=` and `!=` only ever hold on strings and numbers; on a missing field, null, a boolean,
    an object or an array both are false. So `$.sourceIPAddress != "x"` does NOT match an
    event without sourceIPAddress (or with sourceIPAddress null);
  - a text value compares with a number's text;
  - `*` at either end of a value is a wildcard (prefix / suffix / contains match);
  - `NOT EXISTS` holds only when the field is absent (a null value exists);
  - a path walks objects only (`$.a.b` on an array selects nothing).
"""

import json
import sys
from collections import Counter

MISSING = object()

CIS_NAMES = {
    "4.4": (None, """DeleteGroupPolicy DeleteRolePolicy DeleteUserPolicy PutGroupPolicy
            PutRolePolicy PutUserPolicy CreatePolicy DeletePolicy CreatePolicyVersion
            DeletePolicyVersion AttachRolePolicy DetachRolePolicy AttachUserPolicy
            DetachUserPolicy AttachGroupPolicy DetachGroupPolicy"""),
    "4.5": (None, "CreateTrail UpdateTrail DeleteTrail StartLogging StopLogging"),
    "4.7": ("kms.amazonaws.com", "DisableKey ScheduleKeyDeletion"),
    "4.8": ("s3.amazonaws.com", """PutBucketAcl PutBucketPolicy PutBucketCors PutBucketLifecycle
            PutBucketReplication DeleteBucketPolicy DeleteBucketCors DeleteBucketLifecycle
            DeleteBucketReplication"""),
    "4.9": ("config.amazonaws.com", """StopConfigurationRecorder DeleteDeliveryChannel
            PutDeliveryChannel PutConfigurationRecorder"""),
    "4.10": (None, """AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress
             RevokeSecurityGroupIngress RevokeSecurityGroupEgress CreateSecurityGroup
             DeleteSecurityGroup"""),
    "4.11": (None, """CreateNetworkAcl CreateNetworkAclEntry DeleteNetworkAcl
             DeleteNetworkAclEntry ReplaceNetworkAclEntry ReplaceNetworkAclAssociation"""),
    "4.12": (None, """CreateCustomerGateway DeleteCustomerGateway AttachInternetGateway
             CreateInternetGateway DeleteInternetGateway DetachInternetGateway"""),
    "4.13": (None, """CreateRoute CreateRouteTable ReplaceRoute ReplaceRouteTableAssociation
             DeleteRouteTable DeleteRoute DisassociateRouteTable"""),
    "4.14": (None, """CreateVpc DeleteVpc ModifyVpcAttribute AcceptVpcPeeringConnection
             CreateVpcPeeringConnection DeleteVpcPeeringConnection RejectVpcPeeringConnection
             AttachClassicLinkVpc DetachClassicLinkVpc DisableVpcClassicLink
             EnableVpcClassicLink"""),
    "4.15": ("organizations.amazonaws.com", """AcceptHandshake AttachPolicy CreateAccount
             CreateOrganizationalUnit CreatePolicy DeclineHandshake DeleteOrganization
             DeleteOrganizationalUnit DeletePolicy DetachPolicy DisablePolicyType
             EnablePolicyType InviteAccountToOrganization LeaveOrganization MoveAccount
             RemoveAccountFromOrganization UpdatePolicy UpdateOrganizationalUnit"""),
}
CIS_SETS = {k: (src, frozenset(names.split())) for k, (src, names) in CIS_NAMES.items()}
RULES = ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11",
         "4.12", "4.13", "4.14", "4.15"]


def text(value):
    """The text a comparison sees, or None when `=`/`!=` cannot hold (missing, null,
    booleans, objects, arrays)."""
    t = type(value)
    if t is str:
        return value
    if t is int or t is float:  # bool is not int here: type() is exact
        return json.dumps(value)
    return None


def path(event, *keys):
    for k in keys:
        if type(event) is not dict:
            return MISSING
        event = event.get(k, MISSING)
    return event


def rule_4_1(e):
    """{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") &&
         ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }"""
    if type(e) is not dict:
        return False
    code = text(e.get("errorCode"))
    if code is None:
        return False
    if code.endswith("UnauthorizedOperation"):
        return True
    if not code.startswith("AccessDenied"):
        return False
    ip = text(e.get("sourceIPAddress"))
    if ip is None or ip == "delivery.logs.amazonaws.com":
        return False
    name = text(e.get("eventName"))
    return name is not None and name != "HeadBucket"


def all_rules(e):
    """Which of 4.1-4.15 match event e (a list of rule ids)."""
    if type(e) is not dict:
        return []
    out = []
    if rule_4_1(e):
        out.append("4.1")
    name = text(e.get("eventName"))
    source = text(e.get("eventSource"))
    if name == "ConsoleLogin":
        mfa = text(path(e, "additionalEventData", "MFAUsed"))
        if mfa is not None and mfa != "Yes":
            out.append("4.2")
        if text(e.get("errorMessage")) == "Failed authentication":
            out.append("4.6")
    if text(path(e, "userIdentity", "type")) == "Root" and \
            path(e, "userIdentity", "invokedBy") is MISSING:
        et = text(e.get("eventType"))
        if et is not None and et != "AwsServiceEvent":
            out.append("4.3")
    if name is not None:
        for rid, (src, names) in CIS_SETS.items():
            if name in names and (src is None or source == src):
                out.append(rid)
    out.sort(key=RULES.index)
    return out


def open_input(arg):
    if arg == "-":
        return sys.stdin.buffer
    return open(arg, "rb")


def count_4_1(f):
    loads = json.loads
    n = 0
    for line in f:
        if line.strip() and rule_4_1(loads(line)):
            n += 1
    return n


def stats(f):
    loads = json.loads
    counts = Counter()
    names = Counter()
    errors = Counter()
    kinds = Counter()
    events = 0
    size = 0
    for line in f:
        if not line.strip():
            continue
        e = loads(line)
        events += 1
        size += len(line)
        names[e.get("eventName")] += 1
        if "errorCode" in e:
            errors[e["errorCode"]] += 1
        kinds[(e.get("eventType"), path(e, "userIdentity", "type"))] += 1
        for rid in all_rules(e):
            counts[rid] += 1
    return events, size, names, errors, kinds, counts


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if argv else 2
    if argv[0] == "--all":
        f = open_input(argv[1] if len(argv) > 1 else "-")
        events, size, names, errors, kinds, counts = stats(f)
        print("events %d, bytes %d, average event %.0f bytes (with newline)" %
              (events, size, size / max(events, 1)))
        print("distinct eventNames %d; top 10: %s" % (len(names), ", ".join(
            "%s %.1f%%" % (n, 100.0 * c / events) for n, c in names.most_common(10))))
        err = sum(errors.values())
        print("events with errorCode %d (%.2f%%); top: %s" % (err, 100.0 * err / max(events, 1),
              ", ".join("%s %d" % kv for kv in errors.most_common(12))))
        print("eventType/userIdentity.type: %s" % ", ".join(
            "%s/%s %d" % (k[0], k[1], c) for k, c in kinds.most_common()))
        print("CIS matches:")
        for rid in RULES:
            print("  %-5s %d" % (rid, counts[rid]))
        return 0
    f = open_input(argv[0])
    print(count_4_1(f))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
