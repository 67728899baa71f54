"""The retention workspace: web pages in Portuguese served by the gateway (docs/painel.md)."""
