"""Run the real `filingsum` CLI with one fault injected: `python tests/_fault_cli.py SPEC -- ARGS...`.

SPEC is JSON: {"target": "module:attr.path", "after": N, "fault": "sigint" | "sigterm" | "sighup" | "enospc"}. The
target function works normally for its first N calls; on call N+1 the fault fires:
- "sigint": the process sends itself SIGINT (what Ctrl-C does), then the call goes on, so the interrupt lands
  wherever Python next checks for signals, as a real one would;
- "sigterm": the same with SIGTERM (what `timeout`, `kill`, CI and service managers send), to this process
  only, not to its workers; "sighup" with SIGHUP (a closed terminal);
- "enospc": the call raises OSError(ENOSPC) naming its first path argument (a full disk).
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import signal
import sys
import threading
import time


def install(spec: dict) -> None:
    module_name, _, attr = spec["target"].partition(":")
    owner = importlib.import_module(module_name)
    *path, name = attr.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = [0]
    lock = threading.Lock()

    def wrapped(*args, **kwargs):
        with lock:
            calls[0] += 1
            fire = calls[0] == spec.get("after", 0) + 1
        if fire and spec["fault"] in ("sigint", "sigterm", "sighup"):
            os.kill(os.getpid(), {"sigint": signal.SIGINT, "sigterm": signal.SIGTERM,
                                  "sighup": signal.SIGHUP}[spec["fault"]])
            time.sleep(0.2)  # let the main thread take it (a Ctrl-C arrives while work goes on)
        elif fire and spec["fault"] == "enospc":
            target = str(args[0]) if args else "?"
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), target)
        return original(*args, **kwargs)

    setattr(owner, name, wrapped)


if __name__ == "__main__":
    split = sys.argv.index("--")
    install(json.loads(sys.argv[1]))
    from filingsum.cli import main

    sys.exit(main(sys.argv[split + 1:]))
