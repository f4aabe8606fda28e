"""Records on disk: the client database, photos and the owner-only data folder."""
