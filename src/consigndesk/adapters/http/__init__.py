"""HTTP adapter: the JSON API and the server-rendered web UI."""
