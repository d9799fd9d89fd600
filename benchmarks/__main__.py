"""`python -m benchmarks [--quick | --full] [--no-scaling]`: see `benchmarks.run`."""

from .run import main

raise SystemExit(main())
