"""The Python build of the article, one module per stage.

corpus -> dataset -> train -> evaluate -> (export -> precompute -> render, later issues).
Imported as the package ``build`` from the repository root (see pyproject.toml for why that is safe).
"""

MEMORIZATION_BUILD = True  # lets a test tell this package from PyPA's `build` tool
