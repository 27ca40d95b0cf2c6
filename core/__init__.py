"""Consulta's domain core: recommendations, people, rounds, storage and the services around them."""
