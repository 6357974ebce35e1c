from datatrove.data import Document

from codemill.datasets.format import FormatSamples, best_answer


def test_best_answer_prefers_accepted_then_score():
    answers = [{"score": 9}, {"score": 1, "accepted": True}, {"score": 5}]
    assert best_answer(answers)["score"] == 1
    assert best_answer([{"score": 2}, {"score": 7}])["score"] == 7
    assert best_answer([]) is None


def test_formatter_skips_a_thread_it_cannot_use_and_counts_it():
    good = {"kind": "thread", "title": "t", "answers": [{"markdown": "a", "score": 1}], "source": "s", "group": "g"}
    bad = dict(good, answers=[{"markdown": "a", "score": "high"}, {"markdown": "b", "score": 2}])
    step = FormatSamples("chat", "{title} {heading}", 100, 10, None)
    out = list(step.run(iter([Document(text="q", id="bad", metadata=bad), Document(text="q", id="ok", metadata=good)])))
    assert [d.id for d in out] == ["ok"]
    assert step.stats["dropped_bad_record"].total == 1
