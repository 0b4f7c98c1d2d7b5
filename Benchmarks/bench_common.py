"""What the benchmark scripts share: percentiles and a latency summary, a process's resident
memory and CPU time, and a command timed by GNU time."""
import os
import statistics
import subprocess


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency_summary(milliseconds):
    """Count, p50 (the median), p99, max and mean of latencies in milliseconds."""
    return {"sessions": len(milliseconds), "p50_ms": round(statistics.median(milliseconds), 2),
            "p99_ms": round(percentile(milliseconds, 99), 2), "max_ms": round(max(milliseconds), 2),
            "mean_ms": round(statistics.mean(milliseconds), 2)}


def memory(pid):
    """VmRSS (now) and VmHWM (the peak so far) of a process, in MiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                name, value = line.split(":")
                fields[name] = int(value.split()[0]) / 1024
    return fields


def cpu_seconds(pid):
    """User plus system CPU time a process has used so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(command, env):
    """Wall seconds, CPU seconds (user+sys) and peak RSS in MiB of one command, via GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *command], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    wall, user, system, rss_kb = result.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss_kb) / 1024
