"""What a class sees: figures, widgets, the notebooks' helpers, the demo, exports and the talk.

    viz/            figures, one module per notebook (+ the house style)
    widgets.py      the ipywidgets explorers
    notebook.py     what a notebook's parameters cell turns into: data and models
    demo.py         `make demo`
    classroom.py    HTML pages, reveal.js slides and student versions of the notebooks
    talk.py         the talk in English and Korean (its text in talk/*.md)
"""
