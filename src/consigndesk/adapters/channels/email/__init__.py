"""Email channel: SMTP listener and IMAP poller in, SMTP out; all of it into the one pipeline."""
