"""The one Kubernetes quantity parser (localcluster.quantity), with upstream resource.Quantity's semantics:
MilliValue()/Value() round up, JSON numbers read from their decimal text, canonical DecimalSI output."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcluster.quantity import QuantityError, format_milli, parse_milli, parse_quantity, quantity_value

Mi, Gi = 2**20, 2**30


@pytest.mark.parametrize(("text", "milli"), [
    ("500m", 500), ("1", 1000), ("1.0", 1000), ("0.9", 900), ("1.5", 1500), ("512Mi", 512 * Mi * 1000),
    ("2Gi", 2 * Gi * 1000), ("10k", 10**7), ("1e3", 10**6), ("1E3", 10**6), ("1e-3", 1), ("100u", 1), (15, 15000),
    ("15.0", 15000), ("2", 2000), ("0.1", 100), ("250m", 250), (2, 2000), ("1k", 1_000_000), (".5", 500),
])
def test_parse_milli_rounds_up_like_milli_value(text, milli):
    assert parse_milli(text) == milli


@pytest.mark.parametrize(("text", "value"), [
    ("512Mi", 512 * Mi), ("8Gi", 8 * Gi), ("1Ki", 1024), ("1k", 1000), ("1M", 10**6), ("1G", 10**9), ("110", 110),
    ("1.5Gi", 3 * Gi // 2), ("1e3", 1000), ("0.5", 1), ("129e6", 129_000_000), ("1n", 1),
])
def test_quantity_value_rounds_up_like_value(text, value):
    assert quantity_value(text) == value


def test_rounding_is_away_from_zero():
    assert parse_milli("-1.5m") == -2
    assert quantity_value("-0.5") == -1


@pytest.mark.parametrize(("number", "milli"), [(0.1, 100), (0.3, 300), (1.1, 1100), (2.675, 2675)])
def test_a_json_number_is_read_from_its_decimal_text(number, milli):
    """Upstream parses a JSON number's text; the binary float 0.1 is slightly above a tenth and would round up to
    101m (the HPA's parser did that before the two parsers became one)."""
    assert parse_milli(number) == milli


def test_values_are_exact():
    assert parse_quantity("1.5Gi") == 3 * Gi // 2
    assert parse_quantity("3m") * 1000 == 3


@pytest.mark.parametrize(("milli", "text"), [
    (0, "0"), (500, "500m"), (1000, "1"), (1500, "1500m"), (2_000_000, "2k"), (6667, "6667m"),
    (536870912000, "536870912"), (20000, "20"), (-500, "-500m"),
])
def test_format_milli_is_canonical_decimal_si(milli, text):
    assert format_milli(milli) == text


@pytest.mark.parametrize("bad", ["", "abc", "lots", "1.2.3", "5 Mi", "1Mb", "1Xi", "--1", "1e3m", "1e", None, True,
                                 float("inf"), [1]])
def test_bad_quantities_name_the_field(bad):
    with pytest.raises(QuantityError, match=r"spec\.cpu"):
        parse_milli(bad, "spec.cpu")


def test_there_is_one_quantity_parser():
    """Issue 16: the HPA and the scheduler had one parser each; no module but localcluster/quantity.py may define
    one again."""
    root = Path(__file__).resolve().parents[2] / "localcluster"
    defining = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                      if "_BINARY = {" in p.read_text() or "Ki|Mi|Gi" in p.read_text())
    assert defining == ["quantity.py"]
