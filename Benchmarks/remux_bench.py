"""Post-processing a 1-hour 720p MP4 (HLS by remux, plus probe and thumbnail) by Tapedeck, next
to the same ffmpeg commands run by hand, alternating runs in one script."""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

import requests

QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error"]


def make_hour(directory):
    """One minute encoded once, then repeated 60 times by stream copy: a 1-hour 720p MP4 in seconds."""
    minute = os.path.join(directory, "minute.mp4")
    subprocess.run(["ffmpeg", *QUIET, "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi",
                    "-i", "sine=frequency=440", "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-g", "60",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", minute], check=True)
    listing = os.path.join(directory, "list.txt")
    with open(listing, "w") as f:
        f.write("".join(f"file '{minute}'\n" for _ in range(60)))
    hour = os.path.join(directory, "hour.mp4")
    subprocess.run(["ffmpeg", *QUIET, "-y", "-f", "concat", "-safe", "0", "-i", listing, "-c", "copy",
                    "-movflags", "+faststart", hour], check=True)
    os.remove(minute)
    return hour


def by_hand(source, scratch):
    """What the job does, as shell commands: probe, a thumbnail from 10% in, HLS by remux, store the
    segments (copied and fsynced, as the local store does)."""
    out = os.path.join(scratch, "hand")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out + "/hls")
    os.makedirs(out + "/store")
    started = time.monotonic()
    probe = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", source],
                           check=True, capture_output=True, text=True)
    duration = float(json.loads(probe.stdout)["format"]["duration"])
    subprocess.run(["ffmpeg", *QUIET, "-y", "-ss", f"{duration * 0.1:.3f}", "-i", source, "-frames:v", "1",
                    "-vf", "scale=640:-2", "-q:v", "3", out + "/thumbnail.jpg"], check=True)
    hls_started = time.monotonic()
    subprocess.run(["ffmpeg", *QUIET, "-y", "-i", source, "-c", "copy", "-f", "hls", "-hls_time", "6",
                    "-hls_playlist_type", "vod", "-hls_segment_filename", out + "/hls/segment_%05d.ts",
                    out + "/hls/index.m3u8"], check=True)
    hls_seconds = time.monotonic() - hls_started
    # Stored the way a durable store must: each file copied and flushed to disk before it counts.
    for name in sorted(os.listdir(out + "/hls")):
        target = os.path.join(out, "store", name)
        shutil.copyfile(os.path.join(out, "hls", name), target)
        with open(target, "rb+") as f:
            os.fsync(f.fileno())
    return time.monotonic() - started, hls_seconds


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def job_seconds(base):
    text = requests.get(base + "/metrics", timeout=10).text
    total = re.search(r'tapedeck_job_duration_seconds_sum\{kind="media.post_process"\} ([0-9.e+-]+)', text)
    count = re.search(r'tapedeck_job_duration_seconds_count\{kind="media.post_process"\} ([0-9]+)', text)
    return (float(total.group(1)), int(count.group(1))) if total and count else (0.0, 0)


def by_tapedeck(binary, source, scratch):
    """Imports the MP4 (local storage), then times the post-processing job the import queued."""
    data = os.path.join(scratch, "tapedeck")
    shutil.rmtree(data, ignore_errors=True)
    port = free_port()
    env = dict(os.environ, TAPEDECK_DATA_DIR=data, TAPEDECK_PORT=str(port), TAPEDECK_LOG_LEVEL="warning")
    subprocess.run([binary, "import", source, "--room", "hour"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 1800
        while time.time() < deadline:
            try:
                seconds, count = job_seconds(base)
                if count >= 1:
                    return seconds
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("the post-processing job did not finish")
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="tapedeck-remux-")
    try:
        made = time.monotonic()
        source = make_hour(scratch)
        print(f"1-hour 720p MP4: {os.path.getsize(source) / 1e6:.0f} MB, made in {time.monotonic() - made:.0f} s")
        hand, hand_hls, job = [], [], []
        for run in range(args.runs):
            total, hls = by_hand(source, scratch)
            hand.append(total)
            hand_hls.append(hls)
            job.append(by_tapedeck(args.binary, source, scratch))
            print(f"run {run + 1}: by hand {total:.2f} s (HLS remux {hls:.2f} s), Tapedeck job {job[-1]:.2f} s")
        result = {"source_mb": round(os.path.getsize(source) / 1e6), "runs": args.runs,
                  "hand_median_s": round(statistics.median(hand), 2),
                  "hand_hls_only_median_s": round(statistics.median(hand_hls), 2),
                  "job_median_s": round(statistics.median(job), 2),
                  "ratio_job_to_hand": round(statistics.median(job) / statistics.median(hand), 2)}
        print(json.dumps(result))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
