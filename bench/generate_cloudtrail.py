#!/usr/bin/env python3
"""Generate realistic synthetic CloudTrail for benchmarking trailhound.

Deterministic: the same --seed gives the same bytes, with any Python 3.8+, and a smaller
--megabytes is a prefix of a larger one (same seed, same format). Pure standard library.

    generate_cloudtrail.py --megabytes 450 --seed 1 --output ct.ndjson
    generate_cloudtrail.py --megabytes 5 --format records --output ct.json
    generate_cloudtrail.py --megabytes 50 --format records --output-dir s3/ --gzip

Formats:
  ndjson   (default) one compact JSON event per line.
  records  S3-delivery style {"Records":[...]}: one document to stdout/--output, or with
           --output-dir a tree of delivery files AWSLogs/<account>/CloudTrail/<region>/
           YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json[.gz],
           one file per account, region and 5 minutes (at most --records-per-file events).

What is in it (see bench/README.md): ~500 distinct eventNames over ~45 services with a
Zipf-like popularity, IAM users / assumed roles / AWS services / federated users / root,
a few % of errors, and every CIS AWS Foundations v3.0.0 4.1-4.15 event type at low rates,
together with near-misses that those filters must not count. A fixed sweep at the start
of the stream guarantees that every CIS event kind and near-miss appears even in small
files. Sizes are in MB of 1,000,000 bytes of output (uncompressed).
"""

import argparse
import base64
import bisect
import calendar
import gzip
import json
import os
import random
import sys
import time

# ---------------------------------------------------------------------------------------
# Catalog of services and event names (background traffic, Zipf-distributed).
# service key -> (eventSource, endpoint prefix, global (us-east-1 only), IAM action prefix,
#                 error style, names). Names starting with '*' are data events.
# ---------------------------------------------------------------------------------------

SERVICES = {
    "s3": ("s3.amazonaws.com", "s3", False, "s3", "s3", """
        *GetObject *PutObject *HeadObject *ListObjects *DeleteObject *DeleteObjects *CopyObject
        *CreateMultipartUpload *UploadPart *CompleteMultipartUpload *AbortMultipartUpload
        *GetObjectAcl *PutObjectAcl *GetObjectTagging *PutObjectTagging *RestoreObject
        *ListObjectVersions *GetObjectAttributes *SelectObjectContent
        GetBucketAcl GetBucketLocation GetBucketPolicy GetBucketPolicyStatus
        GetBucketPublicAccessBlock PutBucketPublicAccessBlock GetBucketVersioning
        PutBucketVersioning GetBucketEncryption PutBucketEncryption GetBucketLogging
        PutBucketLogging GetBucketTagging PutBucketTagging GetBucketCors GetBucketLifecycle
        GetBucketReplication GetBucketWebsite GetBucketObjectLockConfiguration
        GetBucketNotification PutBucketNotification GetBucketOwnershipControls
        PutBucketOwnershipControls GetAccelerateConfiguration GetBucketRequestPayment
        ListBuckets CreateBucket DeleteBucket HeadBucket GetBucketIntelligentTieringConfiguration
        GetBucketAnalyticsConfiguration GetBucketMetricsConfiguration GetBucketInventoryConfiguration
        ListAccessPoints"""),
    "ec2": ("ec2.amazonaws.com", "ec2", False, "ec2", "ec2", """
        DescribeInstances DescribeInstanceStatus DescribeVolumes DescribeSnapshots DescribeImages
        DescribeSecurityGroups DescribeSecurityGroupRules DescribeSubnets DescribeVpcs
        DescribeRouteTables DescribeNetworkInterfaces DescribeAddresses DescribeAvailabilityZones
        DescribeRegions DescribeAccountAttributes DescribeTags DescribeKeyPairs
        DescribeLaunchTemplates DescribeLaunchTemplateVersions DescribeInstanceTypes
        DescribeNatGateways DescribeInternetGateways DescribeNetworkAcls DescribeVpcEndpoints
        DescribeVpcAttribute DescribeInstanceAttribute DescribeSpotPriceHistory
        DescribeSpotInstanceRequests DescribePrefixLists DescribeVpcPeeringConnections
        DescribeTransitGateways DescribeFlowLogs DescribeCustomerGateways DescribeVpnConnections
        DescribeDhcpOptions DescribeReservedInstances DescribeVolumeStatus DescribeHosts
        DescribeIamInstanceProfileAssociations DescribeInstanceCreditSpecifications
        DescribeVpcClassicLink DescribeVpcClassicLinkDnsSupport DescribeEgressOnlyInternetGateways
        GetConsoleOutput GetPasswordData GetEbsEncryptionByDefault GetEbsDefaultKmsKeyId
        GetLaunchTemplateData GetSecurityGroupsForVpc
        RunInstances StartInstances StopInstances TerminateInstances RebootInstances CreateTags
        DeleteTags CreateVolume AttachVolume DetachVolume DeleteVolume ModifyVolume CreateSnapshot
        DeleteSnapshot CopySnapshot ModifySnapshotAttribute CreateImage DeregisterImage
        ModifyImageAttribute ModifyInstanceAttribute CreateNetworkInterface DeleteNetworkInterface
        AttachNetworkInterface AllocateAddress ReleaseAddress AssociateAddress DisassociateAddress
        CreateLaunchTemplate CreateLaunchTemplateVersion ModifySecurityGroupRules
        UpdateSecurityGroupRuleDescriptionsIngress CreateNatGateway DeleteNatGateway
        CreateVpcEndpoint DeleteVpcEndpoints ModifyVpcEndpoint CreateSubnet DeleteSubnet
        ModifySubnetAttribute AssociateRouteTable CreateFlowLogs DeleteFlowLogs CreateKeyPair
        ImportKeyPair DeleteKeyPair CreateEgressOnlyInternetGateway CreateTransitGateway
        CreateVpnGateway AttachVpnGateway AssociateIamInstanceProfile
        ReplaceIamInstanceProfileAssociation ModifyInstanceMetadataOptions
        EnableEbsEncryptionByDefault CreateDefaultVpc SharedSnapshotCopyInitiated"""),
    "iam": ("iam.amazonaws.com", "iam", True, "iam", "query", """
        GetUser GetRole GetPolicy GetPolicyVersion ListUsers ListRoles ListPolicies
        ListAttachedRolePolicies ListAttachedUserPolicies ListAttachedGroupPolicies ListRolePolicies
        ListUserPolicies ListGroups ListGroupsForUser ListAccessKeys ListMFADevices
        ListInstanceProfilesForRole ListAccountAliases GetAccountSummary GetAccountPasswordPolicy
        GenerateCredentialReport GetCredentialReport GetAccountAuthorizationDetails
        ListServerCertificates ListVirtualMFADevices GetLoginProfile GetRolePolicy GetUserPolicy
        ListEntitiesForPolicy GetServiceLastAccessedDetails GenerateServiceLastAccessedDetails
        ListPolicyVersions ListRoleTags ListUserTags ListOpenIDConnectProviders ListSAMLProviders
        GetAccessKeyLastUsed ListSigningCertificates ListSSHPublicKeys ListServiceSpecificCredentials
        CreateUser DeleteUser CreateRole DeleteRole UpdateAssumeRolePolicy CreateAccessKey
        DeleteAccessKey UpdateAccessKey CreateLoginProfile UpdateLoginProfile DeleteLoginProfile
        AddUserToGroup RemoveUserFromGroup CreateInstanceProfile AddRoleToInstanceProfile
        RemoveRoleFromInstanceProfile DeleteInstanceProfile TagRole TagUser UntagRole
        CreateServiceLinkedRole SimulatePrincipalPolicy ChangePassword EnableMFADevice
        CreateVirtualMFADevice DeactivateMFADevice SetDefaultPolicyVersion UpdateRole
        UpdateRoleDescription PutRolePermissionsBoundary TagPolicy CreateGroup DeleteGroup"""),
    "sts": ("sts.amazonaws.com", "sts", False, "sts", "query", """
        AssumeRole AssumeRoleWithWebIdentity AssumeRoleWithSAML GetCallerIdentity GetSessionToken
        GetFederationToken DecodeAuthorizationMessage GetAccessKeyInfo"""),
    "kms": ("kms.amazonaws.com", "kms", False, "kms", "json", """
        Decrypt Encrypt GenerateDataKey GenerateDataKeyWithoutPlaintext ReEncrypt DescribeKey
        ListKeys ListAliases GetKeyPolicy GetKeyRotationStatus ListResourceTags ListGrants
        CreateGrant RetireGrant CreateKey CreateAlias PutKeyPolicy EnableKey EnableKeyRotation
        DisableKeyRotation CancelKeyDeletion TagResource Sign Verify GetPublicKey
        GenerateRandom GenerateDataKeyPair ListKeyPolicies UpdateAlias"""),
    "cloudtrail": ("cloudtrail.amazonaws.com", "cloudtrail", False, "cloudtrail", "json", """
        DescribeTrails GetTrailStatus GetEventSelectors ListTrails LookupEvents GetTrail
        PutEventSelectors AddTags GetInsightSelectors ListTags ListEventDataStores
        PutInsightSelectors RemoveTags"""),
    "config": ("config.amazonaws.com", "config", False, "config", "json", """
        DescribeConfigurationRecorders DescribeConfigurationRecorderStatus
        DescribeDeliveryChannels DescribeConfigRules PutConfigRule DeleteConfigRule
        StartConfigurationRecorder PutEvaluations DescribeComplianceByConfigRule
        GetComplianceDetailsByConfigRule PutConfigurationAggregator SelectResourceConfig
        DescribeDeliveryChannelStatus GetResourceConfigHistory DescribeConformancePacks
        StartConfigRulesEvaluation"""),
    "organizations": ("organizations.amazonaws.com", "organizations", True, "organizations",
                      "json", """
        DescribeOrganization ListAccounts ListRoots ListOrganizationalUnitsForParent
        ListPoliciesForTarget DescribePolicy ListAccountsForParent DescribeAccount
        ListHandshakesForAccount ListDelegatedAdministrators ListTagsForResource
        ListAWSServiceAccessForOrganization ListParents ListChildren DescribeOrganizationalUnit
        ListTargetsForPolicy DescribeEffectivePolicy"""),
    "lambda": ("lambda.amazonaws.com", "lambda", False, "lambda", "json", """
        *Invoke GetFunction ListFunctions20150331 GetFunctionConfiguration
        UpdateFunctionCode20150331v2 UpdateFunctionConfiguration20150331v2
        CreateFunction20150331 DeleteFunction20150331 AddPermission20150331v2
        ListVersionsByFunction20150331 GetPolicy20150331v2 PublishVersion20150331
        ListEventSourceMappings20150331 GetFunctionUrlConfig ListLayers20181031
        GetLayerVersion20181031 PublishLayerVersion20181031 ListTags20170331
        GetAccountSettings20160819 ListAliases20150331 GetFunctionCodeSigningConfig
        CreateEventSourceMapping20150331 RemovePermission20150331v2"""),
    "logs": ("logs.amazonaws.com", "logs", False, "logs", "json", """
        CreateLogStream DescribeLogGroups DescribeLogStreams CreateLogGroup PutRetentionPolicy
        DeleteLogGroup FilterLogEvents GetLogEvents StartQuery GetQueryResults PutMetricFilter
        DescribeMetricFilters PutSubscriptionFilter DescribeSubscriptionFilters TagLogGroup
        ListTagsLogGroup CreateExportTask DescribeQueries StopQuery DescribeResourcePolicies
        ListTagsForResource DeleteMetricFilter"""),
    "monitoring": ("monitoring.amazonaws.com", "monitoring", False, "cloudwatch", "query", """
        DescribeAlarms PutMetricAlarm DeleteAlarms GetMetricData ListMetrics DescribeAlarmHistory
        PutDashboard GetDashboard ListDashboards SetAlarmState EnableAlarmActions
        DisableAlarmActions DescribeAlarmsForMetric DescribeAnomalyDetectors GetMetricWidgetImage"""),
    "sns": ("sns.amazonaws.com", "sns", False, "sns", "sns", """
        *Publish ListTopics GetTopicAttributes Subscribe ListSubscriptionsByTopic CreateTopic
        DeleteTopic SetTopicAttributes ConfirmSubscription Unsubscribe ListSubscriptions
        GetSubscriptionAttributes"""),
    "sqs": ("sqs.amazonaws.com", "sqs", False, "sqs", "json", """
        ListQueues GetQueueAttributes CreateQueue DeleteQueue SetQueueAttributes PurgeQueue
        GetQueueUrl ListQueueTags TagQueue"""),
    "ssm": ("ssm.amazonaws.com", "ssm", False, "ssm", "json", """
        GetParameter GetParameters GetParametersByPath PutParameter DeleteParameter
        DescribeParameters DescribeInstanceInformation SendCommand GetCommandInvocation
        ListCommands ListCommandInvocations StartSession TerminateSession ResumeSession
        UpdateInstanceInformation DescribeAssociation ListAssociations
        UpdateInstanceAssociationStatus GetDeployablePatchSnapshotForInstance PutInventory
        PutComplianceItems ListInstanceAssociations DescribeDocument GetDocument ListDocuments
        DescribeInstancePatchStates DescribeSessions GetConnectionStatus
        DescribeAutomationExecutions"""),
    "secretsmanager": ("secretsmanager.amazonaws.com", "secretsmanager", False, "secretsmanager",
                       "json", """
        GetSecretValue DescribeSecret ListSecrets CreateSecret PutSecretValue UpdateSecret
        DeleteSecret RotateSecret GetResourcePolicy PutResourcePolicy TagResource
        ListSecretVersionIds BatchGetSecretValue GetRandomPassword"""),
    "rds": ("rds.amazonaws.com", "rds", False, "rds", "query", """
        DescribeDBInstances DescribeDBClusters DescribeDBSnapshots DescribeDBClusterSnapshots
        DescribeDBEngineVersions DescribeOrderableDBInstanceOptions DescribeDBParameterGroups
        DescribeDBSubnetGroups DescribeEvents DescribeEventSubscriptions
        DescribePendingMaintenanceActions CreateDBSnapshot DeleteDBSnapshot
        ModifyDBSnapshotAttribute CreateDBInstance ModifyDBInstance RebootDBInstance
        StopDBInstance StartDBInstance ListTagsForResource DescribeCertificates DescribeDBLogFiles
        DownloadDBLogFilePortion DescribeDBClusterParameterGroups DescribeOptionGroups
        DescribeDBProxies"""),
    "dynamodb": ("dynamodb.amazonaws.com", "dynamodb", False, "dynamodb", "json", """
        *GetItem *PutItem *Query *UpdateItem *BatchWriteItem *Scan *DeleteItem *BatchGetItem
        DescribeTable ListTables CreateTable DeleteTable UpdateTable DescribeContinuousBackups
        DescribeTimeToLive ListTagsOfResource DescribeKinesisStreamingDestination ListBackups
        CreateBackup DescribeLimits DescribeGlobalTable UpdateTimeToLive"""),
    "ecr": ("ecr.amazonaws.com", "api.ecr", False, "ecr", "json", """
        GetAuthorizationToken BatchGetImage GetDownloadUrlForLayer BatchCheckLayerAvailability
        DescribeRepositories DescribeImages ListImages PutImage InitiateLayerUpload
        UploadLayerPart CompleteLayerUpload CreateRepository DeleteRepository GetLifecyclePolicy
        GetRepositoryPolicy DescribeImageScanFindings PutLifecyclePolicy"""),
    "ecs": ("ecs.amazonaws.com", "ecs", False, "ecs", "json", """
        DescribeClusters DescribeServices DescribeTasks ListClusters ListServices ListTasks
        DescribeTaskDefinition RegisterTaskDefinition UpdateService RunTask StopTask
        DescribeContainerInstances ListContainerInstances SubmitTaskStateChange
        SubmitContainerStateChange DiscoverPollEndpoint ListTaskDefinitions CreateService
        DeregisterTaskDefinition ExecuteCommand"""),
    "eks": ("eks.amazonaws.com", "eks", False, "eks", "json", """
        DescribeCluster ListClusters ListNodegroups DescribeNodegroup ListAddons
        DescribeAddonVersions ListFargateProfiles ListIdentityProviderConfigs AccessKubernetesApi
        CreateNodegroup UpdateNodegroupConfig DescribeAddon ListAccessEntries"""),
    "elasticloadbalancing": ("elasticloadbalancing.amazonaws.com", "elasticloadbalancing", False,
                             "elasticloadbalancing", "query", """
        DescribeLoadBalancers DescribeTargetGroups DescribeTargetHealth DescribeListeners
        DescribeRules DescribeLoadBalancerAttributes RegisterTargets DeregisterTargets
        CreateLoadBalancer ModifyLoadBalancerAttributes DescribeTargetGroupAttributes
        ModifyTargetGroup DescribeListenerCertificates DescribeSSLPolicies"""),
    "autoscaling": ("autoscaling.amazonaws.com", "autoscaling", False, "autoscaling", "query", """
        DescribeAutoScalingGroups DescribeScalingActivities DescribeLaunchConfigurations
        DescribeAutoScalingInstances DescribePolicies DescribeLifecycleHooks
        UpdateAutoScalingGroup SetDesiredCapacity CompleteLifecycleAction
        TerminateInstanceInAutoScalingGroup DescribeScheduledActions DescribeWarmPool
        RecordLifecycleActionHeartbeat PutScalingPolicy"""),
    "cloudformation": ("cloudformation.amazonaws.com", "cloudformation", False, "cloudformation",
                       "query", """
        DescribeStacks DescribeStackEvents DescribeStackResources ListStacks GetTemplate
        ListStackResources CreateStack UpdateStack DeleteStack CreateChangeSet DescribeChangeSet
        ExecuteChangeSet ValidateTemplate GetTemplateSummary ListExports DescribeStackResource
        ListChangeSets DeleteChangeSet DescribeType ListStackSets"""),
    "route53": ("route53.amazonaws.com", "route53", True, "route53", "query", """
        ListHostedZones GetHostedZone ListResourceRecordSets ChangeResourceRecordSets GetChange
        ListHealthChecks ListTagsForResource GetHostedZoneCount ListHostedZonesByName
        ListQueryLoggingConfigs"""),
    "cloudfront": ("cloudfront.amazonaws.com", "cloudfront", True, "cloudfront", "query", """
        ListDistributions GetDistribution GetDistributionConfig CreateInvalidation
        UpdateDistribution ListCachePolicies ListOriginAccessControls GetInvalidation"""),
    "guardduty": ("guardduty.amazonaws.com", "guardduty", False, "guardduty", "json", """
        ListDetectors GetDetector ListFindings GetFindings GetFindingsStatistics ListMembers
        UpdateDetector ArchiveFindings ListFilters GetMasterAccount GetAdministratorAccount
        ListPublishingDestinations DescribeMalwareScans"""),
    "securityhub": ("securityhub.amazonaws.com", "securityhub", False, "securityhub", "json", """
        GetFindings BatchImportFindings BatchUpdateFindings DescribeHub GetEnabledStandards
        DescribeStandardsControls GetInsights BatchEnableStandards DescribeProducts
        ListEnabledProductsForImport GetFindingAggregator"""),
    "access-analyzer": ("access-analyzer.amazonaws.com", "access-analyzer", False,
                        "access-analyzer", "json", """
        ListAnalyzers ListFindings GetFinding ValidatePolicy GetAnalyzedResource
        ListArchiveRules"""),
    "health": ("health.amazonaws.com", "health", True, "health", "json", """
        DescribeEventAggregates DescribeEvents DescribeEventDetails DescribeAffectedEntities"""),
    "sso": ("sso.amazonaws.com", "portal.sso", False, "sso", "json", """
        GetRoleCredentials ListAccounts ListAccountRoles ListApplicationInstances
        DescribeRegisteredRegions ListProfiles"""),
    "signin": ("signin.amazonaws.com", "signin", True, "signin", "json", """
        CheckMfa SwitchRole ExitRole RenewRole GetSigninToken"""),
    "elasticfilesystem": ("elasticfilesystem.amazonaws.com", "elasticfilesystem", False,
                          "elasticfilesystem", "json", """
        DescribeFileSystems DescribeMountTargets CreateFileSystem DescribeAccessPoints
        DescribeBackupPolicy"""),
    "elasticmapreduce": ("elasticmapreduce.amazonaws.com", "elasticmapreduce", False,
                         "elasticmapreduce", "json", """
        ListClusters DescribeCluster ListSteps ListInstanceGroups"""),
    "kinesis": ("kinesis.amazonaws.com", "kinesis", False, "kinesis", "json", """
        DescribeStream ListStreams CreateStream DescribeStreamSummary ListShards
        DescribeStreamConsumer"""),
    "firehose": ("firehose.amazonaws.com", "firehose", False, "firehose", "json", """
        DescribeDeliveryStream ListDeliveryStreams UpdateDestination"""),
    "athena": ("athena.amazonaws.com", "athena", False, "athena", "json", """
        StartQueryExecution GetQueryExecution GetQueryResults ListWorkGroups GetWorkGroup
        ListDataCatalogs GetTableMetadata ListQueryExecutions"""),
    "glue": ("glue.amazonaws.com", "glue", False, "glue", "json", """
        GetDatabases GetTables GetTable GetPartitions CreateTable BatchCreatePartition GetJobRuns
        StartJobRun GetCrawlers GetDatabase GetJob StartCrawler"""),
    "states": ("states.amazonaws.com", "states", False, "states", "json", """
        StartExecution DescribeExecution ListStateMachines DescribeStateMachine ListExecutions
        GetExecutionHistory SendTaskSuccess"""),
    "events": ("events.amazonaws.com", "events", False, "events", "json", """
        PutRule PutTargets ListRules DescribeRule ListTargetsByRule DeleteRule RemoveTargets
        DescribeEventBus ListEventBuses"""),
    "apigateway": ("apigateway.amazonaws.com", "apigateway", False, "apigateway", "json", """
        GetRestApis GetResources GetStages CreateDeployment GetDomainNames GetUsagePlans
        GetRestApi GetAuthorizers"""),
    "acm": ("acm.amazonaws.com", "acm", False, "acm", "json", """
        ListCertificates DescribeCertificate RequestCertificate GetCertificate
        ListTagsForCertificate"""),
    "ses": ("ses.amazonaws.com", "email", False, "ses", "query", """
        GetIdentityVerificationAttributes ListIdentities GetSendQuota GetAccount
        ListConfigurationSets"""),
    "elasticache": ("elasticache.amazonaws.com", "elasticache", False, "elasticache", "query", """
        DescribeCacheClusters DescribeReplicationGroups DescribeCacheSubnetGroups
        DescribeSnapshots"""),
    "redshift": ("redshift.amazonaws.com", "redshift", False, "redshift", "query", """
        DescribeClusters DescribeLoggingStatus DescribeClusterSnapshots"""),
    "backup": ("backup.amazonaws.com", "backup", False, "backup", "json", """
        ListBackupPlans ListBackupVaults StartBackupJob DescribeBackupJob
        ListRecoveryPointsByBackupVault GetBackupVaultAccessPolicy"""),
    "inspector2": ("inspector2.amazonaws.com", "inspector2", False, "inspector2", "json", """
        ListFindings ListCoverage BatchGetAccountStatus ListFindingAggregations"""),
    "tagging": ("tagging.amazonaws.com", "tagging", False, "tag", "json", """
        GetResources GetTagKeys GetTagValues"""),
    "servicequotas": ("servicequotas.amazonaws.com", "servicequotas", False, "servicequotas",
                      "json", """
        ListServiceQuotas GetServiceQuota ListServices"""),
    "ce": ("ce.amazonaws.com", "ce", True, "ce", "json", """
        GetCostAndUsage GetCostForecast GetDimensionValues"""),
    "iot": ("iot.amazonaws.com", "iot", False, "iot", "json", """
        AttachPolicy DetachPolicy ListThings DescribeEndpoint ListPolicies ListTopicRules"""),
    "ec2-instance-connect": ("ec2-instance-connect.amazonaws.com", "ec2-instance-connect", False,
                             "ec2-instance-connect", "json", """
        SendSSHPublicKey SendSerialConsoleSSHPublicKey"""),
    "bedrock": ("bedrock.amazonaws.com", "bedrock", False, "bedrock", "json", """
        InvokeModel ListFoundationModels GetFoundationModelAvailability
        InvokeModelWithResponseStream"""),
    "cognito-idp": ("cognito-idp.amazonaws.com", "cognito-idp", False, "cognito-idp", "json", """
        InitiateAuth ListUserPools AdminGetUser DescribeUserPool RespondToAuthChallenge"""),
    "ram": ("ram.amazonaws.com", "ram", False, "ram", "json", """
        GetResourceShareAssociations GetResourceShares ListResources"""),
    "support": ("support.amazonaws.com", "support", True, "support", "json", """
        DescribeCases DescribeTrustedAdvisorChecks DescribeSeverityLevels"""),
    "resource-explorer-2": ("resource-explorer-2.amazonaws.com", "resource-explorer-2", False,
                            "resource-explorer-2", "json", """
        ListIndexes Search GetIndex"""),
    "wafv2": ("wafv2.amazonaws.com", "wafv2", False, "wafv2", "json", """
        ListWebACLs GetWebACL ListIPSets GetLoggingConfiguration"""),
    "codebuild": ("codebuild.amazonaws.com", "codebuild", False, "codebuild", "json", """
        StartBuild BatchGetBuilds ListProjects BatchGetProjects"""),
    "codepipeline": ("codepipeline.amazonaws.com", "codepipeline", False, "codepipeline", "json", """
        GetPipelineState ListPipelines GetPipeline StartPipelineExecution PutJobSuccessResult
        PollForJobs"""),
}

