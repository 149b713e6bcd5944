//! Sources: what a connection reads as its pre-synaptic activity.
use std::sync::Arc;

use crate::activity::{read, SharedActivity};
use crate::allocation::shape_size;
use crate::error::{EngineError, Result};

/// The pre-synaptic side of a connection.
///
/// `Whole` reads an output as it is (a group, a sensor). `Gather` picks single values out
/// of one or more outputs: a slice of an output, a merge of outputs, or any composition of
/// those; element `p` of the source is `parts[part[p]][index[p]]`.
#[derive(Debug, Clone)]
pub enum Source {
    Whole(SharedActivity),
    Gather {
        shape: Vec<usize>,
        parts: Vec<SharedActivity>,
        part: Vec<u32>,
        index: Vec<usize>,
    },
}

impl Source {
    /// A source that gathers values from `parts`. Checks every pick against the parts' sizes.
    /// A part named twice is read once (its lock is taken once).
    pub fn gather(
        shape: Vec<usize>,
        parts: Vec<SharedActivity>,
        mut part: Vec<u32>,
        index: Vec<usize>,
    ) -> Result<Self> {
        let size = shape_size(&shape)?;
        let mut unique: Vec<SharedActivity> = Vec::with_capacity(parts.len());
        let mut remap = Vec::with_capacity(parts.len());
        for p in &parts {
            match unique.iter().position(|u| Arc::ptr_eq(u, p)) {
                Some(k) => remap.push(k as u32),
                None => {
                    remap.push(unique.len() as u32);
                    unique.push(p.clone());
                }
            }
        }
        if part.len() != size || index.len() != size {
            return Err(EngineError::ShapeMismatch {
                what: "source picks".into(),
                expected: shape,
                found: vec![part.len().max(index.len())],
            });
        }
        let sizes: Vec<usize> = unique.iter().map(|p| read(p).size()).collect();
        for (p, (k, &i)) in part.iter_mut().zip(&index).enumerate() {
            let Some(&unique_k) = remap.get(*k as usize) else {
                return Err(EngineError::Index(format!(
                    "source pick {p} names part {k}, but there are {} parts",
                    parts.len()
                )));
            };
            *k = unique_k;
            let n = sizes[unique_k as usize];
            if i >= n {
                return Err(EngineError::Index(format!(
                    "source pick {p} reads index {i} of a part of size {n}"
                )));
            }
        }
        Ok(Source::Gather {
            shape,
            parts: unique,
            part,
            index,
        })
    }

    pub fn shape(&self) -> Vec<usize> {
        match self {
            Source::Whole(a) => read(a).shape().to_vec(),
            Source::Gather { shape, .. } => shape.clone(),
        }
    }

    pub fn size(&self) -> usize {
        match self {
            Source::Whole(a) => read(a).size(),
            Source::Gather { index, .. } => index.len(),
        }
    }

    /// Calls `f(position, value)` for every non-zero value, in ascending position.
    pub fn for_each_nonzero(&self, mut f: impl FnMut(usize, f64)) {
        match self {
            Source::Whole(a) => read(a).for_each_nonzero(f),
            Source::Gather { parts, part, index, .. } => {
                let guards: Vec<_> = parts.iter().map(read).collect();
                for (p, (&k, &i)) in part.iter().zip(index).enumerate() {
                    let v = guards[k as usize].values()[i];
                    if v != 0.0 {
                        f(p, v);
                    }
                }
            }
        }
    }

    /// Whether this source reads `activity` (as a whole or as one of its gathered parts).
    pub fn reads(&self, activity: &SharedActivity) -> bool {
        match self {
            Source::Whole(a) => Arc::ptr_eq(a, activity),
            Source::Gather { parts, .. } => parts.iter().any(|p| Arc::ptr_eq(p, activity)),
        }
    }

    /// The positions whose value is exactly 1, ascending (what Hebbian learning calls active).
    pub fn ones(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(64);
        self.ones_into(&mut out);
        out
    }

