"""manage.py commands run one after another in one process, each as manage.py runs it
(a Django start-up costs seconds): `python -m tests.manage_each '[["load_demo"], ...]'`
prints, as JSON, each command's exit status, stdout and stderr."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback

import manage


def run(args: list[str]) -> dict:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        sys.argv = ["manage.py", *args]
        try:
            manage.main()
            status = 0
        except SystemExit as exit:
            # As the interpreter ends on it: a message goes to stderr, with status 1.
            if isinstance(exit.code, str):
                print(exit.code, file=sys.stderr)
            status = exit.code if isinstance(exit.code, int) else int(bool(exit.code))
        except Exception:
            traceback.print_exc()
            status = 1
    return {"status": status, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


if __name__ == "__main__":
    answers = [run(args) for args in json.loads(sys.argv[1])]
    sys.stdout.write(json.dumps(answers))
