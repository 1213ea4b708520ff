"""``python -m pykind.cli``: the same as the ``kind`` command."""

from pykind.cli import main

if __name__ == "__main__":
    main()
