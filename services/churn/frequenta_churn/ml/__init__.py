"""The churn model's pure core: records, point-in-time features, snapshots, candidates,
evaluation, ONNX export and explanations. No database, no files, no network."""
