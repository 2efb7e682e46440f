//! Cluster plumbing.
