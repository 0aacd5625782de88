"""The deployment states, said once: what is live, and which moves the API allows."""
from lwmecps.platform.store.deployment_state import LIVE, MOVES, STATES, can_move, is_live, state_of


def doc(state):
    return {"deployment": {"state": state}} if state else {}


def test_every_state_is_in_the_diagram_and_only_two_are_live():
    assert set(MOVES) - {None} == set(STATES) and all(set(v) <= set(STATES) for v in MOVES.values())
    assert [s for s in STATES if is_live(doc(s))] == list(LIVE) == ["deploying", "running"]
    assert state_of({}) is None and not is_live(None)


def test_the_moves_the_api_makes():
    assert can_move(doc(None), "deploying") and can_move(doc("stopped"), "deploying")
    assert not can_move(doc("stopping"), "deploying")  # deploy waits for the deletion
    assert all(can_move(doc(s), "stopping") for s in ("deploying", "running", "failed"))
    assert not can_move(doc("stopped"), "stopping") and not can_move(doc(None), "stopping")
    assert can_move(doc("stopping"), "stopped")


def test_a_restart_finishes_every_stop_left_half_way(mongo_uri):
    """``lwmecps up`` restarts on a new Ray cluster: a model left ``stopping`` has no application there."""
    import uuid

    from lwmecps.platform.store import Store

    store = Store(mongo_uri, f"t{uuid.uuid4().hex[:8]}").init()
    ids = {state: store.models.create({"name": state, "task_id": uuid.uuid4().hex, "status": "trained",
                                       "deployment": {"state": state}})["_id"] for state in ("stopping", "running")}
    assert store.models.finish_stopping() == 1
    assert state_of(store.models.get(ids["stopping"])) == "stopped"
    assert state_of(store.models.get(ids["running"])) == "running"  # live ones are redeployed, not stopped
