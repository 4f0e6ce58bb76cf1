"""prompt-improver: improve prompts with DSPy, record every one in SQLite, browse with Datasette."""

import os

# litellm fetches its model price map from the internet on import unless told otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
