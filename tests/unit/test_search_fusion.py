"""Rank fusion: what hybrid ranking promises, on hand-made rank lists."""

from __future__ import annotations

import math

import pytest

from codelens._search.fusion import SEMANTIC_WEIGHT, K, fuse, idf


def _ids(semantic: list[int], lexical: list[tuple[int, float]]) -> list[int]:
    return [f.id for f in fuse([(c, 0.5) for c in semantic], lexical)]


def test_a_chunk_both_modes_rank_beats_one_only_one_mode_ranks_first() -> None:
    fused = fuse([(1, 0.9), (2, 0.8), (3, 0.7)], [(3, 1.0), (4, 1.0), (5, 1.0)])
    assert fused[0].id == 3
    assert (fused[0].semantic_rank, fused[0].lexical_rank) == (3, 1)
    assert fused[0].score == pytest.approx(SEMANTIC_WEIGHT / (K + 3) + 1.0 / (K + 1))


def test_every_candidate_is_kept_once_with_its_ranks() -> None:
    fused = fuse([(10, 0.9), (11, 0.8)], [(11, 1.0), (12, 0.5)])
    assert sorted(f.id for f in fused) == [10, 11, 12]
    ranks = {f.id: (f.semantic_rank, f.lexical_rank) for f in fused}
    assert ranks == {10: (1, None), 11: (2, 1), 12: (None, 2)}


def test_ties_go_to_the_better_semantic_rank() -> None:
    fused = fuse([(7, 0.9), (8, 0.8)], [(8, 1.0), (7, 1.0)], k=1.0, semantic_weight=1.0)
    assert fused[0].score == pytest.approx(fused[1].score)
    assert [f.id for f in fused] == [7, 8]


def test_a_full_lexical_match_outweighs_an_equal_semantic_rank() -> None:
    # An identifier found whole (coverage 1) beats a semantic hit of the same rank.
    assert _ids([1], [(2, 1.0)]) == [2, 1]


def test_a_lexical_hit_on_common_words_barely_counts() -> None:
    # Coverage 0.02: the lexical first place cannot lift a chunk over the semantic order.
    assert _ids([1, 2, 3], [(3, 0.02)]) == [1, 2, 3]
    assert _ids([1, 2, 3], [(3, 0.0)]) == [1, 2, 3]
    # Out-of-range coverages are clamped, never negative or above a full match.
    fused = fuse([], [(1, 7.0), (2, -1.0)])
    assert fused[0].score == pytest.approx(1 / (K + 1))
    assert fused[1].score == 0.0


def test_empty_lists_fuse_to_nothing_or_to_the_other_list() -> None:
    assert fuse([], []) == []
    assert [f.id for f in fuse([], [(4, 1.0), (5, 1.0)])] == [4, 5]
    assert _ids([4, 5], []) == [4, 5]


def test_idf_makes_rare_terms_weigh_more_and_unlisted_terms_the_most() -> None:
    weights = idf({"return": 0.6, "pars": 0.01}, ["return", "pars", "levenshtein"], floor=0.002)
    assert weights["return"] < weights["pars"] < weights["levenshtein"]
    assert weights["levenshtein"] == pytest.approx(math.log(1 / 0.002))
