"""Handwritten digits through one random layer: does the layer keep what the pixels hold?

Needs scikit-learn (``pip install 'protobrain[evaluate]'``): its ``load_digits`` images are
bundled in its wheel, nothing is downloaded. Encodes each 8x8 image pixel by pixel, runs a
layer of 1000 units with 5% k-winners over half of the images, and reads the digit out of
the codes of the other half with a logistic regression, beside the same readout on the raw
encoded pixels. Then trains the layer with Hebbian learning and reads it out again.

    python examples/digits.py
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from protobrain import brain, computation, evaluate, learning, neuron, sensor
from protobrain.encoders.array import ArrayEncoder
from protobrain.encoders.numerical import SimpleEncoder
from protobrain.metrics import Entropy

digits = load_digits()
train, test, train_y, test_y = train_test_split(
    digits.images, digits.target, test_size=0.5, stratify=digits.target, random_state=0
)

np.random.seed(0)
pixels = ArrayEncoder(SimpleEncoder(0, 16, 16, 0.25), (8, 8))  # 64 pixels x 16 bits
model = brain.Brain(neuron.Neurons(1000), sensor.Sensor(pixels), computation=computation.SparseComputation(0.05))

before = evaluate.readout(model, train, train_y, test, test_y)  # computes without learning
print(f"raw pixels: {before.sensor:.1%}   random layer: {before.layers[0]:.1%}")

model.learning = learning.HebbianLearning()
recorded = model.run(train)  # one pass over the training images, learning
entropy = Entropy()
entropy.next_batch(model.neurons, recorded)
after = evaluate.readout(model, train, train_y, test, test_y)
print(f"after Hebbian learning: {after.layers[0]:.1%}, entropy {entropy.compute().global_result:.3f}")
