#!/usr/bin/env python3
"""Independent oracle for CloudWatch alarm evaluation (../shared/spec/alarms.md §5, §8).

Python 3, standard library only; shares no code with the C implementation. It is written
from the spec's prose and pseudo-code, and follows the choices trailhound documents in
docs/alarm-decisions.md where the spec marks behaviour as inferred.

usage: alarm_oracle.py vectors
         Prints tests/data/alarm-vectors.tsv: every test vector of alarms.md §5.8 (both
         tables, all four TreatMissingData columns, each prior state), with the expected
         state, StateReason and StateReasonData. Before printing, the states are checked
         against the tables as the spec prints them.
       alarm_oracle.py cis-replay PATH...
         Reads CloudTrail with tests/oracle/cis_oracle.py, applies the 15 CIS filters, and
         replays their alarms (Sum >= 1, 300 s, 1 period, TreatMissingData missing) on event
         time; prints {alarm: {"final_state": S, "transitions": [{time, from, to, reason}]}}.
       alarm_oracle.py compare-cis ORACLE_JSON SCAN_JSON [ALARM=MIN_ALARMS ...]
         Compares the oracle's replay with `trailhound scan --cis --format json`'s
         "alarms" (each transition's time, from, to and reason: the evidence a transition
         into ALARM carries is tested elsewhere); each ALARM=N requires at least N
         transitions into ALARM.
"""
import datetime
import json
import math
import os
import sys

# --------------------------------------------------------------------------------------
# §8.1 formatting


def java_double(x):
    """Double.toString: shortest round-trip digits, plain between 1e-3 and 1e7, else
    d.dddE±n; always a fractional digit."""
    if math.isnan(x):
        return 'NaN'
    if math.isinf(x):
        return 'Infinity' if x > 0 else '-Infinity'
    if x == 0:
        return '-0.0' if math.copysign(1, x) < 0 else '0.0'
    sign = '-' if x < 0 else ''
    digits, exponent = _shortest_digits(abs(x))
    if 1e-3 <= abs(x) < 1e7:
        point = exponent + 1  # digits before the decimal point
        if point <= 0:
            return sign + '0.' + '0' * (-point) + digits
        if point >= len(digits):
            return sign + digits + '0' * (point - len(digits)) + '.0'
        return sign + digits[:point] + '.' + digits[point:]
    mantissa = digits[0] + '.' + (digits[1:] or '0')
    return '%s%sE%d' % (sign, mantissa, exponent)


def _shortest_digits(x):
    """(significant digits without trailing zeros, decimal exponent of the first)."""
    text = repr(x)  # Python's repr is the shortest round-trip form
    mantissa, _, exp = text.partition('e')
    exponent = int(exp) if exp else 0
    whole, _, fraction = mantissa.partition('.')
    digits = (whole + fraction).lstrip('0')
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip('0'))
    exponent += len(whole) - 1 - leading_zeros
    return digits.rstrip('0') or '0', exponent


def reason_time(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        '%d/%m/%y %H:%M:%S')