# The most popular names first (realistic head of the distribution); the rest of the
# catalog follows in a fixed shuffled order. (service, name)
HEAD = [
    ("kms", "Decrypt"), ("s3", "GetObject"), ("kms", "GenerateDataKey"), ("sts", "AssumeRole"),
    ("s3", "PutObject"), ("ec2", "DescribeInstances"), ("s3", "GetBucketAcl"),
    ("s3", "HeadObject"), ("s3", "ListObjects"), ("ssm", "GetParameter"), ("lambda", "Invoke"),
    ("ssm", "UpdateInstanceInformation"), ("sts", "GetCallerIdentity"),
    ("ec2", "DescribeInstanceStatus"), ("secretsmanager", "GetSecretValue"),
    ("logs", "CreateLogStream"), ("dynamodb", "GetItem"), ("ecr", "GetAuthorizationToken"),
    ("dynamodb", "Query"), ("dynamodb", "PutItem"), ("ec2", "DescribeVolumes"),
    ("kms", "Encrypt"), ("ec2", "DescribeSecurityGroups"), ("s3", "GetBucketLocation"),
    ("dynamodb", "DescribeTable"), ("sts", "AssumeRoleWithWebIdentity"),
    ("monitoring", "DescribeAlarms"), ("iam", "GetRole"), ("s3", "ListBuckets"),
    ("cloudformation", "DescribeStacks"), ("ec2", "DescribeSubnets"), ("ec2", "DescribeVpcs"),
    ("monitoring", "GetMetricData"), ("ecs", "DescribeTaskDefinition"),
    ("ecr", "BatchGetImage"), ("ecr", "GetDownloadUrlForLayer"), ("ec2", "DescribeTags"),
    ("logs", "DescribeLogGroups"), ("ec2", "DescribeNetworkInterfaces"),
    ("ssm", "GetParameters"), ("elasticloadbalancing", "DescribeTargetHealth"),
    ("autoscaling", "DescribeAutoScalingGroups"), ("s3", "HeadBucket"),
    ("ec2", "DescribeRouteTables"), ("ssm", "ListInstanceAssociations"),
    ("rds", "DescribeDBInstances"), ("iam", "ListAttachedRolePolicies"), ("sns", "Publish"),
]

# Readonly verbs (CloudTrail's readOnly) and names readOnly despite their verb.
READ_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "Check", "Search", "Select",
                 "BatchGet", "Validate", "Simulate", "Filter", "Discover", "Download", "Poll",
                 "Generate", "Decrypt", "Encrypt", "ReEncrypt", "Verify", "Sign", "AssumeRole",
                 "Query", "Scan", "Access", "Invoke")
WRITE_EXCEPTIONS = {"GenerateCredentialReport", "GenerateServiceLastAccessedDetails", "Invoke",
                    "InvokeModel", "InvokeModelWithResponseStream"}

# ---------------------------------------------------------------------------------------
# CIS AWS Foundations v3.0.0 4.4-4.15 event names (the patterns of
# ../shared/spec/cis-section4.md section 3), with their rates in events per million.
# ---------------------------------------------------------------------------------------

CIS_NAMES = {
    "4.4": ("iam", 25, """DeleteGroupPolicy DeleteRolePolicy DeleteUserPolicy PutGroupPolicy
            PutRolePolicy PutUserPolicy CreatePolicy DeletePolicy CreatePolicyVersion
            DeletePolicyVersion AttachRolePolicy DetachRolePolicy AttachUserPolicy
            DetachUserPolicy AttachGroupPolicy DetachGroupPolicy"""),
    "4.5": ("cloudtrail", 8, "CreateTrail UpdateTrail DeleteTrail StartLogging StopLogging"),
    "4.7": ("kms", 12, "DisableKey ScheduleKeyDeletion"),
    "4.8": ("s3", 25, """PutBucketAcl PutBucketPolicy PutBucketCors PutBucketLifecycle
            PutBucketReplication DeleteBucketPolicy DeleteBucketCors DeleteBucketLifecycle
            DeleteBucketReplication"""),
    "4.9": ("config", 10, """StopConfigurationRecorder DeleteDeliveryChannel PutDeliveryChannel
            PutConfigurationRecorder"""),
    "4.10": ("ec2", 40, """AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress
             RevokeSecurityGroupIngress RevokeSecurityGroupEgress CreateSecurityGroup
             DeleteSecurityGroup"""),
    "4.11": ("ec2", 10, """CreateNetworkAcl CreateNetworkAclEntry DeleteNetworkAcl
             DeleteNetworkAclEntry ReplaceNetworkAclEntry ReplaceNetworkAclAssociation"""),
    "4.12": ("ec2", 8, """CreateCustomerGateway DeleteCustomerGateway AttachInternetGateway
             CreateInternetGateway DeleteInternetGateway DetachInternetGateway"""),
    "4.13": ("ec2", 25, """CreateRoute CreateRouteTable ReplaceRoute ReplaceRouteTableAssociation
             DeleteRouteTable DeleteRoute DisassociateRouteTable"""),
    "4.14": ("ec2", 6, """CreateVpc DeleteVpc ModifyVpcAttribute AcceptVpcPeeringConnection
             CreateVpcPeeringConnection DeleteVpcPeeringConnection RejectVpcPeeringConnection
             AttachClassicLinkVpc DetachClassicLinkVpc DisableVpcClassicLink
             EnableVpcClassicLink"""),
    "4.15": ("organizations", 3, """AcceptHandshake AttachPolicy CreateAccount
             CreateOrganizationalUnit CreatePolicy DeclineHandshake DeleteOrganization
             DeleteOrganizationalUnit DeletePolicy DetachPolicy DisablePolicyType
             EnablePolicyType InviteAccountToOrganization LeaveOrganization MoveAccount
             RemoveAccountFromOrganization UpdatePolicy UpdateOrganizationalUnit"""),
}

# Same-named events from other sources: they match 4.4 (no eventSource clause) or are
# near-misses for 4.8 / 4.15 (which require the eventSource). Rates per million.
OTHER_SOURCE_SPECIALS = [
    ("iot", "CreatePolicy", 4),            # matches 4.4 (eventName only), not 4.15
    ("autoscaling", "DeletePolicy", 4),    # matches 4.4, not 4.15
    ("s3-outposts", "PutBucketPolicy", 3),  # near-miss 4.8 (eventSource differs)
    ("organizations", "CancelHandshake", 2),  # near-miss 4.15 (not in the CIS list)
    ("organizations", "EnableAllFeatures", 1),
]

SERVICES["s3-outposts"] = ("s3-outposts.amazonaws.com", "s3-outposts", False, "s3-outposts",
                           "s3", "")

REGIONS = ["us-east-1"] * 10 + ["us-west-2"] * 6 + ["eu-west-1"] * 4 + ["eu-central-1"] * 3 + \
    ["ap-southeast-2"] * 2 + ["ap-northeast-1", "us-east-2", "eu-west-2", "ca-central-1",
                              "sa-east-1", "ap-south-1", "eu-north-1"]

FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
         "wendy", "zoe", "amir", "bea", "chen", "dmitri", "esther", "farah", "goran", "hana",
         "ines", "jonas", "kemal", "lena", "marek", "noor", "oskar", "priya", "quinn", "rafael",
         "sofia", "tariq", "uma", "vera", "yusuf"]
LAST = ["smith", "jones", "garcia", "mueller", "rossi", "tanaka", "kim", "nguyen", "silva",
        "kowalski", "dubois", "ivanova", "okafor", "haddad", "larsen", "novak", "costa", "weber"]
# Display names with accents, serialised as \u00e9 etc. (CloudTrail sometimes escapes
# non-ASCII) or as raw UTF-8.
ACCENTED = ["Ren\u00e9e Dupr\u00e9", "J\u00fcrgen M\u00fcller", "Fran\u00e7ois L\u00e9ger",
            "Se\u00e1n \u00d3 Br\u00e1in", "Zo\u00eb Brontë", "Andr\u00e9s N\u00fa\u00f1ez",
            "H\u00e9l\u00e8ne Ch\u00e2telet", "\u00c5sa L\u00f6vgren"]

