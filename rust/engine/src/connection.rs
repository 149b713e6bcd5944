//! Connections: a source, the shape of the group it feeds, and the weights between them.
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::allocation::shape_size;
use crate::error::{EngineError, Result};
use crate::source::Source;
use crate::synapses::Synapses;

/// One named input of a group once it is connected.
#[derive(Debug)]
pub struct Connection {
    source: Source,
    post_shape: Vec<usize>,
    weights: RwLock<Synapses>,
}

/// A connection shared by the group that owns it and the handles users hold.
pub type SharedConnection = Arc<Connection>;

impl Connection {
    /// Connects `source` to a group of shape `post_shape` through `weights` (dense or
    /// sparse), of (source size) x (group size).
    pub fn new(source: Source, post_shape: Vec<usize>, weights: impl Into<Synapses>) -> Result<Self> {
        let weights = weights.into();
        let pre = source.size();
        let post = shape_size(&post_shape)?;
        if weights.pre() != pre || weights.post() != post {
            return Err(EngineError::ShapeMismatch {
                what: "synapses".into(),
                expected: vec![pre, post],
                found: vec![weights.pre(), weights.post()],
            });
        }
        Ok(Connection {
            source,
            post_shape,
            weights: RwLock::new(weights),
        })
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn post_shape(&self) -> &[usize] {
        &self.post_shape
    }

    pub fn pre_size(&self) -> usize {
        self.source.size()
    }

    pub fn post_size(&self) -> usize {
        self.post_shape.iter().product()
    }

    pub fn weights(&self) -> RwLockReadGuard<'_, Synapses> {
        self.weights.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn weights_mut(&self) -> RwLockWriteGuard<'_, Synapses> {
        self.weights.write().unwrap_or_else(|e| e.into_inner())
    }
}
