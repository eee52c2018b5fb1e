//! Shrinking a violating sequence: drop chunks of steps (halving the chunk size down to single
//! steps, ddmin-style), then simplify parameters (drop optional ones, simpler policy
//! documents, shorter clock advances), and repeat until nothing changes; then try removing
//! every pair of steps (which escapes the local minima where two steps only make sense
//! together, such as an AssumeRole and the call made with its credentials), and start over
//! if that helps. The result is 1-minimal unless the replay budget ran out, and says so.
//! Every candidate is replayed from the initial world; the order of attempts is fixed, so
//! shrinking is deterministic.

use super::generate::{ADVANCES, DOCS};
use super::{Arg, CheckProgress, Checker, Step, StepKind, MAX_SHRINK_REPLAYS};
use crate::api::SimState;

struct Shrinker<'a> {
    checker: &'a mut Checker,
    k: usize,
    replays: usize,
    progress: &'a mut dyn FnMut(CheckProgress),
}

impl Shrinker<'_> {
    /// The candidate truncated after its violating step, if it still violates.
    fn try_candidate(&mut self, cand: &[Step]) -> Result<Option<Vec<Step>>, String> {
        if self.replays >= MAX_SHRINK_REPLAYS {
            return Ok(None);
        }
        self.replays += 1;
        (self.progress)(CheckProgress::Shrink {
            replays: self.replays,
        });
        Ok(self
            .checker
            .violates(cand, self.k)?
            .map(|(i, _)| cand[..=i].to_vec()))
    }

    fn drop_chunks(&mut self, mut steps: Vec<Step>) -> Result<(Vec<Step>, bool), String> {
        let mut changed = false;
        let mut size = (steps.len() / 2).max(1);
        loop {
            let mut i = 0;
            while i < steps.len() && steps.len() > 1 {
                let end = (i + size).min(steps.len());
                let mut cand = steps[..i].to_vec();
                cand.extend_from_slice(&steps[end..]);
                match self.try_candidate(&cand)? {
                    Some(shorter) => {
                        steps = shorter;
                        changed = true;
                    }
                    None => i += size,
                }
            }
            if size == 1 {
                break;
            }
            size /= 2;
        }
        Ok((steps, changed))
    }

    /// Removes the first pair of steps whose removal still violates (all pairs, in order).
    fn drop_pairs(&mut self, steps: Vec<Step>) -> Result<(Vec<Step>, bool), String> {
        let n = steps.len();
        for i in 0..n {
            for j in i + 1..n {
                let cand: Vec<Step> = steps
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != i && *k != j)
                    .map(|(_, s)| s.clone())
                    .collect();
                if cand.is_empty() {
                    continue;
                }
                if let Some(shorter) = self.try_candidate(&cand)? {
                    return Ok((shorter, true));
                }
            }
        }
        Ok((steps, false))
    }

    fn simplify_params(&mut self, mut steps: Vec<Step>) -> Result<(Vec<Step>, bool), String> {
        let mut changed = false;
        let mut i = 0;
        while i < steps.len() {
            for variant in variants(&steps, i, &self.checker.initial) {
                let mut cand = steps.clone();
                cand[i] = variant;
                if let Some(shorter) = self.try_candidate(&cand)? {
                    steps = shorter;
                    changed = true;
                    break;
                }
            }
            i += 1;
        }
        Ok((steps, changed))
    }
}

/// Simpler versions of step `i`, most aggressive first: without a parameter, with a simpler
/// policy document, made by a caller of an earlier step, or using a VPC of the initial world
/// instead of one created during the run.
fn variants(steps: &[Step], i: usize, initial: &SimState) -> Vec<Step> {
    let step = &steps[i];
    let mut out = Vec::new();
    match &step.kind {
        StepKind::Advance(secs) => {
            for a in ADVANCES.iter().filter(|a| **a < *secs) {
                out.push(Step {
                    id: step.id,
                    kind: StepKind::Advance(*a),
                });
            }
        }
        StepKind::Traffic(t) => {
            for smaller in t.smaller() {
                out.push(Step {
                    id: step.id,
                    kind: StepKind::Traffic(smaller),
                });
            }
        }
        StepKind::Call {
            caller,
            action,
            params,
        } => {
            let with = |params: Vec<(String, Arg)>| Step {
                id: step.id,
                kind: StepKind::Call {
                    caller: caller.clone(),
                    action: action.clone(),
                    params,
                },
            };
            for j in 0..params.len() {
                let mut p = params.clone();
                p.remove(j);
                out.push(with(p));
            }
            for (j, (_, v)) in params.iter().enumerate() {
                let Arg::Lit(text) = v else { continue };
                if let Some(pos) = DOCS.iter().position(|d| d == text) {
                    for simpler in &DOCS[..pos] {
                        let mut p = params.clone();
                        p[j].1 = Arg::Lit((*simpler).to_string());
                        out.push(with(p));
                    }
                }
            }
            let mut earlier: Vec<&Arg> = Vec::new();
            for s in &steps[..i] {
                if let StepKind::Call { caller: c, .. } = &s.kind {
                    if c != caller && !earlier.contains(&c) {
                        earlier.push(c);
                    }
                }
            }
            for c in earlier {
                out.push(Step {
                    id: step.id,
                    kind: StepKind::Call {
                        caller: c.clone(),
                        action: action.clone(),
                        params: params.clone(),
                    },
                });
            }
            for (j, (key, v)) in params.iter().enumerate() {
                if !(key == "VpcId" && matches!(v, Arg::Ref { .. })) {
                    continue;
                }
                for vpc in initial.world.vpcs() {
                    let mut p = params.clone();
                    p[j].1 = Arg::Lit(vpc.vpc_id.clone());
                    for (k, x) in p.iter_mut() {
                        if k == "RegionId" {
                            *x = Arg::Lit(vpc.region_id.clone());
                        }
                    }
                    out.push(with(p));
                }
            }
        }
    }
    out
}

/// The result of shrinking.
pub(super) struct Shrunk {
    /// The minimal sequence.
    pub steps: Vec<Step>,
    /// Replays spent.
    pub replays: usize,
    /// No single step and no pair of steps can be removed (false when the budget ran out).
    pub one_minimal: bool,
}

/// Shrinks `steps` (whose last step violates invariant `k`).
pub(super) fn shrink(
    checker: &mut Checker,
    steps: Vec<Step>,
    k: usize,
    progress: &mut dyn FnMut(CheckProgress),
) -> Result<Shrunk, String> {
    let mut s = Shrinker {
        checker,
        k,
        replays: 0,
        progress,
    };
    let mut steps = steps;
    loop {
        let (a, c1) = s.drop_chunks(steps)?;
        let (b, c2) = s.simplify_params(a)?;
        steps = b;
        if s.replays >= MAX_SHRINK_REPLAYS {
            break;
        }
        if c1 || c2 {
            continue;
        }
        let (c, c3) = s.drop_pairs(steps)?;
        steps = c;
        if !c3 || s.replays >= MAX_SHRINK_REPLAYS {
            break;
        }
    }
    Ok(Shrunk {
        one_minimal: s.replays < MAX_SHRINK_REPLAYS,
        steps,
        replays: s.replays,
    })
}
