"""Free ports come from a range no process allocates by itself, in turn, skipping bound ones."""
import socket

import pytest

from lwmecps.platform import ports


def test_ports_lie_in_the_range_outside_the_kernels_ephemeral_one(monkeypatch):
    monkeypatch.delenv(ports.RANGE_VAR, raising=False)
    got = [ports.free_port() for _ in range(20)]
    lo, hi = ports.ephemeral_range()
    assert all(ports.DEFAULT_RANGE[0] <= p <= ports.DEFAULT_RANGE[1] for p in got)
    assert not any(lo <= p <= hi for p in got)
    assert len(set(got)) == len(got)  # handed out in turn: never twice while the first may be unbound


def test_a_bound_port_is_skipped_and_the_range_variable_is_honoured(monkeypatch):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        taken = held.getsockname()[1]
        monkeypatch.setenv(ports.RANGE_VAR, f"{taken}-{taken + 1}")
        assert [ports.free_port() for _ in range(3)] == [taken + 1] * 3


@pytest.mark.parametrize("raw", ["20000", "b-c", "30000-20000", "80-90"])
def test_a_bad_range_is_named(monkeypatch, raw):
    monkeypatch.setenv(ports.RANGE_VAR, raw)
    with pytest.raises(ValueError, match=ports.RANGE_VAR):
        ports.free_port()


def test_up_warns_about_an_api_port_in_the_ephemeral_range():
    lo, hi = ports.ephemeral_range()
    assert "LWMECPS_API_PORT=%d" % lo in ports.ephemeral_warning(lo, "LWMECPS_API_PORT")
    assert ports.ephemeral_warning(8000, "LWMECPS_API_PORT") is None
