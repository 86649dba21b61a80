"""Files as sources: units (bytes, characters, words), empirical distributions, messages as indices,
and the union model that gives units the model file never contained a probability of their own."""

import math
from collections import Counter

import numpy as np
import pytest

from codesim import cross_entropy, entropy
from codesim.errors import CodesimError
from codesim.sources.files import UnitCounts, count_units, cross_file, file_distribution, file_message, read_units, union_model, unseen_cost_bits


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_byte_units_are_the_ints_0_to_255_in_file_order(tmp_path):
    path = write(tmp_path, "b.bin", bytes([0, 255, 7, 7]))
    units = read_units(path, "byte")
    assert units.dtype == np.uint8 and units.tolist() == [0, 255, 7, 7]


def test_char_units_are_unicode_characters_not_bytes(tmp_path):
    path = write(tmp_path, "c.txt", "héllo ✓𝄞\n")   # 2-, 3- and 4-byte characters
    assert read_units(path, "char") == ["h", "é", "l", "l", "o", " ", "✓", "𝄞", "\n"]
    assert file_distribution(path, "char").alphabet == ("\n", " ", "h", "l", "o", "é", "✓", "𝄞")   # by code point


def test_word_units_are_split_on_runs_of_any_whitespace(tmp_path):
    path = write(tmp_path, "w.txt", "  the cat\tsat\n\non  the\r\nmat ")
    assert read_units(path, "word") == ["the", "cat", "sat", "on", "the", "mat"]


@pytest.mark.parametrize("unit", ["byte", "char", "word"])
def test_an_empty_file_gives_an_empty_sequence(tmp_path, unit):
    assert len(read_units(write(tmp_path, "e.txt", b""), unit)) == 0
    assert len(file_message(write(tmp_path, "e.txt", b""), unit, ["x"])) == 0


def test_a_file_of_only_whitespace_has_no_words(tmp_path):
    assert read_units(write(tmp_path, "s.txt", " \n\t \n"), "word") == []


def test_the_byte_distribution_is_the_sorted_distinct_bytes_with_their_frequencies(tmp_path):
    d = file_distribution(write(tmp_path, "b.bin", bytes([200, 3, 200, 65])), "byte")
    assert d.alphabet == (3, 65, 200) and all(type(label) is int for label in d.alphabet)
    assert d.probs.tolist() == [0.25, 0.25, 0.5]


def test_the_char_distribution_is_sorted_by_code_point(tmp_path):
    d = file_distribution(write(tmp_path, "c.txt", "baé a"), "char")
    assert d.alphabet == (" ", "a", "b", "é")
    assert d.probs.tolist() == [0.2, 0.4, 0.2, 0.2]


def test_the_word_distribution_is_sorted_and_counts_repeated_words(tmp_path):
    d = file_distribution(write(tmp_path, "w.txt", "to be or not to be"), "word")
    assert d.alphabet == ("be", "not", "or", "to")
    assert d.probs == pytest.approx([2 / 6, 1 / 6, 1 / 6, 2 / 6])


@pytest.mark.parametrize("unit", ["byte", "char", "word"])
def test_the_message_indexes_the_files_own_distribution_and_rebuilds_the_units(tmp_path, unit):
    path = write(tmp_path, "m.txt", "abba  cab\nba")
    d = file_distribution(path, unit)
    message = file_message(path, unit, d.alphabet)
    assert [d.alphabet[i] for i in message.tolist()] == list(read_units(path, unit))
    assert message.dtype == np.uint8


@pytest.mark.parametrize("unit", ["byte", "char", "word"])
def test_an_empty_file_has_no_distribution(tmp_path, unit):
    with pytest.raises(CodesimError, match="no symbols to estimate a distribution from"):
        file_distribution(write(tmp_path, "e.txt", b""), unit)


@pytest.mark.parametrize("unit", ["char", "word"])
def test_a_binary_file_read_as_text_names_the_offset_of_the_first_bad_byte(tmp_path, unit):
    path = write(tmp_path, "x.bin", b"ok text\xff\xfe then more")
    with pytest.raises(CodesimError) as info:
        read_units(path, unit)
    message = str(info.value)
    assert str(path) in message and "offset 7" in message and "0xff" in message and "\n" not in message


def test_a_truncated_multibyte_character_is_reported_where_it_starts(tmp_path):
    path = write(tmp_path, "t.txt", "ab✓".encode("utf-8")[:-1])   # ✓ is 3 bytes; drop the last one
    with pytest.raises(CodesimError, match="offset 2"):
        file_distribution(path, "char")


