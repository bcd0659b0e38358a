"""The web-chat channel: a JSON protocol over websockets, a connection hub fed by the event bus."""
