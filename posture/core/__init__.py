"""The measuring pipeline: image and scene, landmarks, view, measures, uncertainty, findings.

Pure computation plus image decoding; nothing here touches the database, the network or a UI.
"""
