//! The protobrain engine: pure Rust, no Python (the bindings are the `protobrain` crate
//! beside this one, and this crate never depends on PyO3).
//!
//! Binary neuron groups whose activity lives in shared [`Activity`] buffers, connections
//! whose weights form a pre x post `f64` matrix ([`Weights`]), sources that read a whole
//! buffer or gather from several ([`Source`]), the built-in computations
//! ([`Computation`]: threshold and k-winners), Hebbian learning ([`Hebbian`]) and the
//! numerical encoders ([`NumericalEncoder`]). Every kernel does work proportional to the
//! activity, not to the matrix size, and follows the summation order of
//! docs/specification.md §3 so results are bit-identical to the numpy reference.
//!
//! docs/architecture.md lists the modules and which depends on which: dependencies point
//! one way, from [`network`] down to the leaves ([`error`], [`parallel`], the Hebbian
//! rule's arithmetic).

pub mod activity;
pub mod allocation;
pub mod computation;
pub mod connection;
pub mod encoders;
pub mod error;
pub mod group;
mod hebbian_rule;
pub mod homeostasis;
mod kernels;
pub mod learning;
pub mod likelihood;
pub mod network;
pub mod parallel;
mod pending;
mod pipeline;
pub mod predictor;
mod recording;
pub mod sensor;
pub mod sequence;
pub mod source;
pub mod sparse;
pub mod synapses;
#[cfg(test)]
mod test_random;
#[cfg(test)]
mod test_support;
pub mod weights;

pub use activity::{Activity, SharedActivity};
pub use allocation::{filled, shape_size, zeroed};
pub use computation::Computation;
pub use connection::{Connection, SharedConnection};
pub use encoders::{EncoderKind, NumericalEncoder};
pub use error::{EngineError, Result};
pub use group::{feed_backward, feed_forward, loop_back, Group};
pub use homeostasis::{Boost, DutyCycles, SharedDutyCycles};
pub use learning::Hebbian;
pub use likelihood::{AnomalyLikelihood, LikelihoodState};
pub use network::Network;
pub use predictor::{Classifier, Predictor, PredictorState};
pub use sensor::Sensor;
pub use sequence::{SequenceMemory, SequenceParams, SequenceState, SharedSequence};
pub use source::Source;
pub use sparse::SparseWeights;
pub use synapses::Synapses;
pub use weights::Weights;
