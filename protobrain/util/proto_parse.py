"""The original project's name for :mod:`protobrain.messages`, kept so its scripts run.

``protobrain.util`` holds file utilities (streams of messages, atomic writes); converting
messages to model objects needs the model, so it lives in :mod:`protobrain.messages`.
Everything here is that module's, under the same names.
"""

from protobrain.messages import *  # noqa: F403 - the whole public API, by design
from protobrain.messages import __all__ as __all__
