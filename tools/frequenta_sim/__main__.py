import sys

from frequenta_sim.cli import main

sys.exit(main())
