"""Workload groups: the testbed facts (DESIGN §4), determinism and a loader that names problems."""
import numpy as np
import pytest
import yaml

from lwmecps.envs import GroupFileError, UnknownGroupError, known_groups, load_group, load_group_file
from lwmecps.envs.groups import groups_dir


def test_known_groups_include_profiles_and_a_larger_synthetic_one():
    names = known_groups()
    assert {"profile-a", "profile-b"} <= set(names)
    assert any(load_group(n).n_nodes >= 8 for n in names)


@pytest.mark.parametrize("name, shares", [
    ("profile-a", [18.8, 16.5, 17.4, 13.6]),
    ("profile-b", [12.3, 19.3, 20.3, 14.1]),
])
def test_profiles_match_the_testbed(name, shares):
    g = load_group(name)
    assert g.users.shape == (8640, 4)
    total = g.users.sum(axis=1)
    assert 19 <= total.min() and total.max() <= 109
    assert total.mean() == pytest.approx(66.1, abs=0.5)
    hourly = total.reshape(24, 360).mean(axis=1)
    for hour, expected in [(0, 89), (6, 22), (12, 72), (21, 100)]:
        assert hourly[hour] == pytest.approx(expected, rel=0.15)
    per_station = g.users.mean(axis=0)
    assert per_station == pytest.approx(np.array(shares) / sum(shares) * total.mean(), abs=0.4)


def test_profiles_share_the_aggregate_curve():
    a, b = load_group("profile-a"), load_group("profile-b")
    assert np.array_equal(a.users.sum(axis=1), b.users.sum(axis=1))
    assert not np.array_equal(a.users, b.users)


def test_generation_is_deterministic(tmp_path):
    src = groups_dir() / "profile-a.yaml"
    copy = tmp_path / "copy.yaml"
    copy.write_text(src.read_text())
    assert np.array_equal(load_group_file(copy).users, load_group("profile-a").users)


def test_unknown_group():
    with pytest.raises(UnknownGroupError) as err:
        load_group("profile-z")
    assert "profile-a" in str(err.value) and "profile-z" in str(err.value)


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.pop("aggregate"), "give a trace, or both aggregate and stations"),
    (lambda d: d["aggregate"].update(hourly=[1, 2]), "aggregate.hourly"),
    (lambda d: d["stations"].update(shares=[1, 2]), "2 entries for 4 nodes"),
    (lambda d: d["nodes"][0].update(cpu=-8), "nodes.0.cpu"),
    (lambda d: d.update(slots=100), "cover one day"),
    (lambda d: d["aggregate"].update(mean=500), "min <= mean <= max"),
    (lambda d: d.update(extra_key=1), "extra_key"),
])
def test_malformed_group_files_name_the_field(tmp_path, edit, match):
    data = yaml.safe_load((groups_dir() / "profile-a.yaml").read_text())
    edit(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(GroupFileError, match=match) as err:
        load_group_file(path)
    assert str(path) in str(err.value)


def test_unparseable_group_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(GroupFileError, match="cannot read group file"):
        load_group_file(path)


def test_shape_check_names_both_shapes():
    from lwmecps.envs import ShapeMismatch, check_same_shape

    check_same_shape(load_group("profile-a"), load_group("profile-b"))  # same 4 nodes of 4 replicas
    with pytest.raises(ShapeMismatch, match=r"'profile-a' \(4 nodes, max replicas \[4, 4, 4, 4\]\) and cannot "
                                            r"act on 'synthetic-8' \(8 nodes"):
        check_same_shape(load_group("profile-a"), load_group("synthetic-8"))
