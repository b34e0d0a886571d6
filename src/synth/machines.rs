//! Step Functions state machines: the definition with references
//! substituted, and a role that may invoke exactly the functions the
//! definition names.

use serde_json::json;

use super::function::{event_rule, schedule_rule};
use super::policy::{self, Policy};
use super::refs;
use super::template::{Template, get_att, r#ref, resource};
use crate::manifest::model::{App, MachineType, TriggerKind};
use crate::names;

pub fn state_machines(app: &App, t: &mut Template) {
    for (name, m) in &app.state_machines {
        t.in_unit("state_machine", name);
        let id = names::state_machine(name);
        let role_id = names::state_machine_role(name);
        let mut p = Policy::default();
        for f in &m.functions {
            p.allow(
                &format!("Invoke{}", names::pascal(f)),
                vec!["lambda:InvokeFunction".into()],
                policy::function_resources(app, f),
            );
        }
        if m.tracing {
            policy::xray(&mut p);
        }
        t.add(&role_id, policy::role(app, "states.amazonaws.com", &p));
        let mut props = json!({
            "StateMachineName": names::physical(&app.name, &app.stage, name),
            "StateMachineType": match m.ty { MachineType::Standard => "STANDARD", MachineType::Express => "EXPRESS" },
            "DefinitionString": refs::tree_json_string(app, &m.definition),
            "RoleArn": get_att(&role_id, "Arn"),
        });
        if m.tracing {
            props["TracingConfiguration"] = json!({ "Enabled": true });
        }
        t.add(&id, resource("AWS::StepFunctions::StateMachine", props));

        if m.triggers.is_empty() {
            continue;
        }
        // EventBridge starts executions with a role of its own.
        let events_role = names::state_machine_events_role(name);
        let mut ep = Policy::default();
        ep.allow(
            "Start",
            vec!["states:StartExecution".into()],
            vec![r#ref(&id)],
        );
        t.add(&events_role, policy::role(app, "events.amazonaws.com", &ep));
        for (i, trig) in m.triggers.iter().enumerate() {
            let target = json!({ "Arn": { "Ref": id }, "Id": "Target", "RoleArn": get_att(&events_role, "Arn") });
            match &trig.kind {
                TriggerKind::Schedule(s) => schedule_rule(
                    app,
                    &names::state_machine_trigger(name, "Schedule", i),
                    s,
                    target,
                    t,
                ),
                TriggerKind::Event(e) => event_rule(
                    app,
                    &names::state_machine_trigger(name, "Event", i),
                    e,
                    target,
                    t,
                ),
                _ => {}
            }
        }
    }
}
