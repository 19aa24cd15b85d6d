/* The CIS AWS Foundations Benchmark v3.0.0 section-4 pack (4.1-4.15). Patterns are copied
 * byte for byte from ../shared/spec/cis-section4.md §3 (4.2 in its first form); names are
 * the placeholders of the benchmark's remediation, which also gives the alarm defaults
 * (§2: Sum over 300 s, 1 evaluation period, >= 1). */
#include "metrics/metrics.h"

#include <stddef.h>

struct cis_recommendation {
    const char *id;
    const char *metric_name; /* also the filter name, as the remediation uses it */
    const char *alarm_name;
    const char *pattern;
};

/* Patterns are split only between clauses, so each line can be read against the spec. */
static const struct cis_recommendation cis_recommendations[] = {
    /* 4.1 Ensure unauthorized API calls are monitored */
    {"4.1", "unauthorized_api_calls_metric", "unauthorized_api_calls_alarm",
     "{ ($.errorCode =\"*UnauthorizedOperation\") || "
     "($.errorCode =\"AccessDenied*\") && "
     "($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") && "
     "($.eventName!=\"HeadBucket\") }"},
    /* 4.2 Ensure management console sign-in without MFA is monitored */
    {"4.2", "no_mfa_console_signin_metric", "no_mfa_console_signin_alarm",
     "{ ($.eventName = \"ConsoleLogin\") && ($.additionalEventData.MFAUsed != \"Yes\") }"},
    /* 4.3 Ensure usage of 'root' account is monitored */
    {"4.3", "root_usage_metric", "root_usage_alarm",
     "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && "
     "$.eventType != \"AwsServiceEvent\" }"},
    /* 4.4 Ensure IAM policy changes are monitored */
    {"4.4", "iam_changes_metric", "iam_changes_alarm",
     "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||"
     "($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||"
     "($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
     "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||"
     "($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||"
     "($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
     "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||"
     "($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"},
    /* 4.5 Ensure CloudTrail configuration changes are monitored */
    {"4.5", "cloudtrail_cfg_changes_metric", "cloudtrail_cfg_changes_alarm",
     "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || "
     "($.eventName = DeleteTrail) || ($.eventName = StartLogging) || "
     "($.eventName = StopLogging) }"},
    /* 4.6 Ensure AWS Management Console authentication failures are monitored */
    {"4.6", "console_signin_failure_metric", "console_signin_failure_alarm",
     "{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }"},
    /* 4.7 Ensure disabling or scheduled deletion of customer created CMKs is monitored */
    {"4.7", "disable_or_delete_cmk_changes_metric", "disable_or_delete_cmk_changes_alarm",
     "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||"
     "($.eventName=ScheduleKeyDeletion)) }"},
    /* 4.8 Ensure S3 bucket policy changes are monitored */
    {"4.8", "s3_bucket_policy_changes_metric", "s3_bucket_policy_changes_alarm",
     "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || "
     "($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || "
     "($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || "
     "($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || "
     "($.eventName = DeleteBucketLifecycle) || "
     "($.eventName = DeleteBucketReplication)) }"},
    /* 4.9 Ensure AWS Config configuration changes are monitored */
    {"4.9", "aws_config_changes_metric", "aws_config_changes_alarm",
     "{ ($.eventSource = config.amazonaws.com) && "
     "(($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||"
     "($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"},
    /* 4.10 Ensure security group changes are monitored */
    {"4.10", "security_group_changes_metric", "security_group_changes_alarm",
     "{ ($.eventName = AuthorizeSecurityGroupIngress) || "
     "($.eventName = AuthorizeSecurityGroupEgress) || "
     "($.eventName = RevokeSecurityGroupIngress) || "
     "($.eventName = RevokeSecurityGroupEgress) || "
     "($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"},
    /* 4.11 Ensure Network Access Control Lists (NACL) changes are monitored */
    {"4.11", "nacl_changes_metric", "nacl_changes_alarm",
     "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || "
     "($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || "
     "($.eventName = ReplaceNetworkAclEntry) || "
     "($.eventName = ReplaceNetworkAclAssociation) }"},
    /* 4.12 Ensure changes to network gateways are monitored */
    {"4.12", "network_gw_changes_metric", "network_gw_changes_alarm",
     "{ ($.eventName = CreateCustomerGateway) || "
     "($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || "
     "($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || "
     "($.eventName = DetachInternetGateway) }"},
    /* 4.13 Ensure route table changes are monitored */
    {"4.13", "route_table_changes_metric", "route_table_changes_alarm",
     "{ ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || "
     "($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || "
     "($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || "
     "($.eventName = DisassociateRouteTable) }"},
    /* 4.14 Ensure VPC changes are monitored */
    {"4.14", "vpc_changes_metric", "vpc_changes_alarm",
     "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || "
     "($.eventName = ModifyVpcAttribute) || "
     "($.eventName = AcceptVpcPeeringConnection) || "
     "($.eventName = CreateVpcPeeringConnection) || "
     "($.eventName = DeleteVpcPeeringConnection) || "
     "($.eventName = RejectVpcPeeringConnection) || "
     "($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || "
     "($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"},
    /* 4.15 Ensure AWS Organizations changes are monitored */
    {"4.15", "organizations_changes", "organizations_changes",
     "{ ($.eventSource = organizations.amazonaws.com) && "
     "(($.eventName = \"AcceptHandshake\") || ($.eventName = \"AttachPolicy\") || "
     "($.eventName = \"CreateAccount\") || "
     "($.eventName = \"CreateOrganizationalUnit\") || "
     "($.eventName = \"CreatePolicy\") || ($.eventName = \"DeclineHandshake\") || "
     "($.eventName = \"DeleteOrganization\") || "
     "($.eventName = \"DeleteOrganizationalUnit\") || "
     "($.eventName = \"DeletePolicy\") || ($.eventName = \"DetachPolicy\") || "
     "($.eventName = \"DisablePolicyType\") || ($.eventName = \"EnablePolicyType\") || "
     "($.eventName = \"InviteAccountToOrganization\") || "
     "($.eventName = \"LeaveOrganization\") || ($.eventName = \"MoveAccount\") || "
     "($.eventName = \"RemoveAccountFromOrganization\") || "
     "($.eventName = \"UpdatePolicy\") || "
     "($.eventName = \"UpdateOrganizationalUnit\")) }"},
};

