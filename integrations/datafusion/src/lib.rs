//! ramsim's RAM evaluator as an Apache DataFusion scalar UDF.
//!
//! [`RamDecide`] wraps a [`CompiledPolicies`] and registers as `ram_decide`:
//!
//! ```sql
//! ram_decide(principal_type, account, principal, action, resource, context) -> Utf8
//! ```
//!
//! - `principal_type`: `RamUser`, `AssumedRoleUser`, `Root`, `Federated` or `Service` (as
//!   `ramsim eval --principal-type`); NULL means `RamUser`;
//! - `account`: UID of the caller's account;
//! - `principal`: user name, `RoleName/SessionName`, … (as `ramsim eval --principal-id`);
//!   NULL means the default `ramsim eval` uses;
//! - `action`: the RAM action, e.g. `vpc:CreateVpc`;
//! - `resource`: the resource ARN; NULL means `*` (resources are owned by the account their ARN
//!   names, as in `ramsim eval`);
//! - `context`: the condition-key values as a JSON object (`{"acs:SourceIp":"10.0.0.1",
//!   "acs:TagKeys":["a","b"]}`); NULL means none.
//!
//! It returns `Allow`, `ExplicitDeny` or `ImplicitDeny` — exactly what `ramsim eval` answers
//! for the same policies and request — and NULL when `action` or `account` is NULL. Every
//! argument may be any string type (Utf8, LargeUtf8, Utf8View, dictionary-encoded strings);
//! a malformed context or an unknown principal type fails the query with an error naming the
//! row (fail closed: no row is silently decided on a guess).
//!
//! The function is pure (`Volatility::Immutable`) and holds its policies in an `Arc`, so
//! DataFusion may evaluate batches on every core; each row calls [`ramsim::engine::decide`],
//! which does not allocate.

use datafusion::arrow::array::{Array, ArrayRef, StringArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use ramsim::engine::{decide, CompiledPolicies, Principal, Request, RequestContext};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A row's caller as its three columns give it: `(principal_type, account, principal)`. Rows
/// of one batch with the same caller share one [`Principal`].
type PrincipalKey<'a> = (Option<&'a str>, &'a str, Option<&'a str>);

/// The number of arguments of `ram_decide`.
pub const ARGS: usize = 6;

/// The `ram_decide` scalar UDF over one set of compiled policies.
#[derive(Debug)]
pub struct RamDecide {
    name: String,
    policies: Arc<CompiledPolicies>,
    signature: Signature,
}

impl RamDecide {
    /// `ram_decide` deciding against `policies`.
    pub fn new(policies: Arc<CompiledPolicies>) -> RamDecide {
        RamDecide::named("ram_decide", policies)
    }

    /// The same function under another name (several policy sets in one session).
    pub fn named(name: &str, policies: Arc<CompiledPolicies>) -> RamDecide {
        RamDecide {
            name: name.to_string(),
            policies,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    /// As a [`ScalarUDF`], ready for `SessionContext::register_udf`.
    pub fn udf(policies: Arc<CompiledPolicies>) -> ScalarUDF {
        ScalarUDF::from(RamDecide::new(policies))
    }
}

// Two instances are the same function when they share the policies.
impl PartialEq for RamDecide {
    fn eq(&self, other: &RamDecide) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.policies, &other.policies)
    }
}

impl Eq for RamDecide {}

impl Hash for RamDecide {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        (Arc::as_ptr(&self.policies) as usize).hash(state);
    }
}

fn is_string(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, v) => is_string(v),
        _ => false,
    }
}

/// Parses a context column value: a JSON object of strings or arrays of strings.
pub fn parse_context(json: &str) -> std::result::Result<RequestContext, String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("context is not JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("context must be a JSON object".into());
    };
    RequestContext::from_json_object(map)
}

impl ScalarUDFImpl for RamDecide {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if arg_types.len() != ARGS {
            return plan_err!(
                "{}(principal_type, account, principal, action, resource, context) takes {ARGS} arguments, got {}",
                self.name,
                arg_types.len()
            );
        }
        if let Some((i, t)) = arg_types.iter().enumerate().find(|(_, t)| !is_string(t)) {
            return plan_err!(
                "{}: argument {} must be a string, got {t}",
                self.name,
                i + 1
            );
        }
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let columns: Vec<StringArray> = args
            .args
            .into_iter()
            .map(|a| -> Result<StringArray> {
                let array: ArrayRef = cast(&a.into_array(rows)?, &DataType::Utf8)?;
                match array.as_any().downcast_ref::<StringArray>() {
                    Some(s) => Ok(s.clone()),
                    None => exec_err!("{}: argument is not a string column", self.name),
                }
            })
            .collect::<Result<_>>()?;
        let [kinds, accounts, names, actions, resources, contexts] = &columns[..] else {
            return exec_err!("{} takes {ARGS} arguments", self.name);
        };
        fn get(a: &StringArray, i: usize) -> Option<&str> {
            (!a.is_null(i)).then(|| a.value(i))
        }
        let mut principals: HashMap<PrincipalKey, Arc<Principal>> = HashMap::new();
        let mut out = StringBuilder::with_capacity(rows, rows * 12);
        for i in 0..rows {
            let (Some(action), Some(account)) = (get(actions, i), get(accounts, i)) else {
                out.append_null();
                continue;
            };
            let kind = get(kinds, i);
            let name = get(names, i);
            let principal = match principals.get(&(kind, account, name)) {
                Some(p) => p.clone(),
                None => {
                    let p = Principal::from_parts(
                        kind.unwrap_or("RamUser"),
                        account,
                        name,
                        None,
                        (false, false, false),
                    )
                    .map(Arc::new);
                    let p = match p {
                        Ok(p) => p,
                        Err(e) => return exec_err!("{}: row {i}: {e}", self.name),
                    };
                    principals.insert((kind, account, name), p.clone());
                    p
                }
            };
            let mut request = Request::new(principal, action, get(resources, i).unwrap_or("*"));
            if let Some(json) = get(contexts, i) {
                match parse_context(json) {
                    Ok(ctx) => request = request.with_context(ctx),
                    Err(e) => return exec_err!("{}: row {i}: {e}", self.name),
                }
            }
            out.append_value(decide(&self.policies, &request).outcome.as_str());
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}
