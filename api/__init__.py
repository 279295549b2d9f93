"""The FastAPI service and web pages."""
