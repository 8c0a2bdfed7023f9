"""Lessons outside the app: Keras code and notebooks of a set-up, and links that rebuild it."""
