"""Classifiers: group affinity and narratives — features, training, calibration, registry.

Pure code: no session, no network (the embedding model is read from a local directory).
"""
