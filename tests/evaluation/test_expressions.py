import pytest

from healthlinks.evaluation.expressions import UnsupportedExpression, evaluate, parse, references


def run(text, values=None, current=""):
    values = values or {}
    return evaluate(parse(text), lambda n: values.get(n, ""), current)


def test_comparisons_and_logic():
    assert run("${a} = 'yes'", {"a": "yes"}) is True
    assert run("${a} = 'yes'", {"a": "no"}) is False
    assert run(". >= 1 and . <= 10", current="10") is True
    assert run(". >= 1 and . <= 10", current="11") is False
    assert run("${n} > 2 or ${k} != 'x'", {"n": "1", "k": "x"}) is False
    assert run("not(${a} = 'yes')", {"a": "no"}) is True
    assert run("(${a} = 'x' or ${a} = 'y') and ${b} < 5", {"a": "y", "b": "4.5"}) is True


def test_empty_numbers_compare_like_xpath():
    assert run("${n} > 2", {}) is False
    assert run("${n} != 2", {}) is True


def test_selected_and_count():
    assert run("selected(${t}, 'b')", {"t": "a b"}) is True
    assert run("selected(${t}, 'c')", {"t": "a b"}) is False
    assert run("not(selected(., 'none') and count-selected(.) > 1)", current="none a") is False
    assert run("not(selected(., 'none') and count-selected(.) > 1)", current="none") is True
    assert references(parse("selected(${t}, 'b') and ${x} = 1")) == {"t", "x"}


@pytest.mark.parametrize("text", ["regex(., 'a')", "${a} +", "${a} = ", "../a = 1", "${a} = 'x' xor 1"])
def test_outside_the_subset(text):
    with pytest.raises(UnsupportedExpression):
        parse(text)
