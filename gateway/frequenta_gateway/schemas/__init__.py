"""REST request and response models, one module per resource. Field names are the Portuguese
vocabulary clients share; every model documents itself with a description and an example."""
