"""The core: plain values in, dataclasses out. Never imports Textual."""
