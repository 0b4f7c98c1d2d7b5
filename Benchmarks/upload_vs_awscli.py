"""Runs `tapedeck import` and `aws s3 cp` alternately on one file; reports CPU per GiB and peak RSS."""
import argparse
import json
import os
import statistics

import boto3

from bench_common import timed


def main():
    parser = argparse.ArgumentParser()
    for name in ("tapedeck", "file", "endpoint", "bucket", "work", "json"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gib = os.path.getsize(args.file) / (1 << 30)
    s3 = boto3.client("s3", endpoint_url=args.endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                      region_name="us-east-1")
    base = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    tapedeck_env = dict(base, TAPEDECK_STORAGE="s3", TAPEDECK_S3_ENDPOINT=args.endpoint, TAPEDECK_S3_BUCKET=args.bucket,
                        TAPEDECK_S3_ACCESS_KEY_ID="bench", TAPEDECK_S3_SECRET_ACCESS_KEY="bench",
                        TAPEDECK_S3_PREFIX="tapedeck", TAPEDECK_DATA_DIR=os.path.join(args.work, "data"),
                        TAPEDECK_LOG_LEVEL="warning")
    results = {"tapedeck": [], "tapedeck-verify-etags": [], "aws": []}
    for run in range(args.runs):
        for tool in results:
            if tool.startswith("tapedeck"):
                command = [args.tapedeck, "import", args.file, "--room", f"bench-{run}"]
                env = dict(tapedeck_env, TAPEDECK_S3_VERIFY_ETAGS="true" if tool.endswith("etags") else "false")
            else:
                command = ["aws", "s3", "cp", args.file, f"s3://{args.bucket}/awscli/run-{run}.mp4",
                           "--endpoint-url", args.endpoint, "--no-progress", "--only-show-errors"]
                env = base
            wall, cpu, rss = timed(command, env)
            results[tool].append({"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": rss})
            # Free the server's memory between runs (moto keeps objects in RAM).
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket):
                for item in page.get("Contents", []):
                    s3.delete_object(Bucket=args.bucket, Key=item["Key"])
    summary = {}
    for tool, runs in results.items():
        summary[tool] = {
            "cpu_s_per_gib": round(statistics.median(r["cpu_s"] for r in runs) / gib, 2),
            "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs), 1),
            "wall_s_per_gib": round(statistics.median(r["wall_s"] for r in runs) / gib, 2),
        }
    summary["cpu_ratio_tapedeck_to_aws"] = round(summary["tapedeck"]["cpu_s_per_gib"] / summary["aws"]["cpu_s_per_gib"], 2)
    summary["file_gib"] = round(gib, 2)
    summary["runs"] = results
    summary["cpu_ratio_verify_etags_to_aws"] = round(
        summary["tapedeck-verify-etags"]["cpu_s_per_gib"] / summary["aws"]["cpu_s_per_gib"], 2)
    print(f"{'client':24} {'CPU s/GiB':>10} {'peak RSS MiB':>13} {'wall s/GiB':>11}")
    for tool in results:
        s = summary[tool]
        print(f"{tool:24} {s['cpu_s_per_gib']:10.2f} {s['peak_rss_mib']:13.1f} {s['wall_s_per_gib']:11.2f}")
    print(f"CPU ratio tapedeck/aws: {summary['cpu_ratio_tapedeck_to_aws']} "
          f"(with TAPEDECK_S3_VERIFY_ETAGS=true: {summary['cpu_ratio_verify_etags_to_aws']})")
    with open(args.json, "w") as f:
        json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
