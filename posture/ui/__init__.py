"""Streamlit glue, thin: computation lives below. `page` (what every page runs inside),
`messages`, `clients` (the picker), `assessment_form` (form keys, drafts), `photo_results`,
`guided_camera`, `live_session` (the live page's monitor), `webrtc`, `auth`, page
`workflows`, `audit_view` (the trail as an admin reads it), and the launcher `serve` with
`launch_policy` (where the app may listen, in which mode).
"""
