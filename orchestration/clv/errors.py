"""The one error the estimators raise."""


class ClvFitError(RuntimeError):
    """A model cannot be fitted or gave implausible parameters; the message says what to do."""
