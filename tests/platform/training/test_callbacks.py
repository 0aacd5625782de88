"""What a training result says about the episodes that finished in its iteration."""
from lwmecps.platform.training.callbacks import EPISODES_KEY, finished_episodes

ONE = {"reward": -600.0, "steps": 288, "latency": 0.05}


def test_finished_episodes_reads_a_list_a_single_item_and_none():
    # Ray reduces an item_series of one item to that item: one episode per iteration arrives as a dict
    assert finished_episodes({"env_runners": {EPISODES_KEY: ONE}}) == [ONE]
    assert finished_episodes({"env_runners": {EPISODES_KEY: [ONE, None, ONE]}}) == [ONE, ONE]
    assert finished_episodes({"env_runners": {}}) == [] == finished_episodes({})
