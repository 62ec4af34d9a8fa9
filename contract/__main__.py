"""`python -m contract` is the same as the `vmss-contract` command."""
from contract.cli import main

if __name__ == "__main__":
    main()
