"""Platform adapters: each implements core ports for one outside service."""
