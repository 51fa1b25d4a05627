"""The versions of the libraries a reading depends on, for a table of figures to name.

OpenCV 5.1's bilinear rotation (the deskew stage) rounds some pixels one grey level away from
5.0's, and that alone moved the shipped model's VNOnDB lines from 5.98 to 6.00 % CER (session 55):
a figure read on another install can differ by a few hundredths of a point, and the versions say
whether two figures were read alike.
"""

from __future__ import annotations

from importlib import metadata

READING_LIBRARIES = ("opencv-python-headless", "onnxruntime", "numpy", "torch")


def library_versions() -> dict[str, str]:
    """Each of READING_LIBRARIES' installed version ("absent" where not installed)."""
    versions = {}
    for dist in READING_LIBRARIES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "absent"
    return versions
