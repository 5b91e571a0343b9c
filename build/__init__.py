"""The Python build of the article, one module per stage.

corpus -> dataset -> train -> evaluate -> (exporter.export) -> precompute -> render, with build.run_files
owning where each stage's files live. Imported as the package ``build`` from the repository root (see
pyproject.toml for why that is safe).
"""

MEMORIZATION_BUILD = True  # lets a test tell this package from PyPA's `build` tool
