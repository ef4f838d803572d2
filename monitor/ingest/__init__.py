"""Ingestion: reading files into validated, normalised item drafts. Pure: no database."""
