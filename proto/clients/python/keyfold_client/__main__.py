"""``python3 -m keyfold_client``: the command line of :func:`keyfold_client.main`."""
import sys

from keyfold_client import main

sys.exit(main())
