from codemill.datasets.mix import apply_token_budget, apply_weights, split_groups


def test_split_is_deterministic_and_keeps_at_least_one_group_each_side():
    groups = [f"doc{i}" for i in range(3)]
    chosen = split_groups(groups, 0.05, seed=0)
    assert len(chosen) == 1 and chosen == split_groups(groups, 0.05, seed=0)
    assert len(split_groups([f"g{i}" for i in range(2000)], 0.1, seed=1)) in range(150, 250)
    assert split_groups(["only"], 0.5, seed=0) == set()


def test_weights_repeat_and_subsample_by_source():
    records = [{"id": f"{s}{i}", "source": s, "tokens": 10} for s in ("a", "b") for i in range(200)]
    mixed = apply_weights(records, {"a": 2.0, "b": 0.5}, seed=0)
    counts = {s: sum(r["source"] == s for r in mixed) for s in ("a", "b")}
    assert counts["a"] == 400 and 70 < counts["b"] < 130
    assert len({r["id"] for r in mixed}) == len(mixed)


def test_token_budget_caps_total_and_keeps_order():
    records = [{"id": str(i), "source": "a", "tokens": 10} for i in range(100)]
    kept = apply_token_budget(records, 250, seed=0)
    assert sum(r["tokens"] for r in kept) <= 250 and len(kept) == 25
    assert [int(r["id"]) for r in kept] == sorted(int(r["id"]) for r in kept)
