"""Enrichment stages: normalisation, language id, gazetteer regions and lexicon cues.

Pure code: nothing here opens a database or the network.
"""
