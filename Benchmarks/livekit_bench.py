"""LiveKit benchmarks against a running `tapedeck serve` and the Twirp stand-in of the e2e suite.

    start-latency: for each of N sessions, room_started then participant_joined (pre-signed with
      the SDK); latency = from just before participant_joined is sent to the moment the
      StartRoomCompositeEgress request arrives at the stand-in (an upper bound of Tapedeck's own
      latency: it includes the loopback hops and the Python client and server).
    ingest: wrk replays distinct pre-signed webhooks (every event unique, so none is a duplicate)
      from a second process, then /healthz on the same server in the same run for comparison.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "peers"))
from livekit_sim import LiveKitSim, make_outputs  # noqa: E402
from livekit.protocol import models, webhook  # noqa: E402
from tapedeck_server import Server  # noqa: E402
from bench_common import latency_summary, percentile  # noqa: E402
from load import wrk  # noqa: E402


class Tapedeck(Server):
    """`tapedeck serve` pointed at a LiveKit stand-in, on SQLite or the given PostgreSQL."""

    def __init__(self, args, sim, policy_start="always"):
        self.egress = tempfile.mkdtemp(prefix="tapedeck-bench-egress-")
        env = {"TAPEDECK_LOG_LEVEL": "warning", "TAPEDECK_EGRESS_DIR": self.egress,
               "TAPEDECK_POLICY_START": policy_start, **sim.env()}
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        super().__init__(env=env, name=f"livekit-bench-{args.mode}", artifacts=args.artifacts, binary=args.binary)
        self.start()

    def close(self):
        super().close()
        shutil.rmtree(self.egress, ignore_errors=True)


def start_latency(args):
    sim = LiveKitSim(None)
    tapedeck = Tapedeck(args, sim)
    sim.tapedeck_url = tapedeck.base_url
    session = requests.Session()
    latencies = []
    for i in range(args.sessions + args.warmup):
        room = f"bench-{i:05d}"
        sim.start_room(room)
        sim.join(room, f"person-{i}")
        started, joined = sim.take_outbox()
        assert sim.post(started, session).status_code == 200
        body, token = sim.signed(joined)
        before = len(sim.calls)
        sent = time.monotonic()
        response = sim.post_raw(body, token, session)
        assert response.status_code == 200, response.text
        deadline = time.time() + 10
        while True:
            with sim.lock:
                arrived = [t for name, t, r in sim.calls[before:]
                           if name == "StartRoomCompositeEgress" and r.room_name == room]
            if arrived:
                break
            if time.time() > deadline:
                raise SystemExit(f"no start for {room}")
            time.sleep(0.0002)
        if i >= args.warmup:
            latencies.append((arrived[0] - sent) * 1000)
        sim.take_outbox()  # the stand-in's egress reports are not needed here
    assert sim.protocol_errors == [], sim.protocol_errors
    tapedeck.close()
    sim.close()
    result = latency_summary(latencies)
    print(json.dumps(result))
    return result


def ready_latency(args):
    """egress_ended (outputs already written) to `ready`, and to the thumbnail's arrival, per session."""
    media = tempfile.mkdtemp(prefix="tapedeck-bench-media-")
    sim = LiveKitSim(make_outputs(media))
    tapedeck = Tapedeck(args, sim)
    sim.tapedeck_url = tapedeck.base_url
    session = requests.Session()
    to_ready, to_thumbnail = [], []

    def poll(room, done):
        deadline = time.time() + 60
        while time.time() < deadline:
            items = session.get(f"{tapedeck.base_url}/v1/recordings", params={"room": room},
                                headers=tapedeck.admin, timeout=10).json()["items"]
            if items and done(items[0]):
                return time.monotonic()
            time.sleep(0.001)
        raise SystemExit(f"{room}: timed out")

    for i in range(args.sessions + args.warmup):
        room = f"ready-{i:05d}"
        sim.start_room(room)
        sim.join(room, f"person-{i}")
        sim.deliver()
        sim.wait(lambda: sim.egress_of(room), what="egress start")
        sim.deliver()  # egress_started, egress_updated (active)
        [info] = sim.egress_of(room)
        sim.end_egress(info.egress_id)  # the outputs are written now, before egress_ended is sent
        events = sim.take_outbox()
        sim.deliver(events[:-1])
        body, token = sim.signed(events[-1])
        sent = time.monotonic()
        assert sim.post_raw(body, token, session).status_code == 200
        ready = poll(room, lambda r: r["status"] == "ready")
        thumbnail = poll(room, lambda r: any(a["kind"] == "thumbnail" for a in r["assets"]))
        if i >= args.warmup:
            to_ready.append((ready - sent) * 1000)
            to_thumbnail.append((thumbnail - sent) * 1000)
    assert sim.protocol_errors == [], sim.protocol_errors
    tapedeck.close()
    sim.close()
    shutil.rmtree(media, ignore_errors=True)
    result = {"sessions": len(to_ready),
              "ready_p50_ms": round(statistics.median(to_ready), 2), "ready_p99_ms": round(percentile(to_ready, 99), 2),
              "ready_max_ms": round(max(to_ready), 2),
              "thumbnail_p50_ms": round(statistics.median(to_thumbnail), 2),
              "thumbnail_p99_ms": round(percentile(to_thumbnail, 99), 2)}
    print(json.dumps(result))
    return result


