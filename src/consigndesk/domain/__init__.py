"""The pure centre: support-domain objects, rules and events. No framework imports."""
