"""CloudMonitor through the official CMS SDK against `ramsim serve`: alert rules on an
inter-region peering's `acs_vpcpeer` metrics put, listed, disabled and deleted, and a RAM user
without `cms:` actions denied with `Forbidden.NoPermission` and its AccessDeniedDetail. The SDK
talks to the endpoint it is given (Alibaba's is `metrics.aliyuncs.com`); ramsim routes the call
by its `x-acs-version` (2019-01-01) to the Cms product like any other."""
import json

import pytest
from alibabacloud_cms20190101 import models as cms_models
from alibabacloud_cms20190101.client import Client as CmsClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient
from alibabacloud_vpcpeer20220101 import models as peer_models
from alibabacloud_vpcpeer20220101.client import Client as PeerClient

from conftest import AUDITOR, B, NETADMIN, NETOPS, config


def only_vpc(client, region):
    vpcs = client.describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=region)).body.vpcs.vpc
    assert len(vpcs) == 1, vpcs
    return vpcs[0]


def loss_rule(rule_id, pcc):
    return cms_models.PutResourceMetricRulesRequestRules(
        rule_id=rule_id, rule_name="peering packet loss", namespace="acs_vpcpeer",
        metric_name="IntranetTXPacketLossRate",
        resources=json.dumps([{"instanceId": pcc}]), period="3600",
        escalations=cms_models.PutResourceMetricRulesRequestRulesEscalations(
            critical=cms_models.PutResourceMetricRulesRequestRulesEscalationsCritical(
                comparison_operator="GreaterThanOrEqualToThreshold", threshold="10",
                times=2, statistics="Average")))


def test_alert_rules_through_the_cms_sdk(served):
    ep = served.endpoint
    requester = only_vpc(VpcClient(config(ep, NETOPS)), "cn-hangzhou")
    accepter = only_vpc(VpcClient(config(ep, NETADMIN)), "cn-beijing")
    pcc = PeerClient(config(ep, NETOPS)).create_vpc_peer_connection(
        peer_models.CreateVpcPeerConnectionRequest(
            region_id="cn-hangzhou", vpc_id=requester.vpc_id, accepting_ali_uid=int(B),
            accepting_region_id="cn-beijing", accepting_vpc_id=accepter.vpc_id,
            bandwidth=100)).body.instance_id
    PeerClient(config(ep, NETADMIN)).accept_vpc_peer_connection(
        peer_models.AcceptVpcPeerConnectionRequest(instance_id=pcc))

    cms = CmsClient(config(ep, AUDITOR))
    put = cms.put_resource_metric_rules(cms_models.PutResourceMetricRulesRequest(
        rules=[loss_rule("peer-loss", pcc)])).body
    assert put.success is True and put.request_id

    listed = cms.describe_metric_rule_list(
        cms_models.DescribeMetricRuleListRequest(rule_ids="peer-loss")).body
    assert listed.total == "1"
    [alarm] = listed.alarms.alarm
    assert (alarm.rule_id, alarm.namespace, alarm.metric_name) == (
        "peer-loss", "acs_vpcpeer", "IntranetTXPacketLossRate")
    assert json.loads(alarm.resources) == [{"instanceId": pcc}]
    assert alarm.enable_state is True

    cms.disable_metric_rules(cms_models.DisableMetricRulesRequest(rule_id=["peer-loss"]))
    listed = cms.describe_metric_rule_list(
        cms_models.DescribeMetricRuleListRequest(rule_ids="peer-loss")).body
    assert listed.alarms.alarm[0].enable_state is False

    # No traffic yet: the metric has no datapoint.
    metrics = cms.describe_metric_list(cms_models.DescribeMetricListRequest(
        namespace="acs_vpcpeer", metric_name="IntranetTX",
        dimensions=json.dumps([{"instanceId": pcc}]))).body
    assert json.loads(metrics.datapoints) == []

    # netops has vpc:* but no cms: action.
    with pytest.raises(ClientException) as denied:
        CmsClient(config(ep, NETOPS)).describe_metric_rule_list(
            cms_models.DescribeMetricRuleListRequest())
    e = denied.value
    assert e.code == "Forbidden.NoPermission"
    assert e.access_denied_detail["AuthAction"] == "cms:DescribeMetricRuleList"
    assert e.access_denied_detail["NoPermissionType"] == "ImplicitDeny"

    cms.delete_metric_rules(cms_models.DeleteMetricRulesRequest(id=["peer-loss"]))
    listed = cms.describe_metric_rule_list(
        cms_models.DescribeMetricRuleListRequest(rule_ids="peer-loss")).body
    assert listed.total == "0"
