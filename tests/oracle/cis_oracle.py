#!/usr/bin/env python3
"""Independent oracle for `trailhound scan --cis --format json FILE`.

Python 3, standard library only. Shares no code with the C implementation: the 15 CIS
AWS Foundations v3.0.0 section-4 filters are hand-written Python predicates (not parsed
from filter-pattern text), the layouts are recognised by re-implementing the rules
trailhound documents (src/sources/source.h, the header of source_detect.c), and the JSON
is read by Python's json module made strict (no NaN/Infinity, no lone surrogates, no
invalid UTF-8, nesting at most 64).

usage: cis_oracle.py [--summary] FILE...
       cis_oracle.py compare MANIFEST [GROUP:CIS=N ...]
  Prints one JSON object keyed by the paths as given:
    {PATH: {"layout": L, "events": N,
            "filters": {"4.1": {"matches": M, "value_sum": M,
                                "top": {"principals": [{"value": V, "count": C}, ...],
                                        "source_ips": [...], "event_names": [...],
                                        "error_codes": [...], "accounts": [...],
                                        "regions": [...]}},
                        ...,
                        "4.15": {...}}}}
  --summary prints one line per file (layout, events, non-zero matches) instead.
  compare: MANIFEST has lines GROUP<TAB>PATH<TAB>FILE_WITH_SCAN_JSON<TAB>EXIT_STATUS;
  prints one line per mismatch (file, filter, field, expected vs actual), asserts the
  given per-group totals (e.g. shared:4.1=123) on both sides, exits 1 on any failure.

Semantics (../shared/spec/filter-patterns.md §5, cis-section4.md §3-4):
  * `=` is exact and case-sensitive; a leading/trailing `*` in the literal is a wildcard;
  * a comparison holds only on a value node (JSON string or number; a number compares
    as its text as written); on a missing field, an object, an array, null or a boolean
    both `=` and `!=` are false;
  * NOT EXISTS holds only when the field is absent (present-but-null is not absent);
  * a duplicated key gives its selector every occurrence; a condition holds when one of
    them satisfies it (docs/filter-pattern-decisions.md D-DUPLICATE-KEYS);
  * `&&` binds tighter than `||`.

Layouts and recovery: see "Reading: layouts" below and tests/oracle/README.md.
"""
import json
import re
import sys
import zlib

# --------------------------------------------------------------------------------------
# JSON values: numbers keep their text as written


class Num(str):
    """A JSON number, kept as the text it was written with (it compares and counts as
    that text, the way a string literal in a filter pattern is compared with it)."""
    __slots__ = ()


class BadJSON(Exception):
    pass


class Dup(list):
    """The values of a key that occurs more than once in one object, in order. The project
    decided (docs/filter-pattern-decisions.md D-DUPLICATE-KEYS) that every occurrence is a
    value of its selector and a condition holds when one of them satisfies it."""
    __slots__ = ()


