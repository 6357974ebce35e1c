"""pass@k against hand-worked values of 1 - C(n-c, k) / C(n, k)."""

import pytest

from codemill.evals.passk import aggregate_pass_at_k, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 2 / 5),  # one draw: c/n
        (5, 2, 2, 1 - 3 / 10),  # C(3,2)=3 failing pairs out of C(5,2)=10
        (4, 1, 3, 1 - 1 / 4),  # C(3,3)=1 out of C(4,3)=4
        (10, 3, 5, 1 - 21 / 252),  # C(7,5)=21 out of C(10,5)=252
        (10, 0, 5, 0.0),
        (10, 6, 5, 1.0),  # fewer than k failures: every draw of 5 holds a pass
        (200, 1, 100, 0.5),  # C(199,100)/C(200,100) = 100/200
    ],
)
def test_pass_at_k_matches_hand_worked_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, 1, 4), (3, 1, 0), (3, -1, 1)])
def test_pass_at_k_rejects_impossible_counts(n, c, k):
    with pytest.raises(ValueError, match="pass@k needs"):
        pass_at_k(n, c, k)


def test_aggregate_averages_tasks_and_only_reports_k_up_to_n():
    per_task = {"a": {"passed": 1, "n": 10}, "b": {"passed": 0, "n": 10}}
    scores = aggregate_pass_at_k(per_task)
    assert set(scores) == {"pass@1", "pass@5", "pass@10"}
    assert scores["pass@1"] == pytest.approx(0.05)
    assert scores["pass@5"] == pytest.approx(0.25)
    assert scores["pass@10"] == pytest.approx(0.5)


def test_any_k_up_to_n_can_be_asked_for():
    per_task = {"a": {"passed": 2, "n": 4}, "b": {"passed": 0, "n": 3}}
    scores = aggregate_pass_at_k(per_task, ks=[3, 2, 4])
    assert set(scores) == {"pass@2", "pass@3"}  # 4 > the smallest n
    assert scores["pass@2"] == pytest.approx((1 - 1 / 6) / 2)
