//! The `url` trigger: a function URL, its auth, CORS and response
//! streaming.

use crate::manifest::decode::{Cx, Fields};
use crate::manifest::http::cors;
use crate::manifest::model::{FunctionUrl, TriggerKind};
use crate::manifest::vocab;
use crate::manifest::yaml::Node;

/// Reads a `url` trigger's keys.
pub(super) fn read(cx: &mut Cx, f: &mut Fields) -> Option<TriggerKind> {
    f.opt(cx, "url", function_url).map(TriggerKind::Url)
}

fn function_url(cx: &mut Cx, v: &Node) -> Option<FunctionUrl> {
    let mut f = cx.fields(v, &vocab::URL)?;
    let auth = f
        .word(cx, "auth")
        .or_else(|| f.default_word("auth"))
        .unwrap_or_default();
    let public = f.flag_or_default(cx, "public");
    let cors = f.opt(cx, "cors", cors);
    let stream = f.flag_or_default(cx, "stream");
    if auth == "none" && !public {
        let at = f.get("auth").map(|n| n.pos).unwrap_or(f.pos);
        cx.at("auth", |cx| {
            cx.error_hint(
                at,
                "a function URL with `auth: none` can be called by anyone on the internet",
                Some("add `public: true` inside `url` to confirm, or use `auth: iam`".into()),
            )
        });
    }
    f.finish(cx);
    Some(FunctionUrl {
        iam: auth == "iam",
        cors,
        stream,
    })
}
