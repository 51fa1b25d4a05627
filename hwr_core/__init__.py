"""HWR Studio recognition core: codec, preprocessing, CRNN, CTC decoding, data, training, model files.

Never imports Qt; the desktop app and the CLI are two faces of this package.
"""

__version__ = "0.1.0"
APP_NAME = "hwr-studio"  # the per-user data and cache folders' name (platformdirs)
