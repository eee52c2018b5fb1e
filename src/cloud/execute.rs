//! `World::execute`: validate against an immutable view, then mutate.
//!
//! Every operation first builds its plan ([`CloudApi::plan`]) with `&World` (all checks,
//! DryRun included, §0.4.10); only a successful plan is applied ([`CloudApi::apply`]), and
//! applying cannot fail. A failed call therefore leaves the world byte-identical — including
//! the clock, the id counter and the ClientToken table.

use crate::cloud::declare::CloudApi;
use crate::cloud::error::CloudError;
use crate::cloud::operation::{OpVisitor, Operation};
use crate::cloud::response::Response;
use crate::cloud::time::Timestamp;
use crate::cloud::world::{CallContext, TokenRecord, World};
use serde::Serialize;
use serde_json::Value;

/// Runs one typed operation: plan against the unchanged world, then commit.
struct Run<'w> {
    world: &'w mut World,
    ctx: &'w CallContext,
    now: Timestamp,
    token_key: Option<String>,
    fingerprint: String,
}

impl OpVisitor for Run<'_> {
    type Out = Result<Response, CloudError>;

    fn visit<O: CloudApi + Serialize>(self, op: &O) -> Self::Out {
        let Run {
            world,
            ctx,
            now,
            token_key,
            fingerprint,
        } = self;
        let plan = op.plan(world, ctx, now)?;
        // ---- commit: nothing below can fail ----
        world.advance_clock(now);
        let response = O::respond(world, now, plan);
        world.note_scheduled(now);
        if let Some(k) = token_key {
            world.client_tokens.insert(
                k,
                TokenRecord {
                    time: now,
                    fingerprint,
                    response: response.to_value(),
                },
            );
        }
        Ok(response)
    }
}

impl World {
    /// Executes one API call for `ctx.caller_account` at `max(clock, ctx.time)` and
    /// returns Alibaba's response body without `RequestId` (the gateway adds it).
    ///
    /// RAM authorization is *not* evaluated here: the gateway calls
    /// [`World::authorization_request`] first (it performs the checks that precede
    /// authorization in the spec's order), evaluates the policy, and only then
    /// calls `execute`, which re-runs every check. On error the world is unchanged.
    pub fn execute(&mut self, ctx: &CallContext, op: &Operation) -> Result<Value, CloudError> {
        self.respond(ctx, op).map(Response::into_value)
    }

    /// [`World::execute`] with the answer as the service gives it: a typed answer stays typed
    /// until read (the gateway's path).
    pub fn respond(&mut self, ctx: &CallContext, op: &Operation) -> Result<Response, CloudError> {
        let now = self.clock.max(ctx.time);
        // §0.4.3 ClientToken idempotency.
        let token_key = op
            .client_token()
            .map(|t| format!("{}|{}|{}", ctx.caller_account, op.action_name(), t));
        // Only idempotent requests need a fingerprint; serializing every request is costly.
        let fingerprint = match &token_key {
            None => String::new(),
            Some(_) => serde_json::to_string(op).map_err(|e| {
                CloudError::new(
                    "InternalError",
                    500,
                    format!("cannot serialize request: {e}"),
                )
            })?,
        };
        if let Some(k) = &token_key {
            if let Some(rec) = self.client_tokens.get(k) {
                if now.epoch().saturating_sub(rec.time.epoch())
                    < self.options.client_token_window_secs
                {
                    return if rec.fingerprint == fingerprint {
                        Ok(Response::Json(rec.response.clone()))
                    } else {
                        Err(CloudError::bad(
                            "IdempotenceParamNotMatch",
                            "Request uses a client token in a previous, but not identical request.",
                        ))
                    };
                }
            }
        }
        op.visit(Run {
            world: self,
            ctx,
            now,
            token_key,
            fingerprint,
        })
    }

    /// Convenience for tests and scripts: decode then execute.
    pub fn call(
        &mut self,
        ctx: &CallContext,
        action: &str,
        params: &serde_json::Map<String, Value>,
    ) -> Result<Value, CloudError> {
        let op = Operation::decode(action, params)?;
        self.execute(ctx, &op)
    }
}
