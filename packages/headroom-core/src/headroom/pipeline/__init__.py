"""The compression pipeline and its stages."""
