"""Make the independent IRF tool (``independent_irf.py``, kept with these tests) importable.

The project runs pytest with ``--import-mode=importlib``, which does not put test folders on
``sys.path``; the tool is a plain module of this folder, not part of the package under test.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
