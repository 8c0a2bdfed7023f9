"""cnnviz: explore convolutional networks. The library never imports Streamlit.

Conventions shared by every module:
- images are uint8 NumPy arrays shaped (N, H, W, C) with C of 1 (grayscale) or 3 (RGB);
- a model's input is float32 in [0, 1] (the uint8 image divided by 255) and its output
  is a softmax over the dataset's classes;
- labels are integer class indices into ``Dataset.class_names``.
"""

__version__ = "0.1.0"
