"""Manual check (not a test): the Dagster UI shows a mart's numbers and pictures.

    make run                      # a materialization to look at
    .venv/bin/python tests/manual/screenshot_asset_page.py [--asset value_concentration]

Starts `make dev`'s webserver on a free port against the DAGSTER_HOME that
`make run` wrote, opens the asset's page in headless Chromium (Debian's
`chromium` package; `apt-get install chromium`), saves a screenshot and
prints where, then stops the webserver. It fails when the page is blank (one
colour) or Chromium is missing. Look at the picture: the materialization's
metadata lists the row count, the headline numbers and the pictures
(behind "Show Markdown"). Dagster's one-time "join the community" dialog is
marked as seen in that DAGSTER_HOME first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    sys.exit(f"the Dagster webserver did not answer at {url} within {seconds:.0f} s")


def _distinct_colours(png: Path) -> int:
    import matplotlib.image

    pixels = matplotlib.image.imread(png)
    return len({tuple(pixel) for pixel in pixels.reshape(-1, pixels.shape[-1])[::97]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asset", default="value_concentration")
    parser.add_argument("--out", type=Path, default=Path("data/screenshots"))
    parser.add_argument("--seconds", type=float, default=120)
    arguments = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (Debian: apt-get install chromium)")
    # Dagster's one-time "join the community" dialog would cover the page.
    from dagster._core.nux import set_nux_seen

    from orchestration.settings import Settings

    os.environ["DAGSTER_HOME"] = str(Settings().dagster_home.resolve())
    set_nux_seen()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "dev",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/server_info", arguments.seconds)
        arguments.out.mkdir(parents=True, exist_ok=True)
        png = (arguments.out / (arguments.asset.replace("/", "__") + ".png")).resolve()
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1600,2400",
                "--virtual-time-budget=30000",
                f"--screenshot={png}",
                f"http://127.0.0.1:{port}/assets/{arguments.asset}",
            ],
            check=True,
            capture_output=True,
            timeout=arguments.seconds,
            env={**os.environ, "HOME": str(arguments.out.resolve())},
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    colours = _distinct_colours(png)
    if colours < 10:
        sys.exit(f"{png}: the page is blank ({colours} colours)")
    print(f"{png} ({colours} colours sampled)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