UA_CLI = ["aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off",
          "aws-cli/2.13.25 Python/3.11.5 Darwin/23.1.0 exe/x86_64 prompt/off",
          "aws-cli/2.17.2 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 "
          "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
          "aws-cli/1.32.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 "
          "md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy"]
UA_SDK = [
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/linux#5.15.0-1047-aws md/arch#x86_64 "
    "lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.57",
    "aws-sdk-java/2.20.162 Linux/5.10.199-190.747.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/"
    "17.0.9+8-LTS Java/17.0.9 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64",
    "aws-sdk-go/1.50.8 (go1.21.6; linux; amd64)",
    "aws-sdk-nodejs/2.1550.0 linux/v18.19.0 exec-env/AWS_Lambda_nodejs18.x promise",
    "aws-sdk-js/3.496.0 ua/2.0 os/linux#5.10.205-215.804.amzn2.x86_64 lang/js md/nodejs#20.11.0 "
    "exec-env/AWS_ECS_FARGATE",
    "AWSPowerShell.Common/4.1.532.0 .NET_Core/6.0.25 OS/Microsoft_Windows_NT_10.0.20348.0 "
    "PowerShellCore/7.-1 ClientAsync",
    "aws-internal/3 aws-sdk-java/1.12.596 Linux/5.10.205-172.804.amzn2int.x86_64 "
    "OpenJDK_64-Bit_Server_VM/25.392-b08 java/1.8.0_392 vendor/Oracle_Corporation "
    "cfg/retry-mode/standard",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/"
    "5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 "
    "os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64",
    "APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/"
    "4.67.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.261 "
    "(go1.19.8; linux; amd64) HashiCorp-terraform-exec/0.17.3",
    "Amazon CloudWatch Agent",
    "amazon-ssm-agent/3.3.40.0",
    "kubernetes/v1.28.5-eks-5e0fdde aws-sdk-go/1.48.10 (go1.21.5; linux; amd64)",
]
UA_CONSOLE = ["AWS Internal", "console.amazonaws.com", "console.ec2.amazonaws.com",
              "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.633 Linux/5.10.210-178.855."
              "amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.402-b08 java/1.8.0_402 "
              "vendor/Oracle_Corporation cfg/retry-mode/standard]",
              "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/122.0.0.0 Safari/537.36"]
UA_BROWSER = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36 Edg/121.0.2277.128",
]

TLS_FIXED = ',"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256",' \
            '"clientProvidedHostHeader":"'
TLS_FIXED12 = ',"tlsDetails":{"tlsVersion":"TLSv1.2","cipherSuite":' \
              '"ECDHE-RSA-AES128-GCM-SHA256","clientProvidedHostHeader":"'


LOCALITY = 0.85  # chance that a call comes from the same principal as the previous one


def dumps(obj, ascii_only=True):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=ascii_only)


# Markers in pre-built fragments, replaced per event: TOK + kind + "~" is a random token of
# that kind (the same value wherever one kind recurs in one event); CDATE is the session's
# creationDate. ASCII, so they survive json.dumps.
TOK = "~~T"
CDATE = "~~C~~"


def tok(kind):
    return TOK + kind + "~"


class World:
    """Accounts, principals and resources, all derived from the seed."""

    def __init__(self, rng):
        self.rng = rng
        r = rng
        self.accounts = ["%012d" % r.randrange(10**11, 10**12) for _ in range(4)]
        self.main = self.accounts[0]
        self.org_id = "o-" + self.rid(10, "abcdefghijklmnopqrstuvwxyz0123456789")
        self.res = {}
        for acct in self.accounts:
            self.res[acct] = self.make_resources(acct)

    def rid(self, n, alphabet="0123456789abcdef"):
        r = self.rng
        return "".join(alphabet[r.randrange(len(alphabet))] for _ in range(n))

    def hexid(self, prefix, n=17):
        return prefix + self.rid(n)

    def upper(self, n):
        return self.rid(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    def make_resources(self, acct):
        r = self.rng
        words = ["app", "data", "logs", "backup", "assets", "reports", "ml", "web", "infra",
                 "analytics", "billing", "audit", "media", "etl", "static", "archive"]
        envs = ["prod", "staging", "dev", "shared", "sandbox"]
        res = {
            "buckets": ["%s-%s-%s-%s" % (words[r.randrange(len(words))], envs[r.randrange(5)],
                                         acct[-4:], self.rid(5, "abcdefghijklmnopqrstuvwxyz"))
                        for _ in range(18)],
            "log_bucket": "aws-cloudtrail-logs-%s-%s" % (acct, self.rid(8)),
            "instances": [self.hexid("i-") for _ in range(60)],
            "volumes": [self.hexid("vol-") for _ in range(40)],
            "snapshots": [self.hexid("snap-") for _ in range(20)],
            "amis": [self.hexid("ami-") for _ in range(10)],
            "vpcs": [self.hexid("vpc-") for _ in range(5)],
            "subnets": [self.hexid("subnet-") for _ in range(20)],
            "sgs": [self.hexid("sg-") for _ in range(30)],
            "rtbs": [self.hexid("rtb-") for _ in range(12)],
            "acls": [self.hexid("acl-") for _ in range(8)],
            "igws": [self.hexid("igw-") for _ in range(5)],
            "cgws": [self.hexid("cgw-") for _ in range(3)],
            "pcx": [self.hexid("pcx-") for _ in range(4)],
            "enis": [self.hexid("eni-") for _ in range(30)],
            "vpce": self.hexid("vpce-"),
            "roles": ["%s-%s-role" % (w, e) for w in words[:10] for e in envs[:3]][:24] +
                     ["OrganizationAccountAccessRole", "AWSServiceRoleForConfig",
                      "AWSReservedSSO_AdministratorAccess_" + self.rid(16),
                      "AWSReservedSSO_ReadOnlyAccess_" + self.rid(16),
                      "github-actions-deploy", "terraform-apply", "eks-node-group-role",
                      "lambda-basic-execution"],
            "users": ["%s.%s" % (FIRST[r.randrange(len(FIRST))], LAST[r.randrange(len(LAST))])
                      for _ in range(20)] + ["ci-bot", "backup-svc", "legacy-deployer",
                                             "monitoring-readonly"],
            "groups": ["admins", "developers", "readonly", "billing", "security-audit"],
            "keys": [str(self.uuid()) for _ in range(10)],
            "functions": ["%s-%s-%s" % (words[r.randrange(len(words))], envs[r.randrange(3)], w)
                          for w in ["handler", "processor", "authorizer", "ingest", "notifier",
                                    "resize", "sync", "cleanup"]],
            "tables": ["%s-%s" % (w, envs[r.randrange(3)]) for w in
                       ["orders", "sessions", "users", "events", "inventory", "payments"]],
            "params": ["/%s/%s/%s" % (envs[r.randrange(3)], words[r.randrange(len(words))], p)
                       for p in ["db/password", "api/key", "feature-flags", "endpoint",
                                 "config.json", "slack/webhook", "db/host", "jwt/secret"]],
            "secrets": ["%s/%s/%s" % (envs[r.randrange(3)], words[r.randrange(len(words))], p)
                        for p in ["rds-credentials", "api-token", "oauth-client",
                                  "stripe-key", "datadog-api-key"]],
            "repos": ["%s/%s" % (w, s) for w in ["platform", "payments", "web", "ml"]
                      for s in ["api", "worker", "frontend"]],
            "clusters": ["%s-%s" % (envs[i], c) for i in range(3) for c in ["main", "batch"]],
            "stacks": ["%s-%s" % (w, envs[r.randrange(3)]) for w in words[:8]],
            "log_groups": ["/aws/lambda/%s" % w for w in words[:6]] +
                          ["/ecs/%s" % w for w in words[6:10]] + ["aws-cloudtrail-logs"],
            "topics": ["%s-alerts" % w for w in words[:5]],
            "queues": ["%s-queue" % w for w in words[:6]],
            "trails": ["management-events", "org-trail", "data-events-" + self.rid(4)],
            "db": ["%s-db-%s" % (w, envs[r.randrange(3)]) for w in ["orders", "users", "analytics"]],
        }
        return res

    def uuid(self):
        h = "%032x" % self.rng.getrandbits(128)
        return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) & 3],
                                      h[17:20], h[20:])

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]


# ---------------------------------------------------------------------------------------
# Actors: who makes a call. Each actor is pre-serialised once.
# ---------------------------------------------------------------------------------------

class Actor:
    __slots__ = ("kind", "ident_pre", "ident_post", "ips", "uas", "cli", "account", "arn",
                 "console", "invoked", "tls", "vpce", "regions", "name")

    def __init__(self, kind, account, ident, ips, uas, arn="", cli=False, console=False,
                 invoked=None, tls=True, vpce=None, regions=None, name=""):
        self.kind = kind
        # ident may contain the creationDate placeholder CDATE
        if CDATE in ident:
            self.ident_pre, self.ident_post = ident.split(CDATE)
        else:
            self.ident_pre, self.ident_post = ident, None
        self.ips = ips
        self.uas = uas
        self.cli = cli
        self.account = account
        self.arn = arn
        self.console = console
        self.invoked = invoked
        self.tls = tls
        self.vpce = vpce
        self.regions = regions or REGIONS
        self.name = name


def public_ip(r):
    first = r.choice([3, 13, 18, 34, 35, 44, 52, 54, 63, 81, 85, 91, 100, 104, 146, 151, 176,
                      185, 188, 194, 203, 212])
    return "%d.%d.%d.%d" % (first, r.randrange(256), r.randrange(256), r.randrange(1, 255))


def make_actors(world):
    r = world.rng
    humans, machines, services = [], [], []
    for acct in world.accounts:
        res = world.res[acct]
        home = r.choice(["us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1"])
        regions = [home] * 12 + REGIONS
        # IAM users with access keys (CLI, SDK, Terraform) and console users
        for user in res["users"]:
            pid = "AIDA" + world.upper(17)
            arn = "arn:aws:iam::%s:user/%s" % (acct, user)
            console = r.random() < 0.35
            ips = [public_ip(r) for _ in range(r.randrange(1, 4))]
            if console:
                ident = dumps({"type": "IAMUser", "principalId": pid, "arn": arn,
                               "accountId": acct, "accessKeyId": "ASIA" + world.upper(16),
                               "userName": user,
                               "sessionContext": {"attributes": {"creationDate": CDATE,
                                                                 "mfaAuthenticated":
                                                                 r.choice(["true", "true",
                                                                           "false"])}}})
                humans.append(Actor("IAMUser", acct, ident, ips, UA_CONSOLE, arn=arn,
                                    console=True, regions=regions, name=user))
            else:
                ident = dumps({"type": "IAMUser", "principalId": pid, "arn": arn,
                               "accountId": acct, "accessKeyId": "AKIA" + world.upper(16),
                               "userName": user})
                uas = [r.choice(UA_CLI)] if r.random() < 0.6 else [r.choice(UA_SDK)]
                humans.append(Actor("IAMUser", acct, ident, ips, uas, arn=arn,
                                    cli=uas[0].startswith("aws-cli"), regions=regions,
                                    name=user))
        # IAM Identity Center (SSO) console and CLI sessions
        for i in range(10):
            role = r.choice([x for x in res["roles"] if x.startswith("AWSReservedSSO")])
            person = "%s.%s@example.com" % (r.choice(FIRST), r.choice(LAST))
            rid = "AROA" + world.upper(17)
            arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, person)
            console = i % 2 == 0
            ident = dumps({"type": "AssumedRole", "principalId": "%s:%s" % (rid, person),
                           "arn": arn, "accountId": acct, "accessKeyId": "ASIA" + world.upper(16),
                           "sessionContext": {"sessionIssuer": {
                               "type": "Role", "principalId": rid,
                               "arn": "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s" %
                               (acct, role), "accountId": acct, "userName": role},
                               "attributes": {"creationDate": CDATE, "mfaAuthenticated": "false"}}})
            ips = [public_ip(r) for _ in range(2)]
            if console:
                humans.append(Actor("AssumedRole", acct, ident, ips, UA_CONSOLE, arn=arn,
                                    console=True, regions=regions, name=person))
            else:
                humans.append(Actor("AssumedRole", acct, ident, ips, [r.choice(UA_CLI)],
                                    arn=arn, cli=True, regions=regions, name=person))
        # Federated user (GetFederationToken)
        fname = r.choice(FIRST)
        humans.append(Actor("FederatedUser", acct, dumps({
            "type": "FederatedUser", "principalId": "%s:%s" % (acct, fname),
            "arn": "arn:aws:sts::%s:federated-user/%s" % (acct, fname), "accountId": acct,
            "accessKeyId": "ASIA" + world.upper(16),
            "sessionContext": {"sessionIssuer": {"type": "IAMUser",
                                                 "principalId": "AIDA" + world.upper(17),
                                                 "arn": "arn:aws:iam::%s:user/broker" % acct,
                                                 "accountId": acct, "userName": "broker"},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": CDATE,
                                              "mfaAuthenticated": "false"}}}),
            [public_ip(r)], [r.choice(UA_SDK)], arn="arn:aws:sts::%s:federated-user/%s" %
            (acct, fname), regions=regions, name=fname))
        # Machine roles: EC2 instance profiles, Lambda, ECS tasks, EKS IRSA, CI
        for j in range(28):
            role = r.choice(res["roles"][:24] + ["github-actions-deploy", "terraform-apply",
                                                 "eks-node-group-role", "lambda-basic-execution"])
            rid = "AROA" + world.upper(17)
            flavour = j % 5
            sc = {"sessionIssuer": {"type": "Role", "principalId": rid,
                                    "arn": "arn:aws:iam::%s:role/%s" % (acct, role),
                                    "accountId": acct, "userName": role},
                  "webIdFederationData": {},
                  "attributes": {"creationDate": CDATE, "mfaAuthenticated": "false"}}
            vpce = None
            if flavour == 0:
                session = r.choice(res["instances"])
                sc["ec2RoleDelivery"] = "2.0"
                uas = [r.choice(UA_SDK[:2] + UA_SDK[11:13])]
                ips = [public_ip(r)]
                vpce = res["vpce"] if r.random() < 0.5 else None
            elif flavour == 1:
                session = r.choice(res["functions"])
                uas = [UA_SDK[5], UA_SDK[0]]
                ips = [public_ip(r) for _ in range(3)]
            elif flavour == 2:
                session = world.rid(32)
                uas = [UA_SDK[6], UA_SDK[2]]
                ips = [public_ip(r) for _ in range(2)]
            elif flavour == 3:
                session = "botocore-session-%d" % r.randrange(1700000000, 1720000000)
                sc["webIdFederationData"] = {
                    "federatedProvider": "arn:aws:iam::%s:oidc-provider/oidc.eks.%s."
                                         "amazonaws.com/id/%s" % (acct, home, world.upper(32)),
                    "attributes": {}}
                uas = [UA_SDK[13], UA_SDK[1]]
                ips = ["10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(256))]
                vpce = res["vpce"]
            else:
                session = r.choice(["GitHubActions", "terraform", "aws-go-sdk-%d" %
                                    r.randrange(10**18, 10**19)])
                uas = [UA_SDK[9], UA_SDK[10], UA_SDK[4]]
                ips = [public_ip(r) for _ in range(4)]
            arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, session)
            ident = dumps({"type": "AssumedRole", "principalId": "%s:%s" % (rid, session),
                           "arn": arn, "accountId": acct, "accessKeyId": "ASIA" + world.upper(16),
                           "sessionContext": sc})
            machines.append(Actor("AssumedRole", acct, ident, ips, uas, arn=arn, vpce=vpce,
                                  regions=regions, name=session))
        # Forward access sessions: an assumed role acting through a service
        for svc in ["cloudformation.amazonaws.com", "AWS Internal", "ssm.amazonaws.com"]:
            role = r.choice(res["roles"][:24])
            rid = "AROA" + world.upper(17)
            session = r.choice(res["users"]) if svc != "AWS Internal" else world.rid(19, "0123456789")
            arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, session)
            ident = dumps({"type": "AssumedRole", "principalId": "%s:%s" % (rid, session),
                           "arn": arn, "accountId": acct, "accessKeyId": "ASIA" + world.upper(16),
                           "sessionContext": {"sessionIssuer": {
                               "type": "Role", "principalId": rid,
                               "arn": "arn:aws:iam::%s:role/%s" % (acct, role), "accountId": acct,
                               "userName": role}, "webIdFederationData": {},
                               "attributes": {"creationDate": CDATE, "mfaAuthenticated": "false"}},
                           "invokedBy": svc})
            machines.append(Actor("AssumedRole", acct, ident, [svc], [svc], arn=arn,
                                  invoked=svc, tls=False, regions=regions, name=session))
        # AWS services
        for svc in ["cloudtrail.amazonaws.com", "config.amazonaws.com", "lambda.amazonaws.com",
                    "ec2.amazonaws.com", "autoscaling.amazonaws.com",
                    "elasticloadbalancing.amazonaws.com", "ecs-tasks.amazonaws.com",
                    "ssm.amazonaws.com", "guardduty.amazonaws.com", "securityhub.amazonaws.com",
                    "access-analyzer.amazonaws.com", "backup.amazonaws.com",
                    "firehose.amazonaws.com", "logs.amazonaws.com", "events.amazonaws.com",
                    "states.amazonaws.com", "s3.amazonaws.com", "secretsmanager.amazonaws.com",
                    "rds.amazonaws.com", "eks.amazonaws.com", "AWS Internal"]:
            services.append(Actor("AWSService", acct,
                                  dumps({"type": "AWSService", "invokedBy": svc}), [svc], [svc],
                                  invoked=svc, tls=False, regions=regions, name=svc))
    return humans, machines, services


