"""`python -m consigndesk` runs the command line."""

from consigndesk.cli import main

main()
