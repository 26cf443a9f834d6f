"""The course's command-line tools, run as modules from the checkout: `python -m scripts.run_notebooks` etc."""