# ---------------------------------------------------------------------------------------
# Request parameters / response elements, pre-built as variants per event name.
# ---------------------------------------------------------------------------------------

def policy_document(world):
    r = world.rng
    acct = world.main
    stmt = {"Effect": "Allow",
            "Action": r.choice([["s3:GetObject", "s3:PutObject"], "sts:AssumeRole", "*",
                                ["ec2:Describe*"], ["kms:Decrypt", "kms:GenerateDataKey"]]),
            "Resource": r.choice(["arn:aws:s3:::%s/*" % world.pick(world.res[acct]["buckets"]),
                                  "*", "arn:aws:iam::%s:role/*" % acct])}
    if r.random() < 0.3:
        stmt["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": world.org_id}}
    doc = dumps({"Version": "2012-10-17", "Statement": [stmt]})
    if r.random() < 0.4:  # policies submitted pretty-printed keep their newlines
        doc = json.dumps(json.loads(doc), indent=4)
    return doc


def camel_to_cli(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or
                                   (i + 1 < len(name) and name[i + 1].islower())):
            out.append("-")
        out.append(ch.lower())
    return "".join(out).rstrip("0123456789v")


class Variant:
    __slots__ = ("req", "resp", "extra", "resources", "host")

    def __init__(self, req, resp="null", extra=None, resources=None, host=None):
        # fragments may contain token markers: pre-split into pieces
        self.req = req.split(TOK)
        self.resp = resp.split(TOK)
        self.extra = None if extra is None else extra.split(TOK)
        self.resources = None if resources is None else resources.split(TOK)
        self.host = host


def s3_key(world, bucket_kind):
    r = world.rng
    acct = world.main
    if bucket_kind == "log":
        return "AWSLogs/%s/CloudTrail/%s/2024/05/0%d/%s_CloudTrail_%s_20240506T%02d%02dZ_" % (
            acct, "us-east-1", r.randrange(6, 9), acct, "us-east-1", r.randrange(24),
            r.randrange(0, 60, 5)) + tok("h") + ".json.gz"
    folders = ["uploads", "exports/daily", "images/thumbnails", "reports/2024", "raw/events",
               "models/checkpoints", "static/js", "backups/pg"]
    names = ["data", "part", "img", "invoice", "report", "snapshot"]
    key = "%s/%s-" % (r.choice(folders), r.choice(names)) + tok("h") + r.choice(
        [".json", ".parquet", ".png", ".csv.gz", ".pdf", ".tar.zst"])
    x = r.random()
    if x < 0.08:
        key = "%s/r\u00e9sum\u00e9-" % r.choice(folders) + tok("h") + ".pdf"
    elif x < 0.12:
        key = "%s/%s-" % (r.choice(folders), r.choice(ACCENTED).replace(" ", "_")) + tok("h") + ".docx"
    return key


def build_variants(world, svc_key, name, n):
    """n request/response variants for one event name."""
    out = []
    for _ in range(n):
        out.append(build_variant(world, svc_key, name))
    return out


