"""Process entry points and wiring: the `dropcast` CLI and what each process runs."""
