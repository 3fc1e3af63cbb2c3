"""How every lmmr1 entry point ends when something is wrong: one line that says what, where and how to fix it.

* :class:`UserError` is the base of every problem a user can fix (a setting, a file, a path, a cluster); its
  message is printed as ``lmmr1 COMMAND: error: MESSAGE`` and the exit code is 2.
* An :class:`OSError` that escapes a command (a file that vanished, a disk that is full) is printed the
  same way with the path and the system's reason.
* Anything else is a bug in lmmr1 or a library: the console gets one line naming the exception and the log
  file that holds the full traceback (``$LMMR1_CACHE/crash/`` or ``~/.cache/lmmr1/crash/``), exit code 1.
  ``LMMR1_TRACEBACK=1`` prints the traceback on the console instead.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path


class UserError(Exception):
    """A problem the user can fix; the message says what, where and how."""


def fail(prefix: str, message: str, code: int = 2) -> int:
    print(f"{prefix}: error: {message}", file=sys.stderr, flush=True)
    return code


def describe_os_error(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    return f"{name}: {reason}" if name else reason


def crash_log(exc: BaseException) -> Path | None:
    """Write the traceback of an unexpected exception to a log file; its path (None if nothing is writable)."""
    from lmmr1.cache import crash_dir

    root = crash_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for folder in (root, Path(os.environ.get("TMPDIR", "/tmp"))):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"lmmr1-crash-{stamp}-{os.getpid()}.log"
            path.write_text(" ".join(sys.argv) + "\n\n" + text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def guarded(prefix: str, body: Callable[[], int]) -> int:
    """Run a command's body and turn every failure into one line and an exit code (see the module docstring)."""
    try:
        return int(body() or 0)
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except UserError as exc:
        return fail(prefix, str(exc))
    except UnicodeDecodeError as exc:
        return fail(prefix, f"a file is not valid UTF-8 ({exc.reason} at byte {exc.start}); save it as UTF-8")
    except OSError as exc:
        return fail(prefix, describe_os_error(exc))
    except Exception as exc:  # a bug: say so in one line, keep the traceback in a file
        if os.environ.get("LMMR1_TRACEBACK"):
            traceback.print_exc()
            return 1
        log = crash_log(exc)
        where = f"; the traceback is in {log}" if log else ""
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return fail(prefix, f"unexpected {type(exc).__name__}: {first}{where}. Please report it.", code=1)
