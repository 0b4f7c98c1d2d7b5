"""Verified LiveKit webhook ingest on PostgreSQL: one instance (direct, and behind the deploy
nginx), three instances behind the deploy nginx, and PostgreSQL's own ceiling for the same
statements (pgbench).

The webhooks are those of `livekit.sh`'s ingest (livekit_bench.py): 200 open rooms, people
joining and leaving, one unused track event per eight of theirs; pre-signed with the SDK, each
distinct, replayed by wrk in one pass (none is a duplicate). Each configuration gets a database
of its own, seeded with the rooms' room_started webhooks. During every run the CPU time of each
process involved is read from /proc (Tapedeck instances, nginx, PostgreSQL's backends, the load
generator), and PostgreSQL's committed transactions: the share of the two cores each took says
what bounds the rate.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Tests", "peers"))
from deploy_nginx import DeployNginx  # noqa: E402
from livekit_sim import LiveKitSim  # noqa: E402
from livekit.protocol import models, webhook  # noqa: E402
from tapedeck_server import ScratchPostgres, Server  # noqa: E402
from livekit_bench import LUA  # noqa: E402
from bench_common import cpu_seconds  # noqa: E402
from load import report, wrk  # noqa: E402

ROOMS = 200


def presigned(sim, events, directory):
    """The rooms' room_started webhooks (to seed each database), and a wrk table of `events`
    distinct webhooks (token TAB body per line)."""
    for r in range(ROOMS):
        sim.start_room(f"load-{r}", sid=f"RM_load_{r}")
    seeds = [sim.signed(event, ttl=7200) for event in sim.take_outbox()]
    count = 0
    while count < events:
        for r in range(ROOMS):
            identity = f"p{count}"
            sim.join(f"load-{r}", identity)
            sim.leave(f"load-{r}", identity)
            count += 2
        for r in range(0, ROOMS, 4):
            sim.queue(webhook.WebhookEvent(event="track_published", room=sim.room_info(f"load-{r}"),
                                           track=models.TrackInfo(sid=f"TR_{count}")))
            count += 1
    table = os.path.join(directory, "webhooks.tsv")
    with open(table, "w") as f:
        for event in sim.take_outbox():
            body, token = sim.signed(event, ttl=7200)
            f.write(f"{token}\t{body}\n")
    script = os.path.join(directory, "webhooks.lua")
    with open(script, "w") as f:
        f.write(LUA % ())
    return seeds, table, script, count


def postgres_pids():
    """PostgreSQL's server processes: the postmaster of TEST_DATABASE_URL's port and its children
    (one backend per connection), from one `ps`."""
    port = re.search(r":(\d+)/", os.environ["TEST_DATABASE_URL"]).group(1)
    table = [line.split(None, 2) for line in
             subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout.splitlines()]
    masters = {pid for pid, _, command in table if "postgres" in command and f"-p {port}" in command}
    return [int(pid) for pid, parent, _ in table if pid in masters or parent in masters]


class CPU:
    """CPU seconds used by groups of processes between start() and stop(); a process that appears
    meanwhile (a new backend) counts from zero."""

    def __init__(self, groups):
        self.groups = groups  # name -> function giving pids

    def discover(self):
        return [(name, pid) for name, pids in self.groups.items() for pid in pids()]

    @staticmethod
    def read(processes):
        """CPU seconds by (group, pid), read in one quick pass over /proc (finding the processes
        is the slow part, done before)."""
        out = {}
        for name, pid in processes:
            try:
                out[(name, pid)] = cpu_seconds(pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return out

    def start(self):
        self.before = self.read(self.discover())
        self.started = time.monotonic()

    def stop(self):
        processes = set(self.before) | set(self.discover())
        after, wall = self.read(processes), time.monotonic() - self.started
        used = {}
        for (name, pid), seconds in after.items():
            used[name] = used.get(name, 0) + seconds - self.before.get((name, pid), 0)
        return {name: round(seconds / wall, 2) for name, seconds in sorted(used.items())}

    def during(self, seconds):
        """Measures in the background over the middle of a run of `seconds` (half a second
        trimmed at each end, where the load generator starts and stops); join() the thread, then
        read `.cores`: cores used by each group."""
        self.cores = {}

        def watch():
            began = time.monotonic()
            time.sleep(0.5)
            self.start()
            time.sleep(max(0.5, began + seconds - 0.5 - time.monotonic() - 0.3))  # finding them
            self.cores = self.stop()
        thread = threading.Thread(target=watch)
        thread.start()
        return thread


def profile(args, pids, name):
    """With --perf DIR: samples the Tapedeck processes' stacks during the run (perf record), for
    `perf report -i DIR/perf-NAME.data --no-children | swift demangle`."""
    if not args.perf:
        return None
    os.makedirs(args.perf, exist_ok=True)
    return subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-p", ",".join(map(str, pids)),
                             "-o", os.path.join(args.perf, f"perf-{name}.data"), "--", "sleep", str(max(1, args.seconds - 1))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def committed(url):
    out = subprocess.run(["psql", url, "-Atc", "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())


def configuration(args, sim, seeds, table, script, instances, through_nginx):
    """One wrk run against `instances` serve processes on a fresh database; the rate, and who
    used the CPU."""
    database = ScratchPostgres()
    servers, nginx = [], None
    try:
        env = {**sim.env(), "DATABASE_URL": database.url, "TAPEDECK_LOG_LEVEL": "warning", "TAPEDECK_POLICY_START": "manual",
               "TAPEDECK_EGRESS_DIR": tempfile.gettempdir()}
        first = Server(env=env, name=f"cluster-ingest-{instances}", artifacts=args.artifacts, binary=args.binary)
        first.cli("migrate")
        servers.append(first.start())
        for n in range(1, instances):
            servers.append(Server(env=env, name=f"cluster-ingest-{instances}-{n}", artifacts=args.artifacts,
                                  binary=args.binary).start())
        with requests.Session() as session:
            for body, token in seeds:
                answer = session.post(first.base_url + "/webhooks/livekit", data=body.encode(), timeout=10,
                                      headers={"Authorization": token, "Content-Type": "application/webhook+json"})
                assert answer.status_code == 200, answer.text
        target = first.base_url
        if through_nginx:
            nginx = DeployNginx([s.port for s in servers], args.artifacts, name=f"cluster-ingest-nginx-{instances}").start()
            target = nginx.base_url
        groups = {f"tapedeck-{i}": (lambda s=s: [s.process.pid]) for i, s in enumerate(servers)}
        groups["postgres"] = postgres_pids
        if nginx:
            groups["nginx"] = nginx.pids
        groups["wrk"] = lambda: [int(p) for p in subprocess.run(["pgrep", "-x", "wrk"], capture_output=True,
                                                                  text=True).stdout.split()]
        cpu = CPU(groups)
        commits = committed(database.url)
        watcher = cpu.during(args.seconds)
        profiler = profile(args, [s.process.pid for s in servers], f"{instances}-{'nginx' if through_nginx else 'direct'}")
        result = wrk(target + "/webhooks/livekit", args.seconds, args.connections, script, (table, "1", "1"))
        watcher.join()
        if profiler:
            profiler.wait()
        commits = committed(database.url) - commits
        stored = int(subprocess.run(["psql", database.url, "-Atc", "SELECT COUNT(*) FROM inbound_events"],
                                    capture_output=True, text=True, check=True).stdout) - len(seeds)
        result.update({"instances": instances, "through_nginx": through_nginx, "cores": cpu.cores,
                       "cores_total": round(sum(cpu.cores.values()), 2), "webhooks_stored": stored,
                       "cpu_ms_per_webhook": {name: round(1000 * cores / max(1, result["per_s"]), 3)
                                              for name, cores in cpu.cores.items()},
                       "pg_commits_per_webhook": round(commits / max(1, result["requests"]), 2)})
        return result
    finally:
        if nginx:
            nginx.stop()
        for server in servers:
            server.close()
        database.drop()


def pgbench_ceiling(args, sim, seeds):
    """PostgreSQL alone doing the webhooks' statements (pgbench, C clients), on a database seeded
    by Tapedeck with the same rooms: webhooks per second, best of the client counts tried, with
    statements kept prepared (as Tapedeck keeps most of a webhook's) and unnamed (parsed and
    planned each time); the ceiling is the best of both."""
    database = ScratchPostgres()
    server = None
    try:
        env = {**sim.env(), "DATABASE_URL": database.url, "TAPEDECK_LOG_LEVEL": "warning", "TAPEDECK_POLICY_START": "manual",
               "TAPEDECK_EGRESS_DIR": tempfile.gettempdir()}
        server = Server(env=env, name="cluster-ingest-seed", artifacts=args.artifacts, binary=args.binary).start()
        with requests.Session() as session:
            for body, token in seeds:
                assert session.post(server.base_url + "/webhooks/livekit", data=body.encode(), timeout=10,
                                    headers={"Authorization": token, "Content-Type": "application/webhook+json"}).status_code == 200
        server.stop()
        runs = []
        for mode, clients in [(m, c) for m in ("prepared", "extended") for c in args.pgbench_clients]:
            cpu = CPU({"postgres": postgres_pids,
                       "pgbench": lambda: [int(p) for p in subprocess.run(["pgrep", "-x", "pgbench"], capture_output=True,
                                                                             text=True).stdout.split()]})
            watcher = cpu.during(args.seconds)
            # Eight participant webhooks (four join-leave pairs) to one track webhook, as in the wrk table.
            done = subprocess.run(["pgbench", "-n", "-M", mode, "-c", str(clients), "-j", "1", "-T", str(args.seconds),
                                   "-f", os.path.join(HERE, "cluster-ingest-join-leave.sql") + "@4",
                                   "-f", os.path.join(HERE, "cluster-ingest-track.sql") + "@1", database.url],
                                  capture_output=True, text=True)
            watcher.join()
            if done.returncode != 0:
                raise SystemExit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
            counts = [int(n) for n in re.findall(r"SQL script \d+: .*?\n - weight: \d+ .*?\n - (\d+) transactions", done.stdout)]
            duration = float(re.search(r"duration: (\d+) s", done.stdout).group(1))
            webhooks = 2 * counts[0] + counts[1]
            failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
            rate = webhooks / duration
            runs.append({"mode": mode, "clients": clients, "webhooks_per_s": round(rate),
                         "cpu_ms_per_webhook": {name: round(1000 * cores / max(1, rate), 3) for name, cores in cpu.cores.items()},
                         "failed": int(failed.group(1)) if failed else 0, "cores": cpu.cores,
                         "cores_total": round(sum(cpu.cores.values()), 2)})
        best = max(runs, key=lambda r: r["webhooks_per_s"])
        by_mode = {m: max(r["webhooks_per_s"] for r in runs if r["mode"] == m) for m in ("prepared", "extended")}
        return {"runs": runs, "ceiling_per_s": best["webhooks_per_s"], "best_clients": best["clients"], "best_mode": best["mode"],
                "ceiling_per_s_by_mode": by_mode}
    finally:
        if server:
            server.close()
        database.drop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", default=tempfile.gettempdir())
    parser.add_argument("--events", type=int, default=40000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pgbench-clients", type=lambda s: [int(c) for c in s.split(",")], default=[4, 8, 16])
    parser.add_argument("--json")
    parser.add_argument("--only", choices=["one_direct", "one_nginx", "three_nginx"],
                        help="run this configuration alone (no pgbench, no ratios)")
    parser.add_argument("--perf", help="folder for perf profiles of the Tapedeck processes during each run")
    parser.add_argument("--baseline", help="with --only: another tapedeck binary, run in turn with --binary")
    parser.add_argument("--repeat", type=int, default=1, help="with --only: runs of each binary, alternating")
    args = parser.parse_args()
    if "TEST_DATABASE_URL" not in os.environ:
        raise SystemExit("needs PostgreSQL (TEST_DATABASE_URL; Benchmarks/cluster_ingest.sh starts one)")
    scratch = tempfile.mkdtemp(prefix="tapedeck-cluster-ingest-")
    sim = LiveKitSim(None)
    try:
        seeds, table, script, count = presigned(sim, args.events, scratch)
        result = {"events_available": count, "load": os.getloadavg()[0]}
        if args.only:
            instances, nginx = {"one_direct": (1, False), "one_nginx": (1, True), "three_nginx": (3, True)}[args.only]
            binaries = {"binary": args.binary, **({"baseline": args.baseline} if args.baseline else {})}
            runs = {name: [] for name in binaries}
            for _ in range(args.repeat):
                for name, binary in binaries.items():
                    run = configuration(argparse.Namespace(**{**vars(args), "binary": binary}), sim, seeds, table, script,
                                        instances, through_nginx=nginx)
                    runs[name].append(run)
                    print(json.dumps({name: run}), flush=True)
            result[args.only] = runs
            if args.baseline:
                def tapedeck_ms(run):
                    return sum(ms for name, ms in run["cpu_ms_per_webhook"].items() if name.startswith("tapedeck"))
                result["tapedeck_cpu_ms_per_webhook"] = {name: sorted(round(tapedeck_ms(r), 3) for r in rs) for name, rs in runs.items()}
                result["per_s"] = {name: sorted(r["per_s"] for r in rs) for name, rs in runs.items()}
            report(result, args.json)
            return
        result["one_direct"] = configuration(args, sim, seeds, table, script, 1, through_nginx=False)
        result["one_nginx"] = configuration(args, sim, seeds, table, script, 1, through_nginx=True)
        result["three_nginx"] = configuration(args, sim, seeds, table, script, 3, through_nginx=True)
        result["pgbench"] = pgbench_ceiling(args, sim, seeds)
        ceiling = result["pgbench"]["ceiling_per_s"]
        single = result["one_direct"]["per_s"]
        result["three_vs_one"] = round(result["three_nginx"]["per_s"] / single, 2)
        result["three_vs_pgbench"] = round(result["three_nginx"]["per_s"] / ceiling, 2)
        result["one_vs_pgbench"] = round(single / ceiling, 2)
        result["three_vs_pgbench_unnamed"] = round(result["three_nginx"]["per_s"] / result["pgbench"]["ceiling_per_s_by_mode"]["extended"], 2)
        result["load_after"] = os.getloadavg()[0]
        for name in ("one_direct", "one_nginx", "three_nginx"):
            if result[name]["requests"] > count:
                result[name]["table_wrapped"] = True  # repeats were duplicates: the rate is then not all applies
        report(result, args.json)
    finally:
        sim.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
