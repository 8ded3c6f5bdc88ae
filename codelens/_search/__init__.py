"""Semantic, lexical and hybrid search, fusion and the results frame."""
