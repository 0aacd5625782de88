"""One "Ray here?" policy: routes that start work on the cluster refuse without Ray (503 naming what),
and nothing here starts a Ray unless asked to (``ensure``)."""
import pytest

from lwmecps.platform import ray_here
from lwmecps.platform.services.errors import Unavailable


def test_without_ray_work_on_the_cluster_is_refused_naming_it(monkeypatch):
    import ray

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    assert not ray_here.connected()
    with pytest.raises(Unavailable, match=r"Ray is not running in this process: sweeps need `lwmecps up`"):
        ray_here.require("sweeps")
    from lwmecps.platform.services.ray_tasks import run_task  # heavy reads run here instead

    assert run_task(lambda x: x + 1, 41, num_cpus=1, timeout_s=5) == 42


def test_ensure_starts_nothing_when_connected(monkeypatch):
    import ray

    monkeypatch.setattr(ray, "is_initialized", lambda: True)
    monkeypatch.setattr(ray, "init", lambda **kw: pytest.fail("ensure must not start a second Ray"))
    assert ray_here.ensure(log_to_driver=False) is False
    ray_here.require("autoscalers")  # connected: no error
