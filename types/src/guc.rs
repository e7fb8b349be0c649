//! Run-time settings (GUCs).