def test_a_binary_file_is_fine_as_bytes(tmp_path):
    path = write(tmp_path, "x.bin", bytes(range(256)) * 2)
    assert file_distribution(path, "byte").probs == pytest.approx([1 / 256] * 256)


@pytest.mark.parametrize("unit, hint", [("chars", "did you mean 'char'"), ("line", "byte, char, word")])
def test_an_unknown_unit_is_a_clear_error(tmp_path, unit, hint):
    with pytest.raises(CodesimError, match=hint):
        read_units(write(tmp_path, "a.txt", "a"), unit)


def test_the_unit_is_checked_before_the_file_is_read(tmp_path):
    with pytest.raises(CodesimError, match="unknown unit"):
        file_distribution(tmp_path / "missing.txt", "wrod")


@pytest.mark.parametrize("call", [read_units, file_distribution, lambda path, unit: file_message(path, unit, [1])])
def test_a_missing_file_and_a_directory_give_one_line_errors_naming_them(tmp_path, call):
    with pytest.raises(CodesimError, match=r"missing\.txt: no such file$"):
        call(tmp_path / "missing.txt", "byte")
    with pytest.raises(CodesimError, match="is a directory"):
        call(tmp_path, "char")


def test_a_message_unit_outside_the_alphabet_is_named_with_its_position(tmp_path):
    path = write(tmp_path, "m.txt", "the cat the dog")
    with pytest.raises(CodesimError, match=r"word 4 is 'dog', which is not in the model's alphabet"):
        file_message(path, "word", ["cat", "the"])


def test_the_byte_65_is_not_the_label_65(tmp_path):
    path = write(tmp_path, "a.txt", "A")
    assert file_message(path, "byte", [64, 65]).tolist() == [1]
    with pytest.raises(CodesimError, match="byte 1 is 65"):
        file_message(path, "byte", ["65"])


# -- the union model ------------------------------------------------------------------------------


@pytest.mark.parametrize("smoothing, alpha", [("laplace", 1.0), ("kt", 0.5), (0.25, 0.25)])
def test_union_model_gives_unseen_symbols_alpha_over_n_plus_alpha_u_and_sums_to_one(smoothing, alpha):
    model = {"a": 5, "b": 3}                     # N = 8
    q = union_model(model, ["b", "c", "d"], smoothing)
    assert q.alphabet == ("a", "b", "c", "d")    # |U| = 4
    denominator = 8 + alpha * 4
    assert q.probs == pytest.approx([(5 + alpha) / denominator, (3 + alpha) / denominator,
                                     alpha / denominator, alpha / denominator], abs=1e-15)
    assert math.fsum(q.probs) == pytest.approx(1.0, abs=1e-15)
    assert -math.log2(q.probs[2]) == pytest.approx(unseen_cost_bits(8, alpha, 4))
    assert unseen_cost_bits(8, alpha, 4) == pytest.approx(math.log2((8 + 4 * alpha) / alpha))


def test_union_model_accepts_file_counts_and_sorts_mixed_labels_numbers_first():
    counts = UnitCounts((2, 10), np.array([1, 3]))
    q = union_model(counts, [10, 5, "x"], "laplace")
    assert q.alphabet == (2, 5, 10, "x")
    assert q.probs == pytest.approx([2 / 8, 1 / 8, 4 / 8, 1 / 8])


def test_union_model_without_smoothing_rules_unseen_symbols_out():
    q = union_model({"a": 1}, ["a", "b"], "none")
    assert q.probs.tolist() == [1.0, 0.0]
    assert unseen_cost_bits(1, 0.0, 2) == math.inf


def test_union_model_of_no_counts_is_uniform_when_smoothed_and_an_error_when_not():
    assert union_model({}, ["x", "y"], "kt").probs.tolist() == [0.5, 0.5]
    with pytest.raises(CodesimError, match="all counts are zero"):
        union_model({}, ["x", "y"], "none")
    with pytest.raises(CodesimError, match="no alphabet"):
        union_model({}, [], "laplace")


def test_union_model_rejects_bad_counts_and_smoothings():
    with pytest.raises(CodesimError, match="negative"):
        union_model({"a": -1}, ["a"], "laplace")
    with pytest.raises(CodesimError, match="did you mean 'laplace'"):
        union_model({"a": 1}, ["a"], "laplac")


# -- model from one file, message from another ----------------------------------------------------


