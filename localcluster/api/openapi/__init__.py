"""The API's schema: upstream Kubernetes 1.32 definitions for every served kind (plus metrics.k8s.io),
used by the server to validate request bodies and to publish OpenAPI v2 and v3 documents. One source:
what kubectl validates against and what the server enforces are the same definitions."""
