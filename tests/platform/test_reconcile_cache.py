"""Reconciliation's baseline-cost cache: keys, the in-process LRU, the store repository, the service path."""
import uuid

import pytest
import yaml

from lwmecps.envs import load_group, load_group_file
from lwmecps.envs.baselines import make_policy
from lwmecps.envs.groups import group_fingerprint, groups_dir
from lwmecps.platform.services.reconcile import ReconcileService
from lwmecps.platform.settings import Settings
from lwmecps.platform.store import Store
from lwmecps.platform.training import reconcile as rec

STEPS = 6


@pytest.fixture(autouse=True)
def cheap_policy(monkeypatch):
    """reconcile() without a checkpoint: the 'trained policy' is the static-2 baseline."""
    import lwmecps.platform.algorithms.inference as inference

    monkeypatch.setattr(inference, "load_policy", lambda checkpoint: (make_policy("static-2"), {}))
    rec.PROCESS_LRU.clear()
    yield
    rec.PROCESS_LRU.clear()


@pytest.fixture()
def counted(monkeypatch):
    """Count baseline computations; a fake cost (a function of its inputs) keeps these tests fast."""
    calls = []

    def fake(name, group, sample_size, seed, params, train_group=None):
        calls.append((name, group.name))
        return float(len(name) + group.users[:sample_size].sum() % 97 + sample_size / 1000)

    monkeypatch.setattr(rec, "compute_baseline_cost", fake)
    return calls


def edited_group(tmp_path, name="profile-a", mean_delta=3.0):
    """The group ``name`` as a file edited in place: same name, other content."""
    raw = yaml.safe_load((groups_dir() / f"{name}.yaml").read_text())
    raw["aggregate"]["mean"] += mean_delta
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_group_file(path)


def test_group_fingerprint_follows_the_content(tmp_path):
    a = load_group("profile-a")
    assert group_fingerprint(a) == group_fingerprint(load_group_file(groups_dir() / "profile-a.yaml"))
    assert group_fingerprint(a) != group_fingerprint(load_group("profile-b"))
    edited = edited_group(tmp_path)
    assert edited.name == "profile-a" and group_fingerprint(edited) != group_fingerprint(a)


def test_key_covers_every_input():
    from lwmecps.envs import EnvParams

    env = rec.env_fingerprint(EnvParams.load())
    base = rec.baseline_key("hpa", "g", env, rec.RECONCILE_SEED, 100)
    assert base == rec.baseline_key("hpa", "g", env, rec.RECONCILE_SEED, 100)
    assert len({base, rec.baseline_key("causal-oracle", "g", env, rec.RECONCILE_SEED, 100),
                rec.baseline_key("hpa", "h", env, rec.RECONCILE_SEED, 100),
                rec.baseline_key("hpa", "g", rec.env_fingerprint(EnvParams.load({"timeout_ms": 700})),
                                 rec.RECONCILE_SEED, 100),
                rec.baseline_key("hpa", "g", env, rec.RECONCILE_SEED + 1, 100),
                rec.baseline_key("hpa", "g", env, rec.RECONCILE_SEED, 101)}) == 6


def test_cache_hit_returns_identical_costs():
    """Real baseline runs: the cached reconcile equals the pure one, and its second call computes nothing."""
    pure = rec.reconcile("ckpt", "profile-a", STEPS, "profile-a")
    cache = rec.BaselineCostCache()
    first = rec.reconcile("ckpt", "profile-a", STEPS, "profile-a", cache=cache)
    assert (cache.hits, cache.computed) == (0, len(rec.BASELINES))
    again = rec.BaselineCostCache(known={e["key"]: e["cost"] for e in cache.new}, lru=None)  # the store's rows
    second = rec.reconcile("ckpt", "profile-a", STEPS, "profile-a", cache=again)
    assert (again.hits, again.computed) == (len(rec.BASELINES), 0)
    assert pure == first == second
    assert set(pure["costs"]["profile-a"]) == {"policy", *rec.BASELINES}


def test_second_reconcile_does_not_recompute(counted):
    cache = rec.BaselineCostCache()
    first = rec.reconcile("ckpt", "profile-b", STEPS, "profile-a", cache=cache)
    assert len(counted) == 2 * len(rec.BASELINES) and cache.computed == len(counted)
    second = rec.reconcile("ckpt", "profile-b", STEPS, "profile-a", cache=rec.BaselineCostCache())  # the LRU
    assert len(counted) == 2 * len(rec.BASELINES)
    assert second["costs"] == first["costs"]
    rec.reconcile("ckpt", "profile-b", STEPS + 1, "profile-a", cache=rec.BaselineCostCache())  # another size
    assert len(counted) == 4 * len(rec.BASELINES)
    rec.reconcile("ckpt", "profile-b", STEPS, "profile-a")  # no cache: the pure function computes all
    assert len(counted) == 6 * len(rec.BASELINES)


