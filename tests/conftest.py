"""Test-session set-up: keep Ray's files out of the user's home, one thread per torch op, and remove
every scratch directory the session made once it passed."""
import glob
import os
import shutil
import tempfile

# Every scratch directory of this process (its HOME, Ray's temp dirs, those of the e2e services and
# clusters: tests/e2e) starts with this prefix, so the session can remove them all at its end (a
# whole `make test` left ~100 of them, 600 MB of Ray logs, in /tmp). Per process, not inherited:
# each pytest-xdist worker removes only its own. Short: Ray's unix sockets live below these dirs.
SCRATCH_PREFIX_VAR = "LWMECPS_TEST_SCRATCH_PREFIX"
os.environ[SCRATCH_PREFIX_VAR] = _SCRATCH = f"/tmp/lwt{os.getpid()}-"

# Ray writes under ~/ray_results, ~/.ray and /tmp/ray by default; this suite's go to a temp dir.
# Set before anything imports ray (its default storage path is computed at import).
def _scratch_dir(name: str) -> str:
    """A new dir under this process's scratch prefix (tests/e2e/service.scratch_dir: the same, for e2e)."""
    return tempfile.mkdtemp(prefix=os.path.basename(_SCRATCH) + name, dir=os.path.dirname(_SCRATCH))


_SESSION_DIR = _scratch_dir("home")
os.environ["HOME"] = _SESSION_DIR
os.environ.setdefault("RAY_TMPDIR", _scratch_dir("r"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Free ports for the servers tests start (lwmecps.platform.ports): each xdist worker its own quarter of
# the range, so two workers never pick one port while the first is still unbound.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % 4
os.environ.setdefault("LWMECPS_FREE_PORT_RANGE", f"{20000 + 2500 * _WORKER}-{22499 + 2500 * _WORKER}")

import pytest  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    """Remove this process's scratch directories when every test passed; keep them (and say where)
    after a failure: they hold the Ray and service logs that explain it."""
    dirs = sorted(glob.glob(_SCRATCH + "*"))
    if exitstatus == 0:
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    elif dirs:
        print(f"\nscratch directories kept for the failure's logs: {_SCRATCH}*")


@pytest.fixture(autouse=True)
def _no_inherited_wandb_service():
    """A test that opens a W&B run here leaves this process's wandb-core token in WANDB_SERVICE;
    a later test's subprocesses (``lwmecps up``, ``ray start`` nodes, the CLI) would inherit it and
    share that one service (a resumed task then found its run "in use"). Each starts its own."""
    yield
    os.environ.pop("WANDB_SERVICE", None)


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray instance (2 CPUs, no dashboard) for the tests that train in-process."""
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 _temp_dir=os.environ["RAY_TMPDIR"])
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session", params=["nx-27017", "secantusdb"])
def mongo_uri(request, tmp_path_factory):
    """A real MongoDB wire-protocol server (both kinds the store supports), started and stopped here."""
    from lwmecps.platform.mongo_server import start_nx27017, start_secantus
    from lwmecps.platform.ports import free_port

    start = start_nx27017 if request.param == "nx-27017" else start_secantus
    server = start(tmp_path_factory.mktemp(request.param), free_port())
    yield server.uri
    server.stop()


@pytest.fixture(scope="session")
def nx_uri(tmp_path_factory):
    """The embedded default server (nx-27017) alone, for API tests."""
    from lwmecps.platform.mongo_server import start_nx27017
    from lwmecps.platform.ports import free_port

    server = start_nx27017(tmp_path_factory.mktemp("nx-api"), free_port())
    yield server.uri
    server.stop()


@pytest.fixture(scope="session")
def ppo_checkpoint(ray_local, tmp_path_factory):
    """An (untrained) PPO checkpoint on profile-a, saved the way the platform saves models."""
    from lwmecps.platform.algorithms.inference import save_checkpoint
    from lwmecps.platform.training.envs import register
    from lwmecps.platform.training.registry import build_config

    register()
    # the MLP: its untrained greedy actions vary with the observation (the symmetric default's are
    # 1 replica per node everywhere, which saturates every group alike); the symmetric network is
    # trained, deployed and queried end to end in tests/e2e (console, service)
    algo = build_config("ppo", {"network": "mlp"}, "profile-a").build_algo()
    try:
        path = save_checkpoint(algo, tmp_path_factory.mktemp("ppo-ckpt") / "checkpoint",
                               {"model_type": "ppo", "group_id": "profile-a"})
    finally:
        algo.stop()
    return str(path)
