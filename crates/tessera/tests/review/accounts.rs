//! Accounts and adapters: H2, I12, M1, L9, I1, L11, I4.
