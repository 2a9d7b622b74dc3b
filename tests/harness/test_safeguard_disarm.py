"""The safeguard stops watching once interrupting would protect nothing: an interrupt that lands after the
experiment ended kills Chaos Toolkit before it writes the journal (seen in the e2e matrix: rolling-restart vs
ready-on-health reported "no journal" instead of its failing probe)."""

from __future__ import annotations

from experiments.afchaos.controls import safeguard


def _arm() -> None:
    safeguard.before_experiment_control({}, interval=60.0)
    assert safeguard.armed()


def test_a_failed_hypothesis_disarms_a_met_one_does_not():
    _arm()
    safeguard.after_hypothesis_control({}, {"steady_state_met": True})
    assert safeguard.armed()
    safeguard.after_hypothesis_control({}, {"steady_state_met": False})
    assert not safeguard.armed()


def test_the_end_of_the_method_and_of_the_experiment_disarm():
    _arm()
    safeguard.after_method_control({}, [])
    assert not safeguard.armed()
    _arm()
    safeguard.after_experiment_control({}, {})
    assert not safeguard.armed()
    safeguard.disarm()  # idempotent


def test_the_load_control_disarms_before_it_stops_the_load():
    from experiments.afchaos.controls import load

    _arm()
    load.after_experiment_control({}, {})
    assert not safeguard.armed()
