"""Event buses: in-process (memory://) and, later, NATS JetStream."""
