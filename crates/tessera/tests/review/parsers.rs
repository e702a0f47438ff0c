//! Parsers under hostile input: H1, L10, L13, L5, I2, and the property-based tests.
