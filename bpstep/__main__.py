import sys

from bpstep.cli import main

sys.exit(main())
