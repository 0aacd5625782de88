"""One duration rule for every route: the spec's ``"24h"`` (uptime) and ``"2h"`` (average training time)."""
import pytest

from lwmecps.platform.services.durations import duration


@pytest.mark.parametrize("seconds, two, one", [
    (0, "0s", "0s"), (0.4, "0s", "0s"), (42, "42s", "42s"), (61, "1m 1s", "1m"), (303, "5m 3s", "5m"),
    (3601, "1h", "1h"), (3660, "1h 1m", "1h"), (7200, "2h", "2h"), (10799, "2h 59m", "2h"), (86400, "24h", "24h"),
])
def test_largest_units_first_smaller_ones_cut(seconds, two, one):
    assert duration(seconds) == two and duration(seconds, parts=1) == one
