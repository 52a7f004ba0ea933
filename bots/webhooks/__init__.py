"""Webhooks: each event's deliveries, signed, retried and bounded per tenant."""
