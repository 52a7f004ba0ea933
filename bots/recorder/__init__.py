"""The recorder's hand-off: its token, its API (files streamed into staging), the simulated
meeting."""
