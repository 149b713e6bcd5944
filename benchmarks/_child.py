"""Measurements in a fresh process each, so each one's peak memory and warm-up are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run_child(python: str, script: str, args: list[str], optional: str | None = None) -> dict[str, float] | None:
    """Run ``python script *args`` and return the JSON object its last line of output holds.

    None when the child fails because the module ``optional`` is not installed for that
    interpreter (a comparison to skip); any other failure ends the benchmark with its
    stderr."""
    done = subprocess.run([python, script, *args], capture_output=True, text=True, env=dict(os.environ))
    if done.returncode != 0:
        if optional is not None and f"No module named '{optional}'" in done.stderr:
            return None
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
