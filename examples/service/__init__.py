"""The reference service (FastAPI): see app.py and docs/embedding.md."""
