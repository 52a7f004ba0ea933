"""The bot: its status and events, create (idempotent), retention, deletion, and its media's
state."""
