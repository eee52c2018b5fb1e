"""The VPC peering seed's cross-account story, driven through the official Python SDKs
against `ramsim serve`: create -> accept -> routes -> the RD guardrail denies a peer outside
the directory -> ActionTrail LookupEvents finds the denial; STS on top."""
import pytest
from alibabacloud_actiontrail20200706 import models as trail_models
from alibabacloud_actiontrail20200706.client import Client as TrailClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient
from alibabacloud_vpcpeer20220101 import models as peer_models
from alibabacloud_vpcpeer20220101.client import Client as PeerClient

from conftest import AUDITOR, A, B, C, NETADMIN, NETOPS, config


def only_vpc(client, region):
    vpcs = client.describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=region)).body.vpcs.vpc
    assert len(vpcs) == 1, vpcs
    return vpcs[0]


def lookup(endpoint, key, token=None, **attribute):
    req = trail_models.LookupEventsRequest(max_results="50")
    if attribute:
        (k, v), = attribute.items()
        req.lookup_attribute = [trail_models.LookupEventsRequestLookupAttribute(key=k, value=v)]
    return TrailClient(config(endpoint, key, token)).lookup_events(req).body


def test_cross_account_story(served):
    ep = served.endpoint
    vpc_a, vpc_b = VpcClient(config(ep, NETOPS)), VpcClient(config(ep, NETADMIN))
    peer_a, peer_b = PeerClient(config(ep, NETOPS)), PeerClient(config(ep, NETADMIN))
    requester = only_vpc(vpc_a, "cn-hangzhou")
    accepter = only_vpc(vpc_b, "cn-beijing")

    created = peer_a.create_vpc_peer_connection(peer_models.CreateVpcPeerConnectionRequest(
        region_id="cn-hangzhou", vpc_id=requester.vpc_id, accepting_ali_uid=int(B),
        accepting_region_id="cn-beijing", accepting_vpc_id=accepter.vpc_id,
        bandwidth=1024, link_type="Gold", name="a-to-b", dry_run=False))
    pcc = created.body.instance_id
    assert pcc.startswith("pcc-") and created.body.request_id

    peer_b.accept_vpc_peer_connection(peer_models.AcceptVpcPeerConnectionRequest(instance_id=pcc))
    got = peer_a.get_vpc_peer_connection_attribute(
        peer_models.GetVpcPeerConnectionAttributeRequest(instance_id=pcc)).body
    assert got.instance_id == pcc
    assert got.accepting_owner_uid == int(B)

    for client, vpc, region, dest in [
        (vpc_a, requester, "cn-hangzhou", accepter.cidr_block),
        (vpc_b, accepter, "cn-beijing", requester.cidr_block),
    ]:
        entry = client.create_route_entry(vpc_models.CreateRouteEntryRequest(
            region_id=region, route_table_id=vpc.router_table_ids.router_table_ids[0],
            destination_cidr_block=dest, next_hop_type="VpcPeer", next_hop_id=pcc))
        assert entry.body.route_entry_id.startswith("rte-")

    # Account C is in no Resource Directory: netops's guardrail denies the peering.
    with pytest.raises(ClientException) as denied:
        peer_a.create_vpc_peer_connection(peer_models.CreateVpcPeerConnectionRequest(
            region_id="cn-hangzhou", vpc_id=requester.vpc_id, accepting_ali_uid=int(C),
            accepting_region_id="cn-beijing", accepting_vpc_id="vpc-2zef6p8ybezxnnb01vdh"))
    e = denied.value
    assert e.code == "Forbidden.NoPermission"
    assert 400 <= e.status_code < 500
    detail = e.access_denied_detail
    assert detail["NoPermissionType"] == "ExplicitDeny"
    assert detail["AuthAction"] == "vpc:CreateVpcPeerConnection"
    assert detail["AuthPrincipalOwnerId"] == A

    # The auditor finds the denial in ActionTrail, by event name and by the access key.
    page = lookup(ep, AUDITOR, EventName="CreateVpcPeerConnection")
    denials = [ev for ev in page.events if ev["errorCode"] == "Forbidden.NoPermission"]
    assert [ev["requestId"] for ev in denials] == [e.request_id]
    assert denials[0]["userIdentity"]["accessKeyId"] == NETOPS[0]
    assert denials[0]["accessDeniedDetail"]["NoPermissionType"] == "ExplicitDeny"
    assert denials[0]["requestParameters"]["AcceptingAliUid"] == C
    by_key = lookup(ep, AUDITOR, EventAccessKeyId=NETOPS[0])
    assert e.request_id in [ev["requestId"] for ev in by_key.events]
    # B's events are B's: the auditor of A does not see netadmin's accept.
    assert all(ev["recipientAccountId"] == A for ev in lookup(ep, AUDITOR).events)
    # netops has no ActionTrail permission: RAM denies the lookup itself.
    with pytest.raises(ClientException) as no_trail:
        lookup(ep, NETOPS)
    assert no_trail.value.code == "NoPermission"


