"""One Locust run in its own process, bounded in time, writing one run directory (`afsuite load` is
`harness.load_cmd`; campaigns and soaks run their load through here too).

:func:`run_load` validates the profile first (a bad profile fails here, before any traffic), picks the run
directory (argument > ``$AFSUITE_RUN_DIR`` > new ``runs/<stamp>-<profile>/``), then starts::

    python -m locust -f <repo>/loadtests/locustfile.py --headless --host URL --profile P --run-dir RUN \\
        --csv RUN/locust/stats --html RUN/locust/report.html [--processes N] --only-summary [extra args]

in its own process group, dying with this process (`harness.processes`; its PID recorded in the run
directory's pids.jsonl), streams its output lines as progress, and waits at most the profile's duration +
its drain timeout + a start/stop margin. On overrun it sends SIGTERM to the group (Locust then writes what it
has), then SIGKILL after a grace period, and consolidates whatever part files the killed run left so the run
directory is readable. The API key travels only in the environment (``AGENTFLOW_API_KEY``), never in argv.

Locust exits 1 when any request failed; here that is not an error (a stream that failed is data for the
verdict). The run is an error when Locust exits otherwise, or leaves no ``load/accounting.json``; it is
`ApiKeyRefused` when Locust stopped it early because the service refused the key (401/403 on every one of the
first streams: see ``loadtests/authcheck.py``).
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from harness import live, processes
from loadtests.profiles import Profile, load_profile
from loadtests.salvage import salvage
from loadtests.urls import check_url
from rundir import manifest as rundir_manifest
from rundir.launch import locust_argv

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = REPO_ROOT / "loadtests" / "locustfile.py"
START_MARGIN = 30.0
KILL_GRACE = 15.0


_LIVE: set[subprocess.Popen[str]] = set()
_LIVE_LOCK = threading.Lock()


def stop_all(grace: float = KILL_GRACE, stopping: threading.Event | None = None) -> int:
    """Stop every Locust process this harness process started and that still runs (a stopped campaign, whose
    load runs in a thread); SIGTERM first so it writes what it has, SIGKILL after `grace`. `stopping` (the
    event that run's `run_load` got) is set first, so a load that has not started yet never starts. Returns
    how many were running."""
    if stopping is not None:
        stopping.set()
    with _LIVE_LOCK:  # a load starting now either is in _LIVE already or sees `stopping` and does not start
        procs = [p for p in _LIVE if p.poll() is None]
    for proc in procs:
        processes.stop(proc, grace)
    return len(procs)


class LoadRunError(RuntimeError):
    """The load run did not complete; the message says why and where its output is."""


class ApiKeyRefused(LoadRunError):
    """The service refused the API key (the first streams all answered 401/403); the run stopped early."""


def locust_command(profile: str, host: str, run_dir: Path, processes: int = 1,
                   extra_args: Sequence[str] = ()) -> list[str]:
    """The argv that runs one headless load run (no secret in it): `rundir.launch.locust_argv`, summary only."""
    return locust_argv(LOCUSTFILE, profile, host, run_dir, processes=processes,
                       extra_args=["--only-summary", *extra_args])


def time_bound(profile: Profile) -> float:
    """Seconds the Locust process may take: stages + drain + start/stop margin."""
    return profile.duration + profile.timeouts.drain + START_MARGIN + profile.duration * 0.05


def run_load(profile: str, host: str, run_dir: Path | None, processes: int = 1, extra_args: Sequence[str] = (),
             *, duration: str | None = None, api_key: str | None = None, time_limit: float | None = None,
             echo: Callable[[str], None] = print, stopping: threading.Event | None = None) -> Path:
    """Run one load profile against ``host``; return the run directory (see the module docstring).

    ``api_key`` (default: the inherited ``AGENTFLOW_API_KEY``) reaches Locust only through its environment;
    ``time_limit`` replaces the computed time bound (seconds); ``stopping`` set means: do not start (see
    `stop_all`). Raises ApiKeyRefused when Locust stopped the run
    because the service refused the key (the first streams all answered 401/403)."""
    parsed = load_profile(profile, duration=duration)  # raises ProfileError before any traffic
    host = check_url(host)  # raises ValueError (one line) before any traffic
    if processes < 1:
        raise ValueError(f"processes: expected an integer >= 1, got {processes}")
    target = rundir_manifest.resolve_run_dir(run_dir, parsed.name)
    (target / "locust").mkdir(parents=True, exist_ok=True)
    extra = list(extra_args) + (["--duration", duration] if duration is not None else [])
    profile_arg = str(Path(profile).resolve()) if Path(profile).is_file() else profile
    cmd = locust_command(profile_arg, host, target, processes, extra)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    if api_key is not None:
        env[rundir_manifest.API_KEY_ENV] = api_key
    bound = time_bound(parsed) if time_limit is None else time_limit
    echo(f"load: profile {parsed.name} ({parsed.model} loop, {parsed.duration:.0f} s) -> "
         f"{rundir_manifest.safe_url(host)}")
    echo(f"load: run directory {target} (time bound {bound:.0f} s)")
    code, killed, log = _run_watched(cmd, env, bound, echo, target, stopping, parsed.duration)
    if killed:
        salvage(target)
        raise LoadRunError(f"locust overran its time bound of {bound:.0f} s and was killed; "
                           f"partial results are in {target}")
    aborted = (rundir_manifest.read_manifest(target).get("load") or {}).get("aborted")
    if aborted:
        raise ApiKeyRefused(f"{aborted.get('message', 'the API key was refused')}; the run stopped early "
                            f"({target})")
    if code not in (0, 1) or not (target / "load" / "accounting.json").exists():
        seen = "its last lines:\n" + "\n".join(log.tail) + f"\n(all in {log.path})" if log else "the output above"
        raise LoadRunError(f"locust exited with code {code} without completing the run; see {seen} and {target}")
    echo(f"load: done (locust exit code {code}{', some streams failed' if code == 1 else ''}); {target}")
    return target


def _run_watched(cmd: list[str], env: dict[str, str], bound: float, echo: Callable[[str], None], run_dir: Path,
                 stopping: threading.Event | None, planned_s: float) -> tuple[int, bool, live.LineLog | None]:
    """`_run_bounded` with the live view (harness/live.py) on screen and Locust's own lines in locust/locust.log;
    with AFSUITE_LIVE=0, Locust's lines are echoed as before."""
    if not live.enabled():
        return (*_run_bounded(cmd, env, bound, echo, run_dir, stopping), None)
    log = live.LineLog(run_dir / "locust" / "locust.log")
    echo(f"load: Locust's output -> {log.path}")
    try:
        with live.live_view(run_dir, planned_s):
            return (*_run_bounded(cmd, env, bound, log, run_dir, stopping), log)
    finally:
        log.close()


def _run_bounded(cmd: list[str], env: dict[str, str], bound: float, echo: Callable[[str], None],
                 run_dir: Path, stopping: threading.Event | None = None) -> tuple[int, bool]:
    """Run ``cmd`` in its own process group (dying with this process), echoing its lines; stop the group after
    ``bound`` s or when this process is told to stop."""
    with _LIVE_LOCK:
        if stopping is not None and stopping.is_set():
            raise LoadRunError("the run was stopped before its load started")
        proc = processes.spawn(cmd, role="locust (load)", run_dir=run_dir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env, cwd=str(REPO_ROOT))
        _LIVE.add(proc)
    pump = threading.Thread(target=_pump, args=(proc, echo), daemon=True)
    pump.start()
    killed = False
    try:
        proc.wait(timeout=bound)
    except subprocess.TimeoutExpired:
        killed = True
        processes.stop(proc, KILL_GRACE)
    except BaseException:  # Ctrl-C / SIGTERM in the harness: stop the run (Locust writes what it has), re-raise
        processes.stop(proc, KILL_GRACE)
        raise
    finally:
        pump.join(timeout=5.0)
        with _LIVE_LOCK:
            _LIVE.discard(proc)
    return proc.returncode, killed


def _pump(proc: subprocess.Popen[str], echo: Callable[[str], None]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        echo(line.rstrip("\n"))
    proc.stdout.close()
