"""`afsuite load PROFILE`: one load run into a new run directory, then its report; exits by the run's verdict.

Against `--host URL`, a target file's service (`--target FILE`, the key from its api_key_env/api_key_file), or
by default a reference server started on loopback for this run. Before any traffic: the profile, the URL
(scheme, host, port), a production-looking context or host (refused, exit 4) and the run directory (new or
empty) are checked. The exit code is the report's (0 pass, 1 fail, 2 invalid: e.g. the API key was refused, 3
interrupted, ...: analysis/exitcodes.py); with `--no-report` it says only whether the load ran (0), was
interrupted (3) or failed to run (1), and the verdict comes from `afsuite report RUN_DIR`. A dry run
(AFSUITE_DRY_RUN=true or `dry_run: true` in the target) sends nothing: it writes the plan and says DRY RUN.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from pathlib import Path

import typer

from analysis import exitcodes
from experiments.afchaos.policy import SafetyPolicy
from harness import runs
from harness.load import ApiKeyRefused, LoadRunError, run_load
from harness.preflight import check_host, check_target, free_run_dir, run_policy
from harness.signals import OrderlyStop
from harness.targets import resolve_target
from loadtests.profiles import Profile, ProfileError, load_profile


def write_plan(directory: Path, entries: list[dict[str, object]], policy: SafetyPolicy) -> None:
    """`chaos/plan.json` of a run that only plans (load and soak dry runs)."""
    (directory / "chaos").mkdir(parents=True, exist_ok=True)
    doc = {"dry_run": True, "policy": policy.to_dict(), "entries": entries}
    (directory / "chaos" / "plan.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def load_plan_entry(profile: Profile, url: str, experiment: str = "load") -> dict[str, object]:
    return {"time": time.time(), "experiment": experiment, "activity": "load", "decision": "not run",
            "note": f"would run load profile {profile.name} ({profile.model} loop, {profile.duration:.0f} s) against "
                    f"{url}; a dry run sends no traffic"}


def load_command(
    profile: str = typer.Argument("smoke", help="Profile name (loadtests/profiles/) or YAML path"),
    host: str | None = typer.Option(None, "--host", help="Target URL (default: a local reference server)"),
    target: Path | None = typer.Option(None, "--target", help="target file: its service_url and API key"),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Run directory: new or empty (default: new "
                                        "under runs/)"),
    processes_: int = typer.Option(1, "--processes", help="Locust worker processes (distributed mode)"),
    duration: str | None = typer.Option(None, "--duration", help="Soak stage length for the soak profile"),
    report: bool = typer.Option(True, help="build the report and exit by its verdict"),
) -> None:
    """Run a load profile with Locust into a run directory, then its report (API key: $AGENTFLOW_API_KEY)."""
    with OrderlyStop() as stop, contextlib.ExitStack() as stack:
        try:
            tgt = resolve_target(target, None) if target is not None else None
            policy = run_policy(tgt)
            parsed = load_profile(profile, duration=duration)
            api_key = None
            if tgt is not None:
                check_target(tgt, policy)
                host, api_key = host or tgt.service_url, tgt.api_key()
            if host is not None:
                host = check_host(host, policy)
            free_run_dir(run_dir)
            directory = runs.claim(run_dir, parsed.name)
        except (ProfileError, *runs.BEFORE_START) as exc:
            raise typer.Exit(runs.failure_code(exc)) from None
        runs.start(directory, policy=policy, target=tgt.to_dict() if tgt else {"host": host or "local reference"},
                   profile=parsed.to_dict())
        if policy.dry_run:
            write_plan(directory, [load_plan_entry(parsed, host or "a local reference server")], policy)
            code = exitcodes.PASS
        else:
            if host is None:
                host, api_key = _local_server(stack, directory)
            code = _run(profile, host, directory, processes_, duration, api_key)
        runs.finish(directory, stop, policy, "the load")
        stack.close()  # the reference server stops before the report
        if report:
            code = runs.judge(directory, stop) or code
        elif stop.received:
            code = exitcodes.INTERRUPTED
    typer.echo(str(directory))
    raise typer.Exit(code)


def _run(profile: str, host: str, directory: Path, processes_: int, duration: str | None,
         api_key: str | None) -> int:
    try:
        run_load(profile, host, directory, processes_, duration=duration, api_key=api_key, echo=typer.echo)
    except ApiKeyRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        return exitcodes.INVALID
    except (LoadRunError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        return exitcodes.FAIL
    except KeyboardInterrupt:
        typer.echo("load: stopped; finalising the run directory")
        return exitcodes.INTERRUPTED
    return exitcodes.PASS


def _local_server(stack: contextlib.ExitStack, directory: Path) -> tuple[str, str]:
    """Start the AgentFlow reference server on loopback for this run (dying with afsuite, recorded in the run
    directory); ``(url, throwaway key)``."""
    from experiments.afchaos.controls import children
    from localcluster.agentflow.process import ReferenceServer

    key = secrets.token_hex(16)
    server = stack.enter_context(ReferenceServer(api_key=key, lifecycle="graceful", pod_name="load-0",
                                                 launcher=children.launcher()))
    children.record(directory, server.pid, "reference server (load)")
    typer.echo(f"load: reference server pid {server.pid} at {server.url}")
    return server.url, key
