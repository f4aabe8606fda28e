"""The measuring pipeline: image and scene, landmarks, view, measures, uncertainty, findings;
and the intake record, which the reports show and the store keeps.

Pure computation plus image decoding; nothing here touches the database, the network or a UI.
"""
