#!/usr/bin/python3
# bench/replay-peer.py URL FILE CALLS FACTOR LOG - the peer of exotel-replay
# in bench/exotel-replay.bench: Debian's python3-websockets sending an ndjson
# capture line by line as CALLS concurrent calls, each line parsed (as
# exotel-replay parses it) and paced by media.timestamp / FACTOR (0: as fast
# as possible), logging "call chunk timestamp_ms send_unix_us" like -L.
import asyncio
import json
import sys
import time

import websockets


async def call(k, url, lines, factor, out):
    async with websockets.connect(url, max_size=None, compression=None) as ws:
        t0 = time.monotonic()
        base = None
        for line in lines:
            msg = json.loads(line)
            chunk = ts = "-"
            if msg.get("event") == "media":
                ts = int(msg["media"]["timestamp"])
                chunk = msg["media"].get("chunk", "-")
                if factor:
                    base = ts if base is None else base
                    delay = t0 + (ts - base) / 1000 / factor - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
            out.append("%d %s %s %d\n" % (k, chunk, ts, time.time_ns() // 1000))
            await ws.send(line)
        await ws.close()


async def main():
    url, path, calls, factor, log = sys.argv[1:6]
    with open(path) as f:
        lines = [l.rstrip("\r\n") for l in f if l.strip()]
    out = []
    await asyncio.gather(*(call(k, url, lines, int(factor), out)
                           for k in range(int(calls))))
    with open(log, "w") as f:
        f.writelines(out)


asyncio.run(main())
