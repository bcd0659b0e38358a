"""Language-model providers (optional; the assistant works from templates without them)."""
