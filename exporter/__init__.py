"""ONNX export of trained models: the autocomplete and connectivity graphs, and their web formats.

It reads the trained weights through build.run_files (`runs/<run>/<model>/model.pt`) and traces a unit's
`step`; it never runs training.
"""
