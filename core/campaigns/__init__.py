"""DM campaigns: who (segments), what (templates and variants), when (schedules), and the
outbox that delivers them within consent, caps and quiet hours."""
