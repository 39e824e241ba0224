//! Group metrics and disparities for fairness checks, computed from counts of
//! (group, label, prediction) cells: no IO, no DataFusion.
