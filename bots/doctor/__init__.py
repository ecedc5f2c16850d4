"""`dropcast doctor`: what a drop needs, checked against the real services (bots/doctor_cli.py)."""
