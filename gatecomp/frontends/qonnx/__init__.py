"""ONNX/QONNX graphs (FINN's format, Brevitas' export): ``reader`` checks every op, attribute
and initializer, ``graph``/``levels`` read the layers, ``fold`` turns them into the integer
model the QNN frontend lowers, ``agree``/``execute``/``own_forward`` check it against the
graph's own execution."""