def _object_hook(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            old = obj[key]
            if isinstance(old, Dup):
                old.append(value)
            else:
                obj[key] = Dup([old, value])
        else:
            obj[key] = value
    return obj


def _reject_constant(name):
    raise BadJSON("non-standard constant " + name)


DECODER = json.JSONDecoder(parse_int=Num, parse_float=Num, parse_constant=_reject_constant,
                           object_pairs_hook=_object_hook, strict=True)
RAW_DECODE = DECODER.raw_decode
SCANSTRING = json.decoder.scanstring
# A lone surrogate can come from a \uD8xx escape without its pair, or (through the
# surrogateescape decoding below) from a byte that is not valid UTF-8.
SURROGATE = re.compile('[\ud800-\udfff]')
MAYBE_SURROGATE = re.compile(r'\\u[dD][89abcdefABCDEF]|[\ud800-\udfff]')
WS = re.compile(r'[ \t\n\r]*')
MAX_EVENT_BYTES = 1 << 20  # trailhound's default max_event_bytes: larger events are skipped
MAX_EVENT_DEPTH = 64  # src/events/event.h EVENT_JSON_MAX_DEPTH: deeper events are an error


def _has_lone_surrogate(value):
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _depth(value):
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def check_depth(value):
    """Where the file itself holds the event (not a JSON string inside it), the event must
    be an object nested at most MAX_EVENT_DEPTH containers deep ({} alone is depth 1);
    anything else is an error of the file."""
    if not isinstance(value, dict):
        raise BadJSON("an event is not an object")
    if _depth(value) > MAX_EVENT_DEPTH:
        raise BadJSON("nested too deeply")


def decode_value(text, pos):
    """Strict raw_decode of one JSON value starting exactly at text[pos]; returns
    (value, end). Raises BadJSON."""
    try:
        value, end = RAW_DECODE(text, pos)
    except (ValueError, RecursionError) as error:
        raise BadJSON(str(error))
    if MAYBE_SURROGATE.search(text, pos, end) and _has_lone_surrogate(value):
        raise BadJSON("lone surrogate / invalid UTF-8")
    return value, end


def loads_strict(text):
    """A whole string as exactly one JSON value (whitespace around allowed)."""
    pos = WS.match(text, 0).end()
    value, end = decode_value(text, pos)
    if WS.match(text, end).end() != len(text):
        raise BadJSON("extra data")
    return value


def ws(text, pos):
    return WS.match(text, pos).end()


# --------------------------------------------------------------------------------------
# The 15 CIS predicates

def sel_all(event, *path):
    """$.a.b.c: every node the selector reaches (several only with duplicated keys); an
    empty list when the field is absent (a step that is not an object, or lacks the key)."""
    nodes = [event]
    for key in path:
        found = []
        for node in nodes:
            if isinstance(node, dict) and key in node:
                value = node[key]
                if isinstance(value, Dup):
                    found.extend(value)
                else:
                    found.append(value)
        nodes = found
    return nodes


def value_text(node):
    """The text of a value node (string, or number as written); None for anything else
    (missing, object, array, null, boolean)."""
    if isinstance(node, str):  # Num is a str too
        return node
    return None


def texts(event, path):
    """The texts of the value nodes the selector reaches (objects, arrays, null and
    booleans never satisfy a comparison, `=` or `!=`)."""
    return [t for t in map(value_text, sel_all(event, *path)) if t is not None]


def is_(event, path, wanted):
    """$.path = "wanted" (no wildcard): exact, case-sensitive."""
    return any(t == wanted for t in texts(event, path))


def is_not(event, path, unwanted):
    """$.path != "unwanted" (no wildcard): false when missing / not a value node."""
    return any(t != unwanted for t in texts(event, path))


def not_exists(event, path):
    """$.path NOT EXISTS: absent; present-but-null is not absent."""
    return not sel_all(event, *path)


def name_in(event, names):
    """($.eventName = A) || ($.eventName = B) || ..."""
    return any(t in names for t in texts(event, ('eventName',)))


def cis_4_1(e):
    # { ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*")
    #   && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }
    # && binds tighter: A || (B && C && D)
    codes = texts(e, ('errorCode',))
    if any(code.endswith('UnauthorizedOperation') for code in codes):  # "*X": suffix
        return True
    return (any(code.startswith('AccessDenied') for code in codes)  # "X*": prefix, X itself too
            and is_not(e, ('sourceIPAddress',), 'delivery.logs.amazonaws.com')
            and is_not(e, ('eventName',), 'HeadBucket'))


def cis_4_2(e):
    # { ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }
    return (is_(e, ('eventName',), 'ConsoleLogin')
            and is_not(e, ('additionalEventData', 'MFAUsed'), 'Yes'))


def cis_4_3(e):
    # { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS
    #   && $.eventType != "AwsServiceEvent" }
    return (is_(e, ('userIdentity', 'type'), 'Root')
            and not_exists(e, ('userIdentity', 'invokedBy'))  # null is not absent
            and is_not(e, ('eventType',), 'AwsServiceEvent'))


def cis_4_4(e):
    # {($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)
    #  ||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)
    #  ||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)
    #  ||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)
    #  ||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)
    #  ||($.eventName=DetachGroupPolicy)}
    return name_in(e, {
        'DeleteGroupPolicy', 'DeleteRolePolicy', 'DeleteUserPolicy', 'PutGroupPolicy',
        'PutRolePolicy', 'PutUserPolicy', 'CreatePolicy', 'DeletePolicy',
        'CreatePolicyVersion', 'DeletePolicyVersion', 'AttachRolePolicy', 'DetachRolePolicy',
        'AttachUserPolicy', 'DetachUserPolicy', 'AttachGroupPolicy', 'DetachGroupPolicy'})


def cis_4_5(e):
    # { ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail)
    #   || ($.eventName = StartLogging) || ($.eventName = StopLogging) }
    return name_in(e, {'CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging'})


def cis_4_6(e):
    # { ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }
    return (is_(e, ('eventName',), 'ConsoleLogin')
            and is_(e, ('errorMessage',), 'Failed authentication'))


def cis_4_7(e):
    # {($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }
    return (is_(e, ('eventSource',), 'kms.amazonaws.com')
            and name_in(e, {'DisableKey', 'ScheduleKeyDeletion'}))


def cis_4_8(e):
    # { ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy)
    #   || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle)
    #   || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy)
    #   || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle)
    #   || ($.eventName = DeleteBucketReplication)) }
    return (is_(e, ('eventSource',), 's3.amazonaws.com')
            and name_in(e, {'PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors',
                            'PutBucketLifecycle', 'PutBucketReplication', 'DeleteBucketPolicy',
                            'DeleteBucketCors', 'DeleteBucketLifecycle',
                            'DeleteBucketReplication'}))


def cis_4_9(e):
    # { ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)
    #   ||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)
    #   ||($.eventName=PutConfigurationRecorder)) }
    return (is_(e, ('eventSource',), 'config.amazonaws.com')
            and name_in(e, {'StopConfigurationRecorder', 'DeleteDeliveryChannel',
                            'PutDeliveryChannel', 'PutConfigurationRecorder'}))


def cis_4_10(e):
    # { ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress)
    #   || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress)
    #   || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }
    return name_in(e, {'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress',
                       'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
                       'CreateSecurityGroup', 'DeleteSecurityGroup'})


def cis_4_11(e):
    # { ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry)
    #   || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry)
    #   || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }
    return name_in(e, {'CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl',
                       'DeleteNetworkAclEntry', 'ReplaceNetworkAclEntry',
                       'ReplaceNetworkAclAssociation'})


def cis_4_12(e):
    # { ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway)
    #   || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway)
    #   || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }
    return name_in(e, {'CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway',
                       'CreateInternetGateway', 'DeleteInternetGateway', 'DetachInternetGateway'})


def cis_4_13(e):
    # { ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute)
    #   || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable)
    #   || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable) }
    return name_in(e, {'CreateRoute', 'CreateRouteTable', 'ReplaceRoute',
                       'ReplaceRouteTableAssociation', 'DeleteRouteTable', 'DeleteRoute',
                       'DisassociateRouteTable'})


def cis_4_14(e):
    # { ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute)
    #   || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection)
    #   || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection)
    #   || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc)
    #   || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }
    return name_in(e, {'CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute',
                       'AcceptVpcPeeringConnection', 'CreateVpcPeeringConnection',
                       'DeleteVpcPeeringConnection', 'RejectVpcPeeringConnection',
                       'AttachClassicLinkVpc', 'DetachClassicLinkVpc', 'DisableVpcClassicLink',
                       'EnableVpcClassicLink'})


def cis_4_15(e):
    # { ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake")
    #   || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount")
    #   || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy")
    #   || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization")
    #   || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy")
    #   || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType")
    #   || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization")
    #   || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount")
    #   || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy")
    #   || ($.eventName = "UpdateOrganizationalUnit")) }
    return (is_(e, ('eventSource',), 'organizations.amazonaws.com')
            and name_in(e, {'AcceptHandshake', 'AttachPolicy', 'CreateAccount',
                            'CreateOrganizationalUnit', 'CreatePolicy', 'DeclineHandshake',
                            'DeleteOrganization', 'DeleteOrganizationalUnit', 'DeletePolicy',
                            'DetachPolicy', 'DisablePolicyType', 'EnablePolicyType',
                            'InviteAccountToOrganization', 'LeaveOrganization', 'MoveAccount',
                            'RemoveAccountFromOrganization', 'UpdatePolicy',
                            'UpdateOrganizationalUnit'}))


CIS = [('4.%d' % n, globals()['cis_4_%d' % n]) for n in range(1, 16)]

# --------------------------------------------------------------------------------------
# Top lists

# dimension -> alternatives, the first present as a value node wins
DIMENSIONS = [
    ('principals', [('userIdentity', 'arn'), ('userIdentity', 'principalId'),
                    ('userIdentity', 'invokedBy')]),
    ('source_ips', [('sourceIPAddress',)]),
    ('event_names', [('eventName',)]),
    ('error_codes', [('errorCode',)]),
    ('accounts', [('recipientAccountId',), ('userIdentity', 'accountId')]),
    ('regions', [('awsRegion',)]),
]
TOP_N = 10


def dimension_value(event, alternatives):
    """The first alternative that reaches a value node; with a duplicated key, its first
    occurrence that is a value node."""
    for path in alternatives:
        found = texts(event, path)
        if found:
            return found[0]
    return None


def top_list(counts):
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].encode('utf-8')))
    return [{'value': str(v), 'count': c} for v, c in ordered[:TOP_N]]


