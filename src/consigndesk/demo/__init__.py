"""Seeded, deterministic bilingual demo data for `consigndesk demo`."""
