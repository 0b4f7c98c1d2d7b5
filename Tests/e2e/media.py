"""Real media made with ffmpeg, shared by the end-to-end suites."""
import os
import subprocess
import tempfile


def make_mp4(path, seconds=8, size="640x360", gop=60):
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30", "-f", "lavfi",
         "-i", "sine=frequency=440", "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-g", str(gop),
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", path],
        check=True)
    return path


def make_hls(mp4, directory, segment_seconds=2, fmp4=False):
    os.makedirs(directory, exist_ok=True)
    extra = ["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"] if fmp4 else []
    pattern = "seg_%03d.m4s" if fmp4 else "seg_%03d.ts"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", mp4, "-c", "copy", "-f", "hls", "-hls_time", str(segment_seconds),
         "-hls_playlist_type", "vod", *extra, "-hls_segment_filename", os.path.join(directory, pattern),
         os.path.join(directory, "index.m3u8")],
        check=True)
    return os.path.join(directory, "index.m3u8")


def probe_duration(path_or_url):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path_or_url],
                         check=True, capture_output=True, text=True).stdout.strip()
    return float(out)
