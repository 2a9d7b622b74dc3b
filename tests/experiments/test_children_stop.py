"""`children.stop`, the suite's one terminate-then-kill (the harness and the background-load control use it):
a child that ends on SIGTERM gets only SIGTERM; one that ignores it is SIGKILLed, with its whole group, after
the grace period."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from experiments.afchaos.controls import children

# sets its SIGTERM disposition, starts a grandchild in its group with the same one, says so when both are set,
# then waits to be stopped
_CHILD = ("import signal, subprocess, sys, time\n"
          "signal.signal(signal.SIGTERM, signal.SIG_IGN if sys.argv[1] == 'ignore' else signal.SIG_DFL)\n"
          "g = subprocess.Popen([sys.executable, '-c', 'import signal, sys, time; "
          "signal.signal(signal.SIGTERM, signal.SIG_IGN if sys.argv[1] == \\'ignore\\' else signal.SIG_DFL); "
          "print(flush=True); time.sleep(60)', sys.argv[1]], stdout=subprocess.PIPE)\n"
          "g.stdout.readline()\n"
          "print(g.pid, flush=True)\n"
          "time.sleep(60)\n")


def _start(mode: str) -> tuple[subprocess.Popen[str], int]:
    proc = children.spawn([sys.executable, "-c", _CHILD, mode], role="test child", run_dir=None,
                          stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())  # the child is ready once it has printed


def _gone(pid: int, deadline_s: float = 5.0) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True  # killed, waiting to be reaped by init
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def test_a_child_that_ends_on_sigterm_is_not_killed():
    proc, grandchild = _start("default")
    try:
        assert children.stop(proc, grace=5.0) == -signal.SIGTERM
        assert _gone(grandchild), "the SIGTERM did not reach the child's whole group"
    finally:
        children.stop(proc, grace=0.0, sig=signal.SIGKILL)


def test_a_child_that_ignores_sigterm_is_killed_with_its_group_after_the_grace():
    proc, grandchild = _start("ignore")
    started = time.monotonic()
    assert children.stop(proc, grace=0.5) == -signal.SIGKILL
    assert time.monotonic() - started >= 0.5
    assert _gone(grandchild), "the grandchild in the child's group outlived the SIGKILL to the group"
