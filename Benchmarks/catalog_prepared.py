"""What preparing the listings' statements would save, on the catalog catalog-scale.sh seeded.

Each listing statement exactly as a `serve` sent it (read back from PostgreSQL's log, with its
parameters) is run by pgbench, one client, as Tapedeck sends it (-M extended: an unnamed
statement, parsed and planned every time) and as a prepared statement (-M prepared: parsed once,
and planned once PostgreSQL settles on a generic plan), in alternation. Next to it, the plan
PostgreSQL would cache (generic) and the one it makes for the values (custom): preparing only
pays if the generic plan is as good for every value.

    catalog_prepared.py --log PG_LOG --database-url URL [--seconds 15] [--rounds 2]"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile

from bench_common import percentile

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
EXECUTE = re.compile(r"execute [^:]+: (?=WITH page AS \()")
PARAMETER = re.compile(r"\$(\d+) = '((?:[^']|'')*)'")


def logged_listings(path):
    """{scenario: (sql, {n: value})} of the last listing of each scenario in the log."""
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    found = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        match = EXECUTE.search(line)
        if not match:
            index += 1
            continue
        text = [line[match.end():]]
        index += 1
        while index < len(lines) and not LOG_LINE.match(lines[index]):
            text.append(lines[index])
            index += 1
        parameters = {}
        if index < len(lines) and "DETAIL:  parameters:" in lines[index]:
            parameters = {int(n): value.replace("''", "'") for n, value in PARAMETER.findall(lines[index])}
        sql = "\n".join(text)
        if "named.name" in sql:
            scenario = "room filter"
        elif "(r.created_at, r.id) <" in sql:
            scenario = "10,000 deep"
        else:
            scenario = "first page"
        found[scenario] = (sql, parameters)
    return found


def pgbench(url, sql, parameters, mode, seconds, workdir):
    """Latencies (ms) of one pgbench run of `sql` alone."""
    script = os.path.join(workdir, "statement.sql")
    with open(script, "w") as f:
        f.write(re.sub(r"\$(\d+)", r":p\1", sql) + ";\n")
    prefix = os.path.join(workdir, f"run-{mode}")
    for name in os.listdir(workdir):
        if name.startswith(f"run-{mode}"):
            os.remove(os.path.join(workdir, name))
    command = ["pgbench", "-n", "-M", mode, "-c", "1", "-T", str(seconds), "-f", script, "-l", f"--log-prefix={prefix}"]
    for n, value in parameters.items():
        command += ["-D", f"p{n}={value}"]
    subprocess.run(command + [url], check=True, capture_output=True)
    latencies = []
    for name in os.listdir(workdir):
        if name.startswith(f"run-{mode}"):
            for row in open(os.path.join(workdir, name)):
                latencies.append(int(row.split()[2]) / 1000)
    return latencies


def plan(url, sql, parameters, cache_mode):
    """The plan PostgreSQL makes for the prepared statement under `plan_cache_mode`."""
    arguments = ", ".join("'" + parameters[n].replace("'", "''") + "'" for n in sorted(parameters))
    execute = f"EXECUTE listing({arguments})" if parameters else "EXECUTE listing"
    script = (f"SET plan_cache_mode = {cache_mode};\nPREPARE listing AS {sql};\n"
              f"EXPLAIN (COSTS OFF) {execute};\n")
    result = subprocess.run(["psql", url, "-X", "-qAt", "-v", "ON_ERROR_STOP=1"], input=script, check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def plan_shape(text):
    """A plan without its values: a generic plan shows `$1` where a custom one shows the value."""
    return re.sub(r"'(?:[^']|'')*'::[a-z]+|\$\d+", "?", text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    listings = logged_listings(args.log)
    if len(listings) != 3:
        raise SystemExit(f"expected the three listings in the log, found {sorted(listings)}")
    print("| scenario | round | statement | transactions | p50 | p99 | mean |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as workdir:
        for scenario in ("room filter", "first page", "10,000 deep"):
            sql, parameters = listings[scenario]
            for round_number in range(1, args.rounds + 1):
                for mode, label in (("extended", "unnamed (as sent)"), ("prepared", "prepared")):
                    ms = pgbench(args.database_url, sql, parameters, mode, args.seconds, workdir)
                    print(f"| {scenario} | {round_number} | {label} | {len(ms)} | {percentile(ms, 50):.3f} ms "
                          f"| {percentile(ms, 99):.3f} ms | {statistics.mean(ms):.3f} ms |")
    for scenario in ("room filter", "first page", "10,000 deep"):
        sql, parameters = listings[scenario]
        custom, generic = (plan(args.database_url, sql, parameters, mode) for mode in ("force_custom_plan", "force_generic_plan"))
        print(f"\n{scenario}: the generic plan {'is the custom plan' if plan_shape(custom) == plan_shape(generic) else 'differs from the custom plan'}")
        if plan_shape(custom) != plan_shape(generic):
            print("custom:\n" + custom + "\ngeneric:\n" + generic)


if __name__ == "__main__":
    main()
