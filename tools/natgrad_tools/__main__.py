"""python3 -m natgrad_tools ... (from tools/): the command line of natgrad_tools.py."""
from .cli import main

main()
