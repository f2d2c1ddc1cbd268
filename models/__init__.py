"""Model manifests, the registry of known models, and converters to ONNX."""
