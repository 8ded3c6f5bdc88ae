"""Embedding models: the protocol and registry, the local model and Ollama."""
