"""Server-side apply and field ownership, as structured-merge-diff does it for the built-in kinds: field sets
computed from objects with the kind's OpenAPI definition (struct fields, granular and atomic maps, list
types map / set / atomic), FieldsV1 encoding, the apply merge and its conflicts."""
