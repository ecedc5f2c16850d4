"""Stripe: Checkout for pay links, webhooks for what happened to them. Every SDK call lives
in this package."""
