"""Top-level conftest: keeps pytest from collecting the downstream example project,
which runs as its own pytest session with its own cassettes."""
collect_ignore = ["examples", "bench"]
