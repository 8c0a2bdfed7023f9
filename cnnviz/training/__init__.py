"""Training: the training config, fit with Keras callbacks and live metrics, progress, and the job worker."""
