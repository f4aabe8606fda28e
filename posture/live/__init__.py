"""Camera work: capture guidance for still shots (`capture`) and the live desk-posture
monitor: `engine` (frame -> landmarks -> measures -> state) built from `one_euro` (landmark
smoothing), `state` (states, grading, hysteresis, alerts), `session` (statistics) and
`calibration` (the user's baseline); `sources` (webcam, video file) and `frame_log` (the
per-frame log) are its files and devices.
"""
