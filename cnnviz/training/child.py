"""``python -m cnnviz.training.child THREADS``: a warm training process, one job after another.

Started by ProcessWorker's pool (cnnviz.training.warm); it runs at a lower priority than the
server (``NICENESS``) and imports TensorFlow before its first job. Each line on stdin is a
request (``encode_request``); for each, one line on stdout is the answer, as JSON:
``{"path": saved run folder}`` or ``{"error": message for the user}``. Anything else the
process prints goes to stderr. It exits at the end of its input.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import TextIO

# A training yields the CPU to the server that started it: there a student waits for each page, while a
# training that gets less of a busy machine only ends a little later (on an idle machine this changes nothing).
NICENESS = 10


def answer_channel() -> TextIO:
    """The original stdout, for answers only; file descriptor 1 (print, TensorFlow's logs) goes to stderr."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return answers


def answer(line: str) -> dict[str, str]:
    """Train the encoded request; the saved run's path or the error."""
    from cnnviz.text import error_message
    from cnnviz.training.jobs import decode_request, run_detached

    try:
        return {"path": str(run_detached(decode_request(line)).path)}
    except Exception as error:  # reported to the page as the job's error, without server paths
        traceback.print_exc()  # stderr: the server's log
        return {"error": error_message(error)}


def warm_up(threads: int) -> None:
    """Before the first job: TensorFlow with the job's thread pools, Keras and cnnviz's training imported."""
    from cnnviz.training.processes import configure_threads

    configure_threads(threads)
    import keras  # noqa: F401

    import cnnviz.training.train  # noqa: F401


def main(argv: list[str]) -> int:
    [threads] = argv
    os.nice(NICENESS)
    answers = answer_channel()  # first: nothing an import prints may pass for an answer
    warm_up(int(threads))
    from cnnviz.training.processes import forget_keras_state

    for line in sys.stdin:
        reply = answer(line)
        try:
            answers.write(json.dumps(reply) + "\n")
            answers.flush()
        except BrokenPipeError:  # the server is gone; the run is saved all the same
            return 0
        forget_keras_state()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
