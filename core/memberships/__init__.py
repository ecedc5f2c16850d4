"""Memberships: plans a creator sells (plans.py), the state a provider's
subscription implies for its member (states.py), and each fan's membership as its latest
snapshot left it (members.py); the access report, where who holds what differs from who
pays (access_report.py)."""
