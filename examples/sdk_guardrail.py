# The RD guardrail denies netops (account A) a peering with account C, outside the directory.
# Start the server first: ramsim serve --world examples/sdk-world.json --state sdk-state.json
import os
from alibabacloud_tea_openapi.models import Config
from alibabacloud_vpcpeer20220101.client import Client
from alibabacloud_vpcpeer20220101.models import CreateVpcPeerConnectionRequest as Create
cfg = Config(endpoint=os.environ.get("RAMSIM_ENDPOINT", "127.0.0.1:8080"), protocol="http",
             access_key_id="LTAI5tNetOpsExample0001", access_key_secret="netopsSecretForLocalTests0001")
try:
    Client(cfg).create_vpc_peer_connection(Create(region_id="cn-hangzhou", vpc_id="vpc-bp1myt4sio0b4xszq3ih",
        accepting_ali_uid=3234567890123456, accepting_region_id="cn-beijing", accepting_vpc_id="vpc-2zef6p8ybezxnnb01vdh"))
except Exception as e:
    print(e.code, e.access_denied_detail["NoPermissionType"], e.access_denied_detail["AuthAction"])