    /// [`Source::ones`] into `out` (cleared first), reusing its memory.
    pub fn ones_into(&self, out: &mut Vec<usize>) {
        out.clear();
        self.for_each_nonzero(|i, v| {
            if v == 1.0 {
                out.push(i)
            }
        });
    }

    /// A copy of the current values, flattened.
    pub fn values(&self) -> Vec<f64> {
        match self {
            Source::Whole(a) => read(a).values().to_vec(),
            Source::Gather { parts, part, index, .. } => {
                let guards: Vec<_> = parts.iter().map(read).collect();
                part.iter()
                    .zip(index)
                    .map(|(&k, &i)| guards[k as usize].values()[i])
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::Activity;
    use crate::kernels::for_each_nonzero;

    /// A gather needs one part and one index per position: either list of the wrong
    /// length is refused, not only both.
    #[test]
    fn a_gather_with_too_few_parts_or_indices_is_refused() {
        let a = Activity::zeros(&[4]).unwrap().shared();
        assert!(Source::gather(vec![2], vec![a.clone()], vec![0, 0], vec![1, 2]).is_ok());
        for (part, index) in [(vec![0], vec![1, 2]), (vec![0, 0], vec![1]), (vec![0], vec![1])] {
            let err = Source::gather(vec![2], vec![a.clone()], part, index).unwrap_err();
            assert!(err.to_string().contains("source picks"), "{err}");
        }
    }

    /// `ones` lists the positions holding exactly 1, in order (other non-zero values are
    /// not "active" for Hebbian learning).
    #[test]
    fn ones_are_the_positions_of_exact_ones() {
        let a = Activity::zeros(&[6]).unwrap().shared();
        a.write().unwrap().assign(&[0.0, 1.0, 0.5, 1.0, -1.0, 1.0]).unwrap();
        let source = Source::Whole(a);
        assert_eq!(source.ones(), [1, 3, 5]);
    }

    #[test]
    fn nonzero_scan_finds_every_nonzero_in_order() {
        for len in [0, 1, 7, 8, 9, 64, 101] {
            let values: Vec<f64> = (0..len)
                .map(|i| match i % 7 {
                    0 => 1.0,
                    3 => f64::NAN,
                    5 => -0.0,
                    6 => 0.25,
                    _ => 0.0,
                })
                .collect();
            let mut seen = vec![];
            for_each_nonzero(&values, |i, v| seen.push((i, v.to_bits())));
            let want: Vec<(usize, u64)> = values
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0.0)
                .map(|(i, v)| (i, v.to_bits()))
                .collect();
            assert_eq!(seen, want, "{len}");
        }
    }

    #[test]
    fn gather_reads_picks_in_order() {
        let a = Activity::zeros(&[3]).unwrap().shared();
        let b = Activity::zeros(&[2]).unwrap().shared();
        a.write().unwrap().assign(&[1.0, 0.0, 2.0]).unwrap();
        b.write().unwrap().assign(&[0.0, 1.0]).unwrap();
        // merge of b then a[1:]
        let s = Source::gather(vec![4], vec![a.clone(), b.clone()], vec![1, 1, 0, 0], vec![0, 1, 1, 2]).unwrap();
        assert_eq!(s.values(), vec![0.0, 1.0, 0.0, 2.0]);
        assert_eq!(s.ones(), vec![1]);
        let mut seen = vec![];
        s.for_each_nonzero(|i, v| seen.push((i, v)));
        assert_eq!(seen, vec![(1, 1.0), (3, 2.0)]);
    }

    #[test]
    fn gather_rejects_out_of_bounds_picks() {
        let a = Activity::zeros(&[3]).unwrap().shared();
        assert!(matches!(
            Source::gather(vec![1], vec![a.clone()], vec![0], vec![3]),
            Err(EngineError::Index(_))
        ));
        assert!(matches!(
            Source::gather(vec![1], vec![a], vec![1], vec![0]),
            Err(EngineError::Index(_))
        ));
    }
}
