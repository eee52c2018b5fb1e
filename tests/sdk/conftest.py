"""Starts `ramsim serve` (the built binary) on 127.0.0.1 with a free port for the SDK tests.

The binary is $RAMSIM_BIN (default target/debug/ramsim). Every wait is bounded.
"""
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("RAMSIM_BIN", str(ROOT / "target" / "debug" / "ramsim"))
WORLD = ROOT / "examples" / "sdk-world.json"

# The keys declared in examples/sdk-world.json.
NETOPS = ("LTAI5tNetOpsExample0001", "netopsSecretForLocalTests0001")  # account A
NETADMIN = ("LTAI5tNetAdminExample001", "netadminSecretForLocalTest01")  # account B
AUDITOR = ("LTAI5tAuditorExample001", "auditorSecretForLocalTest01")  # account A
A, B, C = "1234567890123456", "2234567890123456", "3234567890123456"


class Served:
    """A running server: its endpoint, state file and process."""

    def __init__(self, state, extra=(), world=WORLD):
        self.world = world
        self.state = pathlib.Path(state)
        self.extra = list(extra)
        self.proc = None
        self.endpoint = None
        self.log = None

    def start(self, world=True):
        args = [BIN, "serve", "--state", str(self.state), "--listen", "127.0.0.1:0", *self.extra]
        if world:
            args += ["--world", str(self.world)]
        self.log = open(self.state.with_suffix(".serve.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.monotonic() + 30
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(b"listening on ") or not line:
                break
        if not line.startswith(b"listening on "):
            self.proc.kill()
            raise RuntimeError(f"ramsim serve did not start: {line!r}, exit {self.proc.wait(5)}")
        self.endpoint = line.split()[-1].decode()
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()
        self.proc = None
        return code

    def logs(self):
        return self.state.with_suffix(".serve.log").read_text(errors="replace")


@pytest.fixture
def served(tmp_path):
    s = Served(tmp_path / "state.json").start()
    yield s
    code = s.stop()
    assert code == 0, s.logs()


def config(endpoint, key, token=None, **kw):
    from alibabacloud_tea_openapi.models import Config

    return Config(
        endpoint=endpoint,
        protocol="http",
        access_key_id=key[0],
        access_key_secret=key[1],
        security_token=token,
        region_id="cn-hangzhou",
        read_timeout=10000,
        connect_timeout=5000,
        **kw,
    )
