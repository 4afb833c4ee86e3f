"""The tutorial's exercise worked out in plain numpy, independently of bpstep, for tests to
compare against: 3-2-2 sigmoid network, one sample, E = ½Σ(o − t)², learning rate 0.01,
shared biases b1 = b2 = 0.5."""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


X = np.array([1.0, 4.0, 5.0])
T = np.array([0.1, 0.05])
W1 = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
W2 = np.array([[0.7, 0.8], [0.9, 0.1]])
ZH = X @ W1 + 0.5  # 4.3, 5.3
H = sigmoid(ZH)
ZO = H @ W2 + 0.5
OUT = sigmoid(ZO)
D_O = OUT - T  # ∂E/∂o for E = ½Σ(o − t)²
D_ZO = D_O * OUT * (1 - OUT)
D_H = W2 @ D_ZO
D_ZH = D_H * H * (1 - H)
DW2 = np.outer(H, D_ZO)
DB1 = D_ZH.sum()  # 0.0024: the tutorial's 0.0008 takes one hidden unit's paths only
W2_NEW = W2 - 0.01 * DW2