def iso_time(milliseconds):
    t = datetime.datetime.fromtimestamp(milliseconds // 1000, datetime.timezone.utc)
    return t.strftime('%Y-%m-%dT%H:%M:%S') + '.%03d+0000' % (milliseconds % 1000)


def plural(n, word):
    return '%d %s%s' % (n, word, '' if n == 1 else 's')


OPERATORS = {
    'GreaterThanOrEqualToThreshold': ('greater than or equal to', lambda v, t: v >= t),
    'GreaterThanThreshold': ('greater than', lambda v, t: v > t),
    'LessThanThreshold': ('less than', lambda v, t: v < t),
    'LessThanOrEqualToThreshold': ('less than or equal to', lambda v, t: v <= t),
}

# --------------------------------------------------------------------------------------
# §5 evaluation


class Alarm:
    def __init__(self, n, m=None, treat='missing', threshold=1.0,
                 operator='GreaterThanOrEqualToThreshold', period=60, statistic='Sum'):
        self.n, self.m_given, self.treat = n, m, treat
        self.m = m if m is not None else n
        self.threshold, self.operator, self.period = threshold, operator, period
        self.statistic = statistic

    def breaches(self, value):
        return OPERATORS[self.operator][1](value, self.threshold)


def range_slots(n):
    return n + max(2, n // 3)


def premature(alarm, real):
    """§5.6 pseudo-code. `real`: {age: value}, age 1 = newest slot."""
    if len(real) >= alarm.m:
        return False
    candidates = [age for age in real if age <= alarm.n]
    if not candidates:
        return False
    oldest = max(candidates)
    if not alarm.breaches(real[oldest]) or oldest < alarm.m:
        return False
    if any(age > oldest for age in real):
        return False
    return all(alarm.breaches(real[age]) for age in real if age < oldest)


def evaluate(alarm, slots, starts, current, now_ms):
    """slots: values oldest first (None = missing); starts: slot starts in seconds.
    Returns (state, reason, reason_data); state None means "keep"."""
    count = len(slots)
    real = {count - i: v for i, v in enumerate(slots) if v is not None}  # age -> value
    judged_n = [count - a for a in range(1, alarm.n + 1)]  # indices of the N newest slots
    if not real:
        if alarm.treat == 'ignore':
            return None, None, None
        if alarm.treat == 'missing':
            reason = 'Insufficient Data: %s %s unknown.' % (
                plural(alarm.n, 'datapoint'), 'was' if alarm.n == 1 else 'were')
            return 'INSUFFICIENT_DATA', reason, reason_data(alarm, slots, starts, judged_n, now_ms)
        fill = 'Breaching' if alarm.treat == 'breaching' else 'NonBreaching'
        reason = ('Threshold Crossed: no datapoints were received for %s and %s %s treated as '
                  '[%s].' % (plural(alarm.n, 'period'), plural(alarm.n, 'missing datapoint'),
                             'was' if alarm.n == 1 else 'were', fill))
        state = 'ALARM' if alarm.treat == 'breaching' else 'OK'
        return state, reason, reason_data(alarm, slots, starts, judged_n, now_ms)
    if alarm.treat in ('missing', 'ignore') and premature(alarm, real):
        if alarm.treat == 'ignore':
            return None, None, None
        judged = [i for i in judged_n if slots[i] is not None]
        listed = [i for i in judged if alarm.breaches(slots[i])]
        reason = crossed_text(alarm, slots, starts, listed, 'ALARM', 0)
        return 'ALARM', reason, reason_data(alarm, slots, starts, judged_n, now_ms)
    missing = [i for i in range(count) if slots[i] is None]
    real_indices = sorted((i for i in range(count) if slots[i] is not None), reverse=True)
    if not missing:
        chosen, filled = judged_n, []
    elif len(real) >= alarm.n:
        chosen, filled = real_indices[:alarm.n], []
    else:
        filled = sorted(missing, reverse=True)[:alarm.n - len(real)]
        chosen = sorted(real_indices + filled, reverse=True)
    fill_breaches = alarm.treat == 'breaching'
    breaching = sum(1 for i in chosen if (slots[i] is None and fill_breaches) or
                    (slots[i] is not None and alarm.breaches(slots[i])))
    state = 'ALARM' if breaching >= alarm.m else 'OK'
    if state == 'ALARM':
        listed = [i for i in chosen if slots[i] is not None and alarm.breaches(slots[i])]
    else:
        listed = [i for i in chosen if slots[i] is not None and not alarm.breaches(slots[i])]
    # Both forms list only the judged real points that agree with the new state: a captured
    # DescribeAlarms entry (Route 53 health check, 2018-12-08, classic form, Minimum < 1.0,
    # recentDatapoints [0.0, 0.0, 1.0]) reads "1 datapoint [1.0 (08/12/18 19:55:00)] was not
    # less than the threshold (1.0)." (docs/alarm-decisions.md)
    reason = crossed_text(alarm, slots, starts, listed, state, len(filled))
    return state, reason, reason_data(alarm, slots, starts, chosen, now_ms)


def crossed_text(alarm, slots, starts, listed, state, filled):
    words = OPERATORS[alarm.operator][0]
    listing = ', '.join('%s (%s)' % (java_double(slots[i]), reason_time(starts[i]))
                        for i in sorted(listed, reverse=True))
    k = len(listed)
    verb = 'was' if k == 1 else 'were'
    negation = '' if state == 'ALARM' else 'not '
    fill_clause = ''
    if filled:
        fill_clause = ' and %s %s treated as [%s]' % (
            plural(filled, 'missing datapoint'), 'was' if filled == 1 else 'were',
            'Breaching' if alarm.treat == 'breaching' else 'NonBreaching')
    threshold = java_double(alarm.threshold)
    if alarm.m_given is None:
        return 'Threshold Crossed: %s [%s] %s %s%s the threshold (%s)%s.' % (
            plural(k, 'datapoint'), listing, verb, negation, words, threshold, fill_clause)
    minimum = alarm.m if state == 'ALARM' else alarm.n - alarm.m + 1
    label = 'OK -> ALARM' if state == 'ALARM' else 'ALARM -> OK'
    return ('Threshold Crossed: %d out of the last %d datapoints [%s] %s %s%s the threshold '
            '(%s)%s (minimum %s for %s transition).' % (
                k, alarm.n, listing, verb, negation, words, threshold, fill_clause,
                plural(minimum, 'datapoint'), label))


def reason_data(alarm, slots, starts, judged, now_ms):
    """§8.3, keys in AWS's order; judged: slot indices, any order."""
    judged = sorted(judged, reverse=True)  # newest first
    real = [i for i in judged if slots[i] is not None]
    parts = ['"version":"1.0"', '"queryDate":"%s"' % iso_time(now_ms)]
    if real:
        parts.append('"startDate":"%s"' % iso_time(starts[min(real)] * 1000))
    parts.append('"statistic":"%s"' % alarm.statistic)
    parts.append('"period":%d' % alarm.period)
    parts.append('"recentDatapoints":[%s]' % ','.join(java_double(slots[i]) for i in sorted(real)))
    parts.append('"threshold":%s' % java_double(alarm.threshold))
    points = []
    for i in judged:
        stamp = '"timestamp":"%s"' % iso_time(starts[i] * 1000)
        if slots[i] is None:
            points.append('{%s}' % stamp)
        else:
            points.append('{%s,"sampleCount":%s,"value":%s}' % (
                stamp, java_double(1.0), java_double(slots[i])))
    parts.append('"evaluatedDatapoints":[%s]' % ','.join(points))
    return '{%s}' % ','.join(parts)


# --------------------------------------------------------------------------------------
# §5.8 vectors

# (N, M, range, {treat: expected}); "keep" = retain the current state
TABLES = [
    (3, 3, '0 - X - X', dict(missing='OK', ignore='OK', breaching='OK', notBreaching='OK')),
    (3, 3, '0 - - - -', dict(missing='OK', ignore='OK', breaching='OK', notBreaching='OK')),
    (3, 3, '- - - - -', dict(missing='INSUFFICIENT_DATA', ignore='keep', breaching='ALARM',
                            notBreaching='OK')),
    (3, 3, '0 X X - X', dict(missing='ALARM', ignore='ALARM', breaching='ALARM',
                            notBreaching='ALARM')),
    (3, 3, '- - X - -', dict(missing='ALARM', ignore='keep', breaching='ALARM',
                            notBreaching='OK')),
    (3, 2, '0 - X - X', dict(missing='ALARM', ignore='ALARM', breaching='ALARM',
                            notBreaching='ALARM')),
    (3, 2, '0 0 X 0 X', dict(missing='ALARM', ignore='ALARM', breaching='ALARM',
                            notBreaching='ALARM')),
    (3, 2, '0 - X - -', dict(missing='OK', ignore='OK', breaching='ALARM', notBreaching='OK')),
    (3, 2, '- - - - 0', dict(missing='OK', ignore='OK', breaching='ALARM', notBreaching='OK')),
    (3, 2, '- - - X -', dict(missing='ALARM', ignore='keep', breaching='ALARM',
                            notBreaching='OK')),
    # the prose after the tables: N = M = 3 under missing must not go to ALARM
    (3, 3, '- - - - X', dict(missing='OK')),
    (3, 3, '- - - X -', dict(missing='OK')),
]

# 2026-11-26T10:00:00Z: the five one-minute slots start here; the evaluation is at
# 10:05:38.853, so its slots end at 10:05:00.
VECTOR_START = 1795687200
VECTOR_NOW_MS = (VECTOR_START + 5 * 60 + 38) * 1000 + 853
BREACHING_VALUE, CLEAR_VALUE = 2.0, 0.0
STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA']


def vector_slots(text):
    return [None if c == '-' else BREACHING_VALUE if c == 'X' else CLEAR_VALUE
            for c in text.split()]


def vectors():
    rows = []
    for number, (n, m, text, expected) in enumerate(TABLES, 1):
        slots = vector_slots(text)
        starts = [VECTOR_START + 60 * i for i in range(len(slots))]
        assert len(slots) == range_slots(n)
        # the classic form (no DatapointsToAlarm) too, where M = N
        forms = [m, None] if m == n else [m]
        for m_given in forms:
            for treat, want in expected.items():
                for current in STATES:
                    alarm = Alarm(n, m_given, treat)
                    state, reason, data = evaluate(alarm, slots, starts, current, VECTOR_NOW_MS)
                    got = 'keep' if state is None else state
                    if got != want:
                        raise SystemExit('oracle disagrees with alarms.md §5.8: %s N=%d M=%d %s: '
                                         '%s, table says %s' % (text, n, m, treat, got, want))
                    final = current if state is None else state
                    changed = final != current
                    rows.append('\t'.join([
                        'V%02d' % number, str(n), str(m_given or 0), treat, text, current,
                        final, reason if changed else '', data if changed else '']))
    header = '\t'.join(['id', 'N', 'M', 'treat_missing', 'range', 'prior_state',
                        'expected_state', 'expected_reason', 'expected_reason_data'])
    print('# Generated by tests/oracle/alarm_oracle.py vectors; do not edit.')
    print('# Slots of 60 s from 2026-11-26T10:00:00Z, oldest first: X = %s, 0 = %s, - = no data;'
          % (java_double(BREACHING_VALUE), java_double(CLEAR_VALUE)))
    print('# evaluated at %s; threshold 1.0, GreaterThanOrEqualToThreshold, Sum. M 0 = no'
          % iso_time(VECTOR_NOW_MS))
    print('# DatapointsToAlarm. Reasons are empty when the state does not change.')
    print(header)
    for row in rows:
        print(row)
    return 0


# --------------------------------------------------------------------------------------
# the CIS replay


CIS_ALARM_NAMES = {
    '4.1': 'unauthorized_api_calls_alarm', '4.2': 'no_mfa_console_signin_alarm',
    '4.3': 'root_usage_alarm', '4.4': 'iam_changes_alarm', '4.5': 'cloudtrail_cfg_changes_alarm',
    '4.6': 'console_signin_failure_alarm', '4.7': 'disable_or_delete_cmk_changes_alarm',
    '4.8': 's3_bucket_policy_changes_alarm', '4.9': 'aws_config_changes_alarm',
    '4.10': 'security_group_changes_alarm', '4.11': 'nacl_changes_alarm',
    '4.12': 'network_gw_changes_alarm', '4.13': 'route_table_changes_alarm',
    '4.14': 'vpc_changes_alarm', '4.15': 'organizations_changes',
}


def event_seconds(event):
    """eventTime as whole seconds since the epoch, or None."""
    value = event.get('eventTime') if isinstance(event, dict) else None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return math.floor(parsed.timestamp())


def cis_minutes(paths):
    """{cis: {minute start: matches}} over every event of every file."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cis_oracle
    minutes = {cis: {} for cis, _ in cis_oracle.CIS}

    def add(event):
        if not isinstance(event, dict):
            return
        for cis, predicate in cis_oracle.CIS:
            if predicate(event):
                seconds = event_seconds(event)
                if seconds is not None:
                    minute = seconds - seconds % 60
                    minutes[cis][minute] = minutes[cis].get(minute, 0) + 1

    for path in paths:
        for name in _files(path):
            with open(name, 'rb') as f:
                data = f.read()
            if data[:2] == b'\x1f\x8b':
                data, _ = cis_oracle.gunzip_prefix(data)
            cis_oracle.detect_and_read(data, add)
    return minutes


def _files(path):
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
            for name in sorted(files):
                if not name.startswith('.'):
                    yield os.path.join(root, name)
    else:
        yield path


def replay(alarm, buckets):
    """Transitions of `alarm` over one-minute buckets {start: sum}, evaluated on the minute
    from the first bucket on."""
    state = 'INSUFFICIENT_DATA'
    transitions = []
    if not buckets:
        return state, transitions
    count = range_slots(alarm.n)
    span = count * alarm.period
    instants = {min(buckets)}
    for b in buckets:  # a bucket is read by the evaluations in (b, b + span], and the
        instants.update(range(b + 60, b + span + 120, 60))  # one after shows it gone
    for t in sorted(instants):
        starts = [t - span + i * alarm.period for i in range(count)]
        slots = []
        for s in starts:
            total = [v for b, v in buckets.items() if s <= b < s + alarm.period]
            slots.append(float(sum(total)) if total else None)
        new, reason, _ = evaluate(alarm, slots, starts, state, t * 1000)
        if new is not None and new != state:
            transitions.append({'time': datetime.datetime.fromtimestamp(
                t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                'from': state, 'to': new, 'reason': reason})
            state = new
    return state, transitions


def cis_replay(paths):
    minutes = cis_minutes(paths)
    out = {}
    for cis, buckets in minutes.items():
        alarm = Alarm(1, None, 'missing', 1.0, 'GreaterThanOrEqualToThreshold', 300)
        final, transitions = replay(alarm, buckets)
        out[CIS_ALARM_NAMES[cis]] = {'final_state': final, 'transitions': transitions}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write('\n')
    return 0


def compare_cis(oracle_path, scan_path, minimums):
    with open(oracle_path) as f:
        oracle = json.load(f)
    with open(scan_path) as f:
        scan = json.load(f)
    failures = 0
    seen = {a.get('name'): a for a in scan.get('alarms', [])}
    for alarm in seen.values():
        for transition in alarm.get('transitions', []):
            transition.pop('evidence', None)
    for name, expected in oracle.items():
        actual = seen.get(name)
        if actual is None:
            print('%s: missing from the scan output' % name)
            failures += 1
            continue
        for key in ('final_state', 'transitions'):
            if actual.get(key) != expected[key]:
                failures += 1
                print('%s: %s differ\n  oracle: %s\n  scan:   %s' % (
                    name, key, json.dumps(expected[key])[:1500],
                    json.dumps(actual.get(key))[:1500]))
    for spec in minimums:
        name, _, least = spec.partition('=')
        alarms = sum(1 for t in oracle.get(name, {}).get('transitions', []) if t['to'] == 'ALARM')
        if alarms < int(least):
            failures += 1
            print('%s: %d transitions into ALARM, expected at least %s' % (name, alarms, least))
    print('%d alarm(s) compared, %d difference(s)' % (len(oracle), failures))
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == 'vectors':
        return vectors()
    if len(argv) >= 3 and argv[1] == 'cis-replay':
        return cis_replay(argv[2:])
    if len(argv) >= 4 and argv[1] == 'compare-cis':
        return compare_cis(argv[2], argv[3], argv[4:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
