"""The platform-neutral conversation engine: one prompt at a time, every answer kept."""