class FileResult:
    def __init__(self):
        self.events = 0
        self.matches = {cis: 0 for cis, _ in CIS}
        self.counts = {cis: {d: {} for d, _ in DIMENSIONS} for cis, _ in CIS}

    def add(self, event):
        """One event (a JSON object)."""
        self.events += 1
        if not isinstance(event, dict):
            return
        dims = None
        for cis, predicate in CIS:
            if not predicate(event):
                continue
            self.matches[cis] += 1
            if dims is None:
                dims = [(d, dimension_value(event, alts)) for d, alts in DIMENSIONS]
            for d, v in dims:
                if v is not None:
                    table = self.counts[cis][d]
                    table[v] = table.get(v, 0) + 1

    def as_json(self, layout):
        return {
            'layout': layout,
            'events': self.events,
            'filters': {cis: {'matches': self.matches[cis], 'value_sum': self.matches[cis],
                              'top': {d: top_list(self.counts[cis][d]) for d, _ in DIMENSIONS}}
                        for cis, _ in CIS},
        }


# --------------------------------------------------------------------------------------
# Reading: gzip


def gunzip_prefix(data):
    """All the bytes that decompress before the first damage (truncation, corrupt deflate
    data, bad CRC/length, a following member with a bad header, trailing garbage).
    Returns (content, damaged)."""
    out = []
    pos = 0
    while True:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        member = data[pos:]
        try:
            out.append(d.decompress(member))
        except zlib.error:
            out.append(_gunzip_until_error(member))
            return b''.join(out), True
        if not d.eof:  # truncated member
            try:
                out.append(d.flush())
            except zlib.error:
                pass
            return b''.join(out), True
        rest = d.unused_data
        if not rest:
            return b''.join(out), False
        pos = len(data) - len(rest)
        if rest[:2] != b'\x1f\x8b':  # trailing bytes that are not another member
            return b''.join(out), True


