"""``python -m cnnviz.training.child STAGING THREADS``: one staged training, in this process.

Started by ProcessWorker; it runs at a lower priority than the server (``NICENESS``). The last
line on stdout is the answer, as JSON:
``{"path": saved run folder}`` or ``{"error": message for the user}``.
"""

from __future__ import annotations

import json
import os
import sys

from cnnviz.training.processes import train_staged

# A training yields the CPU to the server that started it: there a student waits for each page, while a
# training that gets less of a busy machine only ends a little later (on an idle machine this changes nothing).
NICENESS = 10


def main(argv: list[str]) -> int:
    staging, threads = argv
    os.nice(NICENESS)
    try:
        answer = {"path": train_staged(staging, int(threads))}
    except Exception as error:  # reported to the page as the job's error
        answer = {"error": str(error) or type(error).__name__}
    print(json.dumps(answer), flush=True)
    return 0 if "path" in answer else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
