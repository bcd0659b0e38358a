"""Event buses: in-process (memory://) and NATS JetStream (nats://)."""
