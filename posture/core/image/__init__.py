"""Photos in and the scene around the body: decoding, orientation, EXIF, the camera's roll and pitch from the scene's lines."""
