"""Looking inside a model: activations, filter patterns and Grad-CAM."""
