"""Real photos: preprocessing into a run's input and prediction."""
