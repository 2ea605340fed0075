#!/usr/bin/env python3
"""natgrad_tools.py: the command line of the natgrad_tools package (tools/natgrad_tools/), which see.

usage: natgrad_tools.py summary|topics|components|plot|compare|export ...   (--help for each)

With tools/ on sys.path, `import natgrad_tools` finds the package (a package directory comes before a module
of the same name), not this script.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from natgrad_tools.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
