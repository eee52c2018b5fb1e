"""Authentication through the real SDKs and raw HTTP: wrong secret, unknown key, both signature
schemes, the old core SDK, replayed nonces, skewed time, tampered bodies, unsigned requests."""
import base64
import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient

from conftest import NETOPS, config


def describe(endpoint, key, **kw):
    return VpcClient(config(endpoint, key, **kw)).describe_vpcs(
        vpc_models.DescribeVpcsRequest(region_id="cn-hangzhou")).body


def test_both_schemes_and_sdk_errors(served):
    ep = served.endpoint
    assert describe(ep, NETOPS).total_count == 1  # ACS3-HMAC-SHA256
    assert describe(ep, NETOPS, signature_algorithm="v2").total_count == 1  # RPC HMAC-SHA1
    with pytest.raises(ClientException) as wrong:
        describe(ep, (NETOPS[0], "not-the-secret"))
    assert (wrong.value.code, wrong.value.status_code) == ("SignatureDoesNotMatch", 400)
    with pytest.raises(ClientException) as unknown:
        describe(ep, ("LTAI5tNobodyHasThisKey1", "x" * 30))
    assert (unknown.value.code, unknown.value.status_code) == ("InvalidAccessKeyId.NotFound", 404)


def test_old_core_sdk(served):
    from aliyunsdkcore.acs_exception.exceptions import ServerException
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest

    host, port = served.endpoint.split(":")

    def request():
        r = CommonRequest(domain=host, version="2016-04-28", action_name="DescribeVpcs")
        r.set_protocol_type("http")
        r.set_method("POST")
        r.add_query_param("RegionId", "cn-hangzhou")
        return r

    ok = AcsClient(*NETOPS, "cn-hangzhou", port=int(port), auto_retry=False).do_action_with_exception(request())
    assert json.loads(ok)["TotalCount"] == 1
    with pytest.raises(ServerException) as wrong:
        AcsClient(NETOPS[0], "bad-secret", "cn-hangzhou", port=int(port), auto_retry=False).do_action_with_exception(request())
    # The old SDK splits the message at its first colon to compare the server's string to sign
    # with its own (typed requests then report InvalidAccessKeySecret): the wording must allow it.
    assert wrong.value.get_error_code() in ("SignatureDoesNotMatch", "InvalidAccessKeySecret")
    if wrong.value.get_error_code() == "SignatureDoesNotMatch":
        assert wrong.value.get_error_msg().split(":")[1].startswith("POST&%2F&AccessKeyId%3D")
    assert wrong.value.get_http_status() == 400


def rfc3986(s):
    return urllib.parse.quote(s, safe="-_.~")


def signed_rpc(params, secret, body=None):
    """An RPC 1.0 request signed by hand; returns (query, body)."""
    body = body or {}
    all_params = {**params, **body}
    canonical = "&".join(f"{rfc3986(k)}={rfc3986(v)}" for k, v in sorted(all_params.items()))
    sts = "POST&%2F&" + rfc3986(canonical)
    sig = base64.b64encode(hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()).decode()
    return urllib.parse.urlencode({**params, "Signature": sig}), urllib.parse.urlencode(body)


def common(ts=None, nonce=None):
    now = ts or datetime.datetime.now(datetime.timezone.utc)
    return {
        "Action": "DescribeVpcs", "Version": "2016-04-28", "Format": "JSON",
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0", "SignatureNonce": nonce or uuid.uuid4().hex,
        "AccessKeyId": NETOPS[0],
    }


