"""Trends: counts over time by region and label, and the spikes in them."""
