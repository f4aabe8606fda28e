"""The body: the pose model and its pool, the landmarks, augmented copies, the view and how the body is turned."""