def test_cross_file_builds_the_union_alphabet_model_message_and_source(tmp_path):
    a = write(tmp_path, "a.txt", "abcab")          # N = 5: a 2, b 2, c 1
    b = write(tmp_path, "b.txt", "badd")           # d never occurs in a.txt
    pair = cross_file(a, b, "char", "laplace")
    assert pair.alphabet == ("a", "b", "c", "d") == pair.model.alphabet == pair.source.alphabet
    assert pair.model.probs == pytest.approx([3 / 9, 3 / 9, 2 / 9, 1 / 9])
    assert pair.message.tolist() == [1, 0, 3, 3]
    assert pair.source.probs.tolist() == [0.25, 0.25, 0.0, 0.5]
    assert pair.unseen == ("d",) and pair.model_total == 5 and pair.alpha == 1.0
    assert pair.unseen_bits == pytest.approx(math.log2(9))


@pytest.mark.parametrize("unit", ["byte", "char", "word"])
@pytest.mark.parametrize("smoothing, alpha", [("laplace", 1.0), ("kt", 0.5)])
def test_cross_entropy_of_a_message_under_another_files_model_is_its_mean_cost(tmp_path, unit, smoothing, alpha):
    """H(p, q) with p the message's own frequencies equals the mean of -log2 q(x) over the message;
    q is recomputed here from a Counter of the model file, independently of the library."""
    model_text = "the quick brown fox jumps over the lazy dog\nthe dog sleeps\n"
    message_text = "a lazy fox, the quick cat\nand the dog!"
    pair = cross_file(write(tmp_path, "a.txt", model_text), write(tmp_path, "b.txt", message_text), unit, smoothing)

    def units(text):
        return list(text.encode()) if unit == "byte" else list(text) if unit == "char" else text.split()

    model_counts, message_units = Counter(units(model_text)), units(message_text)
    union = set(model_counts) | set(message_units)
    total = sum(model_counts.values()) + alpha * len(union)
    costs = [-math.log2((model_counts[x] + alpha) / total) for x in message_units]

    assert pair.alphabet == tuple(sorted(union))
    assert [pair.alphabet[i] for i in pair.message.tolist()] == message_units
    assert cross_entropy(pair.source, pair.model) == pytest.approx(sum(costs) / len(costs), rel=1e-12)
    unseen = [x for x in message_units if x not in model_counts]
    assert unseen, "the example should exercise the escape policy"
    assert all(c == pytest.approx(pair.unseen_bits) for c, x in zip(costs, message_units) if x not in model_counts)
    assert entropy(pair.source) <= cross_entropy(pair.source, pair.model)


def test_cross_file_with_an_empty_model_file_is_uniform_and_with_an_empty_message_is_an_error(tmp_path):
    empty, text = write(tmp_path, "e.txt", b""), write(tmp_path, "t.txt", "abca")
    pair = cross_file(empty, text, "char", "kt")
    assert pair.model.probs == pytest.approx([1 / 3] * 3) and pair.model_total == 0
    with pytest.raises(CodesimError, match="no symbols to code"):
        cross_file(text, empty, "char", "kt")
    with pytest.raises(CodesimError, match="all counts are zero"):
        cross_file(empty, text, "char", "none")


def test_cross_file_reports_unreadable_files_by_name(tmp_path):
    text = write(tmp_path, "t.txt", "abc")
    with pytest.raises(CodesimError, match="nope.txt: no such file"):
        cross_file(tmp_path / "nope.txt", text, "char")
    with pytest.raises(CodesimError, match="offset 1"):
        cross_file(text, write(tmp_path, "bad.txt", b"a\x80"), "word")


def test_count_units_totals_the_file(tmp_path):
    counts = count_units(write(tmp_path, "w.txt", "a b a"), "word")
    assert counts.as_dict() == {"a": 2, "b": 1} and counts.total == 3


def test_union_model_takes_numpy_labels_as_the_plain_labels_they_stand_for():
    q = union_model({np.int64(3): np.int64(2)}, np.array([3, 9]), "laplace")
    assert q.alphabet == (3, 9) and all(type(label) is int for label in q.alphabet)
    assert q.probs == pytest.approx([3 / 4, 1 / 4])


def test_smoothing_moves_cost_from_rare_units_to_units_more_frequent_than_average():
    """Over the plain frequency c/N, a unit with c > N/|U| pays extra bits and a rarer one pays fewer."""
    counts = {"a": 6, "b": 1}                    # N = 7; with "c" unseen, |U| = 3 and N/|U| = 2.33
    model = union_model(counts, ["c"], "laplace")
    q = dict(zip(model.alphabet, model.probs))
    extra = {x: -math.log2(q[x]) + math.log2(c / 7) for x, c in counts.items()}
    assert extra["a"] > 0 > extra["b"]
    for x, c in counts.items():
        assert extra[x] == pytest.approx(math.log2((7 + 3) / 7) - math.log2((c + 1) / c))
