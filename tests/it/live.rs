//! Live tests against the test bed: filled in below.
