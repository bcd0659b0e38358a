"""Adapters at the edge: storage, bus, HTTP, channels, platform."""
