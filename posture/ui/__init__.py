"""Streamlit glue, thin: computation lives below. `page` (what every page runs inside),
`messages`, `clients` (the picker), `assessment_form` (form keys, drafts), `photo_results`,
`guided_camera`, `live_session` (the live page's monitor), `webrtc`, `auth`, page
`workflows`, and the launcher `serve`.
"""
