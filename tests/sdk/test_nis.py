"""Reachability through the official NIS SDK against `ramsim serve`: the one-shot analysis
of a path inside the requester VPC, read back with GetNetworkReachableAnalysis (the result
document is a JSON string, like the real API), and a user without `nis:` actions denied with
`Forbidden.NoPermission` and its AccessDeniedDetail."""
import json

import pytest
from alibabacloud_nis20211216 import models as nis_models
from alibabacloud_nis20211216.client import Client as NisClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient

from conftest import AUDITOR, NETOPS, config


def analyze_request(vsw):
    return nis_models.CreateAndAnalyzeNetworkPathRequest(
        region_id="cn-hangzhou", source_id=vsw, source_type="vsw",
        source_ip_address="172.16.1.10", target_id=vsw, target_type="vsw",
        target_ip_address="172.16.1.20", protocol="tcp", target_port=80)


def test_reachability_through_the_nis_sdk(served):
    ep = served.endpoint
    vsws = VpcClient(config(ep, NETOPS)).describe_vswitches(
        vpc_models.DescribeVSwitchesRequest(region_id="cn-hangzhou")).body.v_switches.v_switch
    vsw = vsws[0].v_switch_id

    nis = NisClient(config(ep, AUDITOR))
    created = nis.create_and_analyze_network_path(analyze_request(vsw)).body
    assert created.network_reachable_analysis_id.startswith("nra-")
    assert (created.source_id, created.target_port, created.protocol) == (vsw, 80, "tcp")

    got = nis.get_network_reachable_analysis(nis_models.GetNetworkReachableAnalysisRequest(
        region_id="cn-hangzhou",
        network_reachable_analysis_id=created.network_reachable_analysis_id)).body
    assert got.network_reachable_analysis_status == "finish"
    assert got.reachable is False
    # Nothing holds 172.16.1.20: the analyzer says so in Alibaba's document shape.
    doc = json.loads(got.network_reachable_analysis_result)
    assert doc["errorCode"] == "DST_IP_NOT_FOUND", doc
    assert doc["nraId"] == created.network_reachable_analysis_id
    assert json.loads(got.network_path_parameter)["TargetIpAddress"] == "172.16.1.20"

    # netops has vpc:* but no nis: action.
    with pytest.raises(ClientException) as denied:
        NisClient(config(ep, NETOPS)).create_and_analyze_network_path(analyze_request(vsw))
    e = denied.value
    assert (e.code, e.status_code) == ("Forbidden.NoPermission", 403)
    assert e.access_denied_detail["AuthAction"] == "nis:CreateAndAnalyzeNetworkPath"
    assert e.access_denied_detail["NoPermissionType"] == "ImplicitDeny"
