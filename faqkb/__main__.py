"""``python -m faqkb``: the same as the ``faqkb`` command."""

from faqkb.integrations.launch import run

if __name__ == "__main__":
    run()
