# Shortens one alarm notification (CloudWatch's SNS message, with trailhound's evidence)
# to what a person reads first: which alarm, when, why, who did what from where.
"\(.AlarmName) (CIS \(.Trailhound.cis)): \(.OldStateValue) -> \(.NewStateValue) at \(.StateChangeTime)",
"  \(.NewStateReason)",
"  \(.Trailhound.events) event(s) from \(.Trailhound.firstSeen) to \(.Trailhound.lastSeen)",
(.Trailhound | ("principals", "sourceIPs", "eventNames", "errorCodes") as $field
 | "  \($field): \([.[$field][] | "\(.value) (\(.count))"] | join(", "))"),
""
