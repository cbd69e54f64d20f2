"""`yimen serve` started as a real process, for the tests that kill it and start it again."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping


async def start_serve(env: Mapping[str, str], *, ready: bytes, timeout: float) -> asyncio.subprocess.Process:
    """Start `yimen serve` with ``env`` and return once its log has a line containing ``ready``.

    Args:
        env: the whole environment of the process.
        ready: what the line that says the channel is up contains.
        timeout: seconds to wait for each line of the log.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=dict(env), stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    while True:
        line = await asyncio.wait_for(process.stderr.readline(), timeout=timeout)
        assert line, f"yimen serve exited before it logged {ready!r}"
        if ready in line:
            break
    # The log is read on to its end, or a full pipe would stop the process.
    asyncio.get_running_loop().create_task(_drain(process.stderr))
    return process


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass
