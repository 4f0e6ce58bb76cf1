"""The offline improver's parts; writer/nlac.py puts them together."""
