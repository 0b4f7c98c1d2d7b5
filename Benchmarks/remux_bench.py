"""Post-processing a 1-hour 720p MP4 (HLS by remux, plus probe, thumbnail and storyboard) by
Tapedeck, next to the same ffmpeg commands run by hand, alternating runs in one script."""
import math
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "peers"))
from net import wait_until  # noqa: E402
from tapedeck_server import Server  # noqa: E402

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


def storyboard_filter(duration, width, height):
    """The job's storyboard layout: up to 100 frames 160 px wide, at least 2 s apart, 10 a row."""
    interval = max(2, math.ceil(duration / 100))
    count = min(100, max(1, math.ceil(duration / interval - 0.25)))
    columns = min(10, count)
    rows = (count + columns - 1) // columns
    tile_height = max(2, round(160 * height / width / 2) * 2)
    return f"fps=1/{interval}:eof_action=pass,scale=160:{tile_height},tile={columns}x{rows}"


def by_hand(source, scratch):
    """The job's ffmpeg work as commands: probe, a thumbnail from 10% in, HLS by remux, and the
    storyboard sheet from keyframes."""
    out = os.path.join(scratch, "hand")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out + "/hls")
    started = time.monotonic()
    probe = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", source],
                           check=True, capture_output=True, text=True)
    info = json.loads(probe.stdout)
    duration = float(info["format"]["duration"])
    video = [s for s in info["streams"] if s["codec_type"] == "video"][0]
    subprocess.run(["ffmpeg", *QUIET, "-y", "-ss", f"{duration * 0.1:.3f}", "-i", source, "-frames:v", "1",
                    "-vf", "scale=640:-2", "-q:v", "3", out + "/thumbnail.jpg"], check=True)
    hls_started = time.monotonic()
    subprocess.run(["ffmpeg", *QUIET, "-y", "-i", source, "-c", "copy", "-f", "hls", "-hls_time", "6",
                    "-hls_playlist_type", "vod", "-hls_segment_filename", out + "/hls/segment_%05d.ts",
                    out + "/hls/index.m3u8"], check=True)
    hls_seconds = time.monotonic() - hls_started
    subprocess.run(["ffmpeg", *QUIET, "-y", "-skip_frame", "nokey", "-threads", "1", "-filter_threads", "1", "-i", source, "-an",
                    "-vf", storyboard_filter(duration, video["width"], video["height"]), "-frames:v", "1",
                    "-update", "1", "-q:v", "4", out + "/storyboard.jpg"], check=True)
    ffmpeg_seconds = time.monotonic() - started
    # What a durable store adds: every output flushed to disk before it counts.
    for folder, _, names in os.walk(out):
        for name in names:
            with open(os.path.join(folder, name), "rb") as f:
                os.fsync(f.fileno())
    return ffmpeg_seconds, hls_seconds, time.monotonic() - started


def job_seconds(base):
    text = requests.get(base + "/metrics", timeout=10).text
    total = re.search(r'tapedeck_job_duration_seconds_sum\{kind="media.post_process"\} ([0-9.e+-]+)', text)
    count = re.search(r'tapedeck_job_duration_seconds_count\{kind="media.post_process"\} ([0-9]+)', text)
    return (float(total.group(1)), int(count.group(1))) if total and count else (0.0, 0)


def by_tapedeck(binary, source):
    """Imports the MP4 (local storage), then times the post-processing job the import queued."""
    tapedeck = Server(env={"TAPEDECK_LOG_LEVEL": "warning"}, name="remux-bench", binary=binary)
    try:
        tapedeck.cli("import", source, "--room", "hour")
        tapedeck.start()

        def finished():
            try:
                seconds, count = job_seconds(tapedeck.base_url)
            except requests.RequestException:
                return None
            return (seconds,) if count >= 1 else None
        try:
            [seconds] = wait_until(finished, timeout=1800, interval=0.2)
        except AssertionError:
            raise SystemExit("the post-processing job did not finish") from None
        return seconds
    finally:
        tapedeck.close()


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
        hand, hand_hls, hand_synced, job = [], [], [], []
        for run in range(args.runs):
            total, hls, synced = by_hand(source, scratch)
            hand.append(total)
            hand_hls.append(hls)
            hand_synced.append(synced)
            job.append(by_tapedeck(args.binary, source))
            print(f"run {run + 1}: by hand {total:.2f} s (HLS remux {hls:.2f} s; {synced:.2f} s with fsync), "
                  f"Tapedeck job {job[-1]:.2f} s")
        result = {"source_mb": round(os.path.getsize(source) / 1e6), "runs": args.runs,
                  "hand_median_s": round(statistics.median(hand), 2),
                  "hand_hls_only_median_s": round(statistics.median(hand_hls), 2),
                  "hand_with_fsync_median_s": round(statistics.median(hand_synced), 2),
                  "job_median_s": round(statistics.median(job), 2),
                  "ratio_job_to_hand": round(statistics.median(job) / statistics.median(hand), 2),
                  "ratio_job_to_hand_with_fsync": round(statistics.median(job) / statistics.median(hand_synced), 2)}
        print(json.dumps(result))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
