"""Survey definitions and the language they are written in."""
