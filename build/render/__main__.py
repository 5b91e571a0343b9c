"""`python -m build.render`: the render stage (build/render/page.py)."""

from build.render.page import main

main()