def build_variant(world, svc_key, name):
    r = world.rng
    acct = world.pick(world.accounts[:2]) if r.random() < 0.3 else world.main
    res = world.res[acct]
    pick = world.pick
    region = "us-east-1"
    resp = "null"
    extra = None
    resources = None
    host = None
    ascii_only = r.random() < 0.7
    req = None

    if svc_key in ("s3", "s3-outposts"):
        bucket = pick(res["buckets"])
        if name in ("PutObject", "GetBucketAcl", "HeadBucket") and r.random() < 0.3:
            bucket = res["log_bucket"]
        host = bucket + ".s3."
        p = {"bucketName": bucket, "Host": bucket + ".s3.amazonaws.com"}
        obj = name in ("GetObject", "PutObject", "HeadObject", "DeleteObject", "CopyObject",
                       "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
                       "AbortMultipartUpload", "GetObjectAcl", "PutObjectAcl", "GetObjectTagging",
                       "PutObjectTagging", "RestoreObject", "GetObjectAttributes",
                       "SelectObjectContent")
        if obj:
            p["key"] = s3_key(world, "log" if bucket == res["log_bucket"] else "data")
            if name == "PutObject":
                p["x-amz-acl"] = "bucket-owner-full-control"
                p["x-amz-server-side-encryption"] = r.choice(["AES256", "aws:kms"])
                resp = dumps({"x-amz-server-side-encryption": p["x-amz-server-side-encryption"],
                              "x-amz-version-id": world.rid(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZab"
                                                              "cdefghijklmnopqrstuvwxyz0123456789._"),
                              "x-amz-expiration": 'expiry-date="Fri, 06 Sep 2024 00:00:00 GMT", '
                                                  'rule-id="expire-%s"' % world.rid(6)})
            if name in ("UploadPart", "CompleteMultipartUpload", "AbortMultipartUpload"):
                p["uploadId"] = world.rid(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
            if name == "UploadPart":
                p["partNumber"] = str(r.randrange(1, 200))
            if name == "CopyObject":
                p["x-amz-copy-source"] = "%s/%s" % (pick(res["buckets"]), "archive/" + world.rid(12))
        elif name == "ListObjects":
            p.update({"list-type": "2", "prefix": pick(["", "logs/", "uploads/", "raw/events/2024/"]),
                      "delimiter": "/", "encoding-type": "url", "max-keys": "1000"})
        elif name == "PutBucketPolicy":
            p["policy"] = [""]
            p["bucketPolicy"] = {"Version": "2012-10-17", "Statement": [{
                "Sid": "AllowCloudTrail", "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::%s/AWSLogs/%s/*" % (bucket, acct),
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}
        elif name == "PutBucketAcl":
            p["acl"] = [""]
            p["AccessControlPolicy"] = {"AccessControlList": {"Grant": [{
                "Grantee": {"xsi:type": "CanonicalUser", "ID": world.rid(64)},
                "Permission": "FULL_CONTROL"}]}, "Owner": {"ID": world.rid(64)},
                "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}
        elif name in ("PutBucketCors",):
            p["cors"] = [""]
            p["CORSConfiguration"] = {"CORSRule": {"AllowedMethod": ["GET", "PUT"],
                                                   "AllowedOrigin": "https://app.example.com",
                                                   "AllowedHeader": "*", "MaxAgeSeconds": 3000},
                                      "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}
        elif name in ("PutBucketLifecycle",):
            p["lifecycle"] = [""]
            p["LifecycleConfiguration"] = {"Rule": {"ID": "expire-tmp", "Status": "Enabled",
                                                    "Filter": {"Prefix": "tmp/"},
                                                    "Expiration": {"Days": 30}},
                                           "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}
        elif name in ("PutBucketReplication",):
            p["replication"] = [""]
            p["ReplicationConfiguration"] = {"Role": "arn:aws:iam::%s:role/s3-replication" % acct,
                                             "Rule": {"Status": "Enabled", "Priority": 1,
                                                      "Destination": {"Bucket": "arn:aws:s3:::%s" % pick(res["buckets"])}}}
        elif name.startswith(("DeleteBucket", "GetBucket", "PutBucket")) and name not in (
                "DeleteBucket",):
            sub = name[len("GetBucket"):] if name.startswith("GetBucket") else name[9:] \
                if name.startswith("PutBucket") else name[12:]
            p[sub.lower() or "location"] = [""]
        elif name in ("ListBuckets",):
            p = {"Host": "s3.%s.amazonaws.com" % region}
        elif name == "ListAccessPoints":
            p = {"Host": "%s.s3-control.%s.amazonaws.com" % (acct, region)}
        s3_extra = {"SignatureVersion": "SigV4", "CipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                    "bytesTransferredIn": r.choice([0, 0, 0, r.randrange(100, 5000000)]),
                    "AuthenticationMethod": "AuthHeader", "x-amz-id-2": tok("2"),
                    "bytesTransferredOut": r.randrange(0, 40000)}
        extra = s3_extra
        resources = [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/%s" % (bucket, p.get("key", ""))}] \
            if obj else []
        resources.append({"accountId": acct, "type": "AWS::S3::Bucket",
                          "ARN": "arn:aws:s3:::" + bucket})
        req = p
    elif svc_key == "ec2":
        inst = pick(res["instances"])
        req = ec2_params(world, name, res, inst)
        if name.startswith(("Create", "Run", "Allocate", "Authorize", "Revoke", "Replace",
                            "Associate", "Attach", "Detach", "Delete", "Modify", "Start",
                            "Stop", "Terminate", "Accept", "Reject", "Enable", "Disable",
                            "Disassociate", "Copy", "Import", "Release", "Reboot")):
            resp = ec2_response(world, name, res, req)
    elif svc_key == "iam":
        role = pick(res["roles"])
        user = pick(res["users"])
        policy_arn = pick(["arn:aws:iam::aws:policy/AdministratorAccess",
                           "arn:aws:iam::aws:policy/ReadOnlyAccess",
                           "arn:aws:iam::aws:policy/AmazonS3FullAccess",
                           "arn:aws:iam::%s:policy/%s" % (acct, pick(["ci-deploy", "s3-read-reports",
                                                                        "kms-use", "boundary"]))])
        if "Role" in name and "Policy" in name and name.startswith(("Put", "Delete", "Get")):
            req = {"roleName": role, "policyName": pick(["inline-s3", "inline-kms", "allow-logs"])}
            if name.startswith("Put"):
                req["policyDocument"] = policy_document(world)
        elif "User" in name and "Policy" in name and name.startswith(("Put", "Delete", "Get")):
            req = {"userName": user, "policyName": pick(["inline-s3", "ssh-keys", "mfa-self"])}
            if name.startswith("Put"):
                req["policyDocument"] = policy_document(world)
        elif "Group" in name and "Policy" in name and name.startswith(("Put", "Delete")):
            req = {"groupName": pick(res["groups"]), "policyName": "inline-" + world.rid(4)}
            if name.startswith("Put"):
                req["policyDocument"] = policy_document(world)
        elif name in ("AttachRolePolicy", "DetachRolePolicy", "PutRolePermissionsBoundary"):
            req = {"roleName": role, "policyArn": policy_arn}
        elif name in ("AttachUserPolicy", "DetachUserPolicy"):
            req = {"userName": user, "policyArn": policy_arn}
        elif name in ("AttachGroupPolicy", "DetachGroupPolicy"):
            req = {"groupName": pick(res["groups"]), "policyArn": policy_arn}
        elif name == "CreatePolicy":
            pname = pick(["ci-deploy", "s3-read-reports", "kms-use"]) + "-" + world.rid(4)
            req = {"policyName": pname, "policyDocument": policy_document(world),
                   "description": pick(["Deploy access", "Lecture des rapports (\u00e9quipe finance)",
                                        "Managed by Terraform"])}
            resp = dumps({"policy": {"policyName": pname, "policyId": "ANPA" + world.upper(17),
                                     "arn": "arn:aws:iam::%s:policy/%s" % (acct, pname),
                                     "path": "/", "defaultVersionId": "v1", "attachmentCount": 0,
                                     "permissionsBoundaryUsageCount": 0, "isAttachable": True,
                                     "createDate": "May 6, 2024, 9:14:03 AM"}})
        elif name in ("CreatePolicyVersion",):
            req = {"policyArn": policy_arn, "policyDocument": policy_document(world),
                   "setAsDefault": True}
            resp = dumps({"policyVersion": {"versionId": "v%d" % r.randrange(2, 6),
                                            "isDefaultVersion": True,
                                            "createDate": "May 6, 2024, 9:14:03 AM"}})
        elif name in ("DeletePolicy", "GetPolicy", "ListEntitiesForPolicy", "ListPolicyVersions",
                      "TagPolicy"):
            req = {"policyArn": policy_arn}
        elif name in ("DeletePolicyVersion", "GetPolicyVersion", "SetDefaultPolicyVersion"):
            req = {"policyArn": policy_arn, "versionId": "v%d" % r.randrange(1, 6)}
        elif "Role" in name or name in ("ListInstanceProfilesForRole",):
            req = {"roleName": role}
            if name == "CreateRole":
                req["assumeRolePolicyDocument"] = dumps({"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]})
                req["description"] = pick(["Role for %s" % role, "R\u00f4le de d\u00e9ploiement"])
        elif "User" in name or "AccessKey" in name or "LoginProfile" in name or "MFA" in name:
            req = {"userName": user}
            if name == "CreateAccessKey":
                resp = dumps({"accessKey": {"userName": user, "accessKeyId": "AKIA" + world.upper(16),
                                            "status": "Active", "createDate": "May 6, 2024, 9:14:03 AM"}})
        elif name.startswith("List") or name.startswith("Get") or name.startswith("Generate"):
            req = None
        else:
            req = {"roleName": role} if r.random() < 0.5 else {"userName": user}
        host = "iam.amazonaws.com"
    elif svc_key == "sts":
        role = pick(res["roles"])
        if name.startswith("AssumeRole"):
            sess = pick(["aws-go-sdk-%d" % r.randrange(10**18, 10**19), "botocore-session-%d" %
                         r.randrange(1700000000, 1720000000), pick(res["instances"]), "GitHubActions",
                         "terraform"])
            req = {"roleArn": "arn:aws:iam::%s:role/%s" % (acct, role), "roleSessionName": sess}
            if name == "AssumeRole" and r.random() < 0.3:
                req["durationSeconds"] = 3600
            if name == "AssumeRoleWithWebIdentity":
                req["providerId"] = "oidc.eks.us-east-1.amazonaws.com/id/" + world.upper(32)
            resp = dumps({"credentials": {"accessKeyId": "ASIA" + world.upper(16),
                                          "sessionToken": tok("S"),
                                          "expiration": "May 6, 2024, 10:14:03 AM"},
                          "assumedRoleUser": {"assumedRoleId": "AROA%s:%s" % (world.upper(17), sess),
                                              "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (acct, role, sess)}})
            resources = [{"accountId": acct, "type": "AWS::IAM::Role",
                          "ARN": "arn:aws:iam::%s:role/%s" % (acct, role)}]
        elif name == "DecodeAuthorizationMessage":
            req = {"encodedMessage": "HIDDEN_DUE_TO_SECURITY_REASONS"}
        else:
            req = None
    elif svc_key == "kms":
        key = pick(res["keys"])
        karn = "arn:aws:kms:%s:%s:key/%s" % (region, acct, key)
        if name in ("Decrypt", "GenerateDataKey", "Encrypt", "ReEncrypt", "GenerateDataKeyWithoutPlaintext"):
            ctx = pick([{"aws:s3:arn": "arn:aws:s3:::%s/%s" % (pick(res["buckets"]), "data/" + world.rid(8))},
                        {"aws:lambda:FunctionArn": "arn:aws:lambda:%s:%s:function:%s" % (region, acct, pick(res["functions"]))},
                        {"SecretARN": "arn:aws:secretsmanager:%s:%s:secret:%s-%s" % (region, acct, pick(res["secrets"]), world.rid(6)),
                         "SecretVersionId": str(world.uuid())},
                        {"aws:ebs:id": pick(res["volumes"])},
                        {"PARAMETER_ARN": "arn:aws:ssm:%s:%s:parameter%s" % (region, acct, pick(res["params"]))},
                        {"aws:cloudtrail:arn": "arn:aws:cloudtrail:%s:%s:trail/%s" % (region, acct, pick(res["trails"]))}])
            req = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": ctx}
            if name.startswith("GenerateDataKey"):
                req = {"keyId": karn, "encryptionContext": ctx, "keySpec": "AES_256"}
            elif name == "Encrypt":
                req["keyId"] = karn
        elif name == "ScheduleKeyDeletion":
            req = {"keyId": karn, "pendingWindowInDays": r.choice([7, 30])}
            resp = dumps({"keyId": karn, "deletionDate": "Jun 5, 2024, 12:00:00 AM",
                          "keyState": "PendingDeletion", "pendingWindowInDays": req["pendingWindowInDays"]})
        elif name in ("CreateKey",):
            req = {"description": pick(["app data key", "Cl\u00e9 de chiffrement des sauvegardes"]),
                   "keyUsage": "ENCRYPT_DECRYPT", "keySpec": "SYMMETRIC_DEFAULT"}
            resp = dumps({"keyMetadata": {"aWSAccountId": acct, "keyId": key, "arn": karn,
                                          "creationDate": "May 6, 2024, 9:14:03 AM",
                                          "enabled": True, "keyUsage": "ENCRYPT_DECRYPT",
                                          "keyState": "Enabled", "origin": "AWS_KMS",
                                          "keyManager": "CUSTOMER"}})
        elif name.startswith("List") and name != "ListResourceTags":
            req = {"limit": 1000} if r.random() < 0.5 else None
        else:
            req = {"keyId": pick([karn, key, "alias/" + pick(["app", "backup", "s3"])])}
        resources = [{"accountId": acct, "type": "AWS::KMS::Key", "ARN": karn}]
    elif svc_key == "cloudtrail":
        trail = pick(res["trails"])
        tarn = "arn:aws:cloudtrail:%s:%s:trail/%s" % (region, acct, trail)
        if name in ("CreateTrail", "UpdateTrail"):
            req = {"name": trail, "s3BucketName": res["log_bucket"], "isMultiRegionTrail": True,
                   "includeGlobalServiceEvents": True, "enableLogFileValidation": True,
                   "kmsKeyId": "arn:aws:kms:%s:%s:key/%s" % (region, acct, pick(res["keys"]))}
            if r.random() < 0.5:
                req["cloudWatchLogsLogGroupArn"] = "arn:aws:logs:%s:%s:log-group:aws-cloudtrail-logs:*" % (region, acct)
                req["cloudWatchLogsRoleArn"] = "arn:aws:iam::%s:role/CloudTrail_CloudWatchLogs_Role" % acct
            resp = dumps({"name": trail, "s3BucketName": res["log_bucket"], "trailARN": tarn,
                          "isMultiRegionTrail": True, "logFileValidationEnabled": True,
                          "includeGlobalServiceEvents": True, "isOrganizationTrail": False})
        elif name in ("StartLogging", "StopLogging", "DeleteTrail", "GetTrailStatus", "GetTrail",
                      "GetEventSelectors", "GetInsightSelectors"):
            req = {"name": pick([trail, tarn])}
        elif name == "PutEventSelectors":
            req = {"trailName": trail, "eventSelectors": [{"readWriteType": "All",
                   "includeManagementEvents": True, "dataResources": [], "excludeManagementEventSources": []}]}
        elif name == "LookupEvents":
            req = {"lookupAttributes": [{"attributeKey": "EventName", "attributeValue": pick(["ConsoleLogin", "RunInstances"])}],
                   "maxResults": 50}
        else:
            req = {"trailNameList": [], "includeShadowTrails": True} if name == "DescribeTrails" else None
    elif svc_key == "config":
        if name in ("PutConfigurationRecorder",):
            req = {"configurationRecorder": {"name": "default",
                   "roleARN": "arn:aws:iam::%s:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig" % acct,
                   "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True,
                                      "resourceTypes": [], "exclusionByResourceTypes": {"resourceTypes": []},
                                      "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}}}
        elif name in ("PutDeliveryChannel",):
            req = {"deliveryChannel": {"name": "default", "s3BucketName": pick(res["buckets"]),
                   "configSnapshotDeliveryProperties": {"deliveryFrequency": "TwentyFour_Hours"}}}
        elif name in ("StopConfigurationRecorder", "StartConfigurationRecorder"):
            req = {"configurationRecorderName": "default"}
        elif name == "DeleteDeliveryChannel":
            req = {"deliveryChannelName": "default"}
        elif name == "PutEvaluations":
            req = {"evaluations": [{"complianceResourceType": "AWS::EC2::Instance",
                                    "complianceResourceId": pick(res["instances"]),
                                    "complianceType": pick(["COMPLIANT", "NON_COMPLIANT"]),
                                    "orderingTimestamp": "May 6, 2024, 9:00:00 AM"}],
                   "resultToken": tok("R")}
        else:
            req = {"configRuleNames": [pick(["s3-bucket-public-read-prohibited", "root-account-mfa-enabled",
                                             "cloudtrail-enabled", "restricted-ssh"])]} if "Rule" in name else None
    elif svc_key == "organizations":
        ou = "ou-%s-%s" % (world.rid(4, "abcdefghijklmnopqrstuvwxyz0123456789"), world.rid(8, "abcdefghijklmnopqrstuvwxyz0123456789"))
        pol = "p-" + world.rid(8, "abcdefghijklmnopqrstuvwxyz0123456789")
        member = pick(world.accounts[1:])
        if name in ("AttachPolicy", "DetachPolicy"):
            req = {"policyId": pol, "targetId": pick([ou, member])}
        elif name in ("CreatePolicy",):
            req = {"content": dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
                   "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], "Resource": "*"}]}),
                   "description": "Protect CloudTrail", "name": "deny-cloudtrail-changes",
                   "type": "SERVICE_CONTROL_POLICY"}
        elif name in ("UpdatePolicy", "DeletePolicy", "DescribePolicy"):
            req = {"policyId": pol}
        elif name in ("CreateAccount",):
            req = {"email": "aws+%s@example.com" % world.rid(6), "accountName": "workload-%s" % world.rid(4),
                   "iamUserAccessToBilling": "ALLOW"}
            resp = dumps({"createAccountStatus": {"id": "car-" + world.rid(32), "accountName": "HIDDEN_DUE_TO_SECURITY_REASONS",
                                                  "state": "IN_PROGRESS", "requestedTimestamp": "May 6, 2024, 9:14:03 AM"}})
        elif name in ("MoveAccount",):
            req = {"accountId": member, "sourceParentId": "r-" + world.rid(4), "destinationParentId": ou}
        elif name in ("CreateOrganizationalUnit", "UpdateOrganizationalUnit", "DeleteOrganizationalUnit"):
            req = {"parentId": "r-" + world.rid(4), "name": pick(["Workloads", "Sandbox", "Security", "Suspended"])} \
                if name.startswith("Create") else {"organizationalUnitId": ou}
        elif name in ("EnablePolicyType", "DisablePolicyType"):
            req = {"rootId": "r-" + world.rid(4), "policyType": pick(["SERVICE_CONTROL_POLICY", "TAG_POLICY", "BACKUP_POLICY"])}
        elif name in ("InviteAccountToOrganization",):
            req = {"target": {"id": member, "type": "ACCOUNT"}}
        elif name in ("AcceptHandshake", "DeclineHandshake", "CancelHandshake"):
            req = {"handshakeId": "h-" + world.rid(32, "abcdefghijklmnopqrstuvwxyz0123456789")}
        elif name in ("RemoveAccountFromOrganization", "DescribeAccount"):
            req = {"accountId": member}
        else:
            req = None
    elif svc_key == "lambda":
        fn = pick(res["functions"])
        farn = "arn:aws:lambda:%s:%s:function:%s" % (region, acct, fn)
        req = {"functionName": pick([fn, farn])}
        if name == "Invoke":
            req = {"functionName": farn, "invocationType": pick(["RequestResponse", "Event"])}
            extra = {"functionVersion": farn + ":$LATEST"}
            resources = [{"accountId": acct, "type": "AWS::Lambda::Function", "ARN": farn}]
        elif name.startswith("List"):
            req = {"maxItems": 50} if r.random() < 0.5 else None
        elif name.startswith("UpdateFunctionConfiguration"):
            req["environment"] = {}
            req["handler"] = pick(["index.handler", "app.lambda_handler", "main"])
            req["description"] = pick(["Resize images", "Traitement des donn\u00e9es"])
    elif svc_key == "ssm":
        prm = pick(res["params"])
        if name in ("GetParameter", "DeleteParameter"):
            req = {"name": prm, "withDecryption": r.random() < 0.5} if name == "GetParameter" else {"name": prm}
        elif name == "GetParameters":
            req = {"names": [pick(res["params"]) for _ in range(r.randrange(1, 4))], "withDecryption": True}
        elif name == "PutParameter":
            req = {"name": prm, "type": pick(["String", "SecureString"]), "overwrite": True,
                   "description": pick(["Endpoint de l'API", "D\u00e9p\u00f4t principal", "managed"])}
            resp = dumps({"version": r.randrange(1, 40), "tier": "Standard"})
        elif name == "SendCommand":
            req = {"instanceIds": [pick(res["instances"])],
                   "documentName": pick(["AWS-RunShellScript", "AWS-RunPowerShellScript"]),
                   "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS" if r.random() < 0.5 else
                   {"commands": [pick(["C:\\ProgramData\\Amazon\\SSM\\scripts\\install.ps1",
                                       "Get-ChildItem -Path \"C:\\Program Files\\App\\logs\"",
                                       "systemctl restart app", "cat /etc/os-release"])]},
                   "interactive": False}
            resp = dumps({"command": {"commandId": tok("U"), "documentName": req["documentName"],
                                      "status": "Pending", "targets": [], "maxConcurrency": "50",
                                      "maxErrors": "0", "timeoutSeconds": 3600}})
        elif name in ("UpdateInstanceInformation",):
            req = {"instanceId": pick(res["instances"]), "agentVersion": "3.3.40.0",
                   "agentStatus": "Active", "platformType": "Linux", "platformName": "Amazon Linux",
                   "platformVersion": "2023", "iPAddress": "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(256)),
                   "computerName": "ip-10-0-%d-%d.ec2.internal" % (r.randrange(256), r.randrange(256)),
                   "agentName": "amazon-ssm-agent", "availabilityZone": region + "a",
                   "availabilityZoneId": "use1-az%d" % r.randrange(1, 7)}
        elif name in ("StartSession",):
            req = {"target": pick(res["instances"])}
            resp = dumps({"sessionId": "%s-%s" % (pick(res["users"]), world.rid(17)),
                          "tokenValue": "Value hidden due to security reasons.",
                          "streamUrl": "wss://ssmmessages.%s.amazonaws.com/v1/data-channel/%s" % (region, world.rid(17))})
        elif name.startswith("Describe") or name.startswith("List"):
            req = {"maxResults": 50} if r.random() < 0.5 else None
        else:
            req = {"instanceId": pick(res["instances"])}
    elif svc_key == "secretsmanager":
        sec = pick(res["secrets"])
        sarn = "arn:aws:secretsmanager:%s:%s:secret:%s-%s" % (region, acct, sec, world.rid(6, "abcdefghijklmnopqrstuvwxyzABCDEF"))
        req = {"secretId": pick([sec, sarn])}
        if name == "ListSecrets":
            req = {"maxResults": 100}
        elif name == "CreateSecret":
            req = {"name": sec, "clientRequestToken": str(world.uuid()),
                   "description": pick(["Identifiants base de donn\u00e9es", "api token"])}
            resp = dumps({"aRN": sarn, "name": sec, "versionId": str(world.uuid())})
    elif svc_key == "dynamodb":
        tbl = pick(res["tables"])
        req = {"tableName": tbl}
        if name in ("GetItem", "DeleteItem", "UpdateItem"):
            req["key"] = {"pk": {"s": "HIDDEN_DUE_TO_SECURITY_REASONS"}}
            if name == "UpdateItem":
                req["updateExpression"] = "SET #s = :s"
        elif name == "Query":
            req.update({"keyConditionExpression": "pk = :pk", "indexName": pick(["gsi1", "byUser"]),
                        "select": "ALL_ATTRIBUTES"})
        elif name == "ListTables":
            req = None
        resources = [{"accountId": acct, "type": "AWS::DynamoDB::Table",
                      "ARN": "arn:aws:dynamodb:%s:%s:table/%s" % (region, acct, tbl)}]
        if name in ("GetItem", "PutItem", "Query", "UpdateItem", "BatchWriteItem", "Scan", "DeleteItem",
                    "BatchGetItem"):
            extra = None
    elif svc_key == "logs":
        lg = pick(res["log_groups"])
        req = {"logGroupName": lg}
        if name == "CreateLogStream":
            req["logStreamName"] = "2024/05/06/[$LATEST]" + tok("h")
        elif name == "FilterLogEvents":
            req.update({"startTime": 1714953600000, "filterPattern": pick(['"ERROR"', '{ $.level = "error" }',
                                                                          '[ip, user, ts, req = "*admin*", status]'])})
        elif name == "PutMetricFilter":
            req.update({"filterName": "unauthorized_api_calls_metric",
                        "filterPattern": '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }',
                        "metricTransformations": [{"metricName": "unauthorized_api_calls_metric",
                                                   "metricNamespace": "CISBenchmark", "metricValue": "1"}]})
        elif name.startswith("Describe") and r.random() < 0.5:
            req = {"logGroupNamePrefix": lg[:6], "limit": 50}
    elif svc_key == "ecr":
        repo = pick(res["repos"])
        req = {"repositoryName": repo, "registryId": acct}
        if name == "GetAuthorizationToken":
            req = {"registryIds": [acct]} if r.random() < 0.3 else None
        elif name in ("BatchGetImage", "PutImage"):
            req["imageIds"] = [{"imageTag": pick(["latest", "v1.4.%d" % r.randrange(30), "main-" + world.rid(7)])}]
            req["acceptedMediaTypes"] = ["application/vnd.docker.distribution.manifest.v2+json",
                                         "application/vnd.oci.image.manifest.v1+json"]
        elif name in ("GetDownloadUrlForLayer",):
            req["layerDigest"] = "sha256:" + tok("D")
        resources = [{"accountId": acct, "ARN": "arn:aws:ecr:%s:%s:repository/%s" % (region, acct, repo)}]
    elif svc_key in ("ecs",):
        cl = pick(res["clusters"])
        req = {"cluster": cl}
        if name == "DescribeTaskDefinition":
            req = {"taskDefinition": "%s:%d" % (pick(res["repos"]).replace("/", "-"), r.randrange(1, 300)),
                   "include": ["TAGS"]}
        elif name in ("SubmitTaskStateChange", "SubmitContainerStateChange"):
            req = {"cluster": "arn:aws:ecs:%s:%s:cluster/%s" % (region, acct, cl), "task": tok("E"),
                   "status": pick(["RUNNING", "STOPPED"])}
    elif svc_key == "monitoring":
        if name == "PutMetricAlarm":
            req = {"alarmName": pick(["unauthorized_api_calls_alarm", "root_usage_alarm", "HighCPU-%s" % pick(res["instances"])]),
                   "metricName": pick(["unauthorized_api_calls_metric", "CPUUtilization"]),
                   "namespace": pick(["CISBenchmark", "AWS/EC2"]), "statistic": "Sum", "period": 300,
                   "evaluationPeriods": 1, "threshold": 1.0, "comparisonOperator": "GreaterThanOrEqualToThreshold",
                   "alarmActions": ["arn:aws:sns:%s:%s:%s" % (region, acct, pick(res["topics"]))]}
        elif name == "GetMetricData":
            req = {"metricDataQueries": [{"id": "m1", "metricStat": {"metric": {"namespace": "AWS/EC2",
                   "metricName": "CPUUtilization", "dimensions": [{"name": "InstanceId", "value": pick(res["instances"])}]},
                   "period": 60, "stat": "Average"}, "returnData": True}],
                   "startTime": "May 6, 2024, 8:00:00 AM", "endTime": "May 6, 2024, 9:00:00 AM"}
        elif name == "DescribeAlarms":
            req = {"alarmNames": [], "maxRecords": 100} if r.random() < 0.5 else {"stateValue": "ALARM"}
        else:
            req = None
    elif svc_key == "sns":
        tarn = "arn:aws:sns:%s:%s:%s" % (region, acct, pick(res["topics"]))
        req = {"topicArn": tarn}
        if name == "Publish":
            req["subject"] = pick(["ALARM: \"root_usage_alarm\" in US East (N. Virginia)", "Deploy finished",
                                   "D\u00e9ploiement termin\u00e9"])
            resp = dumps({"messageId": tok("U")})
        elif name.startswith("List"):
            req = None
    elif svc_key == "sqs":
        qurl = "https://sqs.%s.amazonaws.com/%s/%s" % (region, acct, pick(res["queues"]))
        req = {"queueUrl": qurl}
        if r.random() < 0.3:
            # some SDKs escape forward slashes
            req = {"queueUrl": qurl.replace("/", "\\/")}
        if name == "GetQueueAttributes":
            req["attributeNames"] = ["All"]
        elif name == "ListQueues":
            req = {"queueNamePrefix": pick(res["queues"])[:3]}
    elif svc_key == "rds":
        db = pick(res["db"])
        req = {"dBInstanceIdentifier": db}
        if name.startswith("Describe") and r.random() < 0.6:
            req = {"maxRecords": 100} if name != "DescribeDBEngineVersions" else {"engine": "postgres", "listSupportedCharacterSets": False}
        elif name == "CreateDBSnapshot":
            req = {"dBSnapshotIdentifier": "%s-manual-%s" % (db, world.rid(6)), "dBInstanceIdentifier": db}
    elif svc_key == "cloudformation":
        stack = pick(res["stacks"])
        req = {"stackName": stack}
        if name in ("CreateStack", "UpdateStack", "CreateChangeSet"):
            req.update({"templateURL": "https://s3.amazonaws.com/cf-templates-%s-%s/%s.yaml" % (world.rid(12), region, stack),
                        "capabilities": ["CAPABILITY_NAMED_IAM"],
                        "parameters": [{"parameterKey": "Env", "parameterValue": stack.split("-")[-1]}]})
        elif name.startswith("List") or name == "ValidateTemplate":
            req = None if r.random() < 0.5 else {"stackStatusFilter": ["CREATE_COMPLETE", "UPDATE_COMPLETE"]}
    elif svc_key == "signin":
        req = None
        if name == "SwitchRole":
            resp = dumps({"SwitchRole": "Success"})
            extra = {"SwitchFrom": "arn:aws:iam::%s:user/%s" % (acct, pick(res["users"])),
                     "RedirectTo": "https://console.aws.amazon.com/console/home"}
        elif name == "CheckMfa":
            resp = dumps({"CheckMfa": "Success"})
            extra = {"MfaType": "Virtual MFA"}
        elif name in ("ExitRole", "RenewRole"):
            resp = dumps({name: "Success"})
        elif name == "GetSigninToken":
            resp = dumps({"GetSigninToken": "Success"})
            extra = {"MobileVersion": "No"}
    elif svc_key == "iot":
        req = {"policyName": pick(["device-policy", "fleet-telemetry"]),
               "target": "arn:aws:iot:%s:%s:cert/%s" % (region, acct, world.rid(64))} \
            if name in ("AttachPolicy", "DetachPolicy", "CreatePolicy") else None
        if name == "CreatePolicy":
            req = {"policyName": "device-policy-" + world.rid(4), "policyDocument": dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Connect",
                                                          "Resource": "*"}]})}
    elif svc_key == "autoscaling":
        asg = "%s-asg-%s" % (pick(res["stacks"]), world.rid(6))
        req = {"autoScalingGroupName": asg} if not name.startswith("Describe") or r.random() < 0.3 else None
        if name == "DeletePolicy":
            req = {"autoScalingGroupName": asg, "policyName": "scale-out-cpu"}
    elif svc_key == "ec2-instance-connect":
        req = {"instanceId": pick(res["instances"]), "instanceOSUser": pick(["ec2-user", "ubuntu"]),
               "sSHPublicKey": "ssh-ed25519 " + tok("K")}
        if name == "SendSerialConsoleSSHPublicKey":
            req["serialPort"] = 0
        resp = dumps({"requestId": tok("U"), "success": True})
    elif svc_key == "sso":
        req = {"accountId": pick(world.accounts), "roleName": pick(["AdministratorAccess", "ReadOnlyAccess"])} \
            if name != "ListAccounts" else None
    else:
        # generic: a resource name or a paging request
        generic = {
            "maxResults": pick([20, 50, 100, 1000]),
        } if name.startswith(("List", "Describe", "Get")) and r.random() < 0.6 else {
            pick(["name", "resourceArn", "id", "clusterName", "streamName", "workGroup",
                  "databaseName", "stateMachineArn", "restApiId", "certificateArn"]):
            pick(["arn:aws:%s:%s:%s:%s/%s" % (svc_key, region, acct, pick(["resource", "stream", "cluster"]),
                                             world.rid(8)), "%s-%s" % (pick(res["stacks"]), world.rid(4)),
                  world.rid(10, "abcdefghijklmnopqrstuvwxyz0123456789")])}
        if r.random() < 0.05:
            generic["tags"] = [{"key": "Owner", "value": pick(ACCENTED)}]
        req = generic if r.random() < 0.9 else None

    req_s = "null" if req is None else dumps(req, ascii_only)
    if svc_key == "iam" and req is not None and "policyDocument" in req and r.random() < 0.5:
        req_s = req_s.replace("/", "\\/")  # some producers escape forward slashes
    extra_s = None
    if extra is not None:
        extra_s = dumps(extra)
    res_s = dumps(resources) if resources else None
    return Variant(req_s, resp, extra_s, res_s, host)


def ec2_params(world, name, res, inst):
    r = world.rng
    pick = world.pick
    sg = pick(res["sgs"])
    vpc = pick(res["vpcs"])
    if name in ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress"):
        port = pick([22, 80, 443, 3389, 5432, 6379, 8080])
        cidr = pick(["0.0.0.0/0", "10.0.0.0/8", "%s/32" % public_ip(r), "172.16.0.0/12"])
        return {"groupId": sg, "ipPermissions": {"items": [{
            "ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
            "ipRanges": {"items": [{"cidrIp": cidr, "description": pick(["", "office VPN",
                                                                      "acc\u00e8s bastion"])}]},
            "ipv6Ranges": {}, "prefixListIds": {}}]}}
    if name == "CreateSecurityGroup":
        return {"groupName": "%s-sg-%s" % (pick(["web", "db", "bastion", "lambda"]), world.rid(4)),
                "groupDescription": pick(["Managed by Terraform", "Allow \"web\" traffic",
                                          "launch-wizard-%d" % r.randrange(1, 40)]),
                "vpcId": vpc}
    if name in ("DeleteSecurityGroup",):
        return {"groupId": sg}
    if name in ("CreateNetworkAcl",):
        return {"vpcId": vpc}
    if name in ("CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry"):
        p = {"networkAclId": pick(res["acls"]), "ruleNumber": r.randrange(1, 32766),
             "egress": r.random() < 0.5}
        if name != "DeleteNetworkAclEntry":
            p.update({"ruleAction": pick(["allow", "deny"]), "protocol": "6",
                      "cidrBlock": pick(["0.0.0.0/0", "10.0.0.0/16"]),
                      "portRange": {"from": 22, "to": 22}})
        return p
    if name in ("DeleteNetworkAcl",):
        return {"networkAclId": pick(res["acls"])}
    if name == "ReplaceNetworkAclAssociation":
        return {"associationId": world.hexid("aclassoc-"), "networkAclId": pick(res["acls"])}
    if name in ("CreateCustomerGateway",):
        return {"type": "ipsec.1", "ipAddress": public_ip(r), "bgpAsn": 65000}
    if name in ("DeleteCustomerGateway",):
        return {"customerGatewayId": pick(res["cgws"])}
    if name in ("AttachInternetGateway", "DetachInternetGateway"):
        return {"internetGatewayId": pick(res["igws"]), "vpcId": vpc}
    if name in ("CreateInternetGateway",):
        return {"tagSpecificationSet": {"items": [{"resourceType": "internet-gateway", "tags": [
            {"key": "Name", "value": "igw-%s" % world.rid(4)}]}]}}
    if name in ("DeleteInternetGateway",):
        return {"internetGatewayId": pick(res["igws"])}
    if name in ("CreateRoute", "ReplaceRoute", "DeleteRoute"):
        p = {"routeTableId": pick(res["rtbs"]), "destinationCidrBlock": pick(["0.0.0.0/0",
                                                                             "10.20.0.0/16"])}
        if name != "DeleteRoute":
            p[pick(["gatewayId", "natGatewayId", "transitGatewayId"])] = pick(res["igws"])
        return p
    if name in ("CreateRouteTable",):
        return {"vpcId": vpc}
    if name in ("DeleteRouteTable",):
        return {"routeTableId": pick(res["rtbs"])}
    if name in ("ReplaceRouteTableAssociation", "DisassociateRouteTable"):
        p = {"associationId": world.hexid("rtbassoc-")}
        if name.startswith("Replace"):
            p["routeTableId"] = pick(res["rtbs"])
        return p
    if name in ("AssociateRouteTable",):
        return {"routeTableId": pick(res["rtbs"]), "subnetId": pick(res["subnets"])}
    if name in ("CreateVpc", "CreateDefaultVpc"):
        return {"cidrBlock": "10.%d.0.0/16" % r.randrange(256), "instanceTenancy": "default",
                "amazonProvidedIpv6CidrBlock": False}
    if name in ("DeleteVpc",):
        return {"vpcId": vpc}
    if name in ("ModifyVpcAttribute",):
        return {"vpcId": vpc, pick(["enableDnsHostnames", "enableDnsSupport"]): {"value": True}}
    if name in ("CreateVpcPeeringConnection",):
        return {"vpcId": vpc, "peerVpcId": pick(res["vpcs"]), "peerOwnerId": pick(world.accounts)}
    if name in ("AcceptVpcPeeringConnection", "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection"):
        return {"vpcPeeringConnectionId": pick(res["pcx"])}
    if name in ("AttachClassicLinkVpc", "DetachClassicLinkVpc"):
        return {"instanceId": inst, "vpcId": vpc, "groupSet": {"items": [{"groupId": sg}]}}
    if name in ("DisableVpcClassicLink", "EnableVpcClassicLink"):
        return {"vpcId": vpc}
    if name in ("RunInstances",):
        return {"instancesSet": {"items": [{"imageId": pick(res["amis"]), "minCount": 1,
                                            "maxCount": r.randrange(1, 4)}]},
                "instanceType": pick(["t3.micro", "m6i.large", "c7g.xlarge", "r6i.2xlarge"]),
                "blockDeviceMapping": {}, "subnetId": pick(res["subnets"]),
                "monitoring": {"enabled": False}, "disableApiTermination": False,
                "disableApiStop": False, "clientToken": tok("C"),
                "iamInstanceProfile": {"name": pick(res["roles"])},
                "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
                "userData": "<sensitiveDataRemoved>"}
    if name in ("StartInstances", "StopInstances", "TerminateInstances", "RebootInstances",
                "DescribeInstanceStatus", "GetConsoleOutput", "GetPasswordData",
                "ModifyInstanceAttribute", "DescribeInstanceAttribute",
                "ModifyInstanceMetadataOptions"):
        p = {"instancesSet": {"items": [{"instanceId": inst}]}}
        if name in ("GetConsoleOutput", "GetPasswordData", "DescribeInstanceAttribute",
                    "ModifyInstanceAttribute", "ModifyInstanceMetadataOptions"):
            p = {"instanceId": inst}
            if name == "DescribeInstanceAttribute":
                p["attribute"] = pick(["userData", "disableApiTermination", "instanceType"])
        if name == "StopInstances":
            p["force"] = False
        return p
    if name in ("DescribeInstances",):
        if r.random() < 0.5:
            return {"instancesSet": {"items": [{"instanceId": inst}]}, "filterSet": {}}
        return {"maxResults": 1000, "instancesSet": {}, "filterSet": {"items": [{
            "name": pick(["instance-state-name", "tag:Name", "vpc-id"]),
            "valueSet": {"items": [{"value": pick(["running", vpc, "web-*"])}]}}]}}
    if name in ("CreateTags", "DeleteTags"):
        return {"resourcesSet": {"items": [{"resourceId": pick([inst, pick(res["volumes"]),
                                                                pick(res["snapshots"])])}]},
                "tagSet": {"items": [{"key": pick(["Name", "Owner", "CostCenter", "Backup"]),
                                      "value": pick(["web-%d" % r.randrange(40), "true",
                                                     pick(ACCENTED), "cc-%d" % r.randrange(999)])}]}}
    if name.endswith("Volume") or name.startswith("DescribeVolume"):
        return {"volumeId": pick(res["volumes"])} if name != "CreateVolume" else {
            "size": r.choice([8, 20, 100, 500]), "zone": "us-east-1a", "volumeType": "gp3",
            "encrypted": True}
    if "Snapshot" in name:
        return {"snapshotId": pick(res["snapshots"])} if name != "CreateSnapshot" else {
            "volumeId": pick(res["volumes"]), "description": "Created by AWS Backup"}
    if name.startswith("Describe"):
        if r.random() < 0.5:
            return {"filterSet": {}, "maxResults": pick([100, 1000])}
        return {"filterSet": {"items": [{"name": pick(["vpc-id", "tag:Environment", "group-id",
                                                       "attachment.instance-id"]),
                                         "valueSet": {"items": [{"value": pick([vpc, sg, inst,
                                                                               "prod"])}]}}]}}
    if name in ("ModifySecurityGroupRules",):
        return {"groupId": sg, "securityGroupRuleSet": {"items": [{
            "securityGroupRuleId": world.hexid("sgr-"), "securityGroupRule": {
                "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"}}]}}
    return {pick(["instanceId", "vpcId", "subnetId", "networkInterfaceId", "groupId"]):
            pick([inst, vpc, pick(res["subnets"]), pick(res["enis"]), sg])}


def ec2_response(world, name, res, req):
    r = world.rng
    base = {"requestId": tok("U"), "_return": True}
    if name == "AuthorizeSecurityGroupIngress" or name == "AuthorizeSecurityGroupEgress":
        perm = req["ipPermissions"]["items"][0]
        base["securityGroupRuleSet"] = {"items": [{
            "groupOwnerId": world.main, "groupId": req["groupId"],
            "securityGroupRuleId": world.hexid("sgr-"), "isEgress": name.endswith("Egress"),
            "ipProtocol": "tcp", "fromPort": perm["fromPort"], "toPort": perm["toPort"],
            "cidrIpv4": perm["ipRanges"]["items"][0]["cidrIp"]}]}
    elif name == "CreateSecurityGroup":
        base = {"requestId": tok("U"), "_return": True, "groupId": world.hexid("sg-"),
                "securityGroupArn": "arn:aws:ec2:us-east-1:%s:security-group/%s" %
                (world.main, world.hexid("sg-"))}
    elif name == "RunInstances":
        iid = world.hexid("i-")
        base = {"requestId": tok("U"), "reservationId": world.hexid("r-"),
                "ownerId": world.main, "groupSet": {}, "instancesSet": {"items": [{
                    "instanceId": iid, "imageId": req["instancesSet"]["items"][0]["imageId"],
                    "currentInstanceBootMode": "uefi",
                    "instanceState": {"code": 0, "name": "pending"},
                    "privateDnsName": "ip-10-0-%d-%d.ec2.internal" % (r.randrange(256),
                                                                       r.randrange(256)),
                    "amiLaunchIndex": 0, "productCodes": {}, "instanceType": req["instanceType"],
                    "launchTime": 1714986843000, "placement": {"availabilityZone": "us-east-1a",
                                                               "tenancy": "default"},
                    "monitoring": {"state": "disabled"}, "subnetId": req["subnetId"],
                    "vpcId": world.pick(res["vpcs"]), "privateIpAddress": "10.0.%d.%d" %
                    (r.randrange(256), r.randrange(256)), "sourceDestCheck": True,
                    "groupSet": {"items": [{"groupId": world.pick(res["sgs"]),
                                            "groupName": "default"}]},
                    "architecture": "x86_64", "rootDeviceType": "ebs",
                    "rootDeviceName": "/dev/xvda", "blockDeviceMapping": {},
                    "virtualizationType": "hvm", "hypervisor": "xen",
                    "clientToken": tok("C"), "ebsOptimized": False, "enaSupport": True,
                    "metadataOptions": {"state": "pending", "httpTokens": "required",
                                        "httpPutResponseHopLimit": 2, "httpEndpoint": "enabled"},
                    "maintenanceOptions": {"autoRecovery": "default"}}]}}
    elif name in ("CreateVpc",):
        base = {"requestId": tok("U"), "vpc": {"vpcId": world.hexid("vpc-"), "state": "pending",
                                                   "ownerId": world.main,
                                                   "cidrBlock": req["cidrBlock"],
                                                   "dhcpOptionsId": world.hexid("dopt-"),
                                                   "instanceTenancy": "default",
                                                   "isDefault": False}}
    elif name in ("CreateRouteTable",):
        base = {"requestId": tok("U"), "routeTable": {"routeTableId": world.hexid("rtb-"),
                                                          "vpcId": req["vpcId"],
                                                          "ownerId": world.main,
                                                          "routeSet": {"items": [{
                                                              "destinationCidrBlock": "10.0.0.0/16",
                                                              "gatewayId": "local",
                                                              "state": "active",
                                                              "origin": "CreateRouteTable"}]},
                                                          "associationSet": {}, "tagSet": {}}}
    elif name in ("CreateInternetGateway",):
        base = {"requestId": tok("U"), "internetGateway": {
            "internetGatewayId": world.hexid("igw-"), "ownerId": world.main,
            "attachmentSet": {}, "tagSet": {}}}
    return dumps(base)


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------

def access_denied(svc_style, actor, action, resource):
    if svc_style == "ec2":
        return None  # EC2 uses Client.UnauthorizedOperation, built per event
    who = actor.arn or "anonymous"
    if svc_style == "s3":
        return "AccessDenied", "Access Denied"
    msg = ("User: %s is not authorized to perform: %s on resource: %s because no "
           "identity-based policy allows the %s action" % (who, action, resource, action))
    if svc_style == "json":
        return "AccessDeniedException", msg
    if svc_style == "sns":
        return "AuthorizationError", msg  # near-miss: SNS's code does not start AccessDenied
    return "AccessDenied", msg


OTHER_ERRORS = {
    "s3": [("NoSuchBucket", "The specified bucket does not exist"),
           ("NoSuchKey", "The specified key does not exist."),
           ("NoSuchBucketPolicy", "The bucket policy does not exist"),
           ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
           ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
           ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
           ("ServerSideEncryptionConfigurationNotFoundError",
            "The server side encryption configuration was not found"),
           ("NoSuchTagSet", "The TagSet does not exist"),
           ("SlowDown", "Please reduce your request rate.")],
    "ec2": [("Client.InvalidInstanceID.NotFound", "The instance ID '%s' does not exist"),
            ("Client.InvalidParameterValue", "Value (sg-x) for parameter groupId is invalid."),
            ("Client.DryRunOperation", "Request would have succeeded, but DryRun flag is set."),
            ("Client.RequestLimitExceeded", "Request limit exceeded."),
            ("Client.InvalidPermission.Duplicate",
             "the specified rule \"peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW\" "
             "already exists"),
            ("Server.InternalError", "An internal error has occurred")],
    "json": [("ThrottlingException", "Rate exceeded"),
             ("ResourceNotFoundException", "Requested resource not found"),
             ("ValidationException", "1 validation error detected: Value at 'name' failed to "
                                     "satisfy constraint: Member must satisfy regular expression "
                                     "pattern: ^[\\w+=,.@-]+$"),
             ("InvalidParameterException", "Invalid parameter"),
             ("ParameterNotFound", ""),
             ("KMSInvalidStateException", "arn:aws:kms:us-east-1:000000000000:key/x is pending "
                                          "deletion.")],
    "query": [("NoSuchEntityException", "The role with name x cannot be found."),
              ("EntityAlreadyExistsException", "Role with name x already exists."),
              ("Throttling", "Rate exceeded"),
              ("ValidationError", "1 validation error detected: Value 'x y' at 'roleName' failed "
                                  "to satisfy constraint: Member must satisfy regular expression "
                                  "pattern: [\\w+=,.@-]+"),
              ("ExpiredToken", "The security token included in the request is expired"),
              ("InvalidClientTokenId", "The security token included in the request is invalid.")],
    "sns": [("NotFound", "Topic does not exist"), ("Throttling", "Rate exceeded"),
            ("InvalidParameter", "Invalid parameter: TopicArn")],
}


# ---------------------------------------------------------------------------------------
# Event specs
# ---------------------------------------------------------------------------------------

class Spec:
    __slots__ = ("svc", "name", "source", "ro", "mgmt", "category", "variants", "nvar",
                 "head", "cli", "global_host", "style", "action", "version", "actor_mix",
                 "invokers", "endpoint", "tls_host", "fixed_region", "err_scale", "kind",
                 "data")


def make_spec(world, svc_key, name, nvar, kind="normal"):
    source, endpoint, is_global, action_prefix, style, _ = SERVICES[svc_key]
    r = world.rng
    data = name.startswith("*")
    name = name.lstrip("*")
    s = Spec()
    s.svc = svc_key
    s.name = name
    s.source = source
    ro = name.startswith(READ_PREFIXES) and name not in WRITE_EXCEPTIONS
    s.ro = "true" if ro else "false"
    s.data = data
    s.mgmt = "false" if data else "true"
    s.category = "Data" if data else "Management"
    s.style = style
    s.action = "%s:%s" % (action_prefix, name.rstrip("0123456789v") if svc_key == "lambda" else name)
    s.version = r.choice(["1.08", "1.09", "1.09", "1.10", "1.10", "1.11"])
    s.cli = " command/%s.%s" % (svc_key, camel_to_cli(name))
    s.endpoint = endpoint
    s.fixed_region = "us-east-1" if is_global else None
    s.global_host = "%s.amazonaws.com" % endpoint if is_global else None
    s.variants = build_variants(world, svc_key, name, nvar)
    s.nvar = len(s.variants)
    s.kind = kind
    s.err_scale = 1.0
    # who calls it: (human, machine, service) weights
    if svc_key == "s3" and name in ("GetBucketAcl",):
        mix = (0.1, 0.1, 0.8)
        s.invokers = ["cloudtrail.amazonaws.com", "config.amazonaws.com"]
    elif svc_key == "s3" and name in ("PutObject",):
        mix = (0.1, 0.6, 0.3)
        s.invokers = ["cloudtrail.amazonaws.com", "config.amazonaws.com",
                      "firehose.amazonaws.com"]
    elif svc_key == "kms" and name in ("Decrypt", "GenerateDataKey", "Encrypt"):
        mix = (0.05, 0.35, 0.6)
        s.invokers = ["cloudtrail.amazonaws.com", "s3.amazonaws.com",
                      "secretsmanager.amazonaws.com", "ssm.amazonaws.com", "rds.amazonaws.com",
                      "AWS Internal"]
    elif svc_key == "sts" and name == "AssumeRole":
        mix = (0.15, 0.35, 0.5)
        s.invokers = ["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com",
                      "states.amazonaws.com", "events.amazonaws.com", "backup.amazonaws.com",
                      "config.amazonaws.com", "eks.amazonaws.com"]
    elif name in ("CreateLogStream",):
        mix = (0.0, 0.8, 0.2)
        s.invokers = ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]
    elif svc_key in ("signin", "sso"):
        mix = (1.0, 0.0, 0.0)
        s.invokers = []
    elif svc_key in ("support", "ce", "health", "cloudfront", "route53"):
        mix = (0.7, 0.25, 0.05)
        s.invokers = ["AWS Internal", "health.amazonaws.com"]
    elif ro:
        mix = (0.25, 0.33, 0.42)
        s.invokers = ["config.amazonaws.com", "securityhub.amazonaws.com",
                      "access-analyzer.amazonaws.com", "guardduty.amazonaws.com",
                      "autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com",
                      "AWS Internal"]
    else:
        mix = (0.5, 0.4, 0.1)
        s.invokers = ["autoscaling.amazonaws.com", "cloudformation.amazonaws.com",
                      "backup.amazonaws.com", "ssm.amazonaws.com", "AWS Internal"]
    s.actor_mix = (mix[0], mix[0] + mix[1])
    return s


def zipf_catalog(world):
    r = random.Random(20240506)  # fixed: the catalog order is the same for every seed
    seen = set()
    order = []
    for svc, name in HEAD:
        order.append((svc, name))
        seen.add((svc, name))
    rest = []
    for svc_key, entry in SERVICES.items():
        for raw in entry[5].split():
            nm = raw.lstrip("*")
            if (svc_key, nm) not in seen:
                rest.append((svc_key, raw))
                seen.add((svc_key, nm))
    r.shuffle(rest)
    # put data-event flag back for head entries
    data_names = {(k, raw.lstrip("*")) for k, e in SERVICES.items() for raw in e[5].split()
                  if raw.startswith("*")}
    full = []
    for svc, nm in order:
        full.append((svc, "*" + nm if (svc, nm) in data_names else nm))
    full.extend(rest)
    specs, weights = [], []
    for rank, (svc, raw) in enumerate(full):
        nvar = 40 if rank < 50 else 16 if rank < 200 else 8
        specs.append(make_spec(world, svc, raw, nvar))
        weights.append(1.0 / (rank + 2.0) ** 1.07)
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    cum[-1] = 1.0
    return specs, cum


# Special event kinds (CIS positives and their near-misses), rates per million events.
def special_catalog(world):
    kinds = []  # (ppm, kind, spec-or-None)
    for cis, (svc, ppm, names) in CIS_NAMES.items():
        for nm in names.split():
            sp = make_spec(world, svc, nm, 6, kind="cis" + cis)
            kinds.append((ppm, "api", sp))
    for svc, nm, ppm in OTHER_SOURCE_SPECIALS:
        kinds.append((ppm, "api", make_spec(world, svc, nm, 4, kind="other")))
    for ppm, k in [(250, "login_mfa"), (110, "login_nomfa"), (80, "login_saml"),
                   (8, "login_root_mfa"), (5, "login_root_nomfa"), (70, "login_failed"),
                   (8, "login_failed_mfa"), (25, "login_nouser"), (4, "login_no_mfa_field")]:
        kinds.append((ppm, k, None))
    # root activity (4.3) and its near-misses
    for ppm, k in [(60, "root_api"), (25, "root_invoked"), (12, "root_service_event")]:
        kinds.append((ppm, k, None))
    # 4.1 near-misses and edge cases
    for ppm, k in [(1500, "delivery_denied"), (300, "headbucket_denied"),
                   (40, "vpce_denied"), (3, "denied_no_source_ip"), (2, "denied_null_source_ip")]:
        kinds.append((ppm, k, None))
    return kinds


class Generator:
    def __init__(self, seed):
        self.seed = seed
        self.rng = random.Random(seed)
        self.world = World(self.rng)
        self.humans, self.machines, self.services = make_actors(self.world)
        self.services_by_name = {}
        for a in self.services:
            self.services_by_name.setdefault(a.name, []).append(a)
        self.specs, self.cum = zipf_catalog(self.world)
        self.specials = special_catalog(self.world)
        self.special_total = sum(k[0] for k in self.specials) / 1e6
        acc = 0.0
        self.special_cum = []
        for ppm, _, _ in self.specials:
            acc += ppm / 1e6 / self.special_total
            self.special_cum.append(acc)
        self.special_cum[-1] = 1.0
        self.by_name = {}
        for s in self.specs:
            self.by_name.setdefault((s.svc, s.name), s)
        self.root_read_specs = [s for s in self.specs if s.ro == "true" and not s.data
                                and s.svc in ("ec2", "s3", "iam", "cloudtrail", "organizations",
                                              "ce", "support", "health", "rds", "lambda",
                                              "monitoring")]
        self.root_write_specs = [self.by_name[k] for k in [
            ("iam", "CreateAccessKey"), ("iam", "DeleteAccessKey"), ("iam", "CreateUser"),
            ("s3", "PutBucketVersioning"), ("ec2", "RunInstances"), ("iam", "EnableMFADevice"),
            ("iam", "UpdateAccessKey")]]
        self.ts = 1714953600  # 2024-05-06T00:00:00Z
        self.index = 0
        self.emitted = 0
        self.last_human = self.humans[0]
        self.last_machine = self.machines[0]
        # coverage sweep: each special kind once, interleaved into the first events
        self.sweep_stride = 53
        self.sweep = list(range(len(self.specials)))
        self._tcache = (None, None)
        self._hcache = (None, None)
        self.accounts = self.world.accounts

    # -- helpers ------------------------------------------------------------------------
    def time_strings(self):
        ts = self.ts
        if self._tcache[0] != ts:
            self._tcache = (ts, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)))
        hour = ts - ts % 3600 - 1800
        if self._hcache[0] != hour:
            self._hcache = (hour, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(hour)))
        return self._tcache[1], self._hcache[1]

    def uuid(self):
        h = "%032x" % self.rng.getrandbits(128)
        return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) & 3],
                                      h[17:20], h[20:])

    def token(self, kind):
        g = self.rng.getrandbits
        if kind == "2":   # x-amz-id-2 (base64 of 56 bytes)
            return base64.b64encode(g(448).to_bytes(56, "little")).decode()
        if kind == "S":   # session token
            return base64.b64encode(g(2400).to_bytes(300, "little")).decode()
        if kind in ("U", "C"):
            return self.uuid()
        if kind == "D":
            return "%064x" % g(256)
        if kind == "R":
            return base64.b64encode(g(960).to_bytes(120, "little")).decode()
        if kind == "E":
            return "%032x" % g(128)
        if kind == "K":
            return "AAAAC3NzaC1lZDI1NTE5AAAAI" + base64.b64encode(g(240).to_bytes(30, "little")).decode()
        return "%016x" % g(64)

    def fill(self, pieces):
        """Join pre-split fragment pieces, replacing each marker by its token (one value
        per kind per event, so a key in requestParameters and in resources agree)."""
        if len(pieces) == 1:
            return pieces[0]
        memo = self.memo
        out = [pieces[0]]
        for p in pieces[1:]:
            kind = p[0]
            value = memo.get(kind)
            if value is None:
                value = memo[kind] = self.token(kind)
            out.append(value)
            out.append(p[2:])
        return "".join(out)

    # -- one event ------------------------------------------------------------------------
    def pick_actor(self, spec):
        rnd = self.rng.random
        u = rnd()
        # principals work in bursts: most calls come from the one who called last
        if u < spec.actor_mix[0]:
            if rnd() < LOCALITY:
                return self.last_human
            a = self.last_human = self.humans[int(rnd() * len(self.humans))]
            return a
        elif u < spec.actor_mix[1] or not spec.invokers:
            if rnd() < LOCALITY:
                return self.last_machine
            a = self.last_machine = self.machines[int(rnd() * len(self.machines))]
            return a
        else:
            name = spec.invokers[int(rnd() * len(spec.invokers))]
            pool = self.services_by_name.get(name) or self.services
        return pool[int(rnd() * len(pool))]

    def event(self, spec, actor, error=None, overrides=None):
        """Serialise one event. error: None, or (code, message). overrides: dict of special
        fields: 'ip', 'ua', 'eventType', 'extra', 'resp', 'req', 'no_ip', 'null_ip', 'tls',
        'console', 'host', 'vpce'."""
        rnd = self.rng.random
        tstr, hstr = self.time_strings()
        region = spec.fixed_region or actor.regions[int(rnd() * len(actor.regions))]
        v = spec.variants[int(rnd() * spec.nvar)]
        ov = overrides or {}
        self.memo = {}
        parts = ['{"eventVersion":"', spec.version, '","userIdentity":', actor.ident_pre]
        if actor.ident_post is not None:
            parts.append(hstr)
            parts.append(actor.ident_post)
        parts.append(',"eventTime":"')
        parts.append(tstr)
        parts.append('","eventSource":"')
        parts.append(spec.source)
        parts.append('","eventName":"')
        parts.append(spec.name)
        parts.append('","awsRegion":"')
        parts.append(region)
        ip = ov.get("ip")
        if ip is None:
            ip = actor.ips[int(rnd() * len(actor.ips))]
        ua = ov.get("ua")
        tls = actor.tls and ov.get("tls", True)
        if ua is None:
            ua = actor.uas[int(rnd() * len(actor.uas))]
            if actor.cli:
                ua = ua + spec.cli
            elif ua == "AWS Internal" and actor.console:
                # console pages calling on the user's behalf: no client IP, no TLS details
                tls = False
                ip = "AWS Internal"
        if "no_ip" in ov:
            parts.append('"')
        elif "null_ip" in ov:
            parts.append('","sourceIPAddress":null')
        else:
            parts.append('","sourceIPAddress":"')
            parts.append(ip)
            parts.append('"')
        parts.append(',"userAgent":"')
        parts.append(ua)
        if error is not None:
            parts.append('","errorCode":"')
            parts.append(error[0])
            parts.append('","errorMessage":')
            parts.append(json.dumps(error[1]))
            parts.append(',"requestParameters":')
        else:
            parts.append('","requestParameters":')
        req = ov.get("req")
        parts.append(req if req is not None else self.fill(v.req))
        parts.append(',"responseElements":')
        if error is not None:
            parts.append("null")
        else:
            resp = ov.get("resp")
            parts.append(resp if resp is not None else self.fill(v.resp))
        extra = ov.get("extra", v.extra)
        if extra is not None:
            parts.append(',"additionalEventData":')
            parts.append(extra if isinstance(extra, str) else self.fill(extra))
        parts.append(',"requestID":"')
        if spec.svc == "s3":
            parts.append(base64.b32encode(self.rng.getrandbits(80).to_bytes(10, "little")).decode())
        else:
            parts.append(self.uuid())
        parts.append('","eventID":"')
        parts.append(self.uuid())
        parts.append('","readOnly":')
        parts.append(spec.ro)
        if v.resources is not None:
            parts.append(',"resources":')
            parts.append(self.fill(v.resources))
        parts.append(',"eventType":"')
        parts.append(ov.get("eventType", "AwsApiCall"))
        parts.append('","managementEvent":')
        parts.append(spec.mgmt)
        parts.append(',"recipientAccountId":"')
        parts.append(actor.account)
        parts.append('"')
        if actor.kind == "AWSService" and rnd() < 0.6:
            parts.append(',"sharedEventID":"')
            parts.append(self.uuid())
            parts.append('"')
        if actor.vpce is not None and ov.get("vpce", True):
            parts.append(',"vpcEndpointId":"')
            parts.append(actor.vpce)
            parts.append('","vpcEndpointAccountId":"')
            parts.append(actor.account)
            parts.append('"')
        elif "vpce" in ov and ov["vpce"] not in (True, False):
            parts.append(',"vpcEndpointId":"')
            parts.append(ov["vpce"])
            parts.append('"')
        parts.append(',"eventCategory":"')
        parts.append(spec.category)
        parts.append('"')
        if tls:
            parts.append(TLS_FIXED if rnd() < 0.7 else TLS_FIXED12)
            host = ov.get("host")
            if host is None:
                if v.host is not None and spec.global_host is None:
                    host = v.host + region + ".amazonaws.com"
                else:
                    host = spec.global_host or (spec.endpoint + "." + region + ".amazonaws.com")
            parts.append(host)
            parts.append('"}')
        if actor.console and ov.get("console", True):
            parts.append(',"sessionCredentialFromConsole":"true"')
        parts.append("}\n")
        return "".join(parts)

    def error_for(self, spec, actor):
        """Decide whether a background event fails, and how."""
        rnd = self.rng.random
        if actor.kind == "AWSService":
            if rnd() < 0.006:
                return OTHER_ERRORS["json"][0] if spec.style not in ("query", "sns", "s3", "ec2") \
                    else ("Throttling", "Rate exceeded")
            return None
        human = actor.console or actor.cli or actor.kind in ("IAMUser", "FederatedUser")
        u = rnd()
        denied_p = 0.014 if human else 0.004
        other_p = 0.04 if human else 0.022
        if spec.name == "HeadBucket":
            denied_p *= 3
        if u < denied_p:
            resource = "arn:aws:%s:%s:%s:*" % (spec.svc, spec.fixed_region or "us-east-1",
                                               actor.account)
            if spec.style == "ec2":
                enc = base64.urlsafe_b64encode(
                    self.rng.getrandbits(3600).to_bytes(450, "little")).decode().rstrip("=")
                return ("Client.UnauthorizedOperation",
                        "You are not authorized to perform this operation. User: %s is not "
                        "authorized to perform: %s on resource: arn:aws:ec2:us-east-1:%s:"
                        "instance/* because no identity-based policy allows the %s action. "
                        "Encoded authorization failure message: %s" %
                        (actor.arn, spec.action, actor.account, spec.action, enc))
            return access_denied(spec.style, actor, spec.action, resource)
        if u < denied_p + other_p:
            errs = OTHER_ERRORS.get(spec.style) or OTHER_ERRORS["json"]
            code, msg = errs[int(rnd() * len(errs))]
            if "%s" in msg:
                msg = msg % self.world.pick(self.world.res[actor.account]["instances"])
            return code, msg
        return None

    def background(self):
        rnd = self.rng.random
        spec = self.specs[bisect.bisect_left(self.cum, rnd())]
        actor = self.pick_actor(spec)
        return self.event(spec, actor, self.error_for(spec, actor))

    def special(self, k):
        _, kind, spec = self.specials[k]
        w = self.world
        rnd = self.rng.random
        if kind == "api":
            actor = self.humans[int(rnd() * len(self.humans))] if rnd() < 0.6 else \
                self.machines[int(rnd() * len(self.machines))]
            err = None
            if rnd() < 0.05:  # attempted by someone without the permission
                err = self.error_for_denied(spec, actor)
            return self.event(spec, actor, err)
        if kind.startswith("login"):
            return self.login(kind)
        if kind.startswith("root"):
            acct = w.accounts[int(rnd() * len(w.accounts))]
            root = self.root_actor(acct, invoked=(kind == "root_invoked"))
            if kind == "root_service_event":
                spec = self.by_name[("sso", "ListAccounts")] if rnd() < 0.5 else \
                    self.by_name[("iam", "GetAccountSummary")]
                return self.event(spec, root, None, {"eventType": "AwsServiceEvent",
                                                     "ip": "AWS Internal", "ua": "AWS Internal",
                                                     "tls": False, "console": False})
            pool = self.root_write_specs if rnd() < 0.2 else self.root_read_specs
            spec = pool[int(rnd() * len(pool))]
            return self.event(spec, root, None if rnd() < 0.95 else
                              ("AccessDenied", "Access Denied"))
        if kind == "delivery_denied":
            spec = self.by_name[("s3", "PutObject" if rnd() < 0.6 else "GetBucketAcl"
                                 if rnd() < 0.5 else "HeadBucket")]
            actor = self.delivery_actor()
            return self.event(spec, actor, ("AccessDenied", "Access Denied"))
        if kind == "headbucket_denied":
            spec = self.by_name[("s3", "HeadBucket")]
            actor = self.humans[int(rnd() * len(self.humans))] if rnd() < 0.5 else \
                self.machines[int(rnd() * len(self.machines))]
            return self.event(spec, actor, ("AccessDenied", "Access Denied"))
        if kind == "vpce_denied":
            spec = self.by_name[("s3", "GetObject" if rnd() < 0.7 else "ListObjects")]
            actor = self.machines[int(rnd() * len(self.machines))]
            return self.event(spec, actor, (
                "VpceAccessDenied", "The request was denied due to a VPC endpoint policy"),
                {"eventType": "AwsVpceEvent", "vpce": w.res[actor.account]["vpce"]})
        if kind in ("denied_no_source_ip", "denied_null_source_ip"):
            spec = self.by_name[("iam", "GetRole")]
            actor = self.machines[int(rnd() * len(self.machines))]
            ov = {"no_ip": True} if kind == "denied_no_source_ip" else {"null_ip": True}
            return self.event(spec, actor, access_denied("query", actor, spec.action, "*"), ov)
        raise AssertionError(kind)

    def error_for_denied(self, spec, actor):
        if spec.style == "ec2":
            return ("Client.UnauthorizedOperation",
                    "You are not authorized to perform this operation. Encoded authorization "
                    "failure message: " + base64.urlsafe_b64encode(
                        self.rng.getrandbits(1600).to_bytes(200, "little")).decode())
        res = "arn:aws:%s:us-east-1:%s:*" % (spec.svc, actor.account)
        return access_denied(spec.style, actor, spec.action, res)

    def delivery_actor(self):
        acct = self.world.accounts[int(self.rng.random() * len(self.world.accounts))]
        key = ("delivery", acct)
        a = self.services_by_name.get(key)
        if a is None:
            a = Actor("AWSService", acct, dumps({"type": "AWSService",
                                                 "invokedBy": "delivery.logs.amazonaws.com"}),
                      ["delivery.logs.amazonaws.com"], ["delivery.logs.amazonaws.com"],
                      invoked="delivery.logs.amazonaws.com", tls=False,
                      vpce=self.world.res[acct]["vpce"], name="delivery.logs.amazonaws.com")
            self.services_by_name[key] = a
        return a

    def root_actor(self, acct, invoked=False, console_login=False):
        key = ("root", acct, invoked, console_login)
        a = self.services_by_name.get(key)
        if a is None:
            w = self.world
            ident = {"type": "Root", "principalId": acct, "arn": "arn:aws:iam::%s:root" % acct,
                     "accountId": acct}
            if console_login:
                ident["accessKeyId"] = ""
            else:
                ident["accessKeyId"] = "ASIA" + w.upper(16)
                ident["sessionContext"] = {"sessionIssuer": {}, "webIdFederationData": {},
                                           "attributes": {"creationDate": CDATE,
                                                          "mfaAuthenticated": "true"}}
            if invoked:
                ident["invokedBy"] = w.pick(["support.amazonaws.com", "AWS Internal",
                                             "trustedadvisor.amazonaws.com"])
            ips = [public_ip(w.rng)]
            a = Actor("Root", acct, dumps(ident), ips, [UA_BROWSER[0], "AWS Internal"],
                      arn="arn:aws:iam::%s:root" % acct, console=not console_login and not invoked,
                      tls=not invoked)
            if invoked:
                a.ips = [ident["invokedBy"]]
                a.uas = [ident["invokedBy"]]
            self.services_by_name[key] = a
        return a

    def login(self, kind):
        w = self.world
        rnd = self.rng.random
        acct = w.accounts[int(rnd() * len(w.accounts))] if rnd() < 0.3 else w.main
        res = w.res[acct]
        ip = public_ip(w.rng) if rnd() < 0.3 else None
        ua = UA_BROWSER[int(rnd() * len(UA_BROWSER))]
        login_to = "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true" \
                   "&state=hashArgsFromTB_us-east-1_" + "%016x" % self.rng.getrandbits(64)
        mfa = "Yes"
        success = True
        errmsg = None
        if kind in ("login_root_mfa", "login_root_nomfa"):
            actor = self.root_actor(acct, console_login=True)
            mfa = "Yes" if kind == "login_root_mfa" else "No"
        elif kind == "login_saml":
            actor = self.humans[int(rnd() * len(self.humans))]
            while actor.kind != "AssumedRole":
                actor = self.humans[int(rnd() * len(self.humans))]
            mfa = "No"
        else:
            user = res["users"][int(rnd() * len(res["users"]))]
            ident = {"type": "IAMUser", "principalId": "AIDA" + w.upper(17),
                     "arn": "arn:aws:iam::%s:user/%s" % (acct, user), "accountId": acct,
                     "userName": user}
            if kind == "login_nouser":
                ident = {"type": "IAMUser", "principalId": "", "accountId": acct,
                         "accessKeyId": "", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}
            actor = Actor("IAMUser", acct, dumps(ident), [ip or public_ip(w.rng)], [ua],
                          arn=ident.get("arn", ""))
            if kind == "login_nomfa":
                mfa = "No"
            elif kind == "login_failed":
                mfa, success, errmsg = "No", False, "Failed authentication"
            elif kind == "login_failed_mfa":
                mfa, success, errmsg = "Yes", False, "Failed authentication"
            elif kind == "login_nouser":
                mfa, success, errmsg = "No", False, "No username found in supplied account"
        extra = {"LoginTo": login_to, "MobileVersion": "No"}
        if kind != "login_no_mfa_field":
            if mfa == "Yes" and actor.kind != "Root":
                extra["MFAIdentifier"] = "arn:aws:iam::%s:mfa/%s" % (acct, w.rid(8))
            extra["MFAUsed"] = mfa
        if kind == "login_saml":
            extra["SamlProviderArn"] = "arn:aws:iam::%s:saml-provider/Okta" % acct
        resp = dumps({"ConsoleLogin": "Success" if success else "Failure"})
        ov = {"ip": ip, "ua": ua, "eventType": "AwsConsoleSignIn", "extra": dumps(extra),
              "resp": resp, "req": "null", "host": "signin.aws.amazon.com", "console": False}
        cspec = self.login_spec()
        # ConsoleLogin carries errorMessage without errorCode when it fails
        text = self.event(cspec, actor, None, ov)
        if errmsg:
            text = text.replace(',"requestParameters":', ',"errorMessage":"%s","requestParameters":'
                                % errmsg, 1)
        return text

    def login_spec(self):
        sp = getattr(self, "_login_spec", None)
        if sp is None:
            sp = make_spec(self.world, "signin", "SwitchRole", 1)
            sp.name = "ConsoleLogin"
            sp.ro = "false"
            sp.cli = ""
            self._login_spec = sp
        return sp

    def next_event(self):
        rnd = self.rng.random
        # time advances ~0.45 s per event on average, with occasional quiet gaps
        u = rnd()
        if u < 0.45:
            self.ts += 1
        elif u < 0.4503:
            self.ts += int(rnd() * 300)
        i = self.index
        self.index = i + 1
        if i % self.sweep_stride == 7 and i // self.sweep_stride < len(self.sweep):
            return self.special(self.sweep[i // self.sweep_stride])
        if rnd() < self.special_total:
            return self.special(bisect.bisect_left(self.special_cum, rnd()))
        return self.background()


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------

def generate_lines(gen, target_bytes, chunk_events=2048):
    """Yield encoded chunks totalling at least target_bytes; stops after the event that
    crosses the target (so the output is a prefix of any larger output)."""
    written = 0
    nxt = gen.next_event
    while written < target_bytes:
        lines = [nxt() for _ in range(chunk_events)]
        data = "".join(lines).encode("utf-8")
        if written + len(data) < target_bytes:
            written += len(data)
            gen.emitted += len(lines)
            yield data
            continue
        out = []
        for line in lines:
            b = line.encode("utf-8")
            out.append(b)
            written += len(b)
            gen.emitted += 1
            if written >= target_bytes:
                break
        yield b"".join(out)


def write_ndjson(gen, target, out):
    n = 0
    for chunk in generate_lines(gen, target):
        out.write(chunk)
        n += len(chunk)
    return n


def write_records_document(gen, target, out):
    out.write(b'{"Records":[')
    first = True
    n = 0
    for chunk in generate_lines(gen, target):
        body = chunk.rstrip(b"\n").replace(b"\n", b",")
        if not first:
            out.write(b",")
        out.write(body)
        first = False
        n += len(chunk)
    out.write(b"]}")
    return n


def write_records_tree(gen, target, outdir, per_file, compress):
    """S3 delivery layout: one file per (account, region, 5-minute window), at most
    per_file events each, named as CloudTrail names them."""
    buckets = {}
    files = 0
    current = None
    names = random.Random(gen.seed * 7919 + 1)  # file names: not from the event stream

    def flush(key):
        nonlocal files
        acct, region, window = key
        events = buckets.pop(key)
        t = time.gmtime(window)
        d = os.path.join(outdir, "AWSLogs", acct, "CloudTrail", region,
                         "%04d" % t.tm_year, "%02d" % t.tm_mon, "%02d" % t.tm_mday)
        os.makedirs(d, exist_ok=True)
        name = "%s_CloudTrail_%s_%sZ_%s.json" % (
            acct, region, time.strftime("%Y%m%dT%H%M", t),
            base64.b32encode(names.getrandbits(80).to_bytes(10, "little")).decode()[:16])
        data = b'{"Records":[' + b",".join(events) + b"]}"
        path = os.path.join(d, name)
        if compress:
            with open(path + ".gz", "wb") as f:
                f.write(gzip.compress(data, 6, mtime=0))
        else:
            with open(path, "wb") as f:
                f.write(data)
        files += 1

    n = 0
    for chunk in generate_lines(gen, target):
        n += len(chunk)
        for line in chunk.split(b"\n"):
            if not line:
                continue
            # cheap field reads without parsing
            i = line.find(b'"recipientAccountId":"') + 22
            acct = line[i:i + 12].decode()
            j = line.find(b'"awsRegion":"') + 13
            region = line[j:line.find(b'"', j)].decode()
            k = line.find(b'"eventTime":"') + 13
            stamp = line[k:k + 16].decode()  # YYYY-MM-DDTHH:MM
            window = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M"))
            window -= window % 300
            if window != current:
                # deliver what belongs to earlier windows
                for old in sorted(b for b in buckets if b[2] < window):
                    flush(old)
                current = window
            key = (acct, region, window)
            events = buckets.setdefault(key, [])
            events.append(line)
            if len(events) >= per_file:
                flush(key)
    for key in sorted(buckets):
        flush(key)
    return n, files


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--megabytes", type=float, default=100.0,
                    help="uncompressed output size in MB of 10^6 bytes (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--format", choices=["ndjson", "records"], default="ndjson")
    ap.add_argument("--output", "-o", help="output file (default: standard output)")
    ap.add_argument("--output-dir", help="records format: write an S3 delivery tree here")
    ap.add_argument("--records-per-file", type=int, default=500)
    ap.add_argument("--gzip", action="store_true", help="gzip the files of --output-dir")
    ap.add_argument("--quiet", "-q", action="store_true")
    args = ap.parse_args(argv)

    target = int(args.megabytes * 1_000_000)
    start = time.time()
    gen = Generator(args.seed)
    if args.output_dir:
        if args.format != "records":
            ap.error("--output-dir needs --format records")
        n, files = write_records_tree(gen, target, args.output_dir, args.records_per_file,
                                      args.gzip)
        what = "%d files under %s" % (files, args.output_dir)
    else:
        if args.output:
            out = open(args.output + ".tmp", "wb")
        else:
            out = sys.stdout.buffer
        try:
            if args.format == "ndjson":
                n = write_ndjson(gen, target, out)
            else:
                n = write_records_document(gen, target, out)
        except BrokenPipeError:
            return 0
        if args.output:
            out.close()
            os.replace(args.output + ".tmp", args.output)
        else:
            out.flush()
        what = args.output or "stdout"
    if not args.quiet:
        el = time.time() - start
        sys.stderr.write("generate_cloudtrail: %d events, %.1f MB (%s) in %.1f s, seed %d\n" %
                         (gen.emitted, n / 1e6, what, el, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
