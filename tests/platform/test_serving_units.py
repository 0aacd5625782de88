"""Resource quantities and per-interval aggregation of metrics samples."""
from datetime import datetime, timedelta, timezone

import pytest

from lwmecps.platform.services.errors import BadRequest
from lwmecps.platform.serving.quantities import QuantityError, parse_cpu, parse_memory
from lwmecps.platform.serving.series import bucket, parse_window

T0 = datetime(2024, 3, 20, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, cores", [("1", 1.0), ("0.5", 0.5), ("500m", 0.5), ("2500m", 2.5), ("16", 16.0)])
def test_cpu_quantities(text, cores):
    assert parse_cpu(text) == cores


@pytest.mark.parametrize("text, size", [("1Gi", 2**30), ("512Mi", 512 * 2**20), ("1G", 10**9), ("64M", 64 * 10**6),
                                        ("134217728", 2**27), ("1.5Gi", 3 * 2**29)])
def test_memory_quantities(text, size):
    assert parse_memory(text) == size


@pytest.mark.parametrize("bad", ["", "one", "-1", "1.5.2", "0", "0m", "1000", "2 cores"])
def test_bad_cpu(bad):
    with pytest.raises(QuantityError, match="resources.cpu"):
        parse_cpu(bad)


@pytest.mark.parametrize("bad", ["", "1GB", "1 Gi", "-1Gi", "1Pi", "1Ki", "2Ti"])
def test_bad_memory(bad):
    with pytest.raises(QuantityError, match="resources.memory"):
        parse_memory(bad)


def at(seconds, **values):
    return {"ts": T0 + timedelta(seconds=seconds), **values}


def test_bucket_mean_rate_and_sum_per_interval():
    samples = [at(0, v=1.0), at(59, v=3.0), at(60, v=10.0), at(250, v=4.0), at(299.5, v=6.0)]
    mean = bucket(samples, T0, 60, lambda s: s["v"])
    # intervals [0,60) [60,120) [240,300): the empty ones are left out
    assert mean == {"values": [2.0, 10.0, 5.0],
                    "timestamps": ["2024-03-20T12:00:00Z", "2024-03-20T12:01:00Z", "2024-03-20T12:04:00Z"]}
    assert bucket(samples, T0, 60, how="rate")["values"] == [2 / 60, 1 / 60, 2 / 60]
    assert bucket(samples, T0, 60, how="sum")["values"] == [2, 1, 2]
    assert bucket(samples, T0, 300, how="sum") == {"values": [5], "timestamps": ["2024-03-20T12:00:00Z"]}
    assert bucket([], T0, 60) == {"values": [], "timestamps": []}


def test_window_parsing():
    start, end, s = parse_window("2024-03-20T12:00:00Z", "2024-03-20T14:00:00+00:00", "5m")
    assert (start, end, s) == (T0, T0 + timedelta(hours=2), 300)
    naive, _, _ = parse_window("2024-03-20T12:00:00", "2024-03-20T13:00:00", "1h")
    assert naive == T0  # a time without zone is UTC
    for args, words in [(("x", None, None), "start_time='x'"), ((None, "tomorrow", None), "end_time"),
                        ((None, None, "10s"), "interval='10s'"),
                        (("2024-03-20T13:00:00Z", "2024-03-20T12:00:00Z", None), "before end_time"),
                        (("2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z", "1m"), "more than 2000")]:
        with pytest.raises(BadRequest, match=words.replace("(", r"\(")):
            parse_window(*args)
