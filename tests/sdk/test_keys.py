"""Generated AccessKeys: `ramsim keys` lists the secrets `init` derived for a world that only
gives a count (`"access_keys": 1`), and the SDK signs with them."""
import json
import subprocess

from alibabacloud_vpc20160428 import models as vpc_models
from alibabacloud_vpc20160428.client import Client as VpcClient

from conftest import BIN, ROOT, Served, config


def test_generated_keys_sign_sdk_calls(tmp_path):
    state = tmp_path / "state.json"
    subprocess.run([BIN, "init", "--world", str(ROOT / "corpus/worlds/peering.json"), "--state", str(state)],
                   check=True, capture_output=True, timeout=60)
    keys = json.loads(subprocess.run([BIN, "keys", "--state", str(state), "--format", "json"],
                                     check=True, capture_output=True, text=True, timeout=60).stdout)
    netops = [k for k in keys if k["UserName"] == "netops"]
    assert len(netops) == 1 and len(netops[0]["AccessKeySecret"]) == 30
    s = Served(state).start(world=False)
    try:
        key = (netops[0]["AccessKeyId"], netops[0]["AccessKeySecret"])
        vpcs = VpcClient(config(s.endpoint, key)).describe_vpcs(
            vpc_models.DescribeVpcsRequest(region_id="cn-hangzhou")).body
        assert vpcs.total_count == 1
    finally:
        assert s.stop() == 0
