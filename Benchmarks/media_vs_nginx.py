"""wrk with random 64 KiB ranges against Tapedeck's /media and nginx, alternating, same file."""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

LUA = """
math.randomseed(os.time())
local blocks = %d
request = function()
  local offset = math.random(0, blocks - 1) * 65536
  return wrk.format("GET", "%s", {["Range"] = "bytes=" .. offset .. "-" .. (offset + 65535)})
end
"""


def signed_path(object_key, secret_file):
    """The /media URL Tapedeck itself would sign (same construction as MediaURLSigner)."""
    secret = open(secret_file, "rb").read()
    expires = int(time.time()) + 3600
    message = f"tapedeck-media-v1\n{object_key}\n{expires}\n\n".encode()
    signature = base64.urlsafe_b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode().rstrip("=")
    return f"/media/{urllib.parse.quote(object_key, safe='/~')}?expires={expires}&sig={signature}"


def wrk(base, path, seconds, connections):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ((1 << 30) // 65536, path))
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, base],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = re.search(r"Latency\s+([\d.]+\w+)", out).group(1)
    return {"requests_per_s": requests, "mib_per_s": round(requests * 65536 / (1 << 20), 1),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "mean_latency": latency}


def main():
    parser = argparse.ArgumentParser()
    for name in ("tapedeck", "nginx", "object", "secret", "json"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    paths = {"tapedeck": signed_path(args.object, args.secret),
             "nginx": "/" + urllib.parse.quote(args.object, safe="/~")}
    for name, base in (("tapedeck", args.tapedeck), ("nginx", args.nginx)):
        for _ in range(100):
            try:
                request = urllib.request.Request(base + paths[name], headers={"Range": "bytes=0-65535"})
                assert urllib.request.urlopen(request, timeout=2).status == 206
                break
            except Exception:
                time.sleep(0.1)
        else:
            raise SystemExit(f"{name} does not serve {paths[name]}")
    results = {"tapedeck": [], "nginx": []}
    for _ in range(2):
        for name, base in (("tapedeck", args.tapedeck), ("nginx", args.nginx)):
            results[name].append(wrk(base, paths[name], args.seconds, args.connections))
    best = {name: max(runs, key=lambda r: r["requests_per_s"]) for name, runs in results.items()}
    ratio = round(best["tapedeck"]["requests_per_s"] / best["nginx"]["requests_per_s"], 2)
    print(f"{'server':10} {'req/s':>10} {'MiB/s':>8} {'non-2xx':>8}")
    for name, r in best.items():
        print(f"{name:10} {r['requests_per_s']:10.0f} {r['mib_per_s']:8.1f} {r['non_2xx']:8d}")
    print(f"throughput ratio tapedeck/nginx: {ratio}")
    with open(args.json, "w") as f:
        json.dump({"best": best, "runs": results, "ratio": ratio, "connections": args.connections,
                   "seconds": args.seconds}, f, indent=2)


if __name__ == "__main__":
    main()
