"""The voice channel: call recordings in, transcripts out, through the one customer-message path."""
