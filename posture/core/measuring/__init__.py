"""From landmarks to readings: geometry, the measures table, set-up checks, uncertainty, levelling, findings and their words."""
