"""The web console (later). May import: service."""
