"""Stage 7, render: article/index.md through Jinja2 and Markdown into site/index.html. Reads files only.

The article is a Jinja2 template over the build's numbers (results.json, manifest.json, the published
reference), so no number is typed by hand. On top of Python-Markdown it knows:
    ```passage ...```  a passage figure (build/passages.py); its data file is site/data/passages/<id>.json
    ```figure KIND k=v``` a figure drawn by site/js/figures/KIND.js; the block's body is its caption
    $...$, $$...$$     TeX, typeset by KaTeX (node, build/render/math.mjs) into MathML at build time
    [@key; @key2]      citations of article/references.bib, with hover cards and a bibliography
    (#passage-ID@POS)  a link that selects output index POS in the figure of passage ID
    <!-- appendix -->  what follows goes into the appendix
Code spans and fenced code blocks are shown verbatim: no math or citation inside them. Every problem
stops the build with `file:line: message`. See article/README.md for the writing guide.

Extraction, then one module per transform (build/render/article.py shows the order):
    extract.py     passage and figure blocks out of the Markdown (build/fences.py finds every block)
    template.py    Jinja2: the environment, filters, errors with file:line
    context.py     the names the article's Jinja2 can use
    setting.py     the run's setting in words: the corpus, the differences from the original's recipe
    findings.py    what the measurements say, the values the article's sentences turn on
    figures.py     figure and passage elements, numbered
    code.py        code spans and blocks kept verbatim
    mathml.py      TeX to MathML with KaTeX
    citations.py   citations, hover cards, the bibliography
    crossrefs.py   links into passage figures
    reachable.py   keyboard tab stops on display math and tables
    appendix.py    the appendix split
    article.py     the pipeline: Markdown in, the article's HTML parts out
    provenance.py  commit date, repository and Pages addresses, reproduce commands
    page.py        the page template and site/index.html (`python -m build.render` runs its main)
"""
