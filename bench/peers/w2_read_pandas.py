"""W2 peer, CSV read alone: pandas.read_csv."""
import sys

import pandas as pd

print(len(pd.read_csv(sys.argv[1])))
