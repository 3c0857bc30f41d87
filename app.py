"""Hugging Face Space entry point (README front matter: ``app_file: app.py``)."""

from ui.space import main

if __name__ == "__main__":
    main()
