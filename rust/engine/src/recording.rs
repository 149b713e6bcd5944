//! Recording groups' activity as booleans, step by step, into buffers the caller owns.
use crate::activity::read;
use crate::error::{EngineError, Result};
use crate::group::Group;

/// Writes each group's activity into row `step` of its recording (`record[i]` for
/// `groups[i]`, when given; steps x units, row-major).
pub(crate) fn record_step(groups: &[Group], record: &mut [Option<&mut [bool]>], step: usize) -> Result<()> {
    for (group, slot) in groups.iter().zip(record.iter_mut()) {
        if let Some(buf) = slot {
            let size = group.size();
            record_into(group, &mut buf[step * size..(step + 1) * size])?;
        }
    }
    Ok(())
}

/// Writes `group`'s activity as booleans (non-zero) into `out`.
pub(crate) fn record_into(group: &Group, out: &mut [bool]) -> Result<()> {
    let activity = read(group.output());
    if out.len() != activity.size() {
        return Err(EngineError::ShapeMismatch {
            what: "recording buffer".into(),
            expected: vec![activity.size()],
            found: vec![out.len()],
        });
    }
    out.fill(false);
    activity.for_each_nonzero(|i, _| out[i] = true);
    Ok(())
}
