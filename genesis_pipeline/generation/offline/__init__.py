"""A deterministic, network-free generator that writes every stage from word tables."""
