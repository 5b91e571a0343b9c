"""ONNX export of trained models (autocomplete and connectivity graphs) — the export issue builds it here.

It reads only what the pipeline wrote (`runs/<profile>/<model>/model.pt`) and a unit's `step`, never
the training code.
"""
