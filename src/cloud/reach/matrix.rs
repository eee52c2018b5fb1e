//! Every instance against every instance for one protocol and port: the segmentation view.

use super::analyze::Analyzer;
use super::finding::Code;
use super::probe::{Probe, Source, Target};
use crate::cloud::packet::Protocol;
use crate::cloud::World;

/// One pair's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Reachable both ways.
    pub reachable: bool,
    /// First failing check (`None` when reachable, or for an instance to itself).
    pub code: Option<Code>,
}

/// The matrix: `instances` in id order, `rows[i][j]` = from `instances[i]` to `instances[j]`
/// (`None` on the diagonal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// Instance ids, in id order.
    pub instances: Vec<String>,
    /// Instance names, in the same order.
    pub names: Vec<String>,
    /// One row per source instance.
    pub rows: Vec<Vec<Option<Cell>>>,
}

fn row(
    a: &Analyzer<'_>,
    ids: &[String],
    i: usize,
    protocol: Protocol,
    port: Option<u16>,
) -> Vec<Option<Cell>> {
    let Some(from) = ids.get(i) else {
        return Vec::new();
    };
    ids.iter()
        .map(|to| {
            if to == from {
                return None;
            }
            let p = Probe {
                source: Source::Ecs {
                    instance_id: from.clone(),
                    source_ip: None,
                },
                target: Target::Ecs {
                    instance_id: to.clone(),
                    target_ip: None,
                },
                protocol,
                source_port: None,
                target_port: port,
            };
            Some(match a.analyze(&p) {
                Ok(v) => Cell {
                    reachable: v.reachable,
                    code: v.first_error().map(|f| f.code),
                },
                Err(_) => Cell {
                    reachable: false,
                    code: None,
                },
            })
        })
        .collect()
}

/// Computes the matrix on `jobs` threads (0 = all cores, 1 = this thread only), calling
/// `done` after each row. Rows are independent, so the result does not depend on `jobs`.
pub fn matrix(
    world: &World,
    protocol: Protocol,
    port: Option<u16>,
    jobs: usize,
    done: &(dyn Fn() + Sync),
) -> Result<Matrix, String> {
    let a = Analyzer::new(world);
    let instances: Vec<String> = world
        .ecs
        .instances
        .keys()
        .map(crate::cloud::ids::Id::to_string)
        .collect();
    let names = world
        .ecs
        .instances
        .values()
        .map(|i| String::from(&i.instance_name))
        .collect();
    let one = |i: usize| {
        let r = row(&a, &instances, i, protocol, port);
        done();
        r
    };
    let rows = if jobs == 1 {
        (0..instances.len()).map(one).collect()
    } else {
        use rayon::prelude::*;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .map_err(|e| format!("cannot start {jobs} worker threads: {e}"))?;
        pool.install(|| (0..instances.len()).into_par_iter().map(one).collect())
    };
    Ok(Matrix {
        instances,
        names,
        rows,
    })
}
