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


def pad_mp4(path, size, chunk=8 << 20):
    """Grows the MP4 at `path` to `size` bytes with a trailing `free` box of random bytes: the same
    valid media (players and ffprobe skip the box), as large as a long recording, without the hours
    it would take to encode one; random so that nothing on the way could compress it."""
    box = size - os.path.getsize(path)
    assert 8 <= box < 1 << 32, f"a free box of {box} bytes does not fit a 32-bit box size"
    with open(path, "ab") as f:
        f.write(box.to_bytes(4, "big") + b"free")
        left = box - 8
        while left:
            written = f.write(os.urandom(min(chunk, left)))
            left -= written
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


def read_storyboard(url):
    """Fetches a storyboard index from its signed link and returns its cues as
    (start_s, end_s, image_url, (x, y, w, h)), checking it is WebVTT."""
    import requests
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/vtt")
    text = response.text
    assert text.startswith("WEBVTT")

    def seconds(stamp):
        h, m, s = stamp.strip().split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues = []
    for block in text.split("\n\n")[1:]:
        timing, reference = block.strip().split("\n")[:2]
        start, end = timing.split("-->")
        image, box = reference.split("#xywh=")
        cues.append((seconds(start), seconds(end), image, tuple(int(v) for v in box.split(","))))
    return cues


def check_storyboard(url, duration_s, video_size):
    """The storyboard covers the recording without gaps, and its sprite is a JPEG holding every
    tile its index names, at the video's aspect ratio, with no black (missing) tile."""
    import requests
    cues = read_storyboard(url)
    assert cues, "empty storyboard"
    assert cues[0][0] == 0 and abs(cues[-1][1] - duration_s) <= 0.05
    for previous, following in zip(cues, cues[1:]):
        assert previous[1] == following[0]
    [sprite] = {cue[2] for cue in cues}
    assert sprite.startswith("http"), "the sprite reference was not signed"
    assert requests.get(sprite, timeout=10).content[:3] == b"\xff\xd8\xff"
    width = int(probe_entry("stream=width", sprite))
    height = int(probe_entry("stream=height", sprite))
    tile_w, tile_h = cues[0][3][2:]
    assert tile_w == 160 and abs(tile_h - 160 * video_size[1] / video_size[0]) <= 1
    assert max(x + w for _, _, _, (x, _, w, _) in cues) == width
    assert max(y + h for _, _, _, (_, y, _, h) in cues) == height
    local = sprite_file(sprite)
    try:
        for _, _, _, (x, y, w, h) in cues:
            luma = probe_entry("frame_tags=lavfi.signalstats.YAVG", f"movie={local},crop={w}:{h}:{x}:{y},signalstats",
                               lavfi=True)
            assert float(luma) > 40, f"tile at {x},{y} is black"
    finally:
        os.remove(local)
    return cues


def probe_entry(entries, target, lavfi=False):
    args = ["ffprobe", "-v", "error"] + (["-f", "lavfi"] if lavfi else []) + \
        ["-show_entries", entries, "-of", "default=noprint_wrappers=1:nokey=1", target]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.split("\n")[0].strip()


def sprite_file(url):
    """A local copy of the sprite (the movie filter's argument syntax cannot carry a signed URL)."""
    import requests
    path = os.path.join(tempfile.gettempdir(), f"tapedeck-sprite-{os.getpid()}.jpg")
    with open(path, "wb") as f:
        f.write(requests.get(url, timeout=10).content)
    return path
