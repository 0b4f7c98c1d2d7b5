"""Fuzz the JSON API from its own OpenAPI document with schemathesis.

Checks every documented operation with generated valid and invalid input: no 5xx, status codes,
content types and bodies as documented, 405 for undocumented methods.
"""
import os
import subprocess
import sys
import tempfile

import pytest

from hms_standin import HMSStandin
from livekit_sim import LiveKitSim, cleanup
from tapedeck_server import Server, database_kinds

SCHEMATHESIS = os.path.join(os.path.dirname(sys.executable), "schemathesis")
CONFIG = os.path.join(os.path.dirname(__file__), "schemathesis.toml")


@pytest.fixture(params=database_kinds())
def server(request):
    """A server with LiveKit (the Twirp stand-in) and 100ms (its stand-in) configured, so that the
    recording-control operations answer as they would in production rather than 503 "not
    configured"."""
    sim = LiveKitSim(None)
    hms = HMSStandin("fuzz-access-key", "fuzz-app-secret-long-enough-for-hs256").start()
    egress = tempfile.mkdtemp(prefix="tapedeck-fuzz-egress-")
    instance = Server(database=request.param, name=f"fuzz-{request.param}",
                      env={**sim.env(), "TAPEDECK_EGRESS_DIR": egress, **hms.env()}).start()
    yield instance
    instance.close()
    sim.close()
    hms.close()
    cleanup(egress)
    assert sim.protocol_errors == []
    assert hms.protocol_errors == []


def test_api_conforms_to_its_openapi_document(server):
    result = subprocess.run(
        [SCHEMATHESIS, "--config-file", CONFIG, "run", server.base_url + "/openapi.json",
         "--header", f"Authorization: Bearer {server.admin_key}",
         "--max-examples", "60", "--seed", "1", "--no-color"],
        capture_output=True, text=True, timeout=600)
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert "failures" not in result.stdout.split("SUMMARY")[-1].lower() or " 0 failures" in result.stdout, report
