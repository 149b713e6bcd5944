//! Errors of the engine. Each variant maps to one Python exception in the bindings.
use std::fmt;

/// What went wrong. Messages name the bad value, so they can be shown to users as they are.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineError {
    /// A parameter outside its allowed range (Python `ValueError`).
    InvalidParameter { name: &'static str, message: String },
    /// Two shapes that must agree do not (Python `ValueError`).
    ShapeMismatch {
        what: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    /// A value that is not allowed, e.g. NaN weights or an input outside an encoder's range
    /// (Python `ValueError`).
    InvalidValue(String),
    /// An index outside its bounds (Python `IndexError`).
    Index(String),
    /// An allocation that cannot be made (Python `MemoryError`).
    Allocation { what: String, bytes: Option<usize> },
}

pub type Result<T> = std::result::Result<T, EngineError>;

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::InvalidParameter { name, message } => write!(f, "{name}: {message}"),
            EngineError::ShapeMismatch { what, expected, found } => {
                write!(
                    f,
                    "{what}: expected shape {}, got shape {}",
                    fmt_shape(expected),
                    fmt_shape(found)
                )
            }
            EngineError::InvalidValue(message) | EngineError::Index(message) => f.write_str(message),
            EngineError::Allocation {
                what,
                bytes: Some(bytes),
            } => {
                write!(f, "cannot allocate {what} ({bytes} bytes)")
            }
            EngineError::Allocation { what, bytes: None } => {
                write!(f, "cannot allocate {what} (size overflows)")
            }
        }
    }
}

impl std::error::Error for EngineError {}

/// Formats a shape the way numpy prints it: `(3,)`, `(2, 4)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}
