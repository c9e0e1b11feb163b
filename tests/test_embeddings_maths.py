"""The numbers of the Embeddings page, on small sets whose answers are known by hand."""
import numpy as np
import pytest

from chat.embeddings import maths

# Three texts in 3-D: the first two point nearly the same way, the third is orthogonal to the first.
VECTORS = [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]


def test_the_cosine_matrix_of_a_known_set():
    expected = [[1.0, 1 / np.sqrt(2), 0.0], [1 / np.sqrt(2), 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert np.allclose(maths.cosine_matrix(VECTORS), expected)


def test_a_zero_vector_is_similar_to_nothing_and_the_matrix_stays_finite():
    matrix = maths.cosine_matrix([[0.0, 0.0], [1.0, 0.0]])
    assert np.isfinite(matrix).all() and matrix[0, 1] == 0.0 and matrix[0, 0] == 0.0


def test_opposite_vectors_are_minus_one():
    assert maths.cosine_matrix([[1.0, 2.0], [-2.0, -4.0]])[0, 1] == pytest.approx(-1.0)


def test_neighbours_are_the_most_similar_others_first_never_the_text_itself():
    listed = maths.neighbours(maths.cosine_matrix(VECTORS), k=2)
    assert [[n["index"] for n in row] for row in listed] == [[1, 2], [0, 2], [0, 1]]
    assert listed[0][0]["similarity"] == pytest.approx(1 / np.sqrt(2))


def test_ties_are_broken_by_the_earlier_text():
    listed = maths.neighbours(maths.cosine_matrix([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]), k=3)
    assert [n["index"] for n in listed[0]] == [1, 2, 3]


def test_the_projection_keeps_the_main_spread_on_the_first_axis():
    # Points on a line along (1, 1, 0): all the variance is on the first component, none on the second.
    line = [[t, t, 0.0] for t in (-2.0, -1.0, 0.0, 1.0, 2.0)]
    shown = maths.projection(line)
    xs = [p[0] for p in shown["points"]]
    assert xs == pytest.approx([-2 * np.sqrt(2), -np.sqrt(2), 0.0, np.sqrt(2), 2 * np.sqrt(2)])
    assert [p[1] for p in shown["points"]] == pytest.approx([0.0] * 5, abs=1e-9)
    assert shown["explained"] == pytest.approx([1.0, 0.0])


def test_the_projection_is_the_same_for_the_same_vectors_and_copes_with_one_dimension():
    assert maths.projection(VECTORS) == maths.projection([list(v) for v in VECTORS])
    flat = maths.projection([[1.0], [3.0]])
    assert flat["points"] == [[-1.0, 0.0], [1.0, 0.0]] and flat["explained"] == [1.0, 0.0]


def test_identical_models_agree_completely():
    matrix = maths.cosine_matrix(VECTORS)
    agreed = maths.agreement(matrix, matrix, k=1)
    assert agreed["overlap_at_k"] == 1.0 and agreed["spearman"] == pytest.approx(1.0)
    assert agreed["mean_abs_difference"] == 0.0


def test_reversed_rankings_disagree():
    first = np.array([[1.0, 0.9, 0.5, 0.1], [0.9, 1.0, 0.4, 0.2], [0.5, 0.4, 1.0, 0.3], [0.1, 0.2, 0.3, 1.0]])
    # The same pairs, with every row's order of the others reversed for text 0.
    second = first.copy()
    second[0, 1:], second[1:, 0] = [0.1, 0.5, 0.9], [0.1, 0.5, 0.9]
    agreed = maths.agreement(first, second, k=1)
    assert agreed["per_text"][0] == {"overlap": 0.0, "spearman": pytest.approx(-1.0)}
    assert agreed["overlap_at_k"] < 1.0 and agreed["spearman"] < 1.0


def test_two_texts_have_no_rank_correlation_but_still_an_overlap():
    matrix = maths.cosine_matrix([[1.0, 0.0], [0.0, 1.0]])
    agreed = maths.agreement(matrix, matrix)
    assert agreed["k"] == 1 and agreed["overlap_at_k"] == 1.0 and agreed["spearman"] is None
