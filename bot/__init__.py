"""Buurtwacht: the chat interface, storage, configuration and wiring."""