def test_a_changed_group_recomputes(counted, tmp_path):
    cache = rec.BaselineCostCache()
    original = rec.baseline_costs(load_group("profile-a"), STEPS, cache=cache)
    edited = rec.baseline_costs(edited_group(tmp_path), STEPS, cache=cache)
    assert len(counted) == 2 * len(rec.BASELINES) and original != edited
    assert rec.baseline_costs(load_group("profile-a"), STEPS, cache=cache) == original
    assert len(counted) == 2 * len(rec.BASELINES)


def test_any_baseline_name_is_cached(counted):
    names = (*rec.BASELINES, "static-3", "random")
    cache = rec.BaselineCostCache()
    costs = rec.reconcile("ckpt", "profile-a", STEPS, "profile-a", cache=cache, baselines=names)["costs"]
    assert set(costs["profile-a"]) == {"policy", *names} and cache.computed == len(names)
    rec.reconcile("ckpt", "profile-a", STEPS, "profile-a", cache=cache, baselines=names)
    assert len(counted) == len(names) and cache.hits == len(names)


def test_tuned_baselines_are_keyed_on_the_training_group(counted, tmp_path):
    assert not rec.uses_train_group("hpa") and not rec.uses_train_group("static-2")
    assert rec.uses_train_group("hpa-tuned") and rec.uses_train_group("some-new-baseline")  # safe default
    cache, b = rec.BaselineCostCache(), load_group("profile-b")
    rec.baseline_costs(b, STEPS, ("hpa", "hpa-tuned"), cache=cache, train_group=load_group("profile-a"))
    rec.baseline_costs(b, STEPS, ("hpa", "hpa-tuned"), cache=cache, train_group=edited_group(tmp_path))
    assert counted == [("hpa", "profile-b"), ("hpa-tuned", "profile-b"), ("hpa-tuned", "profile-b")]
    assert [e["train_group_fingerprint"] is None for e in cache.new] == [True, False, False]
    alone = rec.BaselineCostCache(lru=None)  # no LRU: the cache object still remembers what it computed
    rec.baseline_costs(b, STEPS, ("hpa",), cache=alone), rec.baseline_costs(b, STEPS, ("hpa",), cache=alone)
    assert (alone.computed, alone.hits, len(counted)) == (1, 1, 4)


def test_lru_evicts_the_least_recently_used():
    lru = rec.CostLRU(maxsize=2)
    lru.put("a", 1.0), lru.put("b", 2.0)
    assert lru.get("a") == 1.0
    lru.put("c", 3.0)
    assert lru.get("b") is None and lru.get("a") == 1.0 and lru.get("c") == 3.0 and len(lru) == 2


@pytest.fixture()
def store(mongo_uri):
    return Store(mongo_uri, f"bc{uuid.uuid4().hex[:8]}").init()


def entry(key, group="profile-a", fp="f1", baseline="hpa", cost=1.5, size=STEPS):
    return {"key": key, "group": group, "group_fingerprint": fp, "env_fingerprint": "e", "baseline": baseline,
            "sample_size": size, "seed": rec.RECONCILE_SEED, "cost": cost}


def test_repository_stores_looks_up_and_prunes(store):
    repo = store.baseline_costs
    assert repo.put_many([entry("k1"), entry("k2", baseline="causal-oracle", cost=1.25),
                          entry("k3", group="profile-b"), entry("k4", size=STEPS + 1)]) == 4
    assert repo.lookup(["profile-a"], STEPS, rec.RECONCILE_SEED) == {"k1": 1.5, "k2": 1.25}
    assert set(repo.lookup(["profile-a", "profile-b"], STEPS, rec.RECONCILE_SEED)) == {"k1", "k2", "k3"}
    assert repo.lookup(["profile-a"], STEPS, rec.RECONCILE_SEED + 1) == {}
    repo.put_many([entry("k1", cost=1.5)])  # the same key again: one row
    assert repo.count("profile-a") == 3
    repo.put_many([entry("k5", fp="f2")])  # profile-a's content changed: its older rows go
    assert repo.count("profile-a") == 1 and repo.count("profile-b") == 1
    assert repo.clear("profile-b") == 1 and repo.count() == 1


def test_service_stores_computed_costs_and_reuses_them(nx_uri, counted, monkeypatch, tmp_path):
    import ray

    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # this process, so the fakes apply
    store = Store(nx_uri, f"bc{uuid.uuid4().hex[:8]}").init()
    service = ReconcileService(store, Settings(mongodb_uri=nx_uri, artifacts_dir=tmp_path), tasks=None)
    first = service._execute("ckpt", "profile-b", STEPS, "profile-a")
    assert len(counted) == 2 * len(rec.BASELINES) and store.baseline_costs.count() == len(counted)
    rec.PROCESS_LRU.clear()  # a fresh worker: only the store remembers
    second = service._execute("ckpt", "profile-b", STEPS, "profile-a")
    assert len(counted) == 2 * len(rec.BASELINES) and second["costs"] == first["costs"]
    store.baseline_costs.clear()
    rec.PROCESS_LRU.clear()
    service._execute("ckpt", "profile-b", STEPS, "profile-a")
    assert len(counted) == 4 * len(rec.BASELINES)
