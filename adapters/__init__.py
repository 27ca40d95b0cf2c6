"""Platform adapters: they translate payloads to and from the core's neutral messages."""