def post(endpoint, query, body=""):
    req = urllib.request.Request(f"http://{endpoint}/?{query}", data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_raw_http_replay_skew_tamper(served):
    ep = served.endpoint
    q, b = signed_rpc(common(), NETOPS[1], {"RegionId": "cn-hangzhou"})
    status, body = post(ep, q, b)
    assert status == 200 and body["TotalCount"] == 1 and body["RequestId"]
    status, body = post(ep, q, b)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    assert set(body) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    q, b = signed_rpc(common(ts=old), NETOPS[1], {"RegionId": "cn-hangzhou"})
    assert post(ep, q, b)[1]["Code"] == "InvalidTimeStamp.Expired"
    q, b = signed_rpc(common(), NETOPS[1], {"RegionId": "cn-hangzhou"})
    status, body = post(ep, q, b.replace("hangzhou", "beijing"))
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    status, body = post(ep, "Action=DescribeVpcs&Version=2016-04-28&RegionId=cn-hangzhou")
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    q, b = signed_rpc({**common(), "Version": "2016-04-28", "Action": "NoSuchApi"}, NETOPS[1])
    assert post(ep, q, b)[1]["Code"] == "InvalidAction.NotFound"


def test_access_log_and_verbose(tmp_path):
    from conftest import Served

    s = Served(tmp_path / "state.json", ["--verbose"]).start()
    try:
        describe(s.endpoint, NETOPS)
        with pytest.raises(ClientException):
            describe(s.endpoint, (NETOPS[0], "not-the-secret"))
    finally:
        assert s.stop() == 0
    log = s.logs()
    lines = [l for l in log.splitlines() if " POST / " in l]
    assert len(lines) == 2, log
    assert " 200 " in lines[0] and "SignatureDoesNotMatch" in lines[1]
    assert "canonical request" in log and "x-acs-signature-nonce:" in log


def test_readme_example_script(served):
    """examples/sdk_guardrail.py, the README's copy-paste script, is denied by the guardrail."""
    import os
    import pathlib
    import subprocess
    import sys

    script = pathlib.Path(__file__).resolve().parents[2] / "examples" / "sdk_guardrail.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "RAMSIM_ENDPOINT": served.endpoint})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Forbidden.NoPermission ExplicitDeny vpc:CreateVpcPeerConnection"


def test_expired_security_token_with_skew_check_off(tmp_path):
    """A session's token is refused once the call's time (the later of the signed time and the
    scenario clock) passes its Expiration; recorded traffic replays with --skew-check off."""
    from alibabacloud_sts20150401 import models as sts_models
    from alibabacloud_sts20150401.client import Client as StsClient

    from conftest import A, AUDITOR, Served

    s = Served(tmp_path / "state.json", ["--skew-check", "off"]).start()
    try:
        creds = StsClient(config(s.endpoint, AUDITOR)).assume_role(sts_models.AssumeRoleRequest(
            role_arn=f"acs:ram::{A}:role/trail-auditor", role_session_name="short",
            duration_seconds=900)).body.credentials
        now = datetime.datetime.now(datetime.timezone.utc)

        def call(at):
            params = {**common(ts=at), "Action": "GetCallerIdentity", "Version": "2015-04-01",
                      "AccessKeyId": creds.access_key_id, "SecurityToken": creds.security_token}
            return post(s.endpoint, *signed_rpc(params, creds.access_key_secret))

        status, body = call(now + datetime.timedelta(minutes=5))
        assert status == 200 and body["IdentityType"] == "AssumedRoleUser"
        status, body = call(now + datetime.timedelta(minutes=20))
        assert (status, body["Code"]) == (400, "InvalidSecurityToken.Expired")
        # A signed time before the scenario clock is served at the clock's time (+5 min, still
        # within the session); a token that is not the session's is refused.
        status, body = call(now - datetime.timedelta(hours=2))
        assert status == 200
        params = {**common(), "Action": "GetCallerIdentity", "Version": "2015-04-01",
                  "AccessKeyId": creds.access_key_id, "SecurityToken": "CAISforged"}
        status, body = post(s.endpoint, *signed_rpc(params, creds.access_key_secret))
        assert (status, body["Code"]) == (400, "InvalidSecurityToken.MismatchWithAccessKey")
    finally:
        assert s.stop() == 0
