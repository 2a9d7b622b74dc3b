"""The embedded local cluster. What the other planes may use of it directly (everything else they reach only over
the Kubernetes API and HTTP, as on a real cluster): Kubernetes' label-selector semantics, so that a check of a
manifest (``afsuite doctor``) and the cluster's own controllers decide a selector the same way; and Kubernetes'
resource quantities, so that the observer reads a metric's quantity as the HPA controller does."""

from localcluster.quantity import QuantityError, parse_milli
from localcluster.selectors import match_label_selector

__all__ = ["QuantityError", "match_label_selector", "parse_milli"]
