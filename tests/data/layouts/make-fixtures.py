#!/usr/bin/env python3
"""Regenerates the layout fixtures of the sources stage from real CloudTrail events.

The events come from the invictus-ir/aws_dataset recording in ../shared/data/cloudtrail
(see README.md here). Output is deterministic (gzip mtime 0), so re-running it changes
nothing unless this script changes. Usage: python3 make-fixtures.py [SHARED_CLOUDTRAIL_DIR]
"""
import gzip
import json
import os
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, '..', '..', '..', '..', 'shared', 'data', 'cloudtrail')
SOURCE = os.path.join(
    SHARED, 'invictus-ir__aws_dataset', 'CloudTrail',
    '218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json')

RECORDS = json.load(open(SOURCE, encoding='utf-8'))['Records']
# GetCallerIdentity, PutRolePolicy, AssumeRole (AccessDenied)
EVENTS = [RECORDS[2], RECORDS[3], RECORDS[6]]


def compact(value):
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False)


def write(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as out:
        out.write(data.encode('utf-8') if isinstance(data, str) else data)


def gz(data):
    return gzip.compress(data.encode('utf-8') if isinstance(data, str) else data, mtime=0)


def records(events):
    return '{"Records":[' + ','.join(compact(e) for e in events) + ']}'


def eventbridge(event):
    return {
        'version': '0',
        'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        'detail-type': 'AWS API Call via CloudTrail',
        'source': 'aws.' + event['eventSource'].split('.')[0],
        'account': event['recipientAccountId'],
        'time': event['eventTime'],
        'region': event['awsRegion'],
        'resources': [],
        'detail': event,
    }


def lookup_entry(event):
    return {
        'EventId': event['eventID'],
        'EventName': event['eventName'],
        'ReadOnly': 'true' if event.get('readOnly') else 'false',
        'AccessKeyId': event['userIdentity'].get('accessKeyId', ''),
        'EventTime': event['eventTime'].replace('Z', '+00:00'),
        'EventSource': event['eventSource'],
        'Username': event['userIdentity'].get('userName', ''),
        'Resources': [],
        'CloudTrailEvent': compact(event),
    }


def main():
    write('records.json', records(EVENTS) + '\n')
    write('records.json.gz', gz(records(EVENTS) + '\n'))
    # Two members; the boundary falls inside the second event.
    content = (records(EVENTS) + '\n').encode('utf-8')
    cut = content.index(b'"eventName":"PutRolePolicy"')
    write('multi-member.json.gz', gz(content[:cut]) + gz(content[cut:]))
    write('ndjson.jsonl', ''.join(compact(e) + '\n' for e in EVENTS))
    write('ndjson-crlf.jsonl', ''.join(compact(e) + '\r\n' for e in EVENTS))
    write('array.json', json.dumps(EVENTS, indent=4) + '\n')
    write('concatenated.json', json.dumps(EVENTS[0], indent=2) + '\n' +
          json.dumps(EVENTS[1], indent=2) + compact(EVENTS[2]) + '\n')
    write('eventbridge.json', json.dumps(eventbridge(EVENTS[0]), indent=2) + '\n')
    write('eventbridge-lines.jsonl', ''.join(compact(eventbridge(e)) + '\n' for e in EVENTS))
    subscription = {
        'messageType': 'DATA_MESSAGE',
        'owner': EVENTS[0]['recipientAccountId'],
        'logGroup': 'aws-cloudtrail-logs-123837392027',
        'logStream': '123837392027_CloudTrail_us-east-1',
        'subscriptionFilters': ['cis-4-alarms'],
        'logEvents': [{'id': '3762491203938105720548631598' + str(10 + i),
                       'timestamp': 1688990078000 + i,
                       'message': compact(e)} for i, e in enumerate(EVENTS)],
    }
    write('subscription.json.gz', gz(compact(subscription)))
    control = {
        'messageType': 'CONTROL_MESSAGE',
        'owner': 'CloudwatchLogs',
        'logGroup': '',
        'logStream': '',
        'subscriptionFilters': [],
        'logEvents': [{'id': '', 'timestamp': 1688990078000,
                       'message': 'CWL CONTROL MESSAGE: Checking health of destination Firehose.'}],
    }
    write('subscription-control.json', compact(control))
    write('cloudwatch-export.txt', ''.join(
        e['eventTime'].replace('Z', '.000Z') + ' ' + compact(e) + '\n' for e in EVENTS))
    lookup = {'Events': [lookup_entry(e) for e in EVENTS],
              'NextToken': 'kbOt5LlZe++mErCebpy2TgaMgmDvF1kYGFcH64JSjIbZFjsuvrSqg66b5YGssKutDYIyII4lrP4='}
    write('lookup-events.json', json.dumps(lookup, indent=4) + '\n')

    # Broken inputs.
    many = records(RECORDS[:40]) + '\n'
    compressed = gz(many)
    write('truncated.json.gz', compressed[:len(compressed) // 2])
    # NDJSON whose gzip data breaks at a deflate block header. Found by trying: these 8
    # bytes make zlib stop with "invalid literal/lengths set" after 30 whole lines and part
    # of the 31st, all intact (most overwrites only fail the CRC check at the end).
    corrupt = bytearray(gz(''.join(compact(e) + '\n' for e in RECORDS[:40])))
    corrupt[13928:13936] = b'\xff' * 8
    write('corrupt.json.gz', bytes(corrupt))
    text = records(EVENTS) + '\n'
    write('records-truncated.json', text[:text.index('"eventName":"AssumeRole"')])
    bad = records(EVENTS).encode('utf-8')
    agent = bad.index(b'"userAgent":"', bad.index(b'"eventName":"AssumeRole"'))
    agent += len(b'"userAgent":"')
    write('records-bad-utf8.json', bad[:agent] + b'\xc0\xaf' + bad[agent:] + b'\n')
    write('ndjson-bad-lines.jsonl',
          compact(EVENTS[0]) + '\n'
          'this line is not JSON\n' +
          compact(EVENTS[1]) + '\n'
          '\n'
          '[1, 2, 3]\n'
          '   ' + compact(EVENTS[2]) + '  \n'
          '<html><body>Access Denied</body></html>\n'
          '{"eventVersion": "1.08", "eventName": "Truncated\n')
    write('not-cloudtrail.txt',
          'These are meeting notes, not CloudTrail.\n'
          'Action items: rotate the access keys and enable MFA for the root user.\n')
    write('empty.json', '')

    day = 'tree/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/'
    write(day + '123456789012_CloudTrail_us-east-1_20240501T0000Z_Ab3dE5fG7hI9jK1l.json.gz',
          gz(records(RECORDS[35:37]) + '\n'))
    write(day + '123456789012_CloudTrail_us-east-1_20240501T0005Z_Mn2oP4qR6sT8uV0w.json.gz',
          gz(records(RECORDS[38:39]) + '\n'))
    write(day + '.hidden-partial.json.gz', b'not gzip, and hidden, so never read\n')


if __name__ == '__main__':
    main()