def _gunzip_until_error(member):
    """Re-inflates one damaged member in small steps and keeps what came out before the
    step that failed, then byte by byte within that step."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = []
    step = 4096
    i = 0
    while i < len(member):
        saved = d.copy()
        try:
            out.append(d.decompress(member[i:i + step]))
            i += step
            if d.eof:
                break
        except zlib.error:
            d = saved
            for j in range(i, min(i + step, len(member))):
                try:
                    out.append(d.decompress(member[j:j + 1]))
                except zlib.error:
                    return b''.join(out)
            return b''.join(out)
    return b''.join(out)


# --------------------------------------------------------------------------------------
# Reading: layouts
#
# Detection (the rules trailhound documents for its reader, written here independently):
#  * '{' first: the first object's members are read in order; a member named Records,
#    logEvents, messageType or Events makes the file a whole-document container layout at
#    once (S3 delivery, CloudWatch Logs subscription payload, lookup-events output).
#    Otherwise the complete first object is classified: EventBridge envelope (a
#    "detail-type" member, or "detail" holding an object), lookup-events entry (a
#    "CloudTrailEvent" member) or event ("eventVersion" or "eventName"). Such an object
#    alone on its first line means one value per line (line mode); otherwise the values
#    are concatenated documents.
#  * '[' first: a top-level array; its first element says whether the elements are
#    events, EventBridge envelopes or lookup-events entries (an element with container
#    keys, or a complete one that is none of these, makes the file unrecognised).
#  * anything else, or a first object that is invalid or not CloudTrail: the first 100
#    non-blank lines are tried one by one for a CloudWatch Logs export line (timestamp,
#    one space, '{') or a one-line object that classifies as above (a container too), so a
#    file of lines whose first line is garbage is still read as lines; failing that, a
#    first object that showed CloudTrail keys before its error is a document, anything
#    else is unrecognised.
# Every value of a file is then read in the role the detection gave (an object in an
# events file is an event whatever its keys).

EVENT, EVENTBRIDGE, LOOKUP_ENTRY = 'event', 'eventbridge', 'lookup-entry'
RECORDS, SUBSCRIPTION, LOOKUP = 'records', 'subscription', 'lookup'
CONTAINER_KEYS = {'Records': RECORDS, 'logEvents': SUBSCRIPTION, 'messageType': SUBSCRIPTION,
                  'Events': LOOKUP}
CONTAINER_MEMBER = {RECORDS: 'Records', SUBSCRIPTION: 'logEvents', LOOKUP: 'Events'}
DETECT_MAX_LINES = 100

EXPORT_PREFIX = re.compile(
    r'\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)'
    r'(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d) ')
BLANKS = ' \t\r'


class Detection:
    def __init__(self, layout, mode, role):
        self.layout, self.mode, self.role = layout, mode, role  # mode: lines/export/documents/none


def _classify_first_object(text, i, limit):
    """Reads the object at text[i] == '{' member by member, up to `limit`.
    Returns (status, role, end): status 'container' (role = the container, decided at the
    key), 'complete' (role = item kind or None, end past '}'), or 'invalid' (role = the item
    kind its members showed before the error, or None)."""
    item = {'eventbridge': False, 'lookup': False, 'event': False}

    def kind():
        if item['eventbridge']:
            return EVENTBRIDGE
        if item['lookup']:
            return LOOKUP_ENTRY
        if item['event']:
            return EVENT
        return None
    try:
        i = ws(text, i + 1)
        if i >= limit:
            raise BadJSON("end")
        if text[i] == '}':
            return 'complete', None, i + 1
        while True:
            if not text.startswith('"', i):
                raise BadJSON("expected a key")
            try:
                key, i = SCANSTRING(text, i + 1, True)
            except ValueError as error:
                raise BadJSON(str(error))
            if i > limit or SURROGATE.search(key):
                raise BadJSON("bad key")
            i = ws(text, i)
            if i >= limit or text[i] != ':':
                raise BadJSON("expected :")
            i = ws(text, i + 1)
            if i >= limit:
                raise BadJSON("end")
            if key in CONTAINER_KEYS:
                return 'container', CONTAINER_KEYS[key], None
            if key == 'detail-type' or (key == 'detail' and text[i] == '{'):
                item['eventbridge'] = True
            elif key == 'CloudTrailEvent':
                item['lookup'] = True
            elif key in ('eventVersion', 'eventName'):
                item['event'] = True
            _, i = decode_value(text, i)
            if i > limit:
                raise BadJSON("end")
            i = ws(text, i)
            if i >= limit:
                raise BadJSON("end")
            if text[i] == '}':
                return 'complete', kind(), i + 1
            if text[i] != ',':
                raise BadJSON("expected , or }")
            i = ws(text, i + 1)
    except BadJSON:
        return 'invalid', kind(), None


def _items(kind, lines):
    if kind == EVENTBRIDGE:
        return Detection('eventbridge', 'lines' if lines else 'documents', EVENTBRIDGE)
    if kind == LOOKUP_ENTRY:
        return Detection('lookup-events', 'lines' if lines else 'documents', LOOKUP_ENTRY)
    return Detection('ndjson' if lines else 'concatenated', 'lines' if lines else 'documents', EVENT)


def _container(role, mode):
    layout = {RECORDS: 'records', SUBSCRIPTION: 'cloudwatch-subscription', LOOKUP: 'lookup-events'}[role]
    return Detection(layout, mode, role)


def _detect_by_lines(text, start):
    lines = 0
    pos = start
    while lines < DETECT_MAX_LINES and pos < len(text):
        nl = text.find('\n', pos)
        end = len(text) if nl < 0 else nl
        line = text[pos:end].strip(BLANKS)
        pos = end + 1
        if not line:
            continue
        lines += 1
        m = EXPORT_PREFIX.match(line)
        if m and line.startswith('{', m.end()):
            return Detection('cloudwatch-export', 'export', EVENT)
        if not line.startswith('{'):
            continue
        status, role, obj_end = _classify_first_object(line, 0, len(line))
        if status == 'container':
            return _container(role, 'lines')
        if status == 'complete' and obj_end == len(line) and role is not None:
            return _items(role, True)
    return None


def detect(text, i):
    c = text[i]
    if c == '{':
        status, role, end = _classify_first_object(text, i, len(text))
        if status == 'container':
            return _container(role, 'documents')
        if status == 'complete' and role is not None:
            rest = ws_blanks(text, end)
            alone = '\n' not in text[i:end] and (rest == len(text) or text[rest] == '\n')
            return _items(role, alone)
        found = _detect_by_lines(text, i)
        if found:
            return found
        if role is not None:  # CloudTrail keys before the error: a broken document
            return _items(role, False)
        return Detection('unrecognized', 'none', None)
    if c == '[':
        j = ws(text, i + 1)
        if j >= len(text) or text[j] != '{':
            return Detection('array', 'documents', ('array', EVENT))
        status, role, _ = _classify_first_object(text, j, len(text))
        if status == 'container' or (status == 'complete' and role is None):
            return Detection('unrecognized', 'none', None)
        if role == EVENTBRIDGE:
            return Detection('eventbridge', 'documents', ('array', EVENTBRIDGE))
        if role == LOOKUP_ENTRY:
            return Detection('lookup-events', 'documents', ('array', LOOKUP_ENTRY))
        return Detection('array', 'documents', ('array', EVENT))
    found = _detect_by_lines(text, i)
    return found or Detection('unrecognized', 'none', None)


def ws_blanks(text, pos):
    while pos < len(text) and text[pos] in BLANKS:
        pos += 1
    return pos


def parse_message(text, sink):
    """An event carried as a JSON string (subscription message, CloudTrailEvent): its
    decoded text must be a valid event (an object, strict JSON, not too deep) to count."""
    if len(text) * 4 > MAX_EVENT_BYTES and len(text.encode('utf-8', 'surrogatepass')) > MAX_EVENT_BYTES:
        return
    try:
        value = loads_strict(text)
        check_depth(value)
    except BadJSON:
        return  # not a valid event: like a bad line, it does not count
    sink(value)


def take_event(value, sink):
    check_depth(value)  # an object, not too deep; else an error of the file
    sink(value)


def take_event_text(value, sink):
    """A member that holds an event: a JSON string with the event, or the event object."""
    if isinstance(value, str):
        parse_message(value, sink)
    elif isinstance(value, dict):
        take_event(value, sink)
    else:
        raise BadJSON("no event text")


def take(value, role, sink, control=None):
    """What one complete JSON value in `role` contributes; BadJSON when it is not one."""
    if role == EVENT:
        take_event(value, sink)
    elif role == EVENTBRIDGE:
        if not isinstance(value, dict) or not isinstance(value.get('detail'), dict):
            raise BadJSON("EventBridge envelope without a detail object")
        take_event(value['detail'], sink)
    elif role == LOOKUP_ENTRY:
        if not isinstance(value, dict) or 'CloudTrailEvent' not in value:
            raise BadJSON("lookup entry without CloudTrailEvent")
        take_event_text(value['CloudTrailEvent'], sink)
    elif role == 'log-event':
        if not isinstance(value, dict) or 'message' not in value:
            raise BadJSON("log event without message")
        if control:
            return
        take_event_text(value['message'], sink)
    elif role in (RECORDS, SUBSCRIPTION, LOOKUP):
        if not isinstance(value, dict):
            raise BadJSON("not an object")
        member = CONTAINER_MEMBER[role]
        elements = value.get(member)
        if not isinstance(elements, list):
            if role == SUBSCRIPTION and member not in value and 'messageType' in value:
                return  # a payload without log events
            raise BadJSON("no %s array" % member)
        control = role == SUBSCRIPTION and value.get('messageType') == 'CONTROL_MESSAGE'
        element_role = {RECORDS: EVENT, SUBSCRIPTION: 'log-event', LOOKUP: LOOKUP_ENTRY}[role]
        for element in elements:
            take(element, element_role, sink, control)
    else:
        raise AssertionError(role)


def too_big(text, start, end):
    n = end - start
    return n * 4 > MAX_EVENT_BYTES and len(text[start:end].encode('utf-8', 'surrogateescape')) > MAX_EVENT_BYTES


def read_lines(text, sink, role, export):
    """Line mode (NDJSON, envelope lines, CloudWatch Logs export): a bad line is skipped
    with all its events; the other lines count."""
    for line in text.split('\n'):
        if not line.strip(BLANKS):
            continue
        start = 0
        if export:
            m = EXPORT_PREFIX.match(line.lstrip(BLANKS))
            if not m:
                continue
            start = len(line) - len(line.lstrip(BLANKS)) + m.end()
            if not line.startswith('{', start):  # timestamp, exactly one space, the object
                continue
        line_events = []
        try:
            value = loads_strict(line[start:])
            if role == EVENT and too_big(line, start, len(line)):
                continue
            take(value, role, line_events.append)
        except BadJSON:
            continue
        for event in line_events:
            sink(event)


def _stream_array(text, i, on_element):
    """text[i] == '['. Calls on_element(value, start, end) for each element as soon as it is
    complete; raises BadJSON at the first error. Returns the index after ']'."""
    i = ws(text, i + 1)
    if text.startswith(']', i):
        return i + 1
    while True:
        value, end = decode_value(text, i)
        on_element(value, i, end)
        i = ws(text, end)
        if text.startswith(',', i):
            i = ws(text, i + 1)
        elif text.startswith(']', i):
            return i + 1
        else:
            raise BadJSON("expected , or ] in array")


def _stream_container(text, i, role, sink):
    """One container object at text[i] == '{' (Records, subscription payload, lookup
    output), its event array read element by element so that the events complete before
    an error count. Returns the index after '}'."""
    member = CONTAINER_MEMBER[role]
    element_role = {RECORDS: EVENT, SUBSCRIPTION: 'log-event', LOOKUP: LOOKUP_ENTRY}[role]
    state = {'type': None, 'seen': False, 'pending': []}

    def on_element(value, s, e):
        if element_role == EVENT and too_big(text, s, e):
            return
        if role == SUBSCRIPTION and state['type'] is None:
            # messageType not seen yet: hold the messages back until it is
            take(value, element_role, state['pending'].append, False)
        else:
            take(value, element_role, sink, state['type'] == 'CONTROL_MESSAGE')

    def release():
        if state['type'] != 'CONTROL_MESSAGE':
            for event in state['pending']:
                sink(event)
        state['pending'] = []

    i = ws(text, i + 1)
    try:
        if text.startswith('}', i):
            i += 1
        else:
            while True:
                if not text.startswith('"', i):
                    raise BadJSON("expected a key")
                try:
                    key, i = SCANSTRING(text, i + 1, True)
                except ValueError as error:
                    raise BadJSON(str(error))
                if SURROGATE.search(key):
                    raise BadJSON("lone surrogate in key")
                i = ws(text, i)
                if not text.startswith(':', i):
                    raise BadJSON("expected :")
                i = ws(text, i + 1)
                if key == member:
                    if not text.startswith('[', i):
                        raise BadJSON("%s is not an array" % member)
                    state['seen'] = True
                    i = _stream_array(text, i, on_element)
                else:
                    value, i = decode_value(text, i)
                    if role == SUBSCRIPTION and key == 'messageType':
                        state['type'] = value
                        release()
                i = ws(text, i)
                if text.startswith(',', i):
                    i = ws(text, i + 1)
                elif text.startswith('}', i):
                    i += 1
                    break
                else:
                    raise BadJSON("expected , or } in object")
    finally:
        if role == SUBSCRIPTION and state['type'] is not None:
            release()
    if not state['seen'] and not (role == SUBSCRIPTION and state['type'] is not None):
        raise BadJSON("no %s array" % member)
    return i


def read_documents(text, i, role, sink):
    """Document mode: one or more top-level values in `role`; what is complete before the
    first error counts, the rest of the file does not."""
    try:
        while i < len(text):
            c = text[i]
            if isinstance(role, tuple):  # a top-level array of items
                if c != '[':
                    raise BadJSON("expected an array")
                item_role = role[1]

                def on_item(value, s, e):
                    if item_role == EVENT and too_big(text, s, e):
                        return
                    take(value, item_role, sink)
                i = _stream_array(text, i, on_item)
            elif role in (RECORDS, SUBSCRIPTION, LOOKUP):
                if c != '{':
                    raise BadJSON("expected an object")
                i = _stream_container(text, i, role, sink)
            else:
                if c != '{':
                    raise BadJSON("expected an object")
                value, end = decode_value(text, i)
                if not (role == EVENT and too_big(text, i, end)):
                    take(value, role, sink)
                i = end
            i = ws(text, i)
    except BadJSON:
        pass


def detect_and_read(content, sink):
    """Returns the layout name; events go to sink."""
    text = content.decode('utf-8', 'surrogateescape')
    if text.startswith('\ufeff'):
        text = text[1:]
    i = ws(text, 0)
    if i == len(text):
        return 'empty'
    d = detect(text, i)
    if d.mode == 'export':
        read_lines(text, sink, EVENT, export=True)
    elif d.mode == 'lines':
        read_lines(text, sink, d.role, export=False)
    elif d.mode == 'documents':
        read_documents(text, i, d.role, sink)
    return d.layout + ('' if d.mode in ('none', 'export') else '/' + d.mode)


def scan_file(path):
    with open(path, 'rb') as f:
        data = f.read()
    result = FileResult()
    compressed = data[:2] == b'\x1f\x8b'
    if compressed:
        data, _ = gunzip_prefix(data)
    layout = detect_and_read(data, result.add)
    if compressed:
        layout = 'gzip+' + layout
    return result.as_json(layout)


# --------------------------------------------------------------------------------------
# Comparison with trailhound's output (used by tests/cli/test_scan_oracle.sh)

def _pairs(items):
    """A top list as [(value, count)], or None when it is not a list of such objects."""
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        if not isinstance(item, dict) or 'value' not in item or 'count' not in item:
            return None
        out.append((item['value'], item['count']))
    return out


def _short(pairs, limit=4):
    text = ', '.join('%s:%s' % (v, c) for v, c in pairs[:limit])
    if len(pairs) > limit:
        text += ', ... (%d)' % len(pairs)
    return '[' + text + ']'


def compare_one(path, expected, actual_text, status):
    """Returns a list of mismatch lines for one file."""
    problems = []

    def bad(where, exp, act):
        problems.append('%s: %s: expected %s, actual %s' % (path, where, exp, act))

    if status != 0:
        bad('exit status', 0, status)
    try:
        actual = json.loads(actual_text)
    except ValueError as error:
        bad('output', 'one JSON object', 'unparsable (%s): %r' % (error, actual_text[:120]))
        return problems
    if not isinstance(actual, dict):
        bad('output', 'one JSON object', type(actual).__name__)
        return problems
    if actual.get('events') != expected['events']:
        bad('events', expected['events'], actual.get('events'))
    filters = actual.get('filters')
    if not isinstance(filters, list):
        bad('filters', 'a list', type(filters).__name__)
        return problems
    by_cis = {}
    for f in filters:
        cis = f.get('cis') if isinstance(f, dict) else None
        if cis in by_cis:
            bad('filter %s' % cis, 'once', 'twice')
        by_cis[cis] = f
    extra = sorted(str(k) for k in by_cis if k not in expected['filters'])
    if extra:
        bad('filters', 'only 4.1-4.15', 'also ' + ', '.join(extra))
    for cis, exp in expected['filters'].items():
        act = by_cis.get(cis)
        if act is None:
            bad('filter %s' % cis, 'present', 'missing')
            continue
        for field in ('matches', 'value_sum'):
            value = act.get(field)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value != exp[field]:
                bad('filter %s %s' % (cis, field), exp[field], value)
        top = act.get('top')
        if not isinstance(top, dict):
            bad('filter %s top' % cis, 'an object', top)
            continue
        for dim, _ in DIMENSIONS:
            want = [(e['value'], e['count']) for e in exp['top'][dim]]
            got = _pairs(top.get(dim))
            if got is None:
                bad('filter %s top.%s' % (cis, dim), 'a list of {value,count}', top.get(dim))
            elif got != want:
                bad('filter %s top.%s' % (cis, dim), _short(want), _short(got))
    return problems


def compare(manifest, expect_totals, max_lines=200):
    """manifest: lines GROUP<TAB>PATH<TAB>ACTUAL_JSON_FILE<TAB>EXIT_STATUS.
    expect_totals: {(group, cis): n} asserted on the oracle's and trailhound's sums."""
    rows = []
    with open(manifest, encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            line = line.rstrip('\n')
            if line:
                rows.append(line.split('\t'))
    lines = []
    bad_files = 0
    totals_oracle = {}
    totals_actual = {}
    for group, path, actual_file, status in rows:
        expected = scan_file(path)
        with open(actual_file, encoding='utf-8', errors='replace') as f:
            actual_text = f.read()
        problems = compare_one(path, expected, actual_text, int(status))
        if problems:
            bad_files += 1
            lines.extend(problems)
        for cis in expected['filters']:
            key = (group, cis)
            totals_oracle[key] = totals_oracle.get(key, 0) + expected['filters'][cis]['matches']
        try:
            for f in json.loads(actual_text).get('filters', []):
                key = (group, f.get('cis'))
                totals_actual[key] = totals_actual.get(key, 0) + int(f.get('matches', 0))
        except (ValueError, AttributeError, TypeError):
            pass
    for line in lines[:max_lines]:
        print('MISMATCH ' + line)
    if len(lines) > max_lines:
        print('MISMATCH ... and %d more lines' % (len(lines) - max_lines))
    failed = bad_files > 0
    for (group, cis), n in sorted(expect_totals.items()):
        o = totals_oracle.get((group, cis), 0)
        a = totals_actual.get((group, cis), 0)
        ok = o == n and a == n
        print('%s total CIS %s over %s: expected %d, oracle %d, trailhound %d'
              % ('ok' if ok else 'FAIL', cis, group, n, o, a))
        failed = failed or not ok
    groups = sorted(set(r[0] for r in rows))
    for group in groups:
        n = sum(1 for r in rows if r[0] == group)
        print('%s: %d files compared' % (group, n))
    print('%d of %d files mismatch' % (bad_files, len(rows)))
    return 1 if failed else 0


def main(argv):
    args = argv[1:]
    if args and args[0] == 'compare':
        # compare MANIFEST [GROUP:CIS=N ...]
        totals = {}
        for spec in args[2:]:
            left, n = spec.rsplit('=', 1)
            group, cis = left.rsplit(':', 1)
            totals[(group, cis)] = int(n)
        return compare(args[1], totals)
    summary = False
    paths = []
    for arg in args:
        if arg == '--summary':
            summary = True
        else:
            paths.append(arg)
    out = {}
    for path in paths:
        out[path] = scan_file(path)
    if summary:
        for path, r in out.items():
            hits = ' '.join('%s=%d' % (k, v['matches']) for k, v in r['filters'].items() if v['matches'])
            print('%s\t%s\t%d\t%s' % (path, r['layout'], r['events'], hits))
    else:
        json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=False)
        sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
