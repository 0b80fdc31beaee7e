"""`buurtwacht demo` starts the dashboard too and prints a login link for Anna that works."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import aiohttp

DEMO = Path(sys.executable).with_name("buurtwacht")


async def test_demo_prints_a_working_login_link_for_anna(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(DEMO),
        "demo",
        "--data-dir",
        str(tmp_path),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        link = None
        async with asyncio.timeout(60):
            while link is None:
                line = (await proc.stdout.readline()).decode()
                assert line, "the demo ended before it printed the dashboard's link"
                found = re.search(r"Dashboard: open (\S+) in your browser to log in as Anna", line)
                link = found.group(1) if found else None
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
            async with web.get(link) as page:
                code = re.search(r'name="code" value="([^"]+)"', await page.text())
            assert code
            async with web.post(link.split("?")[0], data={"code": code.group(1)}) as answer:
                assert answer.status == 200 and str(answer.url).endswith("/dashboard/calendar")
                assert "Kalender" in await answer.text()
        proc.stdin.write(b":quit\n")
        await proc.stdin.drain()
        async with asyncio.timeout(60):
            await proc.wait()
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
