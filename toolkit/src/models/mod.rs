//! The chapters' own models, built on the core (layers, `Sequential`,
//! optimizers): a GAN's two networks trained in turns ([`gan`]), Gaussian
//! mixtures fitted by EM ([`mixture`]) and recursive networks over trees
//! ([`tree`]). Each is what one chapter needs beyond the Keras-like core.
//!
//! The crate root re-exports them, so `fireside::gan::Gan` and
//! `fireside::models::gan::Gan` are the same type.
//!
//! ```
//! let tree = fireside::models::tree::Tree::parse("(+ 1 2)").unwrap();
//! assert_eq!(tree.leaves(), ["1", "2"]);
//! ```

pub mod gan;
pub mod mixture;
pub mod tree;
