"""Camera work: capture guidance for still shots and the live desk-posture monitor."""
