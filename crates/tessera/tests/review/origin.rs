//! Hosts, origins and pages: M5 (allowed hosts), L6 (cross-site POSTs), L7 (frame and cache headers), L1, L12.