def test_lookup_paging_and_filters(served):
    ep = served.endpoint
    vpc_a = VpcClient(config(ep, NETOPS))
    for _ in range(7):
        vpc_a.describe_vpcs(vpc_models.DescribeVpcsRequest(region_id="cn-hangzhou"))
    client = TrailClient(config(ep, AUDITOR))
    seen, token = [], None
    for _ in range(10):
        req = trail_models.LookupEventsRequest(max_results="3", next_token=token, lookup_attribute=[
            trail_models.LookupEventsRequestLookupAttribute(key="EventName", value="DescribeVpcs")])
        body = client.lookup_events(req).body
        assert len(body.events) <= 3
        seen += [ev["requestId"] for ev in body.events]
        token = body.next_token
        if not token:
            break
    assert len(seen) == 7 and len(set(seen)) == 7
    forward = client.lookup_events(trail_models.LookupEventsRequest(direction="FORWARD", lookup_attribute=[
        trail_models.LookupEventsRequestLookupAttribute(key="EventName", value="DescribeVpcs")])).body
    assert [ev["requestId"] for ev in forward.events] == list(reversed(seen))
    reads = client.lookup_events(trail_models.LookupEventsRequest(lookup_attribute=[
        trail_models.LookupEventsRequestLookupAttribute(key="EventRW", value="Write")])).body
    assert reads.events == []
    future = client.lookup_events(trail_models.LookupEventsRequest(
        start_time="2099-01-01T00:00:00Z", end_time="2099-01-02T00:00:00Z")).body
    assert future.events == []
    with pytest.raises(ClientException) as bad:
        client.lookup_events(trail_models.LookupEventsRequest(lookup_attribute=[
            trail_models.LookupEventsRequestLookupAttribute(key="Colour", value="red")]))
    assert bad.value.code == "InvalidParameter.LookupAttribute.1.Key"


def test_sts_assume_role_and_caller_identity(served):
    ep = served.endpoint
    sts = StsClient(config(ep, AUDITOR))
    me = sts.get_caller_identity().body
    assert me.account_id == A and me.identity_type == "RAMUser"
    creds = sts.assume_role(sts_models.AssumeRoleRequest(
        role_arn=f"acs:ram::{A}:role/trail-auditor", role_session_name="audit-1",
        duration_seconds=3600)).body.credentials
    assert creds.access_key_id.startswith("STS.") and creds.security_token.startswith("CAIS")
    session = (creds.access_key_id, creds.access_key_secret)
    who = StsClient(config(ep, session, creds.security_token)).get_caller_identity().body
    assert who.identity_type == "AssumedRoleUser"
    assert who.arn == f"acs:ram::{A}:role/trail-auditor/audit-1"
    events = lookup(ep, session, creds.security_token, EventName="AssumeRole").events
    assert events and events[0]["userIdentity"]["userName"] == "auditor"
    # The session's key without its token, or with another one, is refused.
    for token in (None, creds.security_token + "x"):
        with pytest.raises(ClientException) as refused:
            StsClient(config(ep, session, token)).get_caller_identity()
        assert refused.value.code in ("MissingSecurityToken", "InvalidSecurityToken.MismatchWithAccessKey")
