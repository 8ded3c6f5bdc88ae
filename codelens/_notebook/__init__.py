"""The IPython front end: magics, completion and the widget panels."""
