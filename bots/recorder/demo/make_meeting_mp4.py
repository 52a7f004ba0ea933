"""Writes meeting.mp4, the simulated recorder's video: run once by hand, the file is shipped.

    python -m venv /tmp/av && /tmp/av/bin/pip install av numpy
    /tmp/av/bin/python bots/recorder/demo/make_meeting_mp4.py

4 seconds of 320x180 H.264 at 10 frames a second (a bar sweeping across two speakers' tiles)
with an AAC track of the 440 Hz tone that audio.wav carries; about 40 KB.
"""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SECONDS, FPS, WIDTH, HEIGHT, RATE = 4, 10, 320, 180, 16_000


def frame_pixels(n: int) -> np.ndarray:
    pixels = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    pixels[:, : WIDTH // 2] = (40, 90, 160)
    pixels[:, WIDTH // 2 :] = (160, 90, 40)
    x = int(n / (SECONDS * FPS) * WIDTH)
    pixels[HEIGHT - 12 :, :x] = (230, 230, 230)
    return pixels


def main() -> None:
    out = Path(__file__).with_name("meeting.mp4")
    with av.open(str(out), "w", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"crf": "32", "preset": "veryslow", "profile": "baseline"}
        audio = container.add_stream("aac", rate=RATE, layout="mono")
        audio.bit_rate = 24_000
        for n in range(SECONDS * FPS):
            frame = av.VideoFrame.from_ndarray(frame_pixels(n), format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode())
        t = np.arange(SECONDS * RATE) / RATE
        tone = (0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        step = 1024
        for start in range(0, len(tone), step):
            frame = av.AudioFrame.from_ndarray(
                tone[start : start + step].reshape(1, -1), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