LUA = """
local bodies, tokens = {}, {}
local counter, step = 0, 1
init = function(args)
  local file = io.open(args[1])
  for line in file:lines() do
    local tab = line:find("\\t")
    tokens[#tokens + 1] = line:sub(1, tab - 1)
    bodies[#bodies + 1] = line:sub(tab + 1)
  end
  file:close()
  counter = tonumber(args[2]) - 1
  step = tonumber(args[3])
end
request = function()
  counter = counter + step
  local i = (counter %% #bodies) + 1
  return wrk.format("POST", "/webhooks/livekit",
    {["Authorization"] = tokens[i], ["Content-Type"] = "application/webhook+json"}, bodies[i])
end
"""


def ingest(args):
    """Pre-signs distinct events (rooms opening, people joining and leaving, unused track events)."""
    sim = LiveKitSim(None)
    lines = []
    rooms = 200
    for r in range(rooms):
        sim.start_room(f"load-{r}")
    count = 0
    while count < args.events:
        for r in range(rooms):
            room = f"load-{r}"
            identity = f"p{count}"
            sim.join(room, identity)
            sim.leave(room, identity)
            count += 2
        for r in range(0, rooms, 4):
            sim.queue(webhook.WebhookEvent(event="track_published", room=sim.room_info(f"load-{r}"),
                                           track=models.TrackInfo(sid=f"TR_{count}")))
            count += 1
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as table:
        for event in sim.take_outbox():
            body, token = sim.signed(event, ttl=3600)
            table.write(f"{token}\t{body}\n")
            lines.append(1)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ())
    # Joins decide nothing here (manual start): what is measured is verify, de-duplicate, apply.
    tapedeck = Tapedeck(args, sim, policy_start="manual")
    # Each wrk connection count runs one thread; one table, one pass: no event is sent twice
    # unless the run outlasts the table (then the repeats are counted as duplicates, and reported).
    result = {"events_available": len(lines)}
    result["webhooks"] = wrk(tapedeck.base_url + "/webhooks/livekit", args.seconds, args.connections, script.name,
                             (table.name, "1", "1"))
    result["healthz"] = wrk(tapedeck.base_url + "/healthz", args.seconds, args.connections)
    result["ratio"] = round(result["webhooks"]["per_s"] / result["healthz"]["per_s"], 3)
    result["table_wrapped"] = result["webhooks"]["requests"] > len(lines)
    applied = requests.get(tapedeck.base_url + "/v1/recordings", timeout=5).status_code  # server still answering
    tapedeck.close()
    sim.close()
    os.unlink(table.name)
    os.unlink(script.name)
    result["database"] = "postgresql" if args.database_url else "sqlite"
    assert applied in (200, 401)
    print(json.dumps(result))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["start-latency", "ingest", "ready-latency"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--artifacts", default=tempfile.gettempdir())
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--events", type=int, default=60000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json")
    args = parser.parse_args()
    args.mode = args.mode.replace('-', '_')
    modes = {"start_latency": start_latency, "ingest": ingest, "ready_latency": ready_latency}
    result = modes[args.mode](args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
