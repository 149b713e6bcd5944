//! protobrain: a pure-Rust engine ([`engine`]) and, behind the default `python` feature,
//! its thin PyO3 bindings, exported as the native module `protobrain._core`.

pub mod engine;

#[cfg(feature = "python")]
mod py;

/// The native module. Its classes are handles on engine objects; `protobrain/` builds the
/// documented API on top of them.
#[cfg(feature = "python")]
#[pyo3::pymodule]
mod _core {
    #[pymodule_export]
    use crate::py::activity::PyActivity;
    #[pymodule_export]
    use crate::py::computation::PyComputation;
    #[pymodule_export]
    use crate::py::connection::{PyConnection, WeightsBuffer};
    #[pymodule_export]
    use crate::py::encoders::PyNumericalEncoder;
    #[pymodule_export]
    use crate::py::learning::PyHebbian;
    #[pymodule_export]
    use crate::py::network::PyNetwork;
    #[pymodule_export]
    use crate::py::source::PySource;
}
