"""Control: the suite's standard controls, declared by every experiment file as ONE Chaos Toolkit control.

Each experiment runs under the same controls, in this order (the order matters: the guard is installed before
anything else runs, and the load is stopped before the marks are written):

1. ``safety`` (`controls/safety.py`): the guard every change goes through; always on;
2. ``load`` (`controls/load.py`): background load for the whole experiment; always on;
3. ``marks`` (`controls/marks.py`): the fault windows in ``chaos/marks.*``; always on;
4. ``floor`` (`controls/floor.py`): the ready-replica floor watch; on when the argument is given;
5. ``safeguard`` (`controls/safeguard.py`): the error-rate safeguard; on when the argument is given.

The control's Chaos Toolkit ``arguments`` hold each part's own arguments::

    controls:
    - name: afsuite
      provider:
        type: python
        module: experiments.afchaos.controls.suite
        arguments:
          load: {profile: hpa-step}        # optional; default profile chaos-background
          floor: {min_ready: 2}            # optional: no floor watch without it
          safeguard: {limit: 0.5, window: 20}  # optional: no safeguard without it

Chaos Toolkit calls a hook of this module (``before_experiment_control``, ...); it calls the same hook of each
part in order, exactly as Chaos Toolkit calls a list of controls: a part gets its own arguments plus whichever of
``state``, ``configuration``, ``secrets``, ``experiment``, ``extensions`` and ``settings`` it names; an
``InterruptExecution`` stops the rest and goes on up; any other error is logged and the next part runs. Each
part stays a plain control module too (an experiment may still list them one by one).

Why one experiment-level control rather than settings-level controls (``--settings`` / ``--control-file``):
those are loaded only when ``chaos run`` is told about them, so a plain ``chaos run experiments/x.yaml`` would
run without the safety guard. Declared in the file, the guard cannot be left out.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from chaoslib.exceptions import InterruptExecution, InvalidActivity

from experiments.afchaos.controls import floor, load, marks, safeguard, safety

logger = logging.getLogger("chaostoolkit")

# (argument name, module, on without the argument)
PARTS: tuple[tuple[str, ModuleType, bool], ...] = (
    ("safety", safety, True), ("load", load, True), ("marks", marks, True), ("floor", floor, False),
    ("safeguard", safeguard, False))
OPTIONS = ("load", "floor", "safeguard")  # the parts that take arguments
INJECTED = ("state", "configuration", "secrets", "experiment", "extensions", "settings")


def parts(options: Mapping[str, Any]) -> list[tuple[str, ModuleType, dict[str, Any]]]:
    """The parts that run, in order, each with its own arguments."""
    chosen = []
    for name, module, always in PARTS:
        if always or options.get(name) is not None:
            chosen.append((name, module, dict(options.get(name) or {})))
    return chosen


def validate_control(control: dict[str, Any]) -> None:
    """`chaos validate` / `chaos run`: every argument is a known part with a mapping of arguments."""
    arguments = (control.get("provider") or {}).get("arguments") or {}
    for key, value in arguments.items():
        if key not in OPTIONS:
            raise InvalidActivity(f"control {control.get('name')!r}: unknown argument {key!r}; the suite control "
                                  f"takes {', '.join(OPTIONS)} (see experiments/afchaos/controls/suite.py)")
        if value is not None and not isinstance(value, dict):
            raise InvalidActivity(f"control {control.get('name')!r}: argument {key!r} must be a mapping of that "
                                  f"control's arguments, got {value!r}")


def _apply(hook: str, context: Any, injected: Mapping[str, Any], options: Mapping[str, Any]) -> None:
    for name, module, arguments in parts(options):
        func: Callable[..., Any] | None = getattr(module, hook, None)
        if func is None:
            continue
        params = inspect.signature(func).parameters
        arguments.update({key: value for key, value in injected.items() if key in params})
        try:
            func(context=context, **arguments)
        except InterruptExecution:
            logger.debug(f"control part {name!r} interrupted the execution at {hook}", exc_info=True)
            raise
        except Exception:
            logger.debug(f"control part {name!r} failed at {hook}", exc_info=True)


def _hook(hook: str) -> Callable[..., None]:
    def control(context: Any, state: Any = None, configuration: Any = None, secrets: Any = None,
                experiment: Any = None, extensions: Any = None, settings: Any = None, **options: Any) -> None:
        injected = {"state": state, "configuration": configuration, "secrets": secrets, "experiment": experiment,
                    "extensions": extensions, "settings": settings}
        _apply(hook, context, injected, options)

    control.__name__ = control.__qualname__ = hook
    control.__doc__ = f"Chaos Toolkit's {hook}: the same hook of each part, in order."
    return control


before_experiment_control = _hook("before_experiment_control")
after_experiment_control = _hook("after_experiment_control")
before_hypothesis_control = _hook("before_hypothesis_control")
after_hypothesis_control = _hook("after_hypothesis_control")
before_method_control = _hook("before_method_control")
after_method_control = _hook("after_method_control")
before_rollback_control = _hook("before_rollback_control")
after_rollback_control = _hook("after_rollback_control")
before_activity_control = _hook("before_activity_control")
after_activity_control = _hook("after_activity_control")
