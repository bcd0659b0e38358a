"""Channel adapters: each turns what a customer sent into the one inbound command."""
