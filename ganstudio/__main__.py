"""`python -m ganstudio ...`: the same as the `ganstudio` command (and what `torchrun -m ganstudio` runs)."""

import sys

from ganstudio.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
