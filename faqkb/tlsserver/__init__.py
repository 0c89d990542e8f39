"""The bundled reference TLS server (scenarios for reproducing TLS problems)."""
