"""What people read: the pre-session summary (Markdown, HTML, PDF) and the annotated images."""
