"""Just enough of ISO BMFF (MP4) to tell a playable file from bytes that start like one."""

import struct
from dataclasses import dataclass, field

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


@dataclass
class Mp4:
    top_level: list[bytes] = field(default_factory=list)
    duration: float = 0.0
    tracks: list[tuple[bytes, bytes]] = field(default_factory=list)  # (handler, codec)


def _boxes(data: bytes, start: int, end: int):
    at = start
    while at < end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise ValueError(f"box {kind!r} at {at} overruns its parent")
        yield kind, at + header, at + size
        at += size


def mp4_parse(data: bytes) -> Mp4:
    """Every box in bounds, the movie's duration, and each track's handler and codec."""
    parsed = Mp4()

    def walk(start: int, end: int, track: dict) -> None:
        for kind, body, stop in _boxes(data, start, end):
            if kind == b"mvhd":
                version = data[body]
                if version == 1:
                    scale, length = struct.unpack_from(">IQ", data, body + 20)
                else:
                    scale, length = struct.unpack_from(">II", data, body + 12)
                parsed.duration = length / scale
            elif kind == b"hdlr":
                track["handler"] = data[body + 8 : body + 12]
            elif kind == b"stsd":
                track["codec"] = data[body + 12 : body + 16]
            elif kind in CONTAINERS:
                inner = {} if kind == b"trak" else track
                walk(body, stop, inner)
                if kind == b"trak":
                    parsed.tracks.append((inner.get("handler"), inner.get("codec")))

    for kind, body, stop in _boxes(data, 0, len(data)):
        parsed.top_level.append(kind)
        if kind == b"moov":
            walk(body, stop, {})
    return parsed
