"""Datasets: the sources (Shapes, Keras datasets, class folders, flat folders, zips, IDX/npz), image decoding, the split, the tf.data pipeline, augmentation and the dataset registry."""
