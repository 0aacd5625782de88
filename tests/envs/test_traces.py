"""Measured traces (CSV and the group schema's ``trace``): a valid one trains/plans like a shipped group;
every bad one is refused naming the line, the column and the problem."""
import json

import numpy as np
import pytest

from lwmecps.envs import EdgeClusterEnv, GroupFileError, TraceError, TraceTooLarge, load_group_file, load_trace_csv
from lwmecps.envs.baselines import evaluate
from lwmecps.envs.baselines.planning import CausalOraclePolicy
from lwmecps.envs.groups import GroupSpec
from lwmecps.envs.traces import MAX_BYTES, parse_csv

STATIONS = ["bs1", "bs2", "bs3", "bs4", "bs5"]


def day_csv(slot_s=300, stations=STATIONS, first="timestamp", rows=None):
    n = int(86400 // slot_s) if rows is None else rows
    rng = np.random.default_rng(0)
    lines = [",".join([first, *stations])]
    for k in range(n):
        load = 10 + 8 * np.sin(2 * np.pi * k / n) + rng.uniform(0, 2, len(stations))
        stamp = str(int(1_700_000_000 + k * slot_s)) if first == "timestamp" else str(k)
        lines.append(",".join([stamp, *(f"{v:.2f}" for v in load)]))
    return "\n".join(lines) + "\n"


def write(tmp_path, text, name="mine.csv"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return path


def test_a_csv_trace_is_a_group_the_env_and_the_planner_take(tmp_path):
    group = load_group_file(write(tmp_path, day_csv()))
    assert group.name == "mine" and group.n_nodes == 5 and [n.name for n in group.spec.nodes] == STATIONS
    assert group.users.shape == (8640, 5)  # 288 rows of 300 s on the 10 s grid
    # the trace's own numbers reach the env: interval means equal the CSV's rows
    rows = np.array([[float(v) for v in line.split(",")[1:]] for line in day_csv().splitlines()[1:]])
    assert np.allclose(group.interval_means(300), rows)
    env = EdgeClusterEnv(group, params={"episode_hours": 2})
    assert env.observation_space.shape == (37,) and env.action_space.nvec.tolist() == [5] * 5
    assert evaluate(CausalOraclePolicy(samples=16), env=env, seed=0)["cost"] > 0


def test_slot_column_slot_s_and_short_slots(tmp_path):
    hourly = load_trace_csv(write(tmp_path, day_csv(3600, first="slot")), slot_s=3600)
    assert hourly.users.shape == (8640, 5) and np.allclose(hourly.users[:360], hourly.users[0])
    fine = load_trace_csv(write(tmp_path, day_csv(5), name="fine.csv"))  # 5 s rows averaged in pairs
    assert fine.users.shape == (8640, 5)
    with pytest.raises(TraceError, match="disagrees with the timestamps"):
        load_trace_csv(write(tmp_path, day_csv(300)), slot_s=60)


def _bad_cell(text, row, col, value):
    lines = text.splitlines()
    cells = lines[row].split(",")
    cells[col] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines)


@pytest.mark.parametrize("edit, match", [
    (lambda t: _bad_cell(t, 3, 2, "abc"), r"line 4, column 'bs2': 'abc' is not a number"),
    (lambda t: _bad_cell(t, 7, 4, "-1"), r"line 8, column 'bs4': -1 is negative"),
    (lambda t: _bad_cell(t, 5, 1, "nan"), r"line 6, column 'bs1': 'nan' is not a finite number"),
    (lambda t: "\n".join(line.rsplit(",", 1)[0] if i == 9 else line for i, line in enumerate(t.splitlines())),
     r"line 10: 5 values, the header has 6 \(missing station column\)"),
    (lambda t: "\n".join(line + ",3" if i == 2 else line for i, line in enumerate(t.splitlines())),
     r"line 3: 7 values, the header has 6 \(extra values\)"),
    (lambda t: t.replace("timestamp,", "time,", 1), r"line 1, column 1: the first column must be 'timestamp' or 'slot'"),
    (lambda t: t.replace(",bs3,", ",bs2,", 1), r"station 'bs2' appears twice"),
    (lambda t: _bad_cell(t, 4, 0, "yesterday"), r"line 5, column 'timestamp': 'yesterday' is neither"),
    (lambda t: "\n".join(t.splitlines()[:10]), r"covers 2700 s \(9 rows of 300 s\); it must cover whole days, 1 to 7"),
    (lambda t: "\n".join(t.splitlines()[:2]), r"at least two rows"),
    (lambda t: "", r"the trace is empty"),
])
def test_bad_csv_names_line_column_and_problem(tmp_path, edit, match):
    with pytest.raises(TraceError, match=match):
        load_group_file(write(tmp_path, edit(day_csv())))


def test_limits(tmp_path):
    with pytest.raises(TraceError, match="65 stations; at most 64"):
        parse_csv(day_csv(stations=[f"s{i}" for i in range(65)], rows=3))
    with pytest.raises(TraceTooLarge, match="9.0 MiB; the limit is 8 MiB"):
        load_group_file(write(tmp_path, b"timestamp,bs1\n" + b"0" * (9 * 2**20)))
    assert MAX_BYTES == 8 * 2**20
    with pytest.raises(TraceError, match="slot_s=7 must divide 10 s"):
        load_trace_csv(write(tmp_path, day_csv(300, first="slot")), slot_s=7)
    with pytest.raises(TraceError, match="slot_s=300 disagrees|must cover whole days"):
        load_trace_csv(write(tmp_path, day_csv(600)), slot_s=300)


def test_the_group_schema_takes_a_trace_and_checks_it():
    users = [[1.0, 2.0]] * 288
    nodes = [{"name": "a", "cpu": 8, "memory_mib": 16384}, {"name": "b", "cpu": 4, "memory_mib": 8192}]
    spec = GroupSpec.model_validate({"name": "g", "nodes": nodes, "trace": {"slot_s": 300, "users": users}})
    assert spec.trace.slot_s == 300
    for body, match in [
        ({"nodes": nodes[:1], "trace": {"slot_s": 300, "users": users}}, "2 stations for 1 nodes"),
        ({"nodes": [{**nodes[0], "cpu": 0}, nodes[1]], "trace": {"slot_s": 300, "users": users}}, "greater than 0"),
        ({"nodes": nodes, "trace": {"slot_s": 300, "users": [[1.0, 2.0], [1.0]] * 144}}, "ragged trace: row 1"),
        ({"nodes": nodes, "trace": {"slot_s": 300, "users": [[1.0, -2.0]] * 288}}, "row 0, station 1: -2.0"),
        ({"nodes": nodes}, "give a trace, or both aggregate and stations"),
    ]:
        with pytest.raises(ValueError, match=match):
            GroupSpec.model_validate({"name": "g", **body})
    assert json.loads(spec.model_dump_json())["trace"]["users"][0] == [1.0, 2.0]


def test_a_multi_day_trace_episodes_start_anywhere_in_it_and_keep_the_clock(tmp_path):
    """Three days, each at its own level: an episode starting on day 2 meets day 2's users; the time of
    day in the observation repeats every day; 8 days are refused."""
    day = day_csv(900, first="slot").splitlines()
    rows = [line.split(",") for line in day[1:]]
    lines = [day[0]] + [",".join([str(d * 96 + k), *(f"{float(v) * (d + 1):.2f}" for v in r[1:])])
                        for d in range(3) for k, r in enumerate(rows)]
    group = load_trace_csv(write(tmp_path, "\n".join(lines) + "\n"), slot_s=900)
    assert group.days == 3 and group.users.shape == (3 * 8640, 5)
    env = EdgeClusterEnv(group, params={"episode_hours": 1, "noise": False})
    sim = env.sim
    assert (sim.period, sim.intervals_per_day) == (3 * 288, 288)
    means = group.interval_means(300)
    assert np.allclose(means[288:576], 2 * means[:288]) and np.allclose(means[576:], 3 * means[:288])
    starts = set()
    for seed in range(40):
        env.reset(seed=seed)
        start = int(sim.clock[0, 1])
        starts.add(start // 288)
        assert np.allclose(sim.episode_mean_users(), means[(start + np.arange(sim.steps_per_episode)) % 864])
        # the observation's clock is the time of day of the next interval, the same on every day
        obs, *_ = env.step(np.full(5, 2))
        angle = 2 * np.pi * ((start + 1) % 288) / 288
        assert np.allclose(obs[-2:], [np.sin(angle), np.cos(angle)], atol=1e-6)
    assert starts == {0, 1, 2}  # episodes start on every day of the trace
    with pytest.raises(TraceError, match="it must cover whole days, 1 to 7"):
        load_trace_csv(write(tmp_path, "\n".join([day[0]] + [f"{k},1,1,1,1,1" for k in range(96 * 8)]), "long.csv"),
                       slot_s=900)


def test_trace_errors_are_group_file_errors(tmp_path):
    assert issubclass(TraceError, GroupFileError) and issubclass(TraceTooLarge, TraceError)
