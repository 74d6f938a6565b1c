"""The version of skdeep: read by the package, the build and the model files."""

__version__ = "0.1.0.dev0"
