"""The one exception type raised by the datasets package."""


class DataError(ValueError):
    """Bad dataset name, parameters or file; str(e) is a one-line message for the user."""
