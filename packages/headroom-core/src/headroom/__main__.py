"""``python -m headroom``: the same command line as ``headroom``."""

from headroom.cli import main

if __name__ == "__main__":
    main()
