//! Parameters of the CloudMonitor rule APIs for `check` (issue 17): rules over the caller's
//! inter-region peerings, and enable / disable / delete of the caller's rules, so that "a
//! peering is watched, then its rule is switched off" is within reach of a random search.
//!
//! Only searches with traffic moves on ([`super::super::traffic_move`]: an invariant reads
//! fees or alerts) build these parameters; other searches keep calling the rule APIs without
//! parameters, as before, and draw the same random numbers.

use super::{obj, Params};
use serde_json::{json, Map, Value};

/// Rule ids the generator puts (a small pool, so rules are replaced as well as added).
pub const RULE_IDS: &[&str] = &["peer-loss", "peer-util"];

impl Params<'_, '_> {
    /// Ids of the live inter-region peerings of the caller's account.
    fn own_inter_region_peerings(&self) -> Vec<String> {
        let a = self.account();
        self.state
            .world
            .peerings()
            .filter(|p| p.is_inter_region() && p.involves_account(a))
            .map(|p| p.instance_id.clone())
            .collect()
    }

    /// Ids of the caller's rules.
    fn own_rules(&self) -> Vec<String> {
        let a = self.account();
        self.state
            .world
            .cms()
            .rules_of(a)
            .map(|r| r.rule_id.clone())
            .collect()
    }

    pub(super) fn build_cms(&mut self, api: &str) -> Option<Map<String, Value>> {
        if !self.generator.cost_moves {
            return None;
        }
        Some(match api {
            "PutResourceMetricRules" => {
                let peerings = self.own_inter_region_peerings();
                let peering = self.pick_str(&peerings, "pcc-nosuchpeering00");
                let rule = RULE_IDS[self.rng.below(RULE_IDS.len())];
                let (metric, threshold) = if rule == "peer-loss" {
                    ("IntranetTXPacketLossRate", "10")
                } else {
                    ("IntranetTXBandwidthUtilization", "90")
                };
                obj(&[
                    ("Rules.1.RuleId", rule.to_string()),
                    ("Rules.1.Namespace", "acs_vpcpeer".into()),
                    ("Rules.1.MetricName", metric.into()),
                    (
                        "Rules.1.Resources",
                        json!([{ "instanceId": peering }]).to_string(),
                    ),
                    (
                        "Rules.1.Escalations.Critical.ComparisonOperator",
                        "GreaterThanOrEqualToThreshold".into(),
                    ),
                    ("Rules.1.Escalations.Critical.Threshold", threshold.into()),
                    ("Rules.1.Escalations.Critical.Times", "2".into()),
                ])
            }
            "EnableMetricRules" | "DisableMetricRules" => {
                let rules = self.own_rules();
                obj(&[("RuleId.1", self.pick_str(&rules, "nosuchrule"))])
            }
            "DeleteMetricRules" => {
                let rules = self.own_rules();
                obj(&[("Id.1", self.pick_str(&rules, "nosuchrule"))])
            }
            _ => return None,
        })
    }
}
