// CloudWatch over AWS JSON 1.0 (query-compatible) through the AWS SDK for JavaScript v3,
// for tests/cli/test_api_sdk_json.sh: runs the nine CloudWatch operations with the inputs
// of tests/data/aws-captures/newer-cli/ against TRAILHOUND_ENDPOINT (credentials and region
// from the usual AWS_* environment variables) and prints one JSON line per call:
//   {"operation", "request": {target, contentType}, "responseContentType" (on success),
//    "response" (without $metadata; Dates as ISO strings) | "error": {name, Code, statusCode, message}}
import {
    CloudWatchClient,
    DeleteAlarmsCommand,
    DescribeAlarmHistoryCommand,
    DescribeAlarmsCommand,
    GetMetricDataCommand,
    GetMetricStatisticsCommand,
    ListMetricsCommand,
    PutMetricAlarmCommand,
    PutMetricDataCommand,
    SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";

const endpoint = process.env.TRAILHOUND_ENDPOINT;
if (!endpoint) {
    console.error("cloudwatch_json.mjs: set TRAILHOUND_ENDPOINT (e.g. http://127.0.0.1:PORT)");
    process.exit(2);
}
const client = new CloudWatchClient({ endpoint, maxAttempts: 1 });

// Records what goes on the wire: the signed request just before it is sent, and the raw
// response's Content-Type. Read-only; the client otherwise runs as a user would run it.
let wire = {};
client.middlewareStack.add(
    (next) => async (args) => {
        const headers = Object.fromEntries(
            Object.entries(args.request.headers).map(([key, value]) => [key.toLowerCase(), value]),
        );
        wire = { target: headers["x-amz-target"], contentType: headers["content-type"] };
        const result = await next(args);
        wire.responseContentType = result.response?.headers?.["content-type"];
        return result;
    },
    { step: "finalizeRequest", priority: "low", name: "trailhoundWireRecorder" },
);
async function run(operation, command) {
    wire = {};
    const line = { operation };
    try {
        const { $metadata, ...response } = await client.send(command);
        line.response = response;
    } catch (error) {
        line.error = { name: error.name, Code: error.Code, statusCode: error.$metadata?.httpStatusCode, message: error.message };
    }
    line.request = { target: wire.target, contentType: wire.contentType };
    line.responseContentType = wire.responseContentType;
    console.log(JSON.stringify(line)); // Date.prototype.toJSON: ISO strings
}

const alarmName = "CISUnauthorizedAPICallsAlarm";
const metric = { Namespace: "CISBenchmark", MetricName: "UnauthorizedAPICalls" };
const hour = { StartTime: new Date("2024-01-01T00:00:00Z"), EndTime: new Date("2024-01-01T01:00:00Z") };

await run(
    "PutMetricAlarm",
    new PutMetricAlarmCommand({
        AlarmName: alarmName,
        ...metric,
        Statistic: "Sum",
        Period: 300,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        EvaluationPeriods: 1,
        AlarmActions: ["arn:aws:sns:us-east-1:123456789012:CISUnauthorizedAPICallAlerts"],
    }),
);
await run("DescribeAlarms", new DescribeAlarmsCommand({ AlarmNames: [alarmName] }));
await run(
    "SetAlarmState",
    new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: "ALARM", StateReason: "testing" }),
);
// StateUpdate only: the capture's alarm had no Action items (its topic had no failed delivery).
await run(
    "DescribeAlarmHistory",
    new DescribeAlarmHistoryCommand({ AlarmName: alarmName, HistoryItemType: "StateUpdate" }),
);
await run(
    "SetAlarmStateMissing",
    new SetAlarmStateCommand({ AlarmName: "nonexistent", StateValue: "OK", StateReason: "x" }),
);
await run("DeleteAlarms", new DeleteAlarmsCommand({ AlarmNames: [alarmName] }));
await run(
    "PutMetricData",
    new PutMetricDataCommand({
        Namespace: metric.Namespace,
        MetricData: [
            { MetricName: metric.MetricName, Value: 1, Unit: "Count", Timestamp: new Date("2024-01-01T00:00:00Z") },
        ],
    }),
);
await run("GetMetricStatistics", new GetMetricStatisticsCommand({ ...metric, ...hour, Period: 300, Statistics: ["Sum"] }));
await run("ListMetrics", new ListMetricsCommand({ Namespace: metric.Namespace }));
await run(
    "GetMetricData",
    new GetMetricDataCommand({
        MetricDataQueries: [{ Id: "m1", MetricStat: { Metric: metric, Period: 300, Stat: "Sum" } }],
        ...hour,
    }),
);
