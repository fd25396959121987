"""Analysis pipeline: turns a document into results using the loaded models."""
