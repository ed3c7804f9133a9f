"""`python -m cityhub.cli ...` runs the command line."""

from cityhub.cli import main

if __name__ == "__main__":  # not in a worker process that re-imports this module
    main()
