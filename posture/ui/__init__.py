"""Streamlit glue: widgets, page workflows and the launcher. Thin: computation lives below."""