static struct metric_filter_definition cis_definition(const struct cis_recommendation *source)
{
    /* The strings are only borrowed: metric_filter_list_append copies them. */
    return (struct metric_filter_definition){
        .filter_name = (char *)source->metric_name,
        .filter_pattern = (char *)source->pattern,
        .transformation =
            {
                .metric_name = (char *)source->metric_name,
                .metric_namespace = "CISBenchmark",
                .metric_value = "1",
            },
        .cis_id = (char *)source->id,
        .alarm =
            {
                .present = true,
                .alarm_name = (char *)source->alarm_name,
                .statistic = "Sum",
                .period = 300,
                .evaluation_periods = 1,
                .threshold = 1,
                .comparison_operator = "GreaterThanOrEqualToThreshold",
            },
        .origin = "cis",
    };
}

bool metrics_cis_pack(struct metric_filter_list *list)
{
    size_t count = sizeof cis_recommendations / sizeof cis_recommendations[0];
    size_t count_before = list->count;
    for (size_t i = 0; i < count; i++) {
        struct metric_filter_definition definition = cis_definition(&cis_recommendations[i]);
        if (!metric_filter_list_append(list, &definition)) {
            /* all or nothing: drop what this call appended */
            while (list->count > count_before)
                metric_filter_definition_free(&list->items[--list->count]);
            return false;
        }
    }
    return true;
}
