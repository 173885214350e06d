//! Explanations from a local model.
