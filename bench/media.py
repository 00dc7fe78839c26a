"""Media benchmark: upload throughput and the command API's memory while it streams, thumbnail time to first byte.

Uploads a 20 MB file several times (a video: the streaming path, no decoding) and a large photo (the image path:
decode, strip, re-encode, thumbnail), sampling the command API's resident memory every few milliseconds; then
fetches a thumbnail through its signed URL many times and reports the time to the first byte.
Usage: `.venv/bin/python -m bench.media --mb 20 --runs 5 --ttfb 200`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from bench.common import machine, percentile, rss_mib, start_stack, stop_stack
from tests import media_samples as samples
from tests.support import Stack, bearer, register

MiB = 1024 * 1024


def _vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """The highest VmRSS of a process seen while running (sampled every ``interval`` seconds in a thread)."""

    def __init__(self, pid: int, interval: float = 0.002) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def big_video(size: int) -> bytes:
    """An MP4 whose media data is ``size`` bytes of noise (incompressible, like real video)."""
    small = samples.mp4(b"vide", b"soun")  # ftyp, mdat (2 KiB), moov
    ftyp = int.from_bytes(small[:4], "big")
    old_mdat = int.from_bytes(small[ftyp : ftyp + 4], "big")
    return small[:ftyp] + (8 + size).to_bytes(4, "big") + b"mdat" + os.urandom(size) + small[ftyp + old_mdat :]


def big_photo(width: int, height: int) -> bytes:
    # Noise at a tenth of the size, scaled up: smooth like a photo, so it compresses like one.
    noise = Image.frombytes("RGB", (width // 10, height // 10), os.urandom(width * height * 3 // 100))
    picture = noise.resize((width, height), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85, exif=samples.exif_with_gps(6))
    return buffer.getvalue()


async def timed_upload(http: httpx.AsyncClient, stack: Stack, user: dict[str, Any], data: bytes, name: str) -> float:
    started = time.perf_counter()
    response = await http.post(
        f"{stack.url('command')}/api/uploads",
        files={"file": (name, data, "application/octet-stream")},
        headers=bearer(user["access_token"]),
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


async def ttfb(http: httpx.AsyncClient, url: str) -> float:
    started = time.perf_counter()
    async with http.stream("GET", url) as response:
        async for _ in response.aiter_raw():
            first = time.perf_counter() - started
            break
        response.raise_for_status()
    return first


async def run(mb: int, runs: int, ttfb_runs: int) -> None:
    stack, infra = start_stack()
    try:
        pid = stack.process("command").proc.pid  # type: ignore[union-attr]
        async with httpx.AsyncClient(timeout=120) as http:
            user = await register(http, stack, name="Bench")
            idle = rss_mib(pid)
            video = big_video(mb * MiB)
            await timed_upload(http, stack, user, samples.mp4_video(), "warm.mp4")
            seconds = []
            with RssSampler(pid) as video_rss:
                for i in range(runs):
                    seconds.append(await timed_upload(http, stack, user, video, f"clip{i}.mp4"))
            photo = big_photo(4000, 3000)
            photo_seconds = []
            with RssSampler(pid) as photo_rss:
                for i in range(max(1, runs // 2)):
                    photo_seconds.append(await timed_upload(http, stack, user, photo, f"photo{i}.jpg"))
            hwm = _vm_hwm_mib(pid)

            small = await http.post(
                f"{stack.url('command')}/api/uploads",
                files={"file": ("p.jpg", samples.jpeg_with_gps((1600, 1200)), "image/jpeg")},
                headers=bearer(user["access_token"]),
            )
            url = stack.url("query") + small.json()["media"]["thumbnail_url"]
            cold = await ttfb(http, url)
            times = [await ttfb(http, url) for _ in range(ttfb_runs)]

        size_mb = len(video) / 1e6
        rates = [size_mb / s for s in seconds]
        ms = [t * 1000 for t in times]
        print(f"machine: {machine()}")
        print(
            f"upload {size_mb:.1f} MB video x{runs}: median {statistics.median(seconds) * 1000:.0f} ms, "
            f"{statistics.median(rates):.0f} MB/s (best {max(rates):.0f} MB/s)"
        )
        print(
            f"upload {len(photo) / 1e6:.1f} MB 12 MP JPEG (decode, strip, re-encode, thumbnail) "
            f"x{len(photo_seconds)}: median {statistics.median(photo_seconds) * 1000:.0f} ms"
        )
        print(
            f"command_api RSS: idle {idle:.0f} MiB, peak during video uploads {video_rss.peak:.0f} MiB "
            f"(+{video_rss.peak - idle:.0f}), peak during photo uploads {photo_rss.peak:.0f} MiB, VmHWM {hwm:.0f} MiB"
        )
        print(
            f"thumbnail TTFB (signed URL, query API): cold {cold * 1000:.1f} ms, warm p50 {percentile(ms, 50):.1f} ms, "
            f"p95 {percentile(ms, 95):.1f} ms, p99 {percentile(ms, 99):.1f} ms over {ttfb_runs}"
        )
    finally:
        stop_stack(stack, infra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ttfb", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.mb, args.runs, args.ttfb))


if __name__ == "__main__":
    main()
